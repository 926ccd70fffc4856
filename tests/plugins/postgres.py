"""A throwaway PostgreSQL 15 cluster for the tests, from the server binaries on the machine.

``postgres_cluster`` (once per test session): ``initdb`` in a temp directory, start, create the
``chatbot`` database, run the Alembic migrations, load the catalogue (~13 s), stop. The data
directory is removed at the end of the session.
``postgres_url`` (per module): the server started on that data directory (~0.5 s) on a free
port and stopped when the module ends, so no server outlives the module that used it
(``tests.plugins.processes`` checks). As root, every PostgreSQL tool runs as the ``postgres``
OS user (``runuser -u postgres --``; the environment, with the test-session marker, passes
through). Missing binaries are installed by ``scripts/ensure-postgresql.sh``, or the
fixture fails saying how: never a silent skip.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_BIN = Path("/usr/lib/postgresql/15/bin")
ENSURE_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ensure-postgresql.sh"
DATABASE = "chatbot"
# A throwaway cluster: durability off, so the catalogue loads fast.
SERVER_OPTIONS = "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"


class PostgresCluster:
    """One data directory under ``root``; ``start`` picks a free port each time."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.sockets = root / "sockets"
        self.log = root / "server.log"
        self.port: int | None = None
        self._as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def init(self) -> None:
        self.sockets.mkdir()
        if self._as_postgres:
            user = pwd.getpwnam("postgres")
            for path in (self.root, self.sockets):
                os.chown(path, user.pw_uid, user.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--no-sync")

    def start(self, *, also_listen: str = "", password: str = "") -> None:
        """On loopback; with `also_listen` (an address of this machine, e.g. a Docker bridge's
        gateway) there too, where only clients of Docker's private ranges that give `password`
        get in (an hba file of its own: the cluster's own stays loopback-only)."""
        self.port = _free_port()
        options = f"-p {self.port} -k {self.sockets} {SERVER_OPTIONS}"
        if also_listen:
            assert password, "a server reachable beyond loopback needs a password"
            options = options.replace("listen_addresses=127.0.0.1", f"listen_addresses=127.0.0.1,{also_listen}")
            options += f" -c hba_file={self._bridge_hba()}"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options,
                  "-w", "-t", "30", "start")
        if also_listen:  # over the Unix socket (trusted), before anyone can reach the address
            self._run("psql", "-h", str(self.sockets), "-p", str(self.port), "-U", "postgres", "-q",
                      "-c", f"ALTER ROLE postgres PASSWORD '{password}'")

    def _bridge_hba(self) -> Path:
        hba = self.root / "pg_hba_bridge.conf"
        hba.write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n"
                       # Docker's default address pools: the deployment's own network is one of them
                       "host all all 172.16.0.0/12 scram-sha-256\nhost all all 192.168.0.0/16 scram-sha-256\n")
        if self._as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(hba, user.pw_uid, user.pw_gid)
        return hba

    def stop(self) -> None:
        if self.port is not None and (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop")
        self.port = None

    def url(self, database: str = DATABASE, *, host: str = "127.0.0.1", password: str = "") -> str:
        """A SQLAlchemy URL (psycopg2; trust authentication on loopback, no password)."""
        assert self.port is not None, "start the cluster first"
        user = f"postgres:{password}" if password else "postgres"
        return f"postgresql+psycopg2://{user}@{host}:{self.port}/{database}"

    def create_database(self, name: str = DATABASE) -> None:
        self._run("createdb", "-h", str(self.sockets), "-p", str(self.port), "-U", "postgres", name)

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run([*self._as_postgres, str(PG_BIN / tool), *args], text=True,
                              capture_output=True, stdin=subprocess.DEVNULL, timeout=120)
        if done.returncode != 0:
            log_tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{tool} exited with code {done.returncode}: "
                               f"{done.stderr.strip()[-2000:]}\nserver log ({self.log}):\n{log_tail}")


def ensure_binaries() -> None:
    """Install the PostgreSQL 15 server through ``scripts/ensure-postgresql.sh`` if missing."""
    if (PG_BIN / "initdb").exists():
        return
    done = subprocess.run(["sh", str(ENSURE_SCRIPT)], text=True, capture_output=True,
                          stdin=subprocess.DEVNULL, timeout=600)
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"PostgreSQL 15 server binaries missing at {PG_BIN}; {ENSURE_SCRIPT.name} "
                    f"exited {done.returncode}: {(done.stdout + done.stderr).strip()[-1500:]}",
                    pytrace=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A stopped cluster whose ``chatbot`` database is migrated and loaded (~15 s, once)."""
    from chatbot.db import upgrade
    from chatbot.loader import load

    ensure_binaries()
    cluster = PostgresCluster(Path(tempfile.mkdtemp(prefix="puma-pg-")))
    try:
        cluster.init()
        cluster.start()
        cluster.create_database()
        started = time.monotonic()
        upgrade(cluster.url())
        load(cluster.url(), progress=False)
        print(f"postgres: migrated and loaded in {time.monotonic() - started:.1f} s")
        cluster.stop()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """URL of the loaded ``chatbot`` database, its server running for this module only."""
    postgres_cluster.start()
    try:
        yield postgres_cluster.url()
    finally:
        postgres_cluster.stop()
