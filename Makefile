# Forwards to Nx: every target here is one `nx` call (see `make help`). The logic lives in the
# Nx projects (apps/, tools/nx-plugin) and libs/; this file only keeps the commands users know.
.DEFAULT_GOAL := help
SHELL := /bin/bash

NX := ./node_modules/.bin/nx
# Plugins in-process: roughly halves Nx start-up without the daemon (docs/BENCHMARKS.md).
export NX_ISOLATE_PLUGINS ?= false
export NX_NO_CLOUD ?= true
export NX_TUI ?= false

# Values typed on the make line reach the task as exactly that text: make never expands them
# ($(value …)), recipes only read them as "$$MT_…" from the environment, names are checked against
# what exists, and ARGS is split into words by tools/bundle/run-task.mjs (quotes, no expansion).
#
# The tenant: TENANT= on the make line (or in the environment), else TENANT_NAME (environment, then
# .env), else tenant_a. `make info` reports the same choice.
DOTENV_TENANT := $(shell sed -nE "s/^[[:space:]]*(export[[:space:]]+)?TENANT_NAME[[:space:]]*=[[:space:]]*(\"([^\"]*)\"|'([^']*)'|([^[:space:]\#]*)).*/\3\4\5/p" .env 2>/dev/null | tail -n1)
ifneq ($(filter command line environment,$(origin TENANT)),)
export MT_TENANT := $(value TENANT)
export MT_TENANT_FROM := TENANT=
else ifneq ($(value TENANT_NAME),)
export MT_TENANT := $(value TENANT_NAME)
export MT_TENANT_FROM := TENANT_NAME
else ifneq ($(DOTENV_TENANT),)
export MT_TENANT := $(DOTENV_TENANT)
export MT_TENANT_FROM := TENANT_NAME in .env
else
export MT_TENANT := tenant_a
export MT_TENANT_FROM := default
endif
export MT_ARGS := $(value ARGS)
export MT_PHASE := $(value PHASE)
export MT_BASE := $(value BASE)
export MT_ROWS := $(value ROWS)
export MT_SEED := $(value SEED)
export MT_COUNT := $(value COUNT)
export MT_SRC := $(value SRC)
# ENV only from the make line: shells put other things in an ENV environment variable.
export MT_ENV := $(if $(filter command line,$(origin ENV)),$(value ENV))

