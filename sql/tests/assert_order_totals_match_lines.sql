-- the order mart must account for every order line: returns a row when the totals differ
select
    (select sum(order_total) from {{ ref('fct_orders') }}) as orders_total,
    (select sum(line_amount) from {{ ref('stg_orders') }}) as lines_total
where (select sum(order_total) from {{ ref('fct_orders') }})
    is distinct from (select sum(line_amount) from {{ ref('stg_orders') }})
