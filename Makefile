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

# The chatbot ported to PUMA on http://127.0.0.1:$(PORT). The first start prepares the database
# (migrations and data, about 15 s); later starts take a few seconds (README: "Start-up").
PORT ?= 8080
LEGACY_PORT ?= 13113
run: $(STAMP)
	@# The legacy monolith runs beside the mesh, so the page can compare the two (its /legacy bridge);
	@# niced, so PUMA's own start-up gets the CPU first.
	@mkdir -p var
	@echo "legacy socket server: 127.0.0.1:$(LEGACY_PORT) (the page's Legacy backend), log in var/legacy-server.log"
	@nice -n 19 $(BIN)/python -m legacy_socket_server --port $(LEGACY_PORT) > var/legacy-server.log 2>&1 & legacy=$$!; \
	trap 'kill $$legacy 2>/dev/null' EXIT INT TERM; \
	LEGACY_SOCKET_ADDR=127.0.0.1:$(LEGACY_PORT) $(BIN)/puma run chatbot/puma_app.py --port $(PORT)

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
