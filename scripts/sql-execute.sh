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
# The password file lives in memory when the bastion has /dev/shm, and goes on exit and on INT, TERM
# and HUP (a cancelled or timed-out SSM command). Nothing survives SIGKILL's: so the leftovers of an
# earlier killed run are removed first.
tmp_base=/dev/shm; [ -d "$tmp_base" ] && [ -w "$tmp_base" ] || tmp_base=${TMPDIR:-/tmp}
find "$tmp_base" -maxdepth 1 -name 'mt-pgpass.*' -user "$(id -u)" -mmin +1 -exec rm -rf {} + 2>/dev/null || true
secret_dir=$(mktemp -d "$tmp_base/mt-pgpass.XXXXXX")
trap 'rm -rf "$secret_dir"' EXIT
trap 'rm -rf "$secret_dir"; exit 129' HUP
trap 'rm -rf "$secret_dir"; exit 130' INT
trap 'rm -rf "$secret_dir"; exit 143' TERM
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

export PGPASSFILE="$secret_dir/pgpass" PGCONNECT_TIMEOUT=15
run_psql() { psql -X -v ON_ERROR_STOP=1 -h "$AURORA_ENDPOINT" -p "$port" -U "$user" -d "$database" "$@"; }

# The same history as a local run (aurora_setup.applied_files): an applied, unchanged file is
# skipped; an edited one is refused unless AURORA_FORCE=1; a new tenant only re-renders it: re-applied.
# The database phase (before the database exists) and verification (read-only) always run.
sums=$(awk -v f="$file" '$1 == f { print $2, $3 }' "$here/checksums.txt")
if [ -n "$sums" ]; then
  read -r checksum rendered <<<"$sums"
  run_psql -q -f "$here/history.sql"
  applied=$(run_psql -qAt -F ' ' -v file="$file" -f "$here/lookup.sql")
  if [ -n "$applied" ]; then
    read -r applied_sum applied_rendered applied_at <<<"$applied"
    if [ "$applied_sum" = "$checksum" ] && [ "$applied_rendered" = "$rendered" ]; then
      echo "[INFO] $file: already applied, unchanged"
      exit 0
    fi
    if [ "$applied_sum" != "$checksum" ] && [ "${AURORA_FORCE:-0}" != 1 ]; then
      echo "[ERROR] $file was applied on $applied_at and has changed since; it was not applied again. Re-apply with --force (make sure it is safe to run twice)." >&2
      exit 5
    fi
  fi
fi

# A recorded file and its history row (record.sql, the same SQL as a local run) go in one transaction,
# so a failure leaves neither; a file whose first line is "--! no-transaction" runs first, then is recorded.
record=(-v file="$file" -v phase="$phase" -v checksum="${checksum:-}" -v rendered="${rendered:-}")
started=$(date +%s%N)
if [ -z "$sums" ]; then
  run_psql -f "$file"
elif grep -m 1 -v '^[[:space:]]*$' "$file" | grep -q '^--! no-transaction'; then
  run_psql -f "$file"
  run_psql -q "${record[@]}" -v ms=$(( ($(date +%s%N) - started) / 1000000 )) -f "$here/record.sql"
else
  run_psql --single-transaction "${record[@]}" -v ms=null -f "$file" -f "$here/record.sql"
fi
