-- Phase "database" (connects to: postgres). CREATE DATABASE has no IF NOT EXISTS and cannot run in
-- a transaction or a DO block, so the statement is generated only when the database is missing and
-- run by \gexec — exactly what psql does with this file on the bastion.
SELECT 'CREATE DATABASE ' || quote_ident({{ target_database | literal }})
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = {{ target_database | literal }})\gexec
