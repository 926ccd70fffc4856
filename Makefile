# The two commands: `make run` and `make test`. Both create .venv and install what they need.
# `make help` lists every target: the "## " text after a target's prerequisites is its line.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run stop test lint clean peers dev-tools readme-figures help

# Figures said both here and in README: one source, scripts/figures.mk (tests/test_readme_figures.py
# checks that README says the same).
include scripts/figures.mk

# Two installs, each once (later only when pyproject.toml changes). `make run` installs what
# running needs: PUMA, the chatbot and their dependencies (pyproject.toml's `dependencies`);
# `make test` (and lint, dev-tools) adds the test and lint tools on top (the `dev` extra: pytest,
# Playwright, moto, locust, mypy...). Neither removes what the other installed. scripts/install.sh
# names each package as pip collects it and says every 20 s that pip still works while it is quiet;
# it writes the stamp itself once pip succeeded, so a Ctrl-C during it ends as `make run`'s does
# (no make "Error 130" line; the next make resumes the install). Lines: scripts/say.sh (~100 columns).
# Their times and sizes (measured on a shared 2-core VM at load average 7-20) are in scripts/figures.mk,
# which README's Quick start states too (scripts/readme_figures.py checks they agree).
DEV_STAMP := $(VENV)/.installed-dev

$(STAMP): pyproject.toml
	@bash scripts/say.sh "make: installing PUMA and what running it needs into $(VENV) (the first time: $(RUN_INSTALL_TIME) on 2 cores; later only when pyproject.toml changes)"
	@bash scripts/install.sh $(VENV) $(PYTHON) "" $(STAMP)

$(DEV_STAMP): $(STAMP) pyproject.toml
	@bash scripts/say.sh "make: adding the test and lint tools (pyproject.toml's dev extra) into $(VENV) (the first time: $(DEV_INSTALL_TIME) on 2 cores)"
	@bash scripts/install.sh $(VENV) $(PYTHON) dev $(DEV_STAMP)

dev-tools: $(DEV_STAMP)  ## install the test, lint and load-test tools (make test does it too)

# The peers `puma bench peers` measures PUMA against (Ray Serve, Dask): an optional extra, never a
# dependency of PUMA. `make test` installs them once (its quick peers benchmark runs against them);
# later only when pyproject.toml changes. (59 s here at load average 11, pip only)
PEERS_STAMP := $(VENV)/.peers
peers: $(PEERS_STAMP)  ## install the optional benchmark peers (Ray Serve, Dask) into .venv

$(PEERS_STAMP): $(DEV_STAMP) pyproject.toml
	@bash scripts/say.sh "make: installing the benchmark peers (pyproject.toml's 'peers' extra: Ray Serve, Dask) into $(VENV)"
	@bash scripts/install.sh $(VENV) $(PYTHON) dev,peers $(PEERS_STAMP)

# The chatbot ported to PUMA on http://127.0.0.1:$(PORT). The first start prepares the database
# (migrations and data: 50-100 s after the install); later starts take 7-85 s, both measured on a
# shared 2-core VM at load average 7.5-21 (README: "Start-up").
PORT ?= 8080
LEGACY_PORT ?= 13113
LEGACY_LOG = var/legacy-server-$(LEGACY_PORT).log
run: $(STAMP)  ## the chatbot on PUMA at http://127.0.0.1:$(PORT), the legacy server beside it on $(LEGACY_PORT) (other ports: make run PORT=8090 LEGACY_PORT=13114); Ctrl-C stops both
	@# exec: make's shell becomes the script, so no process but the server itself has
	@# "legacy_socket_server" in its command line (README: "Restarting the legacy server").
	@exec scripts/run.sh $(BIN) $(PORT) $(LEGACY_PORT) $(LEGACY_LOG)

# Stops a `make run` on the same PORT started elsewhere (another terminal, the background): its
# puma run drains, then make run stops its legacy server. Says what it stopped; with nothing
# running it says so and succeeds; a `puma run` started by hand on PORT is named, with `puma stop
# --port PORT`, and it exits 1. Needs no venv (the standard library and puma's run files only).
stop:  ## stop the make run serving on PORT (started in another terminal or in the background)
	@bash scripts/said.sh $(PYTHON) scripts/stop_run.py $(PORT)

# axe-core for the browser tests' accessibility audits, from npm, pinned by its lock file.
AXE := tests/a11y/node_modules/axe-core/axe.min.js

# (After the system packages, which bring npm: an order-only prerequisite, checked on every make test.)
$(AXE): tests/a11y/package.json tests/a11y/package-lock.json | system-packages
	@echo "npm ci --prefix tests/a11y --no-audit --no-fund"
	@bash scripts/said.sh npm ci --prefix tests/a11y --no-audit --no-fund
	touch $(AXE)

.PHONY: system-packages
system-packages:
	@echo "sh scripts/ensure-system-packages.sh"
	@bash scripts/said.sh sh scripts/ensure-system-packages.sh

# A failing step (a test, a missing system package, npm) has said why in its own lines; scripts/said.sh
# ends make on them, without make's "make: *** [Makefile:N: test] Error 1" line after them (as
# lint, stop, readme-figures and the installs do: scripts/say.sh, end_said).
# The Docker tests need an engine: one installed but not running is started for the run and
# stopped after it (scripts/dockerd.sh; an engine that was already running is left alone).
DOCKERD_PIDFILE := var/dockerd.pid
TEST_WORKERS ?= 2
test: $(DEV_STAMP) $(PEERS_STAMP) $(AXE)  ## the whole test suite (installs what it needs; $(TEST_TIME) on 2 cores)
	@bash scripts/said.sh sh scripts/dockerd.sh start $(DOCKERD_PIDFILE)
	@echo "$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup"
	@trap 'sh scripts/dockerd.sh stop $(DOCKERD_PIDFILE)' EXIT; \
	bash scripts/said.sh $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

# ruff, then mypy (its settings and the packages it reads: pyproject.toml's [tool.mypy]; strict for
# puma/). Each problem is one line, path:line: error: what [its code]. mypy keeps a cache in
# .mypy_cache: a first run takes ~1-3 min, a run after small changes a few seconds.
lint: $(DEV_STAMP)  ## ruff, then mypy (strict for puma/)
	@echo "$(BIN)/ruff check ." && bash scripts/said.sh $(BIN)/ruff check .
	@echo "$(BIN)/mypy" && bash scripts/said.sh $(BIN)/mypy

# README's output blocks and figures (Counting the port...) rewritten from the commands README
# shows (scripts/readme_figures.py); tests/test_readme_figures.py fails while any is stale.
readme-figures: $(DEV_STAMP)  ## rewrite README's command outputs and figures from the commands it shows
	@echo "$(BIN)/python scripts/readme_figures.py --write"
	@bash scripts/said.sh $(BIN)/python scripts/readme_figures.py --write

clean:  ## remove .venv, caches and build files
	rm -rf $(VENV) .pytest_cache build *.egg-info tests/a11y/node_modules

help:  ## this list
	@grep -E '^[a-z][a-z-]*:.*## ' $(firstword $(MAKEFILE_LIST)) \
	  | sed -E 's/^([a-z-]+):.*## (.*)$$/\1\t\2/' \
	  | sed -e 's/$$(PORT)/$(PORT)/; s/$$(LEGACY_PORT)/$(LEGACY_PORT)/; s/$$(TEST_TIME)/$(TEST_TIME)/' \
	  | awk -F'\t' '{ printf "  make %-15s %s\n", $$1, $$2 }'
