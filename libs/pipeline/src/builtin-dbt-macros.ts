/**
 * dbt's cross-database macros (dbt 1.8's `dbt` namespace), as dbt-postgres renders them: each name a
 * macro `dbt__<name>` that dispatches (adapter.dispatch, so a project's `postgres__<name>` or
 * `default__<name>` replaces it, as in dbt) to `dbt__postgres__<name>` or `dbt__default__<name>`. Reached
 * as `dbt.<name>`, `dbt_utils.<name>` (dbt_utils before 1.0 had them) and `<name>` (dbt's are global).
 * The whitespace of each body is what dbt's gives: the SQL text, and so the checksums, are the same.
 */

/** A macro whose value is its implementation's, found by dispatch. */
const dispatcher = (name: string, params: string, args = params.replace(/=[^,]+/g, '')) =>
  `{% macro dbt__${name}(${params}) %}{{ return(adapter.dispatch('${name}', 'dbt')(${args})) }}{% endmacro %}`;

/** A SQL function call as dbt's macros lay it out: on its own lines, one argument a line. */
const sqlCall = (fn: string, args: string[], close = '    ') => `\n\n    ${fn}(\n${args.map((a) => `        {{ ${a} }}`).join(',\n')}\n${close})`;

const DATEDIFF = (['year', 'quarter', 'month', 'day', 'week', 'hour', 'minute', 'second', 'millisecond', 'microsecond'] as const)
  .map((part, i) => {
    const d = (x: string, as = 'date') => `({{${x}}})::${as}`;
    const diff = (p: string) => `{{ dbt__datediff(first_date, second_date, '${p}') }}`;
    const fromPart = (p: string, as: string, floor = false) => {
      const f = (x: string) => (floor ? `floor(date_part('${p}', ${d(x, as)}))` : `date_part('${p}', ${d(x, as)})`);
      return `${f('second_date')} - ${f('first_date')}`;
    };
    const sql = {
      year: `(${fromPart('year', 'date')})`,
      quarter: `(${diff('year')} * 4 + ${fromPart('quarter', 'date')})`,
      month: `(${diff('year')} * 12 + ${fromPart('month', 'date')})`,
      day: `(${d('second_date')} - ${d('first_date')})`,
      week: `(${diff('day')} / 7 + case
            when date_part('dow', ${d('first_date', 'timestamp')}) <= date_part('dow', ${d('second_date', 'timestamp')}) then
                case when {{first_date}} <= {{second_date}} then 0 else -1 end
            else
                case when {{first_date}} <= {{second_date}} then 1 else 0 end
        end)`,
      hour: `(${diff('day')} * 24 + ${fromPart('hour', 'timestamp')})`,
      minute: `(${diff('hour')} * 60 + ${fromPart('minute', 'timestamp')})`,
      second: `(${diff('minute')} * 60 + ${fromPart('second', 'timestamp', true)})`,
      millisecond: `(${diff('minute')} * 60000 + ${fromPart('millisecond', 'timestamp', true)})`,
      microsecond: `(${diff('minute')} * 60000000 + ${fromPart('microsecond', 'timestamp', true)})`,
    }[part];
    return `${i ? 'elif' : 'if'} datepart == '${part}' %}\n        ${sql}\n    {% `;
  })
  .join('');

const TYPES: Record<string, string> = {
  string: 'TEXT',
  timestamp: 'TIMESTAMP',
  float: 'FLOAT',
  numeric: 'numeric(28,6)',
  bigint: 'bigint',
  int: 'INT',
  boolean: 'BOOLEAN',
};

