# Figures the Makefile prints and README states, in one place. README marks each use as
# <!-- make: NAME -->value<!-- /make -->; scripts/readme_figures.py checks README against this file
# (tests/test_readme_figures.py) and `make readme-figures` rewrites README from it. Measured on the
# shared 2-core VM README's figures come from (load average 7-20); a quiet machine is faster.

# `make run`'s install: PUMA, the chatbot and their dependencies (pyproject.toml `dependencies`).
# Package counts are what PUMA needs, PUMA itself apart, as scripts/install.sh prints them ("installing
# 72 packages and PUMA itself"); counted with pip install --dry-run --report into an empty venv at
# b8fff7a (73 names with puma-mesh; the dev extra 144, 71 of them new; 73 with pytest-xdist and execnet).
RUN_INSTALL_PACKAGES := 72 packages and PUMA itself
RUN_INSTALL_TIME := 2-4 minutes
RUN_INSTALL_SIZE := 0.9 GB
# `make test`'s (and lint's) addition: the dev extra (pytest, Playwright, moto, locust, mypy, kubectl...).
DEV_INSTALL_PACKAGES := 73 more packages
DEV_INSTALL_TIME := 2-3 minutes
DEV_INSTALL_SIZE := 0.7 GB more (1.6 GB in all)
# The whole suite, after the installs.
TEST_TIME := about 22 minutes
