-- price and category history of products (check strategy: the listed columns are compared)
{{ config(unique_key='product_id', strategy='check', check_cols=['product_name', 'product_category', 'product_price']) }}

select * from {{ ref('products') }}
