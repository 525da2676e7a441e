# The two commands a new user runs: `make demo` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CLI := $(VENV)/bin/anthropic-connector

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# The form tests render every schema with react-jsonschema-form in Node, and fill every sample
# in headless Chromium: Node's packages from web/package-lock.json, Debian's chromium (as root,
# or with sudo). CI has neither at first, and must not skip those tests: they are installed here.
WEB := web/node_modules/.installed
$(WEB): web/package-lock.json
	npm ci --prefix web --no-audit --no-fund --silent
	touch $@
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

.PHONY: install demo test sdk-suite bench playground clean
install: $(VENV)/.installed

# The product page's three operations, then a taste of the data plane; all on the sandbox.
demo: $(VENV)/.installed
	@for op in create_completion create_message raw_http_request count_tokens list_models; do \
		echo "== $$op (samples/$$op.input.json, sandbox)"; \
		$(CLI) run $$op samples/$$op.input.json --sandbox || exit $$?; \
	done
	@echo "== test-connection (sandbox)"; $(CLI) test-connection --sandbox

test: $(VENV)/.installed $(WEB) $(CHROMIUM)
	$(PY) -m pytest

# The official SDK's generated API tests (from its sdist) against `sandbox --any-id`; cached in .sdk-suite/.
sdk-suite: $(VENV)/.installed
	$(PY) scripts/sdk_suite.py

# Rebuild the playground page that ships in the wheel, from web/src with web/package-lock.json;
# tests/test_playground.py fails while the committed bundle differs from what this builds.
playground: $(WEB)
	node web/build.mjs playground src/anthropic_connector/doors/playground

bench: $(VENV)/.installed
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .hypothesis web/node_modules .sdk-suite .plugin-host .airflow-venv
