with orders as (
    select * from {{ ref('fct_orders') }}
),

final as (
    select
        order_date,
        count(*) as order_count,
        count(distinct customer_id) as customer_count,
        sum(order_total) as sales
    from orders
    group by order_date
)

select * from final