TENANTS := $(sort $(patsubst tenants/%/tenant.json,%,$(wildcard tenants/*/tenant.json)))
# A tenant may not take the name of another project (or the short name Nx matches @mt/<lib> by);
# tools/nx-plugin refuses the same names.
RESERVED := $(sort $(notdir $(wildcard apps/* libs/* tools/*)) seeds workspace)
# Expands to nothing for a known tenant; otherwise stops make with the known tenants.
check-tenant = $(if $(filter-out 1,$(words $(MT_TENANT)))$(filter-out $(TENANTS),$(MT_TENANT)),$(unknown-tenant),$(if $(filter $(RESERVED),$(MT_TENANT)),$(reserved-tenant)))
unknown-tenant = $(error Unknown tenant "$(MT_TENANT)" (from $(MT_TENANT_FROM)). Known tenants: $(filter-out $(RESERVED),$(TENANTS)). A new tenant is a folder tenants/<name>/ with a tenant.json (README, "Adding a tenant"))
reserved-tenant = $(error tenants/$(MT_TENANT)/ is not a tenant: "$(MT_TENANT)" is the name of another project of this workspace (reserved: $(RESERVED)). Rename the folder, e.g. tenants/tenant_$(MT_TENANT)/)
# $(call check-name,PHASE): PHASE and ENV reach Nx's command line, so they must be plain names.
check-name = if [[ ! "$$MT_$(1)" =~ ^[A-Za-z0-9_-]*$$ ]]; then echo "error [BAD_VALUE] $(1)=\"$$MT_$(1)\" is not a name of config.json (letters, digits, - and _ only)." >&2; exit 2; fi;
# $(call check-number,ROWS,<example>): a whole number, required.
check-number = if [[ ! "$$MT_$(1)" =~ ^[0-9]+$$ ]]; then echo "error [BAD_VALUE] $(1)=\"$$MT_$(1)\" is not a whole number: e.g. make $@ $(2)" >&2; exit 2; fi;
# $(call check-path,SRC,<example>): a folder, required; it reaches Nx's command line, so only characters no shell
# reads differently (the task itself reads a leading ~/ as the home folder).
check-path = if [[ -z "$$MT_$(1)" ]]; then echo "error [BAD_VALUE] $(1)= is required: e.g. make $@ $(2)" >&2; exit 2; fi; \
	if [[ ! "$$MT_$(1)" =~ ^[A-Za-z0-9._/~+@-]+$$ ]]; then echo "error [BAD_VALUE] $(1)=\"$$MT_$(1)\" is not a path make passes on as it is (letters, digits and . _ - / ~ + @ only): rename the folder, or run node tools/bundle/run-task.mjs platform/$@ --src '<folder>'" >&2; exit 2; fi;
# $(call tenant-task,<target>): that target of the chosen tenant; ARGS go to it (not to what it depends on).
tenant-task = $(check-tenant)MT_ARGS_FOR=$(1) $(NX) run "$$MT_TENANT:$(1)"

# npm ci installs exactly the lockfile and never rewrites it: a fresh clone stays clean.
INSTALLED := node_modules/.package-lock.json

$(INSTALLED): package.json package-lock.json
	@echo "installing dependencies (npm ci)…"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

##@ Quick start
quick-start: setup tenant-a tenant-b db-status ## Set up, build tenant_a and tenant_b, show the status
demo: setup run-all db-status ## Every feature: all tenants built in parallel, then the status
help: ## This list
	@if [ -t 1 ] && [ -z "$${NO_COLOR:-}" ]; then b=$$'\e[1m'; c=$$'\e[36m'; r=$$'\e[0m'; fi; \
	awk -v b="$$b" -v c="$$c" -v r="$$r" 'BEGIN {FS = ":.*?## "} /^##@/ {printf "\n%s%s%s\n", b, substr($$0, 5), r} /^[a-zA-Z0-9_ -]+:.*?## / {printf "  %s%-22s%s %s\n", c, $$1, r, $$2}' $(MAKEFILE_LIST)
	@echo; echo "  Variables: TENANT (else TENANT_NAME, else tenant_a; now: $$MT_TENANT), PHASE and ENV (aurora), BASE (affected), SRC (import-dbt), ARGS='…' (options of the task)"

##@ Environment
setup: $(INSTALLED) ## First-time setup: install, write .env, start the database
	@$(NX) run platform:setup
up: $(INSTALLED) ## Start PostgreSQL (embedded by default; PG_MODE=docker|external in .env)
	@$(NX) run platform:up
down: $(INSTALLED) ## Stop PostgreSQL
	@$(NX) run platform:down

##@ Tenants
tenant-a: $(INSTALLED) ## Build tenant_a (debug, seed, run, snapshot, test)
	@MT_ARGS_FOR=tenant-run $(NX) run tenant_a:tenant-run
tenant-b: $(INSTALLED) ## Build tenant_b
	@MT_ARGS_FOR=tenant-run $(NX) run tenant_b:tenant-run
tenant-run: $(INSTALLED) ## Build TENANT=<name>
	@$(call tenant-task,tenant-run)
run-all: $(INSTALLED) ## Build every tenant in parallel
	@MT_ARGS_FOR=tenant-run $(NX) run-many -t tenant-run --output-style=static

##@ Pipeline steps (dbt-style; dbt-* names kept from the original)
dbt-debug debug: $(INSTALLED) ## Check config and connection of TENANT
	@$(call tenant-task,debug)
dbt-seed seed: $(INSTALLED) ## Load the seed CSVs of TENANT
	@$(call tenant-task,seed)
dbt-run run: $(INSTALLED) ## Build the models of TENANT (ARGS="--select name+ --full-refresh")
	@$(call tenant-task,run)
dbt-snapshot snapshot: $(INSTALLED) ## Record SCD-2 snapshots of TENANT
	@$(call tenant-task,snapshot)
dbt-test data-test: $(INSTALLED) ## Run the data tests of TENANT (on what is built)
	@$(call tenant-task,test)
dbt-compile compile: $(INSTALLED) ## Render the SQL of TENANT into dist/compiled/ (ARGS="--select x --print")
	@$(call tenant-task,compile)
dbt-ls ls: $(INSTALLED) ## List the nodes of TENANT (ARGS="--select tag:marts --output json")
	@$(call tenant-task,ls)
dbt-show show: $(INSTALLED) ## First rows of a node (ARGS="--select dim_customers --limit 10")
	@$(call tenant-task,show)
dbt-source-freshness source-freshness: $(INSTALLED) ## How recent the sources of TENANT are
	@$(call tenant-task,source-freshness)
dbt-docs docs: $(INSTALLED) ## The docs site of TENANT with its lineage graph (dist/docs/<tenant>/)
	@$(call tenant-task,docs)

##@ Analyses (cached by Nx)
analysis-all: $(INSTALLED) ## Every analysis of sql/analyses for TENANT
	@$(call tenant-task,analysis)
analysis-basic: $(INSTALLED) ## Sales per customer/product, monthly trend, segments
	@$(call tenant-task,analysis-basic)
analysis-dashboard: $(INSTALLED) ## KPIs, daily trend, sales by category, product ranking
	@$(call tenant-task,analysis-dashboard)
analysis-products: $(INSTALLED) ## Product and category performance
	@$(call tenant-task,analysis-products)
# sql/analyses/*.sql for make's check above and for scripts/run_analysis.sh --help (list-analyses). The
# targets come from tools/nx-plugin, which lists them as listAnalyses does (libs/pipeline/src/analyses.ts).
ANALYSES := $(sort $(basename $(notdir $(wildcard sql/analyses/*.sql))))
list-analyses: # for scripts/run_analysis.sh --help
	@echo $(ANALYSES)
analysis-%: $(INSTALLED) # any sql/analyses/<name>.sql
	$(if $(filter-out $(ANALYSES),$*),$(error Unknown analysis "$*": there is no sql/analyses/$*.sql. Available: $(ANALYSES)))
	@$(call tenant-task,analysis-$*)
analysis-affected: $(INSTALLED) ## Only the analyses a change touched (BASE=<git ref>; default in README)
	@$(affected-base) && MT_ARGS_FOR='analysis-*' $(NX) affected -t analysis --base="$$base"
report: $(INSTALLED) ## HTML dashboard with charts: dist/reports/TENANT/index.html
	@$(call tenant-task,report)

##@ Aurora multi-tenant setup (local PostgreSQL by default)
aurora-phase: $(INSTALLED) ## One phase: PHASE=database|schema|data|verification [ENV=dev: via the bastion]
	@$(call check-name,PHASE)$(call check-name,ENV)MT_ARGS_FOR=phase $(NX) run aurora:phase --phase="$$MT_PHASE" $(if $(MT_ENV),--environment="$$MT_ENV")
aurora-setup: $(INSTALLED) ## All four phases in order, stopping at the first failure [ENV=dev]
	@$(call check-name,ENV)MT_ARGS_FOR='phase-*' $(NX) run aurora:setup $(if $(MT_ENV),--environment="$$MT_ENV")
zero-etl-filter: $(INSTALLED) ## The zero-ETL data filter for every tenant's users table
	@MT_ARGS_FOR=zero-etl-filter $(NX) run aurora:zero-etl-filter

##@ Data lake (external tables: sql/sources)
data-lake: $(INSTALLED) ## (Re)write every tenant's local lake from its seeds, partitioned (data-lake/)
	@MT_ARGS_FOR=data-lake $(NX) run platform:data-lake
external-tables: $(INSTALLED) ## Discover partitions, create/refresh TENANT's external tables (ARGS="--dialect=athena [--s3]")
	@$(call tenant-task,external-tables)

##@ Data at scale
generate-data: $(INSTALLED) ## Seeds at scale for TENANT: ROWS=<order lines> [SEED=<n>] (ROWS=0 removes them)
	@$(check-tenant)$(call check-number,ROWS,TENANT=tenant_a ROWS=1000000)$(if $(MT_SEED),$(call check-number,SEED,SEED=42))MT_ARGS_FOR=generate-data $(NX) run platform:generate-data --tenant="$$MT_TENANT" --rows="$$MT_ROWS" $(if $(MT_SEED),--seed="$$MT_SEED")
tenants-generate: $(INSTALLED) ## COUNT=<n> extra tenants scale_001 … for scale tests (git-ignored; COUNT=0 removes them)
	@$(call check-number,COUNT,COUNT=50)MT_ARGS_FOR=tenants-generate $(NX) run platform:tenants-generate --count="$$MT_COUNT"

##@ Bringing your dbt project
import-dbt: $(INSTALLED) ## Copy a dbt project into sql/, seeds/ and tenants/: SRC=<dir> [ARGS=--force]
	@$(call check-path,SRC,SRC=../dbt-poc)MT_ARGS_FOR=import-dbt $(NX) run platform:import-dbt --src="$$MT_SRC"

##@ Database
db-connect: $(INSTALLED) ## psql into the database of TENANT (ARGS="--sql '…'")
	@$(call tenant-task,db-connect)
db-status: $(INSTALLED) ## Engine status and every tenant database
	@$(NX) run platform:status

##@ Development
dev-shell: $(INSTALLED) ## A shell set up for TENANT (TENANT_NAME, PG*)
	@$(call tenant-task,dev-shell)
dev-logs: $(INSTALLED) ## Follow the database log
	@MT_ARGS_FOR=logs $(NX) run platform:logs
test: $(INSTALLED) ## Run every test (ava, real embedded PostgreSQL)
	@$(NX) run workspace:test
typecheck: $(INSTALLED) ## Type-check the whole workspace (tsc)
	@$(NX) run workspace:typecheck
lint: $(INSTALLED) ## ESLint and Prettier (check only; npm run format writes the formatting)
	@$(NX) run workspace:lint
bench: $(INSTALLED) ## Measure cold/warm runs and Nx overhead (docs/BENCHMARKS.md)
	@$(NX) run workspace:bench
graph: $(INSTALLED) ## Open the Nx project graph
	@$(NX) graph

##@ Information
info: $(INSTALLED) ## Tenants, engine and paths (and which tenant TENANT/TENANT_NAME selects)
	@$(NX) run platform:info
examples: $(INSTALLED) ## Example commands
	@$(NX) run platform:examples
version: $(INSTALLED) ## Versions of the tools
	@$(NX) run platform:version

# The base of `nx affected`: BASE=, else the remote's default branch, else main/master when HEAD is
# not on it, else the previous commit (or, in a repository of one commit, HEAD). Printed, so nobody wonders what "affected" was measured from.
define affected-base
if [ -n "$$MT_BASE" ]; then base=$$MT_BASE why='BASE='; \
elif ref=$$(git symbolic-ref -q --short refs/remotes/origin/HEAD); then base=$$ref why="the remote's default branch"; \
else current=$$(git symbolic-ref -q --short HEAD || true); base='' why=''; \
  for b in main master; do \
    if [ "$$current" != "$$b" ] && git rev-parse -q --verify "refs/heads/$$b" >/dev/null; then base=$$b why="the local $$b branch"; break; fi; \
  done; \
  if [ -z "$$base" ]; then \
    if git rev-parse -q --verify 'HEAD~1^{commit}' >/dev/null; then base=HEAD~1 why='the previous commit'; \
    else base=HEAD why='the only commit: uncommitted changes'; fi; \
  fi; \
fi; \
if [[ ! "$$base" =~ ^[A-Za-z0-9._/~^-]+$$ ]] || ! git rev-parse -q --verify "$$base^{commit}" >/dev/null; then \
  echo "error [BAD_BASE] \"$$base\" ($$why) is not a commit of this repository. Pass one: make analysis-affected BASE=<branch, tag or commit>." >&2; exit 2; \
fi; \
echo "affected base: $$base ($$why)"
endef

.PHONY: quick-start demo help setup up down tenant-a tenant-b tenant-run run-all analysis-all analysis-basic analysis-dashboard analysis-products list-analyses analysis-affected report aurora-phase aurora-setup zero-etl-filter data-lake external-tables generate-data tenants-generate import-dbt dbt-debug debug dbt-seed seed dbt-run run \
	dbt-snapshot snapshot dbt-test data-test dbt-compile compile dbt-ls ls dbt-show show dbt-source-freshness source-freshness dbt-docs docs db-connect db-status dev-shell dev-logs test typecheck lint bench graph info examples version
