-- The lake and the seed hold the same order lines: a line found more often on one side than on the
-- other fails the test (surplus > 0: more in the lake; < 0: more in the seed). One pass over each side.
select order_line_id, order_id, customer_id, product_id, order_date, quantity, line_amount, sum(side) as surplus
from (
    select *, 1 as side from {{ ref('stg_lake_orders') }}
    union all
    select *, -1 as side from {{ ref('stg_orders') }}
) as both_sides
group by order_line_id, order_id, customer_id, product_id, order_date, quantity, line_amount
having sum(side) <> 0
