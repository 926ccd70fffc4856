# The two commands: `make run` and `make test`. Both create .venv and install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The chatbot ported to PUMA on http://127.0.0.1:8080 (the database is prepared once).
run: $(STAMP)
	$(BIN)/chatbot db upgrade
	$(BIN)/chatbot db load
	@# The legacy monolith runs beside the mesh, so the page can compare the two (its /legacy bridge).
	$(BIN)/python -m legacy_socket_server & legacy=$$!; \
	trap 'kill $$legacy 2>/dev/null' EXIT INT TERM; \
	$(BIN)/puma run chatbot/puma_app.py

# axe-core for the browser tests' accessibility audits, from npm, pinned by its lock file.
AXE := tests/a11y/node_modules/axe-core/axe.min.js

$(AXE): tests/a11y/package.json tests/a11y/package-lock.json
	npm ci --prefix tests/a11y --no-audit --no-fund
	touch $(AXE)

test: $(STAMP)
	sh scripts/ensure-system-packages.sh
	$(MAKE) --no-print-directory $(AXE)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info tests/a11y/node_modules
