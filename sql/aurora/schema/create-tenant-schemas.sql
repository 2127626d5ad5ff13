-- Phase "schema" (connects to: multitenant_analytics): one schema per tenant of tenants/*/tenant.json,
-- each with the same users table. Rendered from the tenant registry: a new tenant needs no SQL edit.
{% for t in tenants %}
CREATE SCHEMA IF NOT EXISTS {{ t.aurora_schema | ident }};

CREATE TABLE IF NOT EXISTS {{ t.aurora_schema | ident }}.users (
    user_id    integer PRIMARY KEY,
    email      text NOT NULL UNIQUE,
    full_name  text NOT NULL,
    created_at timestamp NOT NULL DEFAULT now()
);
{% endfor %}
