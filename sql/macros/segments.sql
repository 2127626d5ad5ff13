{#- The customer segment of a lifetime value: thresholds from the vars of sql/project.yml (a tenant's
    tenant.json "vars" or --vars override them). -#}
{% macro customer_segment(amount) -%}
    case
        when {{ amount }} >= {{ var('segment_vip') }} then 'VIP'
        when {{ amount }} >= {{ var('segment_premium') }} then 'Premium'
        when {{ amount }} >= {{ var('segment_regular') }} then 'Regular'
        else 'New'
    end
{%- endmacro %}
