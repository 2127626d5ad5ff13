-- one row per order line: an order (order_id) holds one or more products
with source as (
    select * from {{ ref('orders') }}
),

renamed as (
    select
        order_line_id,
        order_id,
        customer_id,
        product_id,
        order_date,
        quantity,
        total_amount as line_amount
    from source
)

select * from renamed
