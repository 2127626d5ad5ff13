-- Product analysis: how each product and each category performs.

-- section: Product performance
with products as (
    select * from {{ ref('dim_products') }}
)

select
    product_name,
    product_category,
    product_price as price,
    times_ordered,
    quantity_sold,
    revenue as sales,
    round(100 * revenue / nullif(sum(revenue) over (), 0), 1) as share_pct,
    round(quantity_sold::numeric / nullif(times_ordered, 0), 2) as quantity_per_order
from products
order by revenue desc, product_name;

-- section: Category performance
with products as (
    select * from {{ ref('dim_products') }}
),

order_lines as (
    select * from {{ ref('fct_order_lines') }}
)

select
    products.product_category as category,
    count(distinct products.product_id) as products,
    count(distinct order_lines.order_id) as orders,
    coalesce(sum(order_lines.quantity), 0) as quantity,
    coalesce(sum(order_lines.line_amount), 0) as sales,
    round(100 * coalesce(sum(order_lines.line_amount), 0) / nullif(sum(sum(order_lines.line_amount)) over (), 0), 1) as share_pct
from products
left join order_lines on order_lines.product_id = products.product_id
group by products.product_category
order by sales desc, category;
