# Baara: `make run` and `make test` are the only two commands a fresh machine needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(PYTHON) -m uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install install-prod run test lint format catalogs catalogs-extract catalogs-update bench soak clean

install: ## create or refresh .venv from the lock file, build the .mo catalogs
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --user uv
	@$(UV) sync --locked --python $(PYTHON) --quiet
	@$(MAKE) --no-print-directory catalogs

install-prod: ## production: runtime dependencies only (no test or lint tools), exactly as locked
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --user uv
	@$(UV) sync --locked --no-dev --python $(PYTHON) --quiet
	@$(MAKE) --no-print-directory catalogs

run: install ## web + worker + private Redis + simulated gateway (Ctrl-C stops all)
	@$(PY) -m alerts.ops.devstack

test: install ## every test, against a real redis-server
	@$(PY) -m pytest $(PYTEST_ARGS)

lint: install ## ruff (rules, then formatting) and mypy, all from the locked dev dependencies
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/mypy
	@$(VENV)/bin/ruff format --check .

format: install
	@$(VENV)/bin/ruff format .
	@$(VENV)/bin/ruff check --fix .

catalogs: ## compile messages/translations/*/LC_MESSAGES/messages.po to .mo (quiet unless broken)
	@$(PY) -m babel.messages.frontend -q compile --domain messages --directory messages/translations

catalogs-extract: ## collect the strings marked in the code into messages/messages.pot
	@$(PY) -m babel.messages.frontend extract --mapping-file messages/babel.cfg --keywords N_ --add-comments "review:" --output-file messages/messages.pot --project Baara --copyright-holder Baara --no-location .

catalogs-update: catalogs-extract ## merge new strings into fr and bm catalogs
	@$(PY) -m babel.messages.frontend update --input-file messages/messages.pot --domain messages --output-dir messages/translations --no-fuzzy-matching

bench: install ## every benchmark (each prints its figures beside a baseline run in the same process)
	@$(PY) bench/fanout.py
	@$(PY) bench/ussd.py
	@$(PY) bench/webhooks.py
	@$(PY) bench/extract.py
	@$(PY) bench/replies.py

soak: install ## 10 minutes of mixed traffic: memory at start and end, error count
	@$(PY) bench/soak.py --minutes 10

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
	find messages -name '*.mo' -delete
