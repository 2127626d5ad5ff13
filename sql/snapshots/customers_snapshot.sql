-- SCD type 2 history of customers: a changed updated_at closes the old row and opens a new one
{{ config(unique_key='customer_id', strategy='timestamp', updated_at='updated_at') }}

select * from {{ ref('customers') }}
