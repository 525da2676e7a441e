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

# The form-generator tests render every schema with react-jsonschema-form in Node.js.
FORMS := tests/forms/node_modules/.installed
$(FORMS): tests/forms/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/forms --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: the form-generator tests will be skipped"; fi

.PHONY: install demo test sdk-suite bench clean
install: $(VENV)/.installed

# The product page's three operations, then a taste of the data plane; all on the sandbox.
demo: $(VENV)/.installed
	@for op in create_completion create_message raw_http_request count_tokens list_models; do \
		echo "== $$op (samples/$$op.input.json, sandbox)"; \
		$(CLI) run $$op samples/$$op.input.json --sandbox || exit $$?; \
	done
	@echo "== test-connection (sandbox)"; $(CLI) test-connection --sandbox

test: $(VENV)/.installed $(FORMS)
	$(PY) -m pytest

# The official SDK's generated API tests (from its sdist) against `sandbox --any-id`; cached in .sdk-suite/.
sdk-suite: $(VENV)/.installed
	$(PY) scripts/sdk_suite.py

bench: $(VENV)/.installed
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .hypothesis tests/forms/node_modules .sdk-suite .plugin-host .airflow-venv
