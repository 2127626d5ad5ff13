# Forwards to Nx: every target here is one `nx` call (see `make help`). The logic lives in the
# Nx projects (apps/, tools/nx-plugin) and libs/; this file only keeps the commands users know.
.DEFAULT_GOAL := help
SHELL := /bin/bash

TENANT ?= tenant_a
PHASE ?=
ARGS ?=
NX := ./node_modules/.bin/nx
# Plugins in-process: roughly halves Nx start-up without the daemon (docs/BENCHMARKS.md).
export NX_ISOLATE_PLUGINS ?= false
export NX_NO_CLOUD ?= true
export NX_TUI ?= false

INSTALLED := node_modules/.package-lock.json

$(INSTALLED): package.json package-lock.json
	@echo "installing dependencies (npm install)…"
	@npm install --no-audit --no-fund --loglevel=error
	@touch $@

##@ Quick start
quick-start: setup tenant-a tenant-b db-status ## Set up, build tenant_a and tenant_b, show the status
demo: setup run-all db-status ## Every feature: all tenants built in parallel, then the status
help: ## This list
	@if [ -t 1 ] && [ -z "$${NO_COLOR:-}" ]; then b=$$'\e[1m'; c=$$'\e[36m'; r=$$'\e[0m'; fi; \
	awk -v b="$$b" -v c="$$c" -v r="$$r" 'BEGIN {FS = ":.*?## "} /^##@/ {printf "\n%s%s%s\n", b, substr($$0, 5), r} /^[a-zA-Z0-9_ -]+:.*?## / {printf "  %s%-22s%s %s\n", c, $$1, r, $$2}' $(MAKEFILE_LIST)
	@echo; echo "  Variables: TENANT=$(TENANT) (tenant targets), PHASE/ENV (aurora), ARGS='…' (extra options for the task)"

##@ Environment
setup: $(INSTALLED) ## First-time setup: install, write .env, start the database
	@$(NX) run platform:setup
up: $(INSTALLED) ## Start PostgreSQL (embedded by default; PG_MODE=docker|external in .env)
	@$(NX) run platform:up
down: $(INSTALLED) ## Stop PostgreSQL
	@$(NX) run platform:down

##@ Tenants
tenant-a: $(INSTALLED) ## Build tenant_a (debug, seed, run, snapshot, test)
	@$(NX) run tenant_a:tenant-run $(ARGS)
tenant-b: $(INSTALLED) ## Build tenant_b
	@$(NX) run tenant_b:tenant-run $(ARGS)
tenant-run: $(INSTALLED) ## Build TENANT=<name>
	@$(NX) run $(TENANT):tenant-run $(ARGS)
run-all: $(INSTALLED) ## Build every tenant in parallel
	@$(NX) run-many -t tenant-run --output-style=static $(ARGS)

##@ Pipeline steps (dbt-style; dbt-* names kept from the original)
dbt-debug debug: $(INSTALLED) ## Check config and connection of TENANT
	@$(NX) run $(TENANT):debug $(ARGS)
dbt-seed seed: $(INSTALLED) ## Load the seed CSVs of TENANT
	@$(NX) run $(TENANT):seed $(ARGS)
dbt-run run: $(INSTALLED) ## Build the models of TENANT (ARGS="--select name+ --full-refresh")
	@$(NX) run $(TENANT):run $(ARGS)
dbt-snapshot snapshot: $(INSTALLED) ## Record SCD-2 snapshots of TENANT
	@$(NX) run $(TENANT):snapshot $(ARGS)
dbt-test data-test: $(INSTALLED) ## Run the data tests of TENANT
	@$(NX) run $(TENANT):test $(ARGS)

##@ Analyses (cached by Nx; TENANT defaults to tenant_a)
analysis-all: $(INSTALLED) ## Every analysis of sql/analyses for TENANT
	@$(NX) run $(TENANT):analysis $(ARGS)
analysis-basic: $(INSTALLED) ## Sales per customer/product, monthly trend, segments
	@$(NX) run $(TENANT):analysis-basic $(ARGS)
analysis-dashboard: $(INSTALLED) ## KPIs, daily trend, sales by category, product ranking
	@$(NX) run $(TENANT):analysis-dashboard $(ARGS)
analysis-products: $(INSTALLED) ## Product and category performance
	@$(NX) run $(TENANT):analysis-products $(ARGS)
ANALYSES := $(sort $(basename $(notdir $(wildcard sql/analyses/*.sql))))
analysis-%: $(INSTALLED) # any sql/analyses/<name>.sql
	$(if $(filter $*,$(ANALYSES)),,$(error Unknown analysis "$*": there is no sql/analyses/$*.sql. Available: $(ANALYSES)))
	@$(NX) run $(TENANT):analysis-$* $(ARGS)
analysis-affected: $(INSTALLED) ## Only the analyses a change touched (nx affected -t analysis)
	@$(NX) affected -t analysis $(ARGS)
report: $(INSTALLED) ## HTML dashboard with charts: dist/reports/TENANT/index.html
	@$(NX) run $(TENANT):report $(ARGS)

##@ Aurora multi-tenant setup (local PostgreSQL by default)
aurora-phase: $(INSTALLED) ## One phase: PHASE=database|schema|data|verification [ENV=dev: via the bastion]
	@$(NX) run aurora:phase --phase=$(PHASE) $(if $(ENV),--env=$(ENV)) $(ARGS)
aurora-setup: $(INSTALLED) ## All four phases in order, stopping at the first failure [ENV=dev]
	@$(NX) run aurora:setup $(if $(ENV),--env=$(ENV)) $(ARGS)
zero-etl-filter: $(INSTALLED) ## The zero-ETL data filter for every tenant's users table
	@$(NX) run aurora:zero-etl-filter

##@ Database
db-connect: $(INSTALLED) ## psql into the database of TENANT
	@$(NX) run $(TENANT):db-connect $(ARGS)
db-status: $(INSTALLED) ## Engine status and every tenant database
	@$(NX) run platform:status

##@ Development
dev-shell: $(INSTALLED) ## A shell set up for TENANT (TENANT_NAME, PG*)
	@$(NX) run $(TENANT):dev-shell $(ARGS)
dev-logs: $(INSTALLED) ## Follow the database log
	@$(NX) run platform:logs $(ARGS)
test: $(INSTALLED) ## Run every test (ava, real embedded PostgreSQL)
	@$(NX) run workspace:test
typecheck: $(INSTALLED) ## Type-check the whole workspace (tsc)
	@$(NX) run workspace:typecheck
bench: $(INSTALLED) ## Measure cold/warm runs and Nx overhead (docs/BENCHMARKS.md)
	@$(NX) run workspace:bench
graph: $(INSTALLED) ## Open the Nx project graph
	@$(NX) graph

##@ Information
info: $(INSTALLED) ## Tenants, engine and paths
	@$(NX) run platform:info
examples: $(INSTALLED) ## Example commands
	@$(NX) run platform:examples
version: $(INSTALLED) ## Versions of the tools
	@$(NX) run platform:version

.PHONY: quick-start demo help setup up down tenant-a tenant-b tenant-run run-all analysis-all analysis-basic analysis-dashboard analysis-products analysis-affected report aurora-phase aurora-setup zero-etl-filter dbt-debug debug dbt-seed seed dbt-run run \
	dbt-snapshot snapshot dbt-test data-test db-connect db-status dev-shell dev-logs test typecheck bench graph info examples version
