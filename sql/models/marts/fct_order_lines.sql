-- order lines with their product, for product and category analyses
with order_lines as (
    select * from {{ ref('stg_orders') }}
),

products as (
    select * from {{ ref('stg_products') }}
),

final as (
    select
        order_lines.order_line_id,
        order_lines.order_id,
        order_lines.customer_id,
        order_lines.order_date,
        order_lines.product_id,
        products.product_name,
        products.product_category,
        order_lines.quantity,
        order_lines.line_amount
    from order_lines
    inner join products on products.product_id = order_lines.product_id
)

select * from final
