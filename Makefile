# Two commands on a fresh machine: `make up` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

TEST_TOOLS := testkit/oidc_provider
TOOLS_STAMP := $(TEST_TOOLS)/node_modules/.installed

.PHONY: up test test-tools lint typecheck messages check-messages unit integration e2e explore record-histories bench clean install

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when pyproject.toml changes, so a second run is quick.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# What the tests start besides Python: a real OpenID provider (panva's oidc-provider, pinned
# by the committed package-lock.json) for tests/integration/test_sso.py and the e2e sign-in.
$(TOOLS_STAMP): $(TEST_TOOLS)/package.json $(TEST_TOOLS)/package-lock.json
	npm ci --prefix $(TEST_TOOLS) --no-audit --no-fund
	touch $(TOOLS_STAMP)

test-tools: $(TOOLS_STAMP)

# exec: the shell becomes `acip up`, so a signal to the recipe's process reaches it, and
# `acip up` stops the stack when make itself is killed (it watches for its parent's death).
up: $(STAMP)
	exec $(BIN)/acip up --demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy .

# The catalogs (docs/languages.md): extract every message from the code into
# locales/messages.pot, merge it into each language's .po, compile the .mo files (checked in,
# so a fresh clone needs no build step). Run it after changing any text people read.
messages: $(STAMP)
	$(BIN)/python -m locales.maintain update

# Fails on an untranslated message in en/fr/es/pt, a message the code no longer uses, a
# fuzzy entry, mismatched {places}, or a stale .mo (tests/unit/test_catalogs.py runs it too).
check-messages: $(STAMP)
	$(BIN)/python -m locales.maintain check

test: lint typecheck check-messages test-tools
	$(BIN)/pytest -q -p no:cacheprovider

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

integration: $(STAMP) test-tools
	$(BIN)/pytest -q tests/integration

e2e: $(STAMP) test-tools
	$(BIN)/pytest -q tests/e2e

# Property tests drawing new examples, ten times as many (nightly, or on demand); a failure
# prints the blob that reproduces it. `make test` stays derandomized.
explore: $(STAMP)
	HYPOTHESIS_PROFILE=explore $(BIN)/pytest -q -p no:cacheprovider -m 'not e2e' \
		tests/unit/test_domain_properties.py tests/unit/test_eventstore_hashing.py \
		tests/reliability/test_fuzz.py tests/reliability/test_openapi_fuzz.py \
		tests/integration/test_api_commands.py

# Workflow histories the replay test checks (review the diff, then commit them).
record-histories: $(STAMP)
	$(BIN)/python -m tests.tools.record_histories

bench: $(STAMP)  ## event store append and read against bare asyncpg and the eventsourcing peer
	$(BIN)/python -m bench.append
	$(BIN)/python -m bench.read

clean:
	rm -rf $(VENV) .acip .mypy_cache .ruff_cache .pytest_cache
