-- Basic data analysis: who buys, what sells, how sales move, which segments customers fall in.
-- Each `-- section:` comment titles the statement after it; every statement prints as its own table.

-- section: Sales per customer
with customers as (
    select * from {{ ref('dim_customers') }}
)

select
    customer_id,
    customer_name,
    order_count as orders,
    lifetime_value as sales,
    round(lifetime_value / nullif(order_count, 0), 2) as average_order_value
from customers
order by sales desc, customer_id;

-- section: Sales per product
with products as (
    select * from {{ ref('dim_products') }}
)

select
    product_name,
    product_category,
    times_ordered,
    revenue as sales,
    quantity_sold as quantity
from products
order by sales desc, product_name;

-- section: Monthly sales trend
with monthly as (
    select * from {{ ref('agg_monthly_sales') }}
)

select
    to_char(order_month, 'YYYY-MM') as month,
    order_count as orders,
    customer_count as customers,
    sales,
    average_order_value
from monthly
order by order_month;

-- section: Customer segments
with customers as (
    select * from {{ ref('dim_customers') }}
),

segments (customer_segment, sort_order, rule) as (
    values
        ('VIP', 1, 'lifetime value >= {{ var("segment_vip") }}'),
        ('Premium', 2, '{{ var("segment_premium") }} - {{ var("segment_vip") - 1 }}'),
        ('Regular', 3, '{{ var("segment_regular") }} - {{ var("segment_premium") - 1 }}'),
        ('New', 4, 'below {{ var("segment_regular") }}')
)

select
    segments.customer_segment as segment,
    segments.rule,
    count(customers.customer_id) as customers,
    coalesce(sum(customers.lifetime_value), 0)::numeric(14, 2) as sales
from segments
left join customers on customers.customer_segment = segments.customer_segment
group by segments.customer_segment, segments.sort_order, segments.rule
order by segments.sort_order;
