# jailnet — `make run` sets up and runs the app, `make test` sets up and runs every check.
# Both install what they need: Debian packages (when root), the Python venv, the frontend's npm packages.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Debian packages the app and its tests need (installed by `make system-deps` when run as root).
# chromium: the browser tests (tests/e2e); the rest: the lab (a sshd per lab host, DHCP, nftables NAT and
# firewalls, namespaces, ping, a DHCP client in VM namespaces; tcpdump for looking at lab traffic); shellcheck and
# dash check the shell programs the lab ships (tests/topology/render/test_lab_programs.py).
DEBIAN_PACKAGES := chromium openssh-server openssh-client dnsmasq-base nftables iproute2 iputils-ping busybox tcpdump \
	shellcheck dash

# The first Python >= 3.11 on PATH (override: make PYTHON=/usr/bin/python3.12 ...).
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
VENV_STAMP := $(VENV)/.requirements-installed
# Two xdist workers: about twice as fast as one process on the idle 2-core machine, about even when it is busy.
PYTEST_ARGS ?= -n 2
EXAMPLES := $(wildcard examples/*.yaml)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help run test pytest lint audit bench venv system-deps frontend frontend-test clean

help:
	@echo "make run          set up (venv, database, examples, demo users) and run web + worker on http://$(HOST):$(PORT)/"
	@echo "LAB=1 make run    the same, and (as root) bring the article's VXLAN example (S10) up as a lab"
	@echo "make test         set up and run lint, type checks and the test suite"
	@echo "make bench        run the benchmarks (tests/perf)"
	@echo "make lint         ruff check, ruff format --check, import contracts (lint-imports), mypy, generated frontend kinds current"
	@echo "make venv         create or update .venv from requirements.lock"
	@echo "make system-deps  install missing Debian packages (as root)"
	@echo "make frontend     install npm packages and build frontend/"
	@echo "make clean        remove .venv, node_modules, built files and caches (keeps var/: database, secrets)"

# --- setup --------------------------------------------------------------------------------------
system-deps:
	@wanted="$(DEBIAN_PACKAGES)"; \
	if [ -n "$(PYTHON)" ] && ! $(PYTHON) -c 'import ensurepip' >/dev/null 2>&1; then wanted="$$wanted python3-venv"; fi; \
	if ! command -v dpkg >/dev/null 2>&1; then \
		[ -z "$${wanted// }" ] || echo "system-deps: not a Debian system; make sure these are installed:$$wanted"; exit 0; fi; \
	missing=""; for p in $$wanted; do dpkg -s "$$p" >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "system-deps: installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else \
		echo "system-deps: missing Debian packages (not root, not installing):$$missing"; \
		echo "system-deps: run 'sudo apt-get install$$missing' or 'sudo make system-deps'"; \
	fi

venv: $(VENV_STAMP)

# Rebuilt when requirements.lock changes (or .venv is missing or was made by a Python older than 3.11).
$(VENV_STAMP): requirements.lock | system-deps
	@[ -n "$(PYTHON)" ] || { echo "venv: Python >= 3.11 not found on PATH (set PYTHON=...)"; exit 1; }
	@if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then rm -rf $(VENV); fi
	@[ -x $(PY) ] || { echo "venv: creating $(VENV) with $$($(PYTHON) --version)"; $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --disable-pip-version-check --quiet -r requirements.lock
	@touch $@

frontend:
	@if [ ! -f frontend/package.json ]; then echo "frontend: no frontend/package.json, nothing to build"; exit 0; fi; \
	cd frontend; \
	if [ ! -f node_modules/.installed ] || [ package.json -nt node_modules/.installed ] \
		|| { [ -f package-lock.json ] && [ package-lock.json -nt node_modules/.installed ]; }; then \
		if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi; \
		touch node_modules/.installed; \
	fi; \
	npm run build

# CI=true keeps vitest from watching.
frontend-test: frontend
	@if [ -f frontend/package.json ]; then cd frontend && npm run --if-present lint && CI=true npm run --if-present test; fi

# --- checks -------------------------------------------------------------------------------------
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	$(PY) manage.py kinds_ts --check
	$(MAKE) --no-print-directory audit

# Known vulnerabilities in the Python and npm dependencies (needs the registries; skipped with a message without).
audit: venv
	$(PY) .ci/audit_deps.py

# Every check runs even when an earlier one fails, so one run shows all failures; any failure fails `make test`.
test: venv frontend
	@failed=""; \
	$(MAKE) --no-print-directory lint || failed="$$failed lint"; \
	$(MAKE) --no-print-directory frontend-test || failed="$$failed frontend-test"; \
	$(MAKE) --no-print-directory pytest || failed="$$failed pytest"; \
	if [ -n "$$failed" ]; then echo "make test: FAILED:$$failed"; exit 1; fi; \
	echo "make test: all checks passed"

# The test suite in three pytest runs: the browser tests keep Playwright's event loop alive in their process, and
# the lab tests create network namespaces and processes as root (one at a time); apart, each run starts clean.
# .ci/run calls this target again with DATABASE_URL and REDIS_URL set.
pytest: venv frontend
	@failed=""; \
	$(PY) -m pytest $(PYTEST_ARGS) -m "not perf" --ignore=tests/e2e --ignore=tests/lab \
		|| failed="$$failed unit+api(exit $$?)"; \
	$(PY) -m pytest $(PYTEST_ARGS) -m "not perf" tests/e2e || failed="$$failed browser(exit $$?)"; \
	$(PY) -m pytest -m "not perf" tests/lab || failed="$$failed lab(exit $$?)"; \
	if [ -n "$$failed" ]; then echo "pytest: FAILED:$$failed"; exit 1; fi

bench: venv
	$(PY) -m pytest tests/perf -m perf -s

# --- running ------------------------------------------------------------------------------------
run: venv frontend
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(if $(EXAMPLES),$(PY) manage.py design import --keep-existing $(EXAMPLES),@echo "run: no examples/*.yaml to import")
	$(PY) manage.py demo_users --url http://$(HOST):$(PORT)
	$(if $(LAB),$(PY) manage.py lab up examples/s10-vxlan-multicast.yaml --if-root,)
	exec $(PY) -m project.run --host $(HOST) --port $(PORT)

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist var/static
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
