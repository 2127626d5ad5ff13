-- Phase "verification" (connects to: multitenant_analytics): what phase 3 (zero-ETL) needs, printed.
SELECT schema_name
FROM information_schema.schemata
WHERE schema_name IN ({% for s in schemas %}{{ s | literal }}{{ ', ' if not loop.last }}{% endfor %})
ORDER BY schema_name;

SELECT schemaname, tablename, tableowner
FROM pg_tables
WHERE tablename = 'users'
  AND schemaname IN ({% for s in schemas %}{{ s | literal }}{{ ', ' if not loop.last }}{% endfor %})
ORDER BY schemaname;

{% for s in schemas %}
SELECT {{ s | literal }} AS tenant, count(*) AS user_count FROM {{ s | ident }}.users
{{ 'UNION ALL' if not loop.last else 'ORDER BY tenant;' }}
{% endfor %}
