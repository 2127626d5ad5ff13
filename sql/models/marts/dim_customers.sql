-- customers with their lifetime value and segment
with customers as (
    select * from {{ ref('stg_customers_tenant') }}
),

regions as (
    select * from {{ ref('stg_regions') }}
),

customer_orders as (
    select * from {{ ref('customer_orders') }}
),

final as (
    select
        customers.customer_id,
        customers.customer_name,
        customers.customer_email,
        regions.region_name,
        regions.country,
        customers.tenant_name,
        coalesce(customer_orders.order_count, 0) as order_count,
        coalesce(customer_orders.lifetime_value, 0) as lifetime_value,
        customer_orders.first_order_date,
        customer_orders.last_order_date,
        {{ customer_segment('coalesce(customer_orders.lifetime_value, 0)') }} as customer_segment
    from customers
    left join regions on regions.region_id = customers.region_id
    left join customer_orders on customer_orders.customer_id = customers.customer_id
)

select * from final
