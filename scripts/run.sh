#!/usr/bin/env bash
# `make run`: the chatbot on PUMA at 127.0.0.1:PORT, the legacy socket server beside it on
# LEGACY_PORT; Ctrl-C stops both. Usage: scripts/run.sh BIN PORT LEGACY_PORT LEGACY_LOG
#
# A script, exec'd by make, rather than the recipe itself: make's shell would carry the whole
# recipe as its command line, so `pkill -f legacy_socket_server` (an obvious way to restart the
# legacy server) matched it too and left `puma run` running with no terminal. Now the only
# process whose command line names legacy_socket_server is the server (its pid is in
# var/legacy-server.pid).
set -u
bin=$1 port=$2 legacy_port=$3 legacy_log=$4
pidfile=var/legacy-server.pid
# Both ports are checked before anything starts or any log is touched (a second `make run`
# must not disturb the first).
"$bin/python" scripts/free_ports.py "PORT=$port" "LEGACY_PORT=$legacy_port" || exit 2
mkdir -p var
runfile=var/make-run-$port.pid  # this script's pid, then puma run's: `make stop PORT=$port` reads it
echo $$ > "$runfile"
echo "legacy socket server: 127.0.0.1:$legacy_port (the page's Legacy backend), log in $legacy_log, pid in $pidfile"
echo "make: the commands are in $bin: in another terminal, . $bin/activate, then puma status"
echo "=== make run, $(date '+%F %T'): legacy socket server on 127.0.0.1:$legacy_port" >> "$legacy_log"
# The monolith runs beside the mesh, so the page can compare the two (its /legacy bridge); niced,
# so PUMA's own start-up gets the CPU first. Its log is appended to (one header per run).
nice -n 19 "$bin/python" -m legacy_socket_server --port "$legacy_port" >> "$legacy_log" 2>&1 &
legacy=$!
echo "$legacy" > "$pidfile"
# If it exits other than by Ctrl-C, this terminal says so, and how to start it again alone.
{
  while kill -0 "$legacy" 2>/dev/null; do sleep 1; done
  grep -q "stopping (SIGINT)" <(tail -n 5 "$legacy_log") && exit 0
  echo "make: the legacy socket server (port $legacy_port) has exited; the page's Legacy backend is down." \
       "Its log ($legacy_log) ends:" >&2
  tail -n 3 "$legacy_log" | sed 's/^/  /' >&2
  echo "make: to start it again alone (PUMA keeps running): $bin/python -m legacy_socket_server" \
       "--port $legacy_port >> $legacy_log 2>&1 &" >&2
} &
watch=$!
trap 'kill $watch $legacy 2>/dev/null; rm -f "$pidfile" "$runfile"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# In the foreground (Ctrl-C reaches it), its pid added to $runfile first: `make stop` signals it.
LEGACY_SOCKET_ADDR="127.0.0.1:$legacy_port" sh -c 'echo $$ >> "$0"; exec "$@"' "$runfile" \
  "$bin/puma" run chatbot/puma_app.py --port "$port"
