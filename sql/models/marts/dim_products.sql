-- products with their sales performance and revenue rank
with products as (
    select * from {{ ref('stg_products') }}
),

order_lines as (
    select * from {{ ref('fct_order_lines') }}
),

product_sales as (
    select
        product_id,
        count(distinct order_id) as times_ordered,
        sum(quantity) as quantity_sold,
        sum(line_amount) as revenue
    from order_lines
    group by product_id
),

final as (
    select
        products.product_id,
        products.product_name,
        products.product_category,
        products.product_price,
        coalesce(product_sales.times_ordered, 0) as times_ordered,
        coalesce(product_sales.quantity_sold, 0) as quantity_sold,
        coalesce(product_sales.revenue, 0) as revenue,
        rank() over (order by coalesce(product_sales.revenue, 0) desc) as revenue_rank
    from products
    left join product_sales on product_sales.product_id = products.product_id
)

select * from final
