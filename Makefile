# The README's two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
WORKERS ?= 2
CATALOGS := $(wildcard src/workflow/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: run test install install-test lint translations extract-messages bench clean vendor

run: install translations vendor
	$(BIN)/workflow init --demo
	@# The timer worker runs beside the web server and stops with it.
	$(BIN)/workflow worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	PORT=$(PORT) $(BIN)/workflow serve --host $(HOST) --workers $(WORKERS)

test: install-test translations vendor
	$(BIN)/ruff check src tests bench
	$(BIN)/pytest

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	touch $@

$(VENV)/.installed: $(VENV)/.created pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install -q -e '.[test]'
	touch $@

translations: $(COMPILED)

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile -i $< -o $@ --use-fuzzy

# Refresh the catalogue after changing user-facing text (msgids are the zh-CN strings).
extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k Msg -k N_ -k tr --no-location --sort-output --width 120 -o src/workflow/translations/messages.pot .
	$(BIN)/pybabel update -i src/workflow/translations/messages.pot -d src/workflow/translations --no-fuzzy-matching --width 120 --ignore-obsolete

# bpmn-js viewer for the zone page's process diagram, vendored from the npm
# registry (pinned in web/package-lock.json) so pages load nothing from a CDN.
# `npm ci` also installs axe-core, copied below.
BPMN_DIST := web/node_modules/bpmn-js/dist
VENDOR_DIR := web/static/vendor

vendor: $(VENDOR_DIR)/bpmn-navigated-viewer.js $(VENDOR_DIR)/axe.min.js

$(VENDOR_DIR)/bpmn-navigated-viewer.js: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	mkdir -p $(VENDOR_DIR)
	cp $(BPMN_DIST)/assets/diagram-js.css $(BPMN_DIST)/assets/bpmn-js.css $(VENDOR_DIR)/
	rm -rf $(VENDOR_DIR)/bpmn-font
	cp -R $(BPMN_DIST)/assets/bpmn-font $(VENDOR_DIR)/bpmn-font
	cp web/node_modules/bpmn-js/LICENSE $(VENDOR_DIR)/bpmn-js.LICENSE
	cp $(BPMN_DIST)/bpmn-navigated-viewer.production.min.js $@

# axe-core (a dev dependency, same lock file) for the browser tests' accessibility check; no page loads it.
$(VENDOR_DIR)/axe.min.js: $(VENDOR_DIR)/bpmn-navigated-viewer.js
	cp web/node_modules/axe-core/LICENSE $(VENDOR_DIR)/axe-core.LICENSE
	cp web/node_modules/axe-core/axe.min.js $@

# `python -m bench` is the report of issue 13 (BENCH_ARGS="--quick --json bench.json" for others);
# the scripts after it measure what it does not.
bench: install-test
	$(BIN)/python -m bench $(BENCH_ARGS)
	$(BIN)/python bench/lifecycle.py
	$(BIN)/python bench/decades.py
	$(BIN)/python bench/logins.py
	$(BIN)/python bench/hostile.py
	$(BIN)/python bench/chain.py

clean:
	rm -rf $(VENV) src/workflow/translations/*/LC_MESSAGES/*.mo
