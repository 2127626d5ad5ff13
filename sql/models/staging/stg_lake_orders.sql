-- The same order lines as stg_orders, read from the tenant's data lake at query time (an external
-- table over data-lake/<bucket>/ecommerce-data/orders/order_date=…/): the partition value comes from
-- the folder name. tests/assert_lake_orders_match_seed.sql proves both agree.
select
    order_line_id,
    order_id,
    customer_id,
    product_id,
    order_date,
    quantity,
    total_amount as line_amount
from {{ source('lake', 'orders') }}
