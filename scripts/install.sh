#!/usr/bin/env bash
# Install PUMA into a venv, saying what it does as it goes: `scripts/install.sh VENV PYTHON [EXTRAS]`
# (EXTRAS: pyproject.toml's optional-dependencies, e.g. "dev" or "dev,peers"; none: what running
# needs only). Called by the Makefile's stamp rules.
#
# Every line arrives as it is printed, on a terminal and into a file alike (nohup, tee, CI): the
# filter is grep --line-buffered and bash's read, nothing that buffers by block (`cut` did,
# and cut a line in two). pip's own long silences (resolving, downloading, then the one install
# step) get a line every HEARTBEAT_S seconds saying it still works and for how long.
set -eo pipefail
venv=$1 python=$2 extras=${3:-}
HEARTBEAT_S=${INSTALL_HEARTBEAT_S:-20}  # (tests make it short)
started=$(date +%s)
test -x "$venv/bin/python" || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip 2>&1 | { grep --line-buffered -v '^WARNING: Location' || true; }
target=.
[ -n "$extras" ] && target=".[$extras]"
echo "make: pip install -e '$target': each package is named as pip collects it; a line every ${HEARTBEAT_S} s while it is quiet"
(
  # Its sleep is killed with it and holds no output open: a stopped heartbeat leaves nothing behind.
  trap 'kill $nap 2>/dev/null; exit 0' TERM
  while :; do
    sleep "$HEARTBEAT_S" </dev/null >/dev/null 2>&1 & nap=$!
    wait $nap
    echo "make: pip is still working ($(( $(date +%s) - started )) s so far)"
  done
) &
heartbeat=$!
trap 'kill $heartbeat 2>/dev/null || true' EXIT
# (PYTHONWARNINGS: setuptools' notice about editable installs is for packages in src/ layouts.)
# The pip configuration's warnings about index locations that do not exist are the machine's, not
# ours: left out, with everything else pip says that is not progress.
PYTHONWARNINGS="ignore:Editable installation" "$venv/bin/python" -m pip install --progress-bar off -e "$target" 2>&1 \
  | { grep --line-buffered -E '^(Collecting|Installing collected|Successfully installed|ERROR|error:)' || true; } \
  | while IFS= read -r line; do  # bash reads a pipe line by line (mawk would wait for a full block)
      case $line in
        "Installing collected packages:"*)
          # PUMA itself (pyproject.toml's name; pip writes it with - or _) is said apart, so the count is
          # of what it needs: the figure README states (scripts/figures.mk), whichever install re-installs it.
          names=" ${line#*:},"; own=0
          case $names in *" puma-mesh,"*|*" puma_mesh,"*) own=1 ;; esac
          commas=${names//[^,]/}; n=$(( ${#commas} - own ))
          what="$n package$([ "$n" = 1 ] || echo s)"
          if [ $own = 1 ]; then what="$what and PUMA itself"; fi
          if [ "$n" = 0 ]; then what="PUMA itself"; fi
          echo "make: pip: installing $what: pip prints nothing until it is done;" \
               "the line every $HEARTBEAT_S s says it still works" ;;
        *) echo "${line:0:160}" ;;
      esac
    done
kill $heartbeat 2>/dev/null || true
echo "make: installed in $(( $(date +%s) - started )) s ($(du -sh "$venv" | cut -f1) in $venv)"
