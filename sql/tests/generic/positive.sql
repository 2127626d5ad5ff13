{#- A custom generic test: the rows where the column is zero or negative (null is not_null's business). -#}
{% test positive(model, column_name) %}
select * from {{ model }} where {{ adapter.quote(column_name) }} <= 0
{% endtest %}
