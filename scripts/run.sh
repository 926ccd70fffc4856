#!/usr/bin/env bash
# `make run`: the chatbot on PUMA at 127.0.0.1:PORT, the legacy socket server beside it on
# LEGACY_PORT; Ctrl-C stops both. Usage: scripts/run.sh BIN PORT LEGACY_PORT LEGACY_LOG
#
# A script, exec'd by make, rather than the recipe itself: make's shell would carry the whole
# recipe as its command line, so `pkill -f legacy_socket_server` (an obvious way to restart the
# legacy server) matched it too and left `puma run` running with no terminal. Now the only
# process whose command line names legacy_socket_server is the server.
#
# Its pid is in var/legacy-server-LEGACY_PORT.pid (one file per port: a second make run on other
# ports leaves the first one's alone), written by the server itself (--pid-file), so the restart
# command this prints (and the bridge's "start it:") records the new server's pid too. Ctrl-C
# (or `make stop`) stops the legacy server running on LEGACY_PORT whoever started it: the one the
# pid file names, if its command line says it is a legacy server on that port.
set -u
# A Ctrl-C in the first milliseconds, while the helpers below load, is noted and said once they are
# (an interrupted `$(dirname ...)` had left them unloaded: the Ctrl-C was lost and everything started).
interrupted=0
trap 'interrupted=1' INT
bin=$1 port=$2 legacy_port=$3 legacy_log=$4
pidfile=var/legacy-server-$legacy_port.pid
# The one command that starts it again alone, said here and by the bridge (LEGACY_START_COMMAND).
restart="$bin/python -m legacy_socket_server --port $legacy_port --pid-file $pidfile >> $legacy_log 2>&1 &"
# A Ctrl-C before anything started (the port check) says so and ends as the later ones do: exit 0
# spares make's "*** [run] Interrupt" line; make itself ends by the SIGINT (the shell sees 130).
# Replaced below, once there is something to stop. (Lines of at most ~100 columns: scripts/say.sh.)
case $0 in */*) here=${0%/*} ;; *) here=. ;; esac  # (no command substitution: a Ctrl-C cannot cut it)
. "$here/say.sh"
stopped_before_start() { echo; say "make: stopped (Ctrl-C) before anything started"; rm -f "${runfile:-}"; exit_after_make; }
[ "$interrupted" = 1 ] && stopped_before_start
trap stopped_before_start INT
# Both ports are checked before anything starts or any log is touched (a second `make run`
# must not disturb the first).
# What it says is kept until it ends: a Ctrl-C during Python's own start prints a traceback, not for a user.
if ! taken=$("$bin/python" scripts/free_ports.py "PORT=$port" "LEGACY_PORT=$legacy_port" 2>&1); then
  printf '%s\n' "$taken" >&2
  end_said 2  # said: make's own "*** [Makefile:N: run] Error 2" line would only read like a crash
fi
mkdir -p var
runfile=var/make-run-$port.pid  # this script's pid, then puma run's: `make stop PORT=$port` reads it
echo $$ > "$runfile"
stopfile=var/make-run-$port.stop  # written by `make stop` (its pid) before it signals: a stop asked for
rm -f "$stopfile"
say "legacy socket server: 127.0.0.1:$legacy_port (the page's Legacy backend), log in $legacy_log, pid in $pidfile"
say "make: the commands are in $bin: in another terminal, . $bin/activate, then puma status"
echo "=== make run, $(date '+%F %T'): legacy socket server on 127.0.0.1:$legacy_port" >> "$legacy_log"
# The monolith runs beside the mesh, so the page can compare the two (its /legacy bridge); niced,
# so PUMA's own start-up gets the CPU first. Its log is appended to (one header per run).
# (A Ctrl-C from here until the traps below reaches the server too: it stops by itself.)
trap 'echo; say "make: stopped (Ctrl-C) while starting; the legacy socket server just started stops too (the Ctrl-C reached it)"; rm -f "$runfile"; exit_after_make' INT
nice -n 19 "$bin/python" -m legacy_socket_server --port "$legacy_port" --pid-file "$pidfile" >> "$legacy_log" 2>&1 &
legacy=$!
echo "$legacy" > "$pidfile"  # at once (the server writes the same pid once its port is bound)

# The pid in $pidfile if it is a live legacy server on this port (a stale file's pid may be reused).
serving_legacy() {
  local pid
  pid=$(cat "$pidfile" 2>/dev/null) || return 1
  case "$pid" in ''|*[!0-9]*) return 1 ;; esac
  tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline" | grep -q -- "legacy_socket_server .*--port $legacy_port\b" || return 1
  echo "$pid"
}

# Whether $1 runs: a zombie counts as gone (`kill -0` says yes to one, and a server started by
# hand is no child of this script: where PID 1 reaps no orphans, as in many containers, its
# zombie stays).
running() {
  local state
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# Whether $1 is stopped (SIGSTOP, Ctrl-Z; "t": a debugger): it acts on no signal until resumed.
stopped_state() {
  case "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" in T|t) return 0 ;; esac
  return 1
}

# If it exits other than by Ctrl-C, this terminal says so, and how to start it again alone; a
# server started again (by that command: it writes $pidfile) is watched the same way.
{
  watched=$legacy
  while :; do
    while running "$watched"; do sleep 1; done
    grep -q "stopping (SIGINT)" <(tail -n 5 "$legacy_log") && exit 0
    # What happened, from its last words: a stop it was sent (its log names the signal), or an
    # end it did not log (SIGKILL, a crash, the OOM killer).
    how=$(tail -n 5 "$legacy_log" | sed -n 's/.*stopping (\(SIG[A-Z0-9]*\)).*/\1/p' | tail -n 1)
    if [ -n "$how" ]; then what="has exited: it stopped (it was sent $how)"
    else what="has exited: it died (its log does not say it stopped: killed with SIGKILL, crashed or out of memory)"; fi
    say "make: the legacy socket server (port $legacy_port) $what; the page's Legacy backend is down." \
        "Its log ($legacy_log) ends:" >&2
    # Its log lines, indented, wrapped to the terminal too (a record is 80-110 characters).
    tail -n 3 "$legacy_log" | while IFS= read -r record; do SAY_WIDTH=$(( SAY_WIDTH - 2 )) say "$record"; done \
      | sed 's/^/  /' >&2
    say "make: to start it again alone (PUMA keeps running), run:" >&2
    echo "  $restart" >&2  # on a line of its own, whole: copied and pasted as it is
    until next=$(serving_legacy) && [ "$next" != "$watched" ]; do sleep 1; done
    say "make: a legacy socket server runs on port $legacy_port again (pid $next); Ctrl-C stops it too" >&2
    watched=$next
  done
} &
watch=$!
stop_legacy() {
  kill $watch 2>/dev/null
  local pid was
  # SIGCONT after the SIGTERM (as systemd and Kubernetes do): a stopped server (SIGSTOP, Ctrl-Z)
  # holds the SIGTERM until it runs again, so it is resumed to act on it.
  pid=$(serving_legacy) && stopped_state "$pid" && say "make: the legacy socket server (pid $pid) is stopped (state T: SIGSTOP or Ctrl-Z): sent SIGCONT after the SIGTERM, so it resumes to stop" >&2
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && kill -CONT "$pid" 2>/dev/null
  was=${pid:-$legacy}
  running "$was" || was=  # gone already (it exited before; or a Ctrl-C reached it too: said below)
  grep -q "stopping (SIGINT)" <(tail -n 5 "$legacy_log" 2>/dev/null) && was=${pid:-$legacy}
  kill $legacy 2>/dev/null && kill -CONT $legacy 2>/dev/null
  # Gone before make run ends, so its port is free again: it finishes its turns in progress, which
  # on a busy machine (it runs niced) can take more than 10 s; waited for up to 30 s.
  for _ in $(seq 300); do running "${pid:-$legacy}" || break; sleep 0.1; done
  if running "${pid:-$legacy}" && stopped_state "${pid:-$legacy}"; then
    say "make: the legacy socket server (pid ${pid:-$legacy}) is stopped again (state T: SIGSTOP, Ctrl-Z or a debugger) after its SIGCONT; it stops once resumed: kill -CONT ${pid:-$legacy} (or force it: kill -9 ${pid:-$legacy})" >&2
  elif running "${pid:-$legacy}"; then
    say "make: the legacy socket server (pid ${pid:-$legacy}) is still finishing its turns after 30 s; it stops by itself (log: $legacy_log)" >&2
  elif [ -n "$was" ]; then  # it ran until this stop: say it is gone too, as make stop does
    say "make: the legacy socket server (pid $was, port $legacy_port) is stopped too"
  fi
  # The pid file goes only if it names a server this run stopped (another's, loading or serving,
  # keeps its file: `make stop` and the next make run find it by it).
  case "$(cat "$pidfile" 2>/dev/null)" in "$legacy"|"${pid:-$legacy}") running "${pid:-$legacy}" || rm -f "$pidfile" ;; esac
  rm -f "$runfile" "$stopfile"
}
# A stop `make stop` asked for is a normal end (exit 0, said once), not make's "Error 143".
asked_stop() {
  [ -e "$stopfile" ] || return 1
  say "make: stopped by make stop PORT=$port (pid $(cat "$stopfile" 2>/dev/null)), as asked"
}
# A Ctrl-C here while `make stop` stops this run: one stop, ended by the Ctrl-C (puma run said above
# whether at once, and what that cut). make stop, waiting for this run to end, reads it from the file.
ctrl_c_in_stop() {
  [ -e "$stopfile" ] || return 0
  echo ctrl-c > "var/make-run-$port.ended"
  say "make: stopped by a Ctrl-C here during the stop make stop PORT=$port (pid $(cat "$stopfile" 2>/dev/null)) asked for (puma run says above how it ended)"
}
trap stop_legacy EXIT
# Whether $1 ignores SIGINT (its SigIgn mask): puma run, started so (below), until puma.entry takes it.
ignores_ctrl_c() {
  local mask
  mask=$(sed -n 's/^SigIgn:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null) && [ -n "$mask" ] && (( 16#$mask & 2 ))
}
# Ctrl-C: what stopped is said (by puma run, and above); exit 0 spares make's "Error 130" line,
# while make itself still ends by the user's SIGINT (the shell sees 130). A Ctrl-C while puma run's
# Python is still starting (before puma.entry handles it: ~0.1-0.5 s, more on a busy machine) would
# print Python's "Fatal Python error: init_import_site" and a traceback: puma run starts with SIGINT
# ignored, and such a Ctrl-C is passed on to it as a SIGTERM (which it ends on at once, silently or
# with its own one line, before anything started); once it handles SIGINT itself, the Ctrl-C is its own.
ctrl_c=0 early=0
on_ctrl_c() {
  ctrl_c=1
  if [ -n "${puma:-}" ] && ignores_ctrl_c "$puma"; then early=1; kill -TERM "$puma" 2>/dev/null; fi
}
trap on_ctrl_c INT
trap 'asked_stop && exit 0; exit 143' TERM
# In the background with SIGINT ignored (see on_ctrl_c) and this terminal's stdin, and waited for
# here (a trapped signal interrupts `wait`, never a foreground command); its pid added to $runfile
# first: `make stop` signals it. The shell's own stderr is silenced around it (puma run's goes to the
# terminal through fd 3): bash reports a child killed by a signal as "run.sh: line N: PID Killed
# <the whole command>", which says nothing a user can act on; what happened is said below instead.
exec 3>&2 4<&0
{ (trap '' INT; LEGACY_SOCKET_ADDR="127.0.0.1:$legacy_port" LEGACY_START_COMMAND="$restart" \
    exec sh -c 'echo $$ >> "$0"; exec "$@"' "$runfile" "$bin/puma" run chatbot/puma_app.py --port "$port" 2>&3 <&4) & } 2>/dev/null
puma=$!
[ "$ctrl_c" = 1 ] && { early=1; kill -TERM "$puma" 2>/dev/null; }  # a Ctrl-C before its pid was known
while :; do
  { wait "$puma"; } 2>/dev/null
  status=$?
  kill -0 "$puma" 2>/dev/null || break  # ended (else the wait was cut short by a signal: wait again)
done
if [ "$ctrl_c" = 1 ]; then
  # Ended by a Ctrl-C still in Python's start-up: the SIGTERM ended it silently (143), or with its own
  # line; or before puma run was even started (its pid not yet in $runfile: the Ctrl-C ended its shell).
  if [ -z "$(sed -n 2p "$runfile" 2>/dev/null)" ] || { [ "$early" = 1 ] && [ "$status" = 143 ]; }; then
    echo; say "make: stopped (Ctrl-C) before anything started"
  fi
  ctrl_c_in_stop
  exit_after_make
fi
case $status in
  143) asked_stop && status=0 ;;
  130) asked_stop; status=0 ;;  # SIGINT to puma run alone: it has said how it stopped (see the INT trap)
esac
case $status in
  130|143|0|1|2) ;;  # Ctrl-C, make stop, a clean end, an error puma run has said
  *) if [ "$status" -gt 128 ]; then
       say "make: puma run was killed (SIG$(kill -l $((status - 128)) 2>/dev/null || echo $((status - 128)))):" \
            "it could not drain (requests in flight were cut); Envoy and its instances died with it (the port" \
            "is free again), its run directory in ${TMPDIR:-/tmp}/puma-* is removed by a later start. Stopping the legacy socket server." >&2
     fi ;;
esac
# Whatever went wrong is said above (by puma run, or here): make adds no line of its own.
end_said $status
