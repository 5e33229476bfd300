# Two entry points: `make demo` and `make test` (see README.md). Everything else is a helper.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

VENV := .venv
PY := $(VENV)/bin/python
# Python 3.11 where installed under that name, else the system's python3 (3.11 on bookworm).
BOOTSTRAP_PYTHON := $(shell command -v python3.11 || command -v python3)

.PHONY: help demo test image-test lint typecheck pytest fuzz manage mutation system-deps-demo system-deps-test

help:
	@echo "make demo   start the portal with its dev SAML IdP, worker and beat on http://localhost:8000"
	@echo "make test   ruff, mypy and the whole pytest suite (browser tests included)"
	@echo "make image-test  build docker/Dockerfile with podman and run one journey in it (root)"

demo: system-deps-demo $(VENV)/.installed-demo
	$(PY) scripts/demo.py

test: system-deps-test $(VENV)/.installed-dev node_modules/.installed
	$(MAKE) --no-print-directory --keep-going lint typecheck pytest

lint:
	$(VENV)/bin/ruff check .

typecheck:
	$(VENV)/bin/mypy

# Four processes (pytest-xdist) on two cores: the browser journeys and real-worker tests mostly
# wait, and the other processes compute meanwhile. Whole files per process so module fixtures and
# the real-worker tests stay together, handed out in the order tests/conftest.py gives (the files
# that wait longest first; xdist would otherwise sort them by test count, one-test journeys last);
# tests/settings.py gives each process its own task queue. Bytecode is kept under var/pycache even
# where PYTHONDONTWRITEBYTECODE is set: without it each process rewrote the asserts of all ~300
# test files again (collection 15.3 s of CPU a process, 9.5 s with the bytecode kept).
PYTEST_PROCESSES ?= 4
pytest:
	env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX=$(CURDIR)/var/pycache \
		$(PY) -m pytest -n $(PYTEST_PROCESSES) --dist loadfile --no-loadscope-reorder

# schemathesis over the OpenAPI schema, as a data scientist and a platform admin; bounded by
# FUZZ_EXAMPLES cases per operation and persona. Fails on any server error.
fuzz: $(VENV)/.installed-dev
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-25} $(PY) -m pytest -q -s -p no:cacheprovider \
		-p schemathesis -p hypothesispytest tests/portal/fuzz_api.py

# The production image, built and run with podman against this machine's PostgreSQL and Redis
# (see scripts/image_test.py; needs root, installs podman and debootstrap when missing).
image-test:
	$(BOOTSTRAP_PYTHON) scripts/image_test.py

# Any manage.py command on a developer's machine: make manage ARGS="makemigrations catalog"
manage: $(VENV)/.installed-dev
	DEBUG=true $(PY) manage.py $(ARGS)

# Mutation testing of the core modules (README, "Development"): every mutant, or a seeded sample.
# make mutation MODULES=catalog/parameters.py SAMPLE=40 SEED=0
mutation: $(VENV)/.installed-dev
	MODULES="$(MODULES)" SAMPLE="$(SAMPLE)" SEED="$(SEED)" SHOW_SURVIVORS="$(SHOW_SURVIVORS)" \
		ONLY="$(ONLY)" TESTS="$(TESTS)" SELECT_TESTS="$(SELECT_TESTS)" $(PY) scripts/mutation.py

# Debian packages (xmlsec1 for the dev IdP; chromium and docker-compose for the tests); the
# Dockerfile runs the same script's runtime profile. PYTHON tells it which interpreter needs the
# venv module.
system-deps-demo:
	PYTHON=$(BOOTSTRAP_PYTHON) scripts/system-deps.sh demo

system-deps-test:
	PYTHON=$(BOOTSTRAP_PYTHON) scripts/system-deps.sh test

$(PY):
	@test -n "$(BOOTSTRAP_PYTHON)" || { echo "python3.11 or python3 is required" >&2; exit 1; }
	$(BOOTSTRAP_PYTHON) -m venv $(VENV)

# Stamps: reinstall only when the dependency declaration or the pins change.
$(VENV)/.installed-demo: pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install -c constraints.txt -e '.[demo]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install -c constraints.txt -e '.[dev]'
	touch $@

# Browser-test tooling from the npm registry (axe-core, see package.json), pinned by
# package-lock.json, into the git-ignored node_modules/; the portal never serves it.
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@
