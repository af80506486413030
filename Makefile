# The commands a contributor needs. `make demo` and `make test` set everything up.
SHELL := /bin/bash
PYTHON ?= python3
PORT ?= 8000
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
DEMO_ENV = DJANGO_SETTINGS_MODULE=masthead.settings.base MASTHEAD_SITE_URL=http://127.0.0.1:$(PORT)
# The demo's live page and News Feed keep moving while it is served; set it to false to stop them.
MASTHEAD_DEMO_TICKER ?= true
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: help install demo test compat lint format bench clean

help:
	@echo "make demo    build the environment, seed a demo newsroom, serve it on http://127.0.0.1:$(PORT)"
	@echo "make test    run the whole test suite"
	@echo "make compat  run Ghost's official API clients against masthead (part of make test)"
	@echo "make lint    ruff, mypy, import-linter, djhtml, makemigrations --check"
	@echo "make format  fix formatting"
	@echo "make bench   run the benchmarks in benchmarks/"
	@echo "make clean   remove the environment and the demo data (var/)"

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "masthead needs Python 3.11 or newer; set PYTHON=python3.x")'
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check "uv>=0.5,<1"

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python "$$(command -v $(PYTHON))"
	@touch $@

install: $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --silent --no-audit --no-fund && touch $@; \
	else echo "npm not found: the accessibility checks will be skipped"; fi

demo: install
	@$(DEMO_ENV) $(BIN)/masthead migrate --noinput -v0
	@$(DEMO_ENV) $(BIN)/masthead collectstatic --noinput -v0
	@$(DEMO_ENV) $(BIN)/masthead seed_demo --if-empty
	@echo ""
	@echo "  masthead demo: http://127.0.0.1:$(PORT)/"
	@echo "  editors' admin: http://127.0.0.1:$(PORT)/admin/  (login: admin / masthead-demo)"
	@echo ""
	@$(DEMO_ENV) MASTHEAD_DEMO_TICKER=$(MASTHEAD_DEMO_TICKER) PORT=$(PORT) exec $(BIN)/masthead serve

test: install node_modules/.installed
	$(BIN)/pytest -n auto

compat: install node_modules/.installed
	$(BIN)/pytest -p no:xdist -q masthead/contentapi/tests/test_official_clients.py

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy masthead
	$(BIN)/lint-imports
	$(BIN)/djhtml --check $$(git ls-files 'masthead/*.html')
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py check

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	$(BIN)/djhtml $$(git ls-files 'masthead/*.html')

bench: install
	$(BIN)/python -m benchmarks
	$(BIN)/python -m benchmarks.newsletter_send
	$(BIN)/python -m benchmarks.live_polling
	$(BIN)/python -m benchmarks.ghost_api
	$(BIN)/python -m benchmarks.page_cache

clean:
	rm -rf $(VENV) $(TOOLS) var node_modules
