-- Sales dashboard: the KPIs, the daily trend, sales by category and the product ranking.

-- section: KPIs
with customers as (
    select * from {{ ref('dim_customers') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
)

select
    (select count(*) from customers) as total_customers,
    (select count(*) from orders) as total_orders,
    (select coalesce(sum(order_total), 0) from orders) as total_sales,
    (select round(avg(order_total), 2) from orders) as average_order_value,
    (select count(*) from customers where order_count > 0) as active_customers;

-- section: Daily sales trend
with daily as (
    select * from {{ ref('agg_daily_sales') }}
)

select
    order_date,
    order_count as orders,
    customer_count as customers,
    sales
from daily
order by order_date;

-- section: Sales by category
with order_lines as (
    select * from {{ ref('fct_order_lines') }}
),

categories as (
    select
        product_category as category,
        count(distinct order_id) as orders,
        sum(line_amount) as sales
    from order_lines
    group by product_category
)

select
    category,
    orders,
    sales,
    round(100 * sales / sum(sales) over (), 1) as share_pct
from categories
order by sales desc, category;

-- section: Product ranking
with products as (
    select * from {{ ref('dim_products') }}
)

select
    revenue_rank as rank,
    product_name,
    product_category,
    revenue as sales,
    times_ordered as orders
from products
where revenue_rank <= 5
order by revenue_rank, product_name;
