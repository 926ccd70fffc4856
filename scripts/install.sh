#!/usr/bin/env bash
# Install PUMA into a venv, saying what it does as it goes: `scripts/install.sh VENV PYTHON [EXTRAS [STAMP]]`
# (EXTRAS: pyproject.toml's optional-dependencies, e.g. "dev" or "dev,peers"; none: what running
# needs only; STAMP: the file it touches once pip succeeded). Called by the Makefile's stamp rules.
#
# Ctrl-C: it says the install stopped and that the next make resumes it, then exits 0 without the
# stamp, as scripts/run.sh does: make, which the terminal's SIGINT reached too, then ends by that
# signal itself (the shell sees 130) without its "Error 130" line, and starts nothing after it.
#
# Every line arrives as it is printed, on a terminal and into a file alike (nohup, tee, CI): the
# filter is grep --line-buffered and bash's read, nothing that buffers by block (`cut` did,
# and cut a line in two). pip's own long silences (resolving, downloading, then the one install
# step) get a line every HEARTBEAT_S seconds saying it still works and for how long.
set -eo pipefail
venv=$1 python=$2 extras=${3:-} stamp=${4:-}
case $0 in */*) here=${0%/*} ;; *) here=. ;; esac  # (no command substitution: a Ctrl-C cannot cut it)
. "$here/say.sh"
HEARTBEAT_S=${INSTALL_HEARTBEAT_S:-20}  # (tests make it short)
started=$(date +%s)
# A failure (pip's ERROR lines above say which package and why) is said once more in make's words, with
# what to do, and ends make on that (scripts/say.sh: end_said), not on make's "*** ... Error 1" line.
ended() {
  local status=$?
  kill ${heartbeat:-} 2>/dev/null || true
  [ "$status" = 0 ] && return
  say "make: the install failed after $(( $(date +%s) - started )) s (pip's lines above say why); $venv is kept as" \
      "it is, and the next make run (or make) tries again" >&2
  end_said "$status"
}
trap ended EXIT
test -x "$venv/bin/python" || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip 2>&1 | { grep --line-buffered -v '^WARNING: Location' || true; }
target=.
[ -n "$extras" ] && target=".[$extras]"
say "make: pip install -e '$target': each package is named as pip collects it; a line every ${HEARTBEAT_S} s while it is quiet"
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
# A long line of pip's ("Successfully installed" and 70 packages) cut at a whole word, never
# inside one ("certifi-2"), the rest counted: "... boto3-1.44.8 (52 more)".
shortened() {
  local -a words
  local word out="" n=0 kept=0
  read -ra words <<< "$1"
  for word in "${words[@]}"; do
    n=$(( n + 1 ))
    if [ $kept = $(( n - 1 )) ] && { [ $kept -lt 2 ] || [ $(( ${#out} + 1 + ${#word} )) -le 160 ]; }; then
      out=${out:+$out }$word; kept=$n
    fi
  done
  [ $kept -lt $n ] && out="$out ($(( n - kept )) more)"
  printf '%s' "$out"
}
interrupted() {
  echo
  say "make: the install stopped (Ctrl-C) after $(( $(date +%s) - started )) s; $venv is kept as it is, and the" \
      "next make run (or make) resumes the install (pip reuses what it downloaded)"
  exit_after_make
}
trap interrupted INT
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
          say "make: pip: installing $what: pip prints nothing until it is done;" \
              "as before, a line every $HEARTBEAT_S s says it still works" ;;
        *) say "$(shortened "$line")" ;;
      esac
    done
kill $heartbeat 2>/dev/null || true
[ -z "$stamp" ] || touch "$stamp"
say "make: installed in $(( $(date +%s) - started )) s ($(du -sh "$venv/." | cut -f1) in $venv)"
