/**
 * What ships with the engine, written as a user would write it: generic tests (sql/tests/generic's
 * kind, replaced by a project's own test of the same name; each returns the failing rows) and the
 * dbt_utils macros that need nothing but their arguments, called as `dbt_utils.<name>(…)` (packages
 * cannot be downloaded here). Arguments and semantics are dbt_utils', in PostgreSQL's SQL.
 */
export const BUILTIN_MACROS: Record<string, string> = {
  accepted_range: `{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
select * from {{ model }}
where 1 = 2
{%- if min_value is not none %} or not ({{ adapter.quote(column_name) }} {{ '>=' if inclusive else '>' }} {{ min_value }}){% endif %}
{%- if max_value is not none %} or not ({{ adapter.quote(column_name) }} {{ '<=' if inclusive else '<' }} {{ max_value }}){% endif %}
{% endtest %}`,
  expression_is_true: `{% test expression_is_true(model, expression, column_name=none) %}
select * from {{ model }}
where not ({% if column_name %}{{ adapter.quote(column_name) }} {% endif %}{{ expression }})
{% endtest %}`,
  not_empty_string: `{% test not_empty_string(model, column_name, trim_whitespace=true) %}
select * from {{ model }}
where {% if trim_whitespace %}trim({{ adapter.quote(column_name) }}){% else %}{{ adapter.quote(column_name) }}{% endif %} = ''
{% endtest %}`,
  unique_combination_of_columns: `{% test unique_combination_of_columns(model, combination_of_columns) %}
select {% for column in combination_of_columns %}{{ adapter.quote(column) }}, {% endfor %}count(*) as n_records
from {{ model }}
group by {% for column in combination_of_columns %}{{ adapter.quote(column) }}{% if not loop.last %}, {% endif %}{% endfor %}
having count(*) > 1
{% endtest %}`,
  not_null_proportion: `{% test not_null_proportion(model, column_name, at_least, at_most=1.0) %}
select * from (
    select sum(case when {{ adapter.quote(column_name) }} is null then 0 else 1 end) / nullif(count(*), 0)::numeric as not_null_proportion
    from {{ model }}
) as proportion
where not_null_proportion < {{ at_least }} or not_null_proportion > {{ at_most }}
{% endtest %}`,
  recency: `{% test recency(model, datepart, interval, field=none, column_name=none) %}
{%- set column = adapter.quote(field or column_name) %}
select * from (select max({{ column }}) as most_recent from {{ model }}) as recency
where most_recent is null or most_recent < now() - interval '{{ interval | int }} {{ datepart }}'
{% endtest %}`,
  dbt_utils__generate_surrogate_key: `{% macro dbt_utils__generate_surrogate_key(field_list) -%}
md5(cast({% for field in field_list %}coalesce(cast({{ field }} as text), '_dbt_utils_surrogate_key_null_'){% if not loop.last %} || '-' || {% endif %}{% endfor %} as text))
{%- endmacro %}`,
  dbt_utils__date_spine: `{% macro dbt_utils__date_spine(datepart, start_date, end_date) -%}
select cast(d as date) as {{ adapter.quote('date_' ~ datepart) }}
from generate_series(cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp) - interval '1 {{ datepart }}', interval '1 {{ datepart }}') as d
{%- endmacro %}`,
  dbt_utils__pivot: `{% macro dbt_utils__pivot(column, values, alias=true, agg='sum', cmp='=', prefix='', suffix='', then_value=1, else_value=0, quote_identifiers=true, distinct=false) -%}
{%- for value in values %}
  {{ agg }}({% if distinct %}distinct {% endif %}case when {{ column }} {{ cmp }} '{{ value | replace("'", "''") }}' then {{ then_value }} else {{ else_value }} end)
  {%- if alias %} as {% if quote_identifiers %}{{ adapter.quote(prefix ~ value ~ suffix) }}{% else %}{{ prefix ~ value ~ suffix }}{% endif %}{% endif %}
  {%- if not loop.last %},{% endif %}
{%- endfor %}
{%- endmacro %}`,
};
