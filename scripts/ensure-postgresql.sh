#!/bin/sh
# Make sure the PostgreSQL 15 server binaries are at /usr/lib/postgresql/15/bin: the test suite
# starts a throwaway cluster from them (tests/plugins/postgres.py runs this script if they are
# missing). Installs Debian's postgresql-15 as root; exits 1 with the command to run otherwise.
set -eu

PG_BIN=/usr/lib/postgresql/15/bin

if [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ]; then
    echo "ensure-postgresql: PostgreSQL 15 is installed at $PG_BIN"
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-postgresql: $PG_BIN is missing; install it with:" \
         "sudo apt-get update && sudo apt-get install -y postgresql-15" >&2
    exit 1
fi
echo "ensure-postgresql: installing postgresql-15 (apt-get update, then apt-get install -y postgresql-15)"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15
echo "ensure-postgresql: installed $("$PG_BIN/postgres" --version)"
