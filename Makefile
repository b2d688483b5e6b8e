# The README's two commands are `make dev` and `make test`; everything else is a step of them.
# Each target installs what it needs: uv from PyPI into .tools/, then the locked environment.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON ?= python3
export PYTHONPATH := $(CURDIR)

UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/uv/bin/uv
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: help setup dev test test-static-lane test-live-lane lint test-unit test-integration test-infra test-cdk bench profile soak frontend-build test-frontend test-e2e lighthouse sbom audit restore-drill feature-env feature-env-down feature-env-reap audit-verify stateful races digest

help:
	@echo "make dev    set up and start the whole stack locally (emulator, resources, API, app)"
	@echo "make test   set up and run every test"

$(UV):
	python3 -m venv $(TOOLS)/uv
	$(TOOLS)/uv/bin/pip install --quiet uv==$(UV_VERSION)

setup: $(UV)
	$(UV) sync --locked --quiet

dev: setup frontend-build
	$(PY) -m devstack

lint: setup
	$(VENV)/bin/ruff check app devstack tests lambdas bench frontend/scripts migrations ops cdk
	$(VENV)/bin/ruff format --check app devstack tests lambdas bench frontend/scripts migrations ops cdk
	# bandit: no finding of medium severity or above in the code that ships or runs the stack.
	$(VENV)/bin/bandit --quiet --recursive --severity-level medium app devstack lambdas bench frontend/scripts migrations ops cdk

test-unit: setup
	$(PY) -m pytest tests/unit

test-integration: setup
	$(PY) -m pytest tests/integration

# tests/infra: cfn-lint, hadolint (both in the dev group), checkov in its own locked environment
# (tools/checkov: it pins old boto3, packaging and networkx), assertions on templates and
# manifests, the rotation function against moto, and the local provisioning in-process.
CHECKOV := tools/checkov/.venv/bin/checkov

$(CHECKOV): tools/checkov/pyproject.toml tools/checkov/uv.lock $(UV)
	$(UV) sync --project tools/checkov --locked --quiet
	touch $(CHECKOV)

# Parliament (IAM policy linter) in its own locked environment too: it needs an old setuptools.
PARLIAMENT := tools/parliament/.venv/bin/parliament

$(PARLIAMENT): tools/parliament/pyproject.toml tools/parliament/uv.lock $(UV)
	$(UV) sync --project tools/parliament --locked --quiet
	touch $(PARLIAMENT)

test-infra: setup $(CHECKOV) $(PARLIAMENT)
	$(PY) -m pytest tests/infra --ignore=tests/infra/cdk

# The CDK app (cdk/, docs/deploy.md "Deploy with the CDK"): synthesised once, offline, for every
# environment and the pipeline, with cdk-nag; then cfn-lint, checkov, parity with the stacks
# Copilot renders, and the adoption's checks. The aws-cdk CLI is not needed (only to deploy).
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
test-cdk: setup $(CHECKOV)
	$(PY) -m pytest tests/infra/cdk

# The browser app (frontend/): npm ci from the lock file, then vite builds it into frontend/dist.
FRONTEND := frontend
NPM_STAMP := $(FRONTEND)/node_modules/.package-lock.json
# Debian's Chromium: Playwright and Lighthouse drive it (neither may download a browser here).
export CHROME_PATH ?= /usr/bin/chromium

$(NPM_STAMP): $(FRONTEND)/package.json $(FRONTEND)/package-lock.json
	cd $(FRONTEND) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

FRONTEND_SOURCES := $(shell find $(FRONTEND)/src $(FRONTEND)/public -type f 2>/dev/null) \
	$(FRONTEND)/index.html $(FRONTEND)/vite.config.ts $(FRONTEND)/tsconfig.json

# Rebuilt only when a source changed, so a second `make dev` starts at once.
$(FRONTEND)/dist/index.html: $(NPM_STAMP) $(FRONTEND_SOURCES)
	cd $(FRONTEND) && npm run --silent build

frontend-build: $(FRONTEND)/dist/index.html

# vitest (API client, auth state, SRP) and the initial-JavaScript budget.
test-frontend: frontend-build
	cd $(FRONTEND) && npm test --silent && npm run --silent size

# Playwright with Debian's Chromium against the local stack serving frontend/dist.
test-e2e: setup frontend-build
	$(PY) -m pytest tests/e2e --ignore=tests/e2e/test_lighthouse.py

# Lighthouse on the local stack; prints the scores and the initial JS size, fails below budget.
lighthouse: setup frontend-build
	$(PY) -m pytest -s tests/e2e/test_lighthouse.py

# Two lanes at once on CI's two cores, then Lighthouse alone (it measures blocking time, which
# another lane's load adds to). The static lane (linters, unit tests, templates, the CDK app,
# vitest) runs beside the live lane (the API and the browser app against the local stack, which
# spend much of their time waiting on it), each lane's targets one after another; the static
# lane's own emulator is on another port, so neither lane stops the other's. What both lanes
# install is installed first.
STATIC_LANE_EMULATOR := 127.0.0.1:4567

test: setup frontend-build $(CHECKOV) $(PARLIAMENT)
	$(MAKE) --no-print-directory -j2 test-static-lane test-live-lane
	$(MAKE) --no-print-directory lighthouse

test-static-lane:
	LOCALSTACK_HOST=$(STATIC_LANE_EMULATOR) $(MAKE) --no-print-directory -j1 lint test-unit test-infra test-cdk test-frontend

test-live-lane:
	$(MAKE) --no-print-directory -j1 test-integration test-e2e

