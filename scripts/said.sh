#!/usr/bin/env bash
# `bash scripts/said.sh COMMAND [ARGS...]`: a make recipe's command that says its own failure (pytest's
# summary, ruff's and mypy's problems, pip's ERROR lines, our scripts' messages) ends make on that
# alone: no "make: *** [Makefile:N: target] Error N" line after it (scripts/say.sh: end_said). make
# still fails (a shell sees 130, a script a non-zero status) and starts nothing after it.
# A Ctrl-C reaches COMMAND too (the terminal's whole group): once COMMAND has ended, this exits 0 and
# make ends by the user's SIGINT, again without its "Interrupt" or "Error 130" line.
set -u
interrupted=0
trap 'interrupted=1' INT
case $0 in */*) here=${0%/*} ;; *) here=. ;; esac  # (no command substitution: a Ctrl-C cannot cut it)
. "$here/say.sh"
"$@"
status=$?
[ "$interrupted" = 1 ] && exit_after_make
end_said "$status"
