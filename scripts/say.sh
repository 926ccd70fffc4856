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

# A failure our own lines have said ends make without make's "make: *** [Makefile:N: target] Error N"
# line after them, which reads like a crash: `end_said STATUS` (STATUS non-zero) run by a make's recipe
# sends that make SIGINT and exits 0. make then waits for its children, starts nothing more and ends
# by the SIGINT, printing nothing (it names only a child that failed or died by a signal): a shell
# sees 130, a script a non-zero status. The Ctrl-C path (run.sh, install.sh) ends the same way.
# Anywhere else it is a plain `exit STATUS`: run by hand, under a make that another make's recipe
# ran (`$(MAKE) target`: the outer make would print "Interrupt" for the inner one), or under a make
# that ignores SIGINT (started in the background by a non-interactive shell, nohup, CI): our SIGINT
# would be dropped and make would end with 0 on a failure, so make's own line is the lesser harm.
end_said() {
  local status=$1 make_pid
  [ "$status" = 0 ] && exit 0
  if make_pid=$(recipe_make) && ! made_by_make "$make_pid" && ! signal_ignored "$make_pid" INT \
      && kill -INT "$make_pid" 2>/dev/null; then
    exit_after_make
  fi
  exit "$status"
}

# Whether process $1 ignores signal $2 (a name: INT): a signal it ignores is dropped on arrival.
signal_ignored() {
  local number mask
  number=$(kill -l "$2") || return 1
  mask=$(sed -n "s/^SigIgn:[[:space:]]*//p" "/proc/$1/status" 2>/dev/null) || return 1
  [ -n "$mask" ] && (( (16#$mask >> (number - 1)) & 1 ))
}

# `exit 0` once the make running this recipe has taken its SIGINT (ours, or the terminal's Ctrl-C):
# its handler then waits for this shell. Exiting earlier, make 4.3 could reap this shell in its main
# loop first, and its handler would then find no child: "make: *** wait: No child processes.  Stop."
exit_after_make() {
  local make_pid
  if make_pid=$(recipe_make); then
    signal_ignored "$make_pid" INT && exit 130  # it takes no SIGINT: it must see the interruption in our status
    for _ in $(seq 100); do signal_pending "$make_pid" INT || break; sleep 0.05; done
  fi
  exit 0
}

# Whether signal $2 (a name: INT) is pending for process $1, not yet taken by its handler.
signal_pending() {
  local number field mask
  number=$(kill -l "$2") || return 1
  for field in SigPnd ShdPnd; do
    mask=$(sed -n "s/^$field:[[:space:]]*//p" "/proc/$1/status" 2>/dev/null) || return 1
    [ -n "$mask" ] && (( (16#$mask >> (number - 1)) & 1 )) && return 0
  done
  return 1
}

# The parent pid of $1, and its program's name.
parent_of() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f2; }
program_of() { cat "/proc/$1/comm" 2>/dev/null; }
is_make() { case "$(program_of "$1")" in make|gmake|make-*) return 0 ;; esac; return 1; }
is_shell() { case "$(program_of "$1")" in sh|bash|dash|zsh) return 0 ;; esac; return 1; }

# The pid of the make whose recipe runs this shell: the parent, or a recipe shell's parent.
recipe_make() {
  local pid=$PPID
  is_shell "$pid" && ! is_make "$pid" && pid=$(parent_of "$pid")
  is_make "$pid" && echo "$pid"
}

# Whether make $1 is itself a recipe's command (a recursive make), run directly or by a shell.
made_by_make() {
  local up
  up=$(parent_of "$1")
  is_shell "$up" && up=$(parent_of "$up")
  [ -n "$up" ] && is_make "$up"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then say "$@"; fi
