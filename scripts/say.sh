#!/usr/bin/env bash
# make's own lines (the Makefile's, scripts/install.sh's and scripts/run.sh's), at most ~100
# characters each, as puma run's are (puma/lines.py): a long one wrapped at spaces, its continuation
# indented, words never split (a path or a command stays whole), so a terminal never breaks one
# mid-word. Sourced, it defines `say TEXT...`; run as a command (the Makefile), it says its arguments.
# On a terminal narrower than 100 columns, its width (tput), so no line is broken by the terminal.
if [ -z "${SAY_WIDTH:-}" ]; then
  SAY_WIDTH=100
  if [ -t 1 ] && cols=$(tput cols 2>/dev/null) && [ "$cols" -ge 40 ] && [ "$cols" -lt 100 ]; then SAY_WIDTH=$cols; fi
fi

say() {
  local -a words
  local word line=""
  read -ra words <<< "$*"  # split at whitespace, never globbed
  for word in "${words[@]}"; do
    if [ -n "$line" ] && [ $(( ${#line} + 1 + ${#word} )) -gt "$SAY_WIDTH" ]; then
      printf '%s\n' "$line"
      line="    $word"
    else
      line=${line:+$line }$word
    fi
  done
  printf '%s\n' "$line"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then say "$@"; fi
