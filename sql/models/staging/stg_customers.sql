with source as (
    select * from {{ ref('customers') }}
),

renamed as (
    select
        customer_id,
        customer_name,
        lower(customer_email) as customer_email,
        region_id,
        customer_created_at,
        updated_at
    from source
)

select * from renamed
