-- Orders per customer. Ephemeral: no relation of its own; inlined as a CTE into the models that read it.
{{ config(materialized='ephemeral') }}
select
    customer_id,
    count(*) as order_count,
    sum(order_total) as lifetime_value,
    min(order_date) as first_order_date,
    max(order_date) as last_order_date
from {{ ref('fct_orders') }}
group by customer_id
