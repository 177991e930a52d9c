# Two commands set everything up: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha1sum | cut -c1-12)
PORT ?= 8000
export PORT
# Where Comptoir keeps its files: $COMPTOIR_VAR_DIR, by default var/ (comptoir/settings.py).
VAR_DIR := $(or $(COMPTOIR_VAR_DIR),var)
# This checkout's development settings (git-ignored), read by comptoir/settings.py.
LOCAL_ENV := $(VAR_DIR)/local.env
# Two pytest workers: the machines have two cores. `make test PYTEST_ARGS=` runs serially.
PYTEST_ARGS ?= -n 2

.PHONY: run demo-reset test install lint typecheck pytest messages screenshots constraints requirements clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,sentry]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Compiled translations are built, not committed.
messages: $(STAMP)
	cd comptoir && ../$(BIN)/django-admin compilemessages --ignore=.venv -v0

# Written once, never overwritten: DEBUG=1 and a random SECRET_KEY, so that every
# manage.py command works in this checkout as README.md shows it. Variables set in
# the environment win over the file (docs/configuration.md).
$(LOCAL_ENV):
	mkdir -p $(@D)
	umask 077 && printf '%s\n' \
	  '# Development settings of this checkout, written once by `make run` (docs/configuration.md).' \
	  '# Variables set in the environment win over these. Never copy this file to production.' \
	  'DEBUG=1' \
	  "SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > $@.tmp
	mv $@.tmp $@
	@echo "Wrote $@ (DEBUG=1, a random SECRET_KEY): manage.py commands in this checkout use it."

run: $(STAMP) messages $(LOCAL_ENV)
	$(BIN)/python manage.py migrate --no-input -v0
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py run_embedded

# The demo as the first `make run` left it: this checkout's database, attachments and queued
# e-mails erased, the tables migrated and the demo loaded again. Stop `make run` first.
demo-reset: $(STAMP) messages $(LOCAL_ENV)
	$(BIN)/python manage.py reset_demo --no-input

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	DEBUG=1 $(BIN)/mypy comptoir

pytest: $(STAMP) messages node_modules/.package-lock.json
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

# Chromium screenshots of every page, in French and English, under docs/screenshots/.
screenshots: $(STAMP) messages node_modules/.package-lock.json
	COMPTOIR_SCREENSHOTS=docs/screenshots $(BIN)/pytest -m screenshots tests/browser/test_screenshots.py tests/browser/test_screenshots_workspace.py
	COMPTOIR_SCREENSHOTS=docs/screenshots $(BIN)/pytest tests/browser/test_ticket_forms.py tests/browser/test_capture.py

# Re-pin every dependency after changing pyproject.toml.
constraints:
	rm -rf /tmp/comptoir-pin && $(PYTHON) -m venv /tmp/comptoir-pin
	/tmp/comptoir-pin/bin/pip install --quiet -e '.[dev,sentry]'
	/tmp/comptoir-pin/bin/pip freeze --exclude-editable | grep -v '^comptoir' > constraints.txt

# The production install's pins, the versions of constraints.txt, with every file's hash (docs/deploy.md).
requirements: constraints.txt pyproject.toml
	rm -rf /tmp/comptoir-reqs && $(PYTHON) -m venv /tmp/comptoir-reqs
	/tmp/comptoir-reqs/bin/pip install --quiet pip-tools
	/tmp/comptoir-reqs/bin/pip-compile --quiet --generate-hashes --extra sentry --strip-extras -c constraints.txt \
	  --no-header --no-emit-index-url --no-emit-find-links --output-file requirements/production.txt pyproject.toml

clean:
	rm -rf $(VENV) node_modules var .mypy_cache .ruff_cache .pytest_cache
