#!/usr/bin/env bash
# The original dev script, kept for muscle memory: runs a tenant's analyses through the same Nx
# targets as `make analysis-<name>` (cached; the tenant is built first when needed).
set -euo pipefail
usage() {
  cat <<'USAGE'
usage: scripts/run_analysis.sh [<tenant>] [<analysis>]

Runs sql/analyses/<analysis>.sql for <tenant> (default: TENANT_NAME from the environment or .env,
else tenant_a), or every analysis when <analysis> is left out: the same as
`make analysis-<analysis> TENANT=<tenant>` / `make analysis-all TENANT=<tenant>`.
Results: dist/analysis/<tenant>/<analysis>.{json,md,csv}
USAGE
  printf 'Analyses: %s\n' "$(make --no-print-directory -s -C "$(dirname "$0")/.." list-analyses)"
}
case "${1:-}" in -h | --help) usage; exit 0 ;; esac
[ $# -le 2 ] || { usage >&2; exit 2; }
tenant=()
[ $# -ge 1 ] && tenant=(TENANT="$1")
target=analysis-all
[ $# -eq 2 ] && target="analysis-$2"
exec make --no-print-directory -C "$(dirname "$0")/.." "$target" "${tenant[@]}"
