#!/usr/bin/env bash
# Install PUMA into a venv, saying what it does as it goes: `scripts/install.sh VENV PYTHON [EXTRAS]`
# (EXTRAS: pyproject.toml's optional-dependencies, e.g. "dev" or "dev,peers"; none: what running
# needs only). Called by the Makefile's stamp rules.
#
# Every line arrives as it is printed, on a terminal and into a file alike (nohup, tee, CI): the
# filter is grep --line-buffered and awk with fflush, nothing that buffers by block (`cut` did,
# and cut a line in two). pip's own long silences (resolving, downloading, then the one install
# step) get a line every HEARTBEAT_S seconds saying it still works and for how long.
set -eo pipefail
venv=$1 python=$2 extras=${3:-}
HEARTBEAT_S=20
started=$(date +%s)
test -x "$venv/bin/python" || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip 2>&1 | { grep --line-buffered -v '^WARNING: Location' || true; }
target=.
[ -n "$extras" ] && target=".[$extras]"
echo "make: pip install -e '$target': each package is named as pip collects it; a line every ${HEARTBEAT_S} s while it is quiet"
(
  while sleep "$HEARTBEAT_S"; do
    echo "make: pip is still working ($(( $(date +%s) - started )) s so far)"
  done
) &
heartbeat=$!
trap 'kill $heartbeat 2>/dev/null || true' EXIT
# (PYTHONWARNINGS: setuptools' notice about editable installs is for packages in src/ layouts.)
# The pip configuration's warnings about index locations that do not exist are the machine's, not
# ours: left out, with everything else pip says that is not progress.
PYTHONWARNINGS="ignore:Editable installation" "$venv/bin/python" -m pip install --progress-bar off -e "$target" 2>&1 \
  | { grep --line-buffered -E '^(Collecting|Downloading|Installing collected|Successfully installed|ERROR|error:)' || true; } \
  | awk '
      /^Installing collected packages:/ {
        n = split(substr($0, 32), names, ",")
        printf "make: pip: installing %d packages (quiet except for the line every %d s; about 1 s a package on 2 busy cores)\n", n, '"$HEARTBEAT_S"'
        fflush(); next
      }
      { print substr($0, 1, 160); fflush() }'
kill $heartbeat 2>/dev/null || true
echo "make: installed in $(( $(date +%s) - started )) s ($(du -sh "$venv" | cut -f1) in $venv)"
