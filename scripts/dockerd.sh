#!/bin/sh
# Starts the Docker engine for the test run when it is installed but not running, and stops only
# an engine it started itself (`make test` calls both around pytest).
#   sh scripts/dockerd.sh start PIDFILE   # prints what it found or did; never fails the run:
#                                        # the Docker tests say why they skip (or fail in CI)
#   sh scripts/dockerd.sh stop PIDFILE    # stops the engine named in PIDFILE, if any
# There is no init system to ask (no systemd here), so the engine runs as a background process,
# its log in the PIDFILE's directory (dockerd.log).
set -u
action=${1:?usage: dockerd.sh start|stop PIDFILE}
pidfile=${2:?usage: dockerd.sh start|stop PIDFILE}
DOCKER=${DOCKER:-docker}

engine_answers() { timeout 10 "$DOCKER" info >/dev/null 2>&1; }

start() {
    if engine_answers; then echo "dockerd: a Docker engine is running (left as it is)"; return 0; fi
    if ! command -v dockerd >/dev/null 2>&1; then
        echo "dockerd: no Docker engine installed (the Docker tests will say they skip)"; return 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
        echo "dockerd: installed but not running, and starting it needs root (the Docker tests will say they skip)"
        return 0
    fi
    mkdir -p "$(dirname "$pidfile")"
    log="$(dirname "$pidfile")/dockerd.log"
    started=$(date +%s)
    # setsid: Ctrl-C in the terminal goes to pytest, not the engine; the stop step ends it.
    setsid dockerd >"$log" 2>&1 &
    echo $! >"$pidfile"
    i=0
    while [ $i -lt 300 ]; do  # up to 30 s
        if engine_answers; then
            echo "dockerd: started the Docker engine (pid $(cat "$pidfile"), ready in $(( $(date +%s) - started )) s, log $log)"
            return 0
        fi
        kill -0 "$(cat "$pidfile")" 2>/dev/null || break
        sleep 0.1; i=$((i + 1))
    done
    echo "dockerd: the engine did not come up; the last lines of $log:"; tail -n 5 "$log"
    stop
}

stop() {
    [ -s "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    if kill -TERM "$pid" 2>/dev/null; then
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
        kill -KILL "$pid" 2>/dev/null && echo "dockerd: the engine (pid $pid) ignored SIGTERM for 30 s: killed"
        echo "dockerd: stopped the engine this run started (pid $pid)"
    fi
    rm -f "$pidfile"
}

case "$action" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: dockerd.sh start|stop PIDFILE" >&2; exit 2 ;;
esac
