/**
 * Generic tests shipped with the engine, written as a user would write them in sql/tests/generic (and
 * replaced by a project's own test of the same name). Each returns the failing rows, as dbt's do.
 * Their arguments and semantics are dbt_utils'.
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
};
