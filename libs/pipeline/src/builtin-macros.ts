/**
 * What ships with the engine, written as a user would write it: generic tests (sql/tests/generic's
 * kind, replaced by a project's own test of the same name; each returns the failing rows) and
 * dbt_utils' macros, called as `dbt_utils.<name>(…)` (packages cannot be downloaded here). Arguments,
 * semantics and output are dbt_utils', in PostgreSQL's SQL. Those that read the database while the
 * template renders (star, union_relations, get_column_values, …) use what a project's macro would:
 * `execute`, `adapter.get_columns_in_relation`, `load_relation` and `run_query` (lookups.ts), and
 * `__required_relation`, the engine's: the relation, or an error naming the call when it is not there.
 * dbt's own cross-database macros are builtin-dbt-macros.ts.
 */
import { DBT_MACROS } from './builtin-dbt-macros.ts';

export const BUILTIN_MACROS: Record<string, string> = {
  ...DBT_MACROS,
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
  // dbt_utils adds intervals to the start date: timestamps (timestamp without time zone), not dates.
  dbt_utils__date_spine: `{% macro dbt_utils__date_spine(datepart, start_date, end_date) -%}
select cast(d as timestamp) as {{ adapter.quote('date_' ~ datepart) }}
from generate_series(cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp) - interval '1 {{ datepart }}', interval '1 {{ datepart }}') as d
{%- endmacro %}`,
  // Lower case, spaces and dashes to _, anything else not [a-z0-9_] dropped, a leading digit after an _.
  dbt_utils__slugify: `{% macro dbt_utils__slugify(string) -%}
{%- set string = modules.re.sub('[ -]+', '_', string | lower) -%}
{%- set string = modules.re.sub('[^a-z0-9_]+', '', string) -%}
{{ return(('_' ~ string) if string[:1] in '0123456789' and string else string) }}
{%- endmacro %}`,
  dbt_utils__pivot: `{% macro dbt_utils__pivot(column, values, alias=true, agg='sum', cmp='=', prefix='', suffix='', then_value=1, else_value=0, quote_identifiers=true, distinct=false) -%}
{%- for value in values %}
  {{ agg }}({% if distinct %}distinct {% endif %}case when {{ column }} {{ cmp }} '{{ value | replace("'", "''") }}' then {{ then_value }} else {{ else_value }} end)
  {%- if alias %} as {% if quote_identifiers %}{{ adapter.quote(prefix ~ value ~ suffix) }}{% else %}{{ dbt_utils__slugify(prefix ~ value ~ suffix) }}{% endif %}{% endif %}
  {%- if not loop.last %},{% endif %}
{%- endfor %}
{%- endmacro %}`,
  dbt_utils__get_filtered_columns_in_relation: `{% macro dbt_utils__get_filtered_columns_in_relation(from, except=[]) -%}
{%- if not execute %}{{ return('') }}{% endif -%}
{%- set skipped = [] -%}
{%- for name in except or [] %}{% do skipped.append(name | lower) %}{% endfor -%}
{%- set kept = [] -%}
{%- for column in adapter.get_columns_in_relation(__required_relation(from)) -%}
{%- if column.column | lower not in skipped %}{% do kept.append(column.column) %}{% endif -%}
{%- endfor -%}
{{ return(kept) }}
{%- endmacro %}`,
  dbt_utils__star: `{% macro dbt_utils__star(from, relation_alias=False, except=[], prefix='', suffix='', quote_identifiers=True) -%}
{%- if not execute %}{{ return('*') }}{% endif -%}
{%- set columns = dbt_utils__get_filtered_columns_in_relation(from, except) -%}
{%- if columns | length == 0 %}{{ return('/* no columns returned from star() macro */') }}{% endif -%}
{%- for column in columns -%}
{%- if relation_alias %}{{ relation_alias }}.{% endif -%}
{%- if quote_identifiers %}{{ adapter.quote(column) }}{% else %}{{ column }}{% endif -%}
{%- if prefix or suffix %} as {% if quote_identifiers %}{{ adapter.quote(prefix ~ column ~ suffix) }}{% else %}{{ prefix ~ column ~ suffix }}{% endif %}{% endif -%}
{%- if not loop.last %},{{ '\\n  ' }}{% endif -%}
{%- endfor -%}
{%- endmacro %}`,
  dbt_utils__union_relations: `{% macro dbt_utils__union_relations(relations, column_override=none, include=[], exclude=[], source_column_name='_dbt_source_relation', where=none) -%}
{%- set include = include or [] -%}
{%- set exclude = exclude or [] -%}
{%- if include | length and exclude | length %}{{ exceptions.raise_compiler_error('Both an exclude and include list were provided to the union macro. Only one is allowed') }}{% endif -%}
{%- if not execute %}{{ return('') }}{% endif -%}
{%- set column_override = column_override or {} -%}
{%- set included = [] %}{% for name in include %}{% do included.append(name | lower) %}{% endfor -%}
{%- set excluded = [] %}{% for name in exclude %}{% do excluded.append(name | lower) %}{% endfor -%}
{#- The union of the columns, in the order first seen; a string column takes its widest type. -#}
{%- set names = [] -%}
{%- set widest = {} -%}
{%- set present = {} -%}
{%- for relation in relations -%}
{%- set own = present.setdefault(relation | string, []) -%}
{%- for column in adapter.get_columns_in_relation(__required_relation(relation)) -%}
{%- set key = column.column | lower -%}
{%- if (include | length == 0 or key in included) and key not in excluded -%}
{%- do own.append(column.column) -%}
{%- if column.column not in widest -%}
{%- do names.append(column.column) -%}
{%- do widest.setdefault(column.column, column) -%}
{%- elif column.is_string() and widest[column.column].is_string() and column.string_size() > widest[column.column].string_size() -%}
{%- do widest.pop(column.column) -%}
{%- do widest.setdefault(column.column, column) -%}
{%- endif -%}
{%- endif -%}
{%- endfor -%}
{%- endfor -%}
{%- if (include | length or exclude | length) and names | length == 0 -%}
{{ exceptions.raise_compiler_error('There were no columns found to union for relations ' ~ (relations | join(', '))) }}
{%- endif -%}
{%- for relation in relations %}
(
    select
{%- if source_column_name is not none %}
        cast({{ relation | string | literal }} as text) as {{ source_column_name }},
{%- endif %}
{%- for name in names %}
        cast({{ adapter.quote(name) if name in present[relation | string] else 'null' }} as {{ column_override.get(name, widest[name].data_type) }}) as {{ widest[name].quoted }}{% if not loop.last %},{% endif %}
{%- endfor %}
    from {{ relation }}
{%- if where %}
    where {{ where }}
{%- endif %}
)
{%- if not loop.last %}

union all{% endif %}
{%- endfor %}
{%- endmacro %}`,
  dbt_utils__get_column_values: `{% macro dbt_utils__get_column_values(table, column, order_by='count(*) desc', max_records=none, default=none, where=none) -%}
{%- if not execute %}{{ return(default or []) }}{% endif -%}
{%- if load_relation(table) is none -%}
{%- if default is none %}{% do __required_relation(table) %}{% endif -%}
{{ return(default) }}
{%- endif -%}
{#- Ties in order_by are ordered by the value: the same list, and the same SQL, on every run. -#}
{%- set query -%}
select {{ column }} as value
from {{ table }}
{%- if where is not none %}
where {{ where }}
{%- endif %}
group by {{ column }}
order by {{ order_by }}, 1
{%- if max_records is not none %}
limit {{ max_records }}
{%- endif %}
{%- endset -%}
{%- set result = run_query(query | trim) -%}
{%- set values = result.columns[0].values() if result.columns | length else [] -%}
{{ return(values if values | length else default) }}
{%- endmacro %}`,
  dbt_utils__get_query_results_as_dict: `{% macro dbt_utils__get_query_results_as_dict(query) -%}
{%- if not execute %}{{ return({}) }}{% endif -%}
{%- set results = {} -%}
{%- for column in run_query(query).columns %}{% do results.setdefault(column.name, column.values()) %}{% endfor -%}
{{ return(results) }}
{%- endmacro %}`,
  dbt_utils__get_relations_by_pattern: `{% macro dbt_utils__get_relations_by_pattern(schema_pattern, table_pattern, exclude='', database=target.database) -%}
{%- if not execute %}{{ return([]) }}{% endif -%}
{%- set query -%}
select table_schema, table_name
from information_schema.tables
where table_schema ilike {{ schema_pattern | literal }} and table_name ilike {{ table_pattern | literal }} and table_name not ilike {{ exclude | literal }}
order by 1, 2
{%- endset -%}
{%- set relations = [] -%}
{%- for row in run_query(query | trim).rows %}{% do relations.append(api.Relation.create(database=database, schema=row[0], identifier=row[1])) %}{% endfor -%}
{{ return(relations) }}
{%- endmacro %}`,
};
