# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000

.PHONY: run cli test install dev translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed translations

dev: $(VENV)/.installed-dev translations

translations: $(VENV)/.installed
	@if ls webradio/translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(BIN)/pybabel compile -d webradio/translations >/dev/null; fi

# Links in pages and feeds follow the port, unless WEBRADIO_BASE_URL is set.
run: export WEBRADIO_BASE_URL ?= http://127.0.0.1:$(PORT)
# The address served is kept in the instance: `webradio ...` run later builds links on it too.
run: install
	@mkdir -p "$${WEBRADIO_INSTANCE_PATH:-instance}"
	@printf '%s\n' "$$WEBRADIO_BASE_URL" > "$${WEBRADIO_INSTANCE_PATH:-instance}/base_url"
	$(BIN)/webradio db upgrade
	$(BIN)/webradio demo
	$(BIN)/webradio run --port $(PORT)

# The command line of this checkout without activating the venv: make cli ARGS="school show demo"
cli: install
	@$(BIN)/webradio $(ARGS)

test: dev
	$(BIN)/ruff check webradio tests bench
	$(BIN)/ruff format --check webradio tests bench
	$(BIN)/mypy webradio
	$(BIN)/pytest -n 2 --dist loadfile --durations=15

clean:
	rm -rf $(VENV) instance media/* feeds/*