export const DBT_MACROS: Record<string, string> = {
  dbt__concat: `${dispatcher('concat', 'fields')}
{% macro dbt__default__concat(fields) -%}{{ fields | join(' || ') }}{%- endmacro %}`,
  dbt__hash: `${dispatcher('hash', 'field')}
{% macro dbt__default__hash(field) -%}md5(cast({{ field }} as TEXT)){%- endmacro %}`,
  dbt__dateadd: `${dispatcher('dateadd', 'datepart, interval, from_date_or_timestamp')}
{% macro dbt__postgres__dateadd(datepart, interval, from_date_or_timestamp) %}

    {{ from_date_or_timestamp }} + ((interval '1 {{ datepart }}') * ({{ interval }}))

{% endmacro %}`,
  dbt__datediff: `${dispatcher('datediff', 'first_date, second_date, datepart')}
{% macro dbt__postgres__datediff(first_date, second_date, datepart) -%}

    {% ${DATEDIFF}else %}
        {{ exceptions.raise_compiler_error("Unsupported datepart for macro datediff in postgres: '" ~ datepart ~ "'") }}
    {% endif %}

{%- endmacro %}`,
  dbt__date_trunc: `${dispatcher('date_trunc', 'datepart, date')}
{% macro dbt__default__date_trunc(datepart, date) -%}date_trunc('{{ datepart }}', {{ date }}){%- endmacro %}`,
  dbt__last_day: `${dispatcher('last_day', 'date, datepart')}
{% macro dbt__default_last_day(date, datepart) -%}
    cast(
        {{ dbt__dateadd('day', '-1', dbt__dateadd(datepart, '1', dbt__date_trunc(datepart, date))) }}
        as date)
{%- endmacro %}
{% macro dbt__default__last_day(date, datepart) -%}{{ dbt__default_last_day(date, datepart) }}{%- endmacro %}
{% macro dbt__postgres__last_day(date, datepart) -%}
    {%- if datepart == 'quarter' -%}
    -- postgres dateadd does not support quarter interval.
    cast(
        {{ dbt__dateadd('day', '-1', dbt__dateadd('month', '3', dbt__date_trunc(datepart, date))) }}
        as date)
    {%- else -%}
    {{ dbt__default_last_day(date, datepart) }}
    {%- endif -%}
{%- endmacro %}`,
  dbt__split_part: `${dispatcher('split_part', 'string_text, delimiter_text, part_number')}
{% macro dbt__default__split_part(string_text, delimiter_text, part_number) %}${sqlCall('split_part', ['string_text', 'delimiter_text', 'part_number'], '        ')}

{% endmacro %}
{% macro dbt___split_part_negative(string_text, delimiter_text, part_number) %}

    split_part(
        {{ string_text }},
        {{ delimiter_text }},
          length({{ string_text }})
          - length(
              replace({{ string_text }},  {{ delimiter_text }}, '')
          ) + 2 + {{ part_number }}
        )

{% endmacro %}
{% macro dbt__postgres__split_part(string_text, delimiter_text, part_number) %}

  {% if part_number >= 0 %}
    {{ dbt__default__split_part(string_text, delimiter_text, part_number) }}
  {% else %}
    {{ dbt___split_part_negative(string_text, delimiter_text, part_number) }}
  {% endif %}

{% endmacro %}`,
  dbt__safe_cast: `${dispatcher('safe_cast', 'field, type')}
{% macro dbt__default__safe_cast(field, type) %}
    {# PostgreSQL has no try_cast: a plain cast, as dbt's. #}
    cast({{ field }} as {{ type }})
{% endmacro %}`,
  // Not returned, printed: its own whitespace is part of the text, as in dbt's.
  dbt__cast_bool_to_text: `{% macro dbt__cast_bool_to_text(field) %}
  {{ adapter.dispatch('cast_bool_to_text', 'dbt')(field) }}
{% endmacro %}
{% macro dbt__default__cast_bool_to_text(field) %}
    cast({{ field }} as TEXT)
{% endmacro %}`,
  dbt__any_value: `${dispatcher('any_value', 'expression')}
{% macro dbt__postgres__any_value(expression) -%}min({{ expression }}){%- endmacro %}`,
  dbt__bool_or: `${dispatcher('bool_or', 'expression')}
{% macro dbt__default__bool_or(expression) -%}bool_or({{ expression }}){%- endmacro %}`,
  dbt__listagg: `${dispatcher('listagg', `measure, delimiter_text="','", order_by_clause=none, limit_num=none`, 'measure, delimiter_text, order_by_clause, limit_num')}
{% macro dbt__postgres__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {% if limit_num -%}
    array_to_string(
        (array_agg(
            {{ measure }}
            {% if order_by_clause -%}
            {{ order_by_clause }}
            {%- endif %}
        ))[1:{{ limit_num }}],
        {{ delimiter_text }}
        )
    {%- else %}
    string_agg(
        {{ measure }},
        {{ delimiter_text }}
        {% if order_by_clause -%}
        {{ order_by_clause }}
        {%- endif %}
        )
    {%- endif %}
{%- endmacro %}`,
  dbt__position: `${dispatcher('position', 'substring_text, string_text')}
{% macro dbt__default__position(substring_text, string_text) %}

    position(
        {{ substring_text }} in {{ string_text }}
    )
{%- endmacro %}`,
  dbt__length: `${dispatcher('length', 'expression')}
{% macro dbt__default__length(expression) %}${sqlCall('length', ['expression'])}
{%- endmacro %}`,
  dbt__replace: `${dispatcher('replace', 'field, old_chars, new_chars')}
{% macro dbt__default__replace(field, old_chars, new_chars) %}${sqlCall('replace', ['field', 'old_chars', 'new_chars'])}


{% endmacro %}`,
  dbt__right: `${dispatcher('right', 'string_text, length_expression')}
{% macro dbt__default__right(string_text, length_expression) %}${sqlCall('right', ['string_text', 'length_expression'])}
{%- endmacro %}`,
  dbt__escape_single_quotes: `${dispatcher('escape_single_quotes', 'expression')}
{% macro dbt__default__escape_single_quotes(expression) -%}{{ expression | replace("'", "''") }}{%- endmacro %}`,
  dbt__string_literal: `${dispatcher('string_literal', 'value')}
{% macro dbt__default__string_literal(value) -%}'{{ value }}'{%- endmacro %}`,
  dbt__current_timestamp: `{% macro dbt__current_timestamp() -%}{{ adapter.dispatch('current_timestamp', 'dbt')() }}{%- endmacro %}
{% macro dbt__postgres__current_timestamp() -%}now(){%- endmacro %}`,
  dbt__except: `${dispatcher('except', '')}
{% macro dbt__default__except() %}

    except

{% endmacro %}`,
  dbt__intersect: `${dispatcher('intersect', '')}
{% macro dbt__default__intersect() %}

    intersect

{% endmacro %}`,
  // api.Column.translate_type on PostgreSQL: dbt's labels (STRING → TEXT, INTEGER → INT, …), numeric(28,6).
  ...Object.fromEntries(
    Object.entries(TYPES).map(([type, sql]) => [
      `dbt__type_${type}`,
      `${dispatcher(`type_${type}`, '')}\n{% macro dbt__default__type_${type}() %}{{ return('${sql}') }}{% endmacro %}`,
    ]),
  ),
};
