#!/usr/bin/env bash
# The original dev script, kept for muscle memory: builds one tenant through the same Nx target as
# `make tenant-run` (debug → seed → run → snapshot → test).
set -euo pipefail
usage() {
  cat <<'USAGE'
usage: scripts/run_tenant.sh [<tenant>] [task options…]

Builds <tenant> (default: TENANT_NAME from the environment or .env, else tenant_a): the same as
`make tenant-run TENANT=<tenant>`, i.e. `npx nx run <tenant>:tenant-run`. Options after the tenant
go to the task unchanged, e.g. scripts/run_tenant.sh tenant_b --full-refresh
USAGE
}
case "${1:-}" in -h | --help) usage; exit 0 ;; esac
# Each option is handed to make single-quoted, so it reaches the task exactly as typed here.
quote() { local s=${1//\'/\'\\\'\'}; printf "'%s' " "$s"; }
tenant=()
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then tenant=(TENANT="$1"); shift; fi
args=''
for a in "$@"; do args+=$(quote "$a"); done
exec make --no-print-directory -C "$(dirname "$0")/.." tenant-run "${tenant[@]}" ARGS="$args"
