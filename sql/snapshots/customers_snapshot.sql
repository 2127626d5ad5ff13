-- SCD type 2 history of customers: a changed updated_at closes the old row and opens a new one.
-- dbt's block form (the block's name is the table); products_snapshot.sql shows the plain form.
{% snapshot customers_snapshot %}
{{ config(target_schema='snapshots', unique_key='customer_id', strategy='timestamp', updated_at='updated_at') }}

select * from {{ ref('customers') }}
{% endsnapshot %}
