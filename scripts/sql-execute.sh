#!/bin/bash
# Runs one phase file with psql, on the bastion host (sent there in the bundle by the ssm transport).
#   scripts/sql-execute.sh config.json sql/aurora/<phase>/<file>.sql
# The phase comes from the path, its database from phases.env (rendered from config.json beside this
# script). The password is read here, with the instance role, from Secrets Manager into a private
# PGPASSFILE that is removed on exit: it never travels in a command, a log or an argument.
# Environment: AURORA_ENDPOINT, AURORA_PORT (default 5432), AURORA_SECRET_ID.
set -euo pipefail
umask 077

config=${1:?usage: sql-execute.sh config.json <sql file>}
file=${2:?usage: sql-execute.sh config.json <sql file>}
here=$(cd "$(dirname "$0")/.." && pwd)

[ -f "$file" ] || { echo "[ERROR] SQL file not found: $file" >&2; exit 2; }
phase=$(printf '%s\n' "$file" | sed -nE 's#^(.*/)?sql/aurora/([a-z][a-z0-9_]*)/[^/]+\.sql$#\2#p')
[ -n "$phase" ] || { echo "[ERROR] Cannot tell the phase from $file (expected sql/aurora/<phase>/<file>.sql)" >&2; exit 2; }
database=$(sed -nE "s/^${phase}=([a-z][a-z0-9_]*)$/\1/p" "$here/phases.env")
[ -n "$database" ] || { echo "[ERROR] Phase \"$phase\" is not in $config (aurora.phases)" >&2; exit 2; }
: "${AURORA_ENDPOINT:?AURORA_ENDPOINT is not set}" "${AURORA_SECRET_ID:?AURORA_SECRET_ID is not set}"
port=${AURORA_PORT:-5432}

echo "[INFO] phase=$phase database=$database endpoint=$AURORA_ENDPOINT:$port file=$file"
secret_dir=$(mktemp -d)
trap 'rm -rf "$secret_dir"' EXIT
secret=$(aws secretsmanager get-secret-value --secret-id "$AURORA_SECRET_ID" --query SecretString --output text)
# username and password from the secret's JSON (python3, or jq where python is missing)
if command -v python3 >/dev/null 2>&1; then
  creds=$(printf '%s' "$secret" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["username"]); print(s["password"])')
else
  creds=$(printf '%s' "$secret" | jq -r '.username, .password')
fi
user=$(printf '%s\n' "$creds" | sed -n 1p)
password=$(printf '%s\n' "$creds" | sed -n 2p)
# .pgpass escapes: backslash and colon
escape() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/:/\\:/g'; }
printf '%s:%s:*:%s:%s\n' "$AURORA_ENDPOINT" "$port" "$(escape "$user")" "$(escape "$password")" > "$secret_dir/pgpass"
unset secret creds password

PGPASSFILE="$secret_dir/pgpass" PGCONNECT_TIMEOUT=15 psql -X -v ON_ERROR_STOP=1 \
  -h "$AURORA_ENDPOINT" -p "$port" -U "$user" -d "$database" -f "$file"
