#!/usr/bin/env bash
# `make test` (workspace:test): every ava test, then stop the PostgreSQL the tests started, whatever
# the outcome, so nothing outlives the run. The one system tool the tests need is psql (db-connect,
# the bastion script, the splitter compared with psql): installed here when missing and we may.
cd "$(dirname "$0")/../.." || exit 1
if ! command -v psql >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing postgresql-client (psql) for the tests…"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >/dev/null) ||
      echo "warning: could not install postgresql-client; the tests that run psql will fail" >&2
  else
    echo "warning: psql is missing and cannot be installed here (needs root and apt-get); install postgresql-client" >&2
  fi
fi
stop() { PG_DATA_DIR=.data/test-pg node tools/bundle/run-task.mjs platform/down >/dev/null 2>&1 || true; }
trap stop EXIT
# As run-task.mjs does for the commands: the pinned AWS SDK's notice about its later versions' Node needs.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED="${AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED:-true}"
./node_modules/.bin/ava "$@"
