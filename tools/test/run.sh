#!/usr/bin/env bash
# `make test` (workspace:test): every ava test, then stop the PostgreSQL the tests started, whatever
# the outcome, so nothing outlives the run.
cd "$(dirname "$0")/../.." || exit 1
stop() { PG_DATA_DIR=.data/test-pg node --import tsx apps/platform/src/down.ts >/dev/null 2>&1 || true; }
trap stop EXIT
./node_modules/.bin/ava "$@"
