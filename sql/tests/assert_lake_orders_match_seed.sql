-- The lake and the seed hold the same order lines: any row in one and not the other fails the test.
(select * from {{ ref('stg_lake_orders') }} except all select * from {{ ref('stg_orders') }})
union all
(select * from {{ ref('stg_orders') }} except all select * from {{ ref('stg_lake_orders') }})
