-- order lines never carry a negative quantity or amount
select order_line_id, quantity, line_amount
from {{ ref('stg_orders') }}
where quantity <= 0 or line_amount < 0
