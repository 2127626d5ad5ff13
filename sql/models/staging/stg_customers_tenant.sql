-- The tenant-aware staging model: every row carries the tenant it belongs to and where the
-- tenant's raw customer files live in its data lake (resolved per tenant at compile time).
with customers as (
    select * from {{ ref('stg_customers') }}
)

select
    customers.*,
    {{ tenant.name | literal }} as tenant_name,
    {{ tenant.database | literal }} as tenant_database,
    {{ tenant.s3_location('customers') | literal }} as s3_location
from customers