# The pipeline's software bill of materials (CycloneDX) of what ships: the locked runtime Python
# dependencies and the browser app's production npm dependencies. Works offline.
SBOM_DIR ?= sbom

sbom: $(UV) $(NPM_STAMP)
	mkdir -p $(SBOM_DIR)
	$(UV) export --locked --no-dev --no-emit-project --format cyclonedx1.5 --quiet \
		--output-file $(SBOM_DIR)/python.cdx.json
	cd $(FRONTEND) && npm sbom --omit dev --sbom-format cyclonedx --sbom-type application \
		> $(abspath $(SBOM_DIR))/frontend.cdx.json

# The pipeline's dependency audit (tools/audit.sh): needs the internet, so CodeBuild runs it and
# `make test` does not; offline it fails closed.
PIP_AUDIT := tools/pip-audit/.venv/bin/pip-audit

$(PIP_AUDIT): tools/pip-audit/pyproject.toml tools/pip-audit/uv.lock $(UV)
	$(UV) sync --project tools/pip-audit --locked --quiet
	touch $(PIP_AUDIT)

audit: $(PIP_AUDIT) $(NPM_STAMP)
	PIP_AUDIT=$(PIP_AUDIT) UV=$(UV) bash tools/audit.sh

# Not part of `make test`: the stateful property test at length, from a fresh seed it prints
# (`make stateful SEED=<n>` repeats a run; STATEFUL_EXAMPLES and STATEFUL_STEPS set its size).
STATEFUL_EXAMPLES ?= 200

stateful: setup
	seed=$${SEED:-$$(python3 -c "import random; print(random.randrange(2**32))")}; \
	echo "stateful: $(STATEFUL_EXAMPLES) examples, seed $$seed (make stateful SEED=$$seed repeats it)"; \
	STATEFUL_RANDOM=1 STATEFUL_EXAMPLES=$(STATEFUL_EXAMPLES) $(PY) -m pytest \
		tests/integration/test_stateful.py --hypothesis-seed=$$seed -p no:cacheprovider

# Not part of `make test` in full: every write raced by its caller's removal or demotion, at both
# moments (tests/unit/test_write_races.py; `make test` runs a subset, 53 of the 236).
races: setup
	RACES_ALL=1 $(PY) -m pytest -s tests/unit/test_write_races.py -p no:cacheprovider

# Not part of `make test`: figures, printed as ratios to a baseline measured in the same run.
# wrk comes from Debian's package (installed here when missing; apt needs root).
WRK := /usr/bin/wrk
$(WRK):
	command -v wrk >/dev/null || apt-get install -y -qq wrk || (apt-get update -qq && apt-get install -y -qq wrk)

bench: setup $(WRK)
	$(PY) -m bench.serving
	$(PY) -m bench.emulator_transactions
	$(PY) -m bench.api_latency
	$(PY) -m bench.notify_latency
	$(PY) -m bench.search_latency
	$(PY) -m bench.list_costs

# Flame graphs of the service under load, into bench/profiles/ (py-spy, dev group).
profile: setup $(WRK)
	$(PY) -m bench.profile

# Five minutes of mixed load on the local stack: no error, RSS growth under 10%.
soak: setup $(WRK)
	$(PY) -m bench.soak

# Restore the table from a point in time and from a backup on the local emulator (its own, on
# AWS_EMULATOR_PORT, unless one answers there), check the copies, print the time it took.
# A game day against AWS: python -m ops.restore_drill --table <name> (docs/disaster-recovery.md).
restore-drill: setup
	$(PY) -m ops.restore_drill --local

# A feature environment feat-$(NAME) from dev's manifests, in AWS with the ambient credentials
# and the copilot CLI (docs/deploy.md, "Feature environments"); DAYS until it expires.
DAYS ?= 7
feature-env: setup
	@test -n "$(NAME)" || (echo "usage: make feature-env NAME=<name> [DAYS=7]" >&2; exit 2)
	$(PY) -m ops.feature_env up "$(NAME)" --days "$(DAYS)"

feature-env-down: setup
	@test -n "$(NAME)" || (echo "usage: make feature-env-down NAME=<name>" >&2; exit 2)
	$(PY) -m ops.feature_env down "$(NAME)"

# Remove every feature environment past its expires-on date (the daily CodeBuild sweep of
# addons/feature-envs/reaper.yml runs it).
feature-env-reap: setup
	$(PY) -m ops.feature_env reap

# The audit archive's hash chain (docs/stream-processing.md): the running local stack's by default
# (AUDIT_ENV picks another local environment); with AUDIT_BUCKET, a bucket in AWS, e.g.
#   make audit-verify AUDIT_BUCKET=teamtasks-prod-audit-<account>-<region>
# (with the table too, AUDIT_TABLE, only from inside the VPC: python -m ops.operator_task,
# docs/stream-processing.md).
AUDIT_ENV ?= local
audit-verify: setup
ifdef AUDIT_BUCKET
	$(PY) lambdas/audit_archive/audit_chain.py --bucket $(AUDIT_BUCKET) $(if $(AUDIT_TABLE),--table $(AUDIT_TABLE))
else
	$(PY) -m devstack.stream_poller verify --env $(AUDIT_ENV)
endif

# The notifier's daily digest of the running `make dev` (AWS: 08:00 UTC by EventBridge Scheduler),
# now: every user whose preference is daily gets their unread notifications (docs/local-stack.md).
digest: setup
	$(PY) -m devstack.stream_poller digest
