-- one row per order, with its total over all lines
with order_lines as (
    select * from {{ ref('stg_orders') }}
),

final as (
    select
        order_id,
        customer_id,
        order_date,
        count(*) as line_count,
        sum(quantity) as item_count,
        sum(line_amount) as order_total
    from order_lines
    group by order_id, customer_id, order_date
)

select * from final
