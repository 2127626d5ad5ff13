with orders as (
    select * from {{ ref('fct_orders') }}
),

final as (
    select
        date_trunc('month', order_date)::date as order_month,
        count(*) as order_count,
        count(distinct customer_id) as customer_count,
        sum(order_total) as sales,
        round(avg(order_total), 2) as average_order_value
    from orders
    group by 1
)

select * from final
