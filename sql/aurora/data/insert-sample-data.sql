-- Phase "data" (connects to: multitenant_analytics): five sample users per tenant. ON CONFLICT keeps
-- a re-run from duplicating them.
{% set names = ['Aiko Tanaka', 'Ben Carter', 'Chloe Martin', 'Daniel Kim', 'Emma Novak'] %}
{% for t in tenants %}
INSERT INTO {{ t.aurora_schema | ident }}.users (user_id, email, full_name) VALUES
{% for name in names %}    ({{ loop.index }}, {{ ('user' ~ loop.index ~ '@' ~ t.name | replace('_', '-') ~ '.example.com') | literal }}, {{ name | literal }}){{ ',' if not loop.last }}
{% endfor %}ON CONFLICT (user_id) DO NOTHING;
{% endfor %}
