with source as (
    select * from {{ ref('regions') }}
)

select
    region_id,
    region_name,
    country
from source
