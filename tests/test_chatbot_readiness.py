"""The chatbot's session store behind PUMA's readiness and deadlines: the services that keep
conversations are unready (named why) while the store is unreachable, and a turn whose client
already timed out commits nothing."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatbot.sessions import SqlSessionStore
from puma import deadlines
from puma.readiness import Probe
from tests.helpers import chatbot_app


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    from chatbot.db import upgrade

    path = tmp_path / "store" / "chatbot.sqlite3"
    path.parent.mkdir()
    upgrade(f"sqlite:///{path}")
    return path


def test_chatbot_services_that_keep_conversations_declare_the_store_readiness_check() -> None:
    services = chatbot_app().config_data["puma_services"]
    for name in ("agent", "listener", "survey"):
        assert services[name]["readiness"] == {"check": "chatbot.stores:ready"}, name
    assert "readiness" not in services["policy"]  # needs no store: never held back by it
    # The legacy bridge needs the legacy server: ready only while it accepts connections.
    assert services["legacy"]["readiness"] == {"check": "chatbot.webapp:legacy_ready"}


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_legacy_bridge_readiness_names_the_address_and_the_command_with_its_port(
        host: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Down: not ready, naming the address and how to start the server on *this* port (not the
    default 13113), whole within the reason's limit; listening: ready."""

    from chatbot.webapp import legacy_ready
    from tests.helpers import free_port

    port = free_port()
    monkeypatch.setenv("LEGACY_SOCKET_ADDR", f"{host}:{port}")
    probe = Probe(legacy_ready, period_s=1.0, timeout_s=2.0)
    probe.refresh()
    ready, reason = probe.state()
    assert not ready and reason.startswith(f"the legacy socket server is unreachable: nothing accepts connections "
                                           f"at {host}:{port} (connection refused)"), reason
    # The command make run prints too: the server records its pid where Ctrl-C and make stop find it.
    # In backticks: one unit to copy, never broken by a wrapped line, never run into the text after it.
    assert reason.endswith(f"start it: `.venv/bin/python -m legacy_socket_server --port {port} --pid-file "
                           f"var/legacy-server-{port}.pid >> var/legacy-server-{port}.log 2>&1 &`"), reason
    with _answering(port):
        probe.refresh()
        assert probe.state() == (True, "")
    probe.refresh()  # gone again
    assert not probe.state()[0]


@contextlib.contextmanager
def _answering(port: int) -> Iterator[None]:
    """A stand-in legacy server on `port` that answers each line (as the real one refuses `{}`)."""
    import socket

    server = socket.create_server(("127.0.0.1", port))

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = server.accept()
                with conn, conn.makefile("rb") as lines:
                    for _line in lines:
                        conn.sendall(b'{"error": "bad_request", "status": 400}\n')

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            server.shutdown(socket.SHUT_RDWR)  # wakes the accept(): closed alone, it would go on listening
        server.close()


_SERVING_STAND_IN = """
import socket, sys, threading
s = socket.create_server(("127.0.0.1", int(sys.argv[1])))
print("serving", flush=True)
def answer(conn):
    with conn, conn.makefile("rb") as lines:
        for line in lines:
            if sys.argv[2] == "answers":
                conn.sendall(b'{"status": 400}\\n')
while True:
    threading.Thread(target=answer, args=(s.accept()[0],), daemon=True).start()
"""


@pytest.mark.parametrize("how", ["stopped", "hung"])
def test_legacy_bridge_readiness_names_a_server_that_accepts_but_does_not_answer_by_pid(
        how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A legacy server stopped by SIGSTOP (or hung) still has its connections accepted by the kernel:
    not ready at the next check, named by pid and address, with what brings it back; ready again
    once it answers."""
    from chatbot.webapp import legacy_ready
    from tests.helpers import free_port

    port = free_port()
    monkeypatch.setenv("LEGACY_SOCKET_ADDR", f"127.0.0.1:{port}")
    server = subprocess.Popen([sys.executable, "-c", _SERVING_STAND_IN, str(port),
                               "answers" if how == "stopped" else "silent", "-m", "legacy_socket_server",
                               "--port", str(port), "[phase: serving]"], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "serving"
        probe = Probe(legacy_ready, period_s=1.0, timeout_s=2.0)
        if how == "stopped":
            probe.refresh()
            assert probe.state() == (True, "")
            os.kill(server.pid, signal.SIGSTOP)
        started = time.monotonic()
        probe.refresh()
        ready, reason = probe.state()
        assert not ready and time.monotonic() - started < 1.0, (reason, time.monotonic() - started)
        assert f"(pid {server.pid}) on 127.0.0.1:{port}" in reason and "check" not in reason, reason
        if how == "stopped":
            assert reason.endswith(f"resume it: kill -CONT {server.pid}"), reason
            os.kill(server.pid, signal.SIGCONT)
            probe.refresh()
            assert probe.state() == (True, "")
        else:
            # Not called hung at once (one just resumed from SIGSTOP answers its backlog first): no
            # command that kills it until it has stayed so for a few looks in a row.
            assert "busy, or catching up" in reason and "kill" not in reason, reason
            for _look in range(2):
                probe.refresh()
            reason = probe.state()[1]
            assert "does not answer" in reason and f"restart it: kill {server.pid}, then " in reason, reason
    finally:
        os.kill(server.pid, signal.SIGCONT)
        server.kill()
        server.communicate()


def _bound_stand_in(argv: list[str], port: int) -> subprocess.Popen[str]:
    """A process with a legacy server's command line `argv` that binds `port` and does not listen
    (as the real one while it loads its catalogue)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import socket, sys, time; s = socket.socket(); "
         "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', int(sys.argv[1]))); "
         "print('bound', flush=True); time.sleep(60)", str(port), *argv], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "bound"
    return holder


@pytest.mark.parametrize("argv", [
    ["-m", "legacy_socket_server", "--port", "{port}", "--pid-file", "var/legacy-server-{port}.pid"],  # make run's
    ["-m", "legacy_socket_server", "--port={port}"],  # by hand, another spelling
    ["-m", "chatbot", "legacy", "legacy_socket_server", "--debug", "--port", "{port}"],
])
def test_legacy_bridge_readiness_says_a_loading_server_is_starting_and_gives_no_start_command(
        argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A legacy server process on the port that refuses connections is loading: "starting (pid N,
    loading since HH:MM:SS)", and no command that would start a second one."""
    from chatbot.webapp import legacy_ready
    from tests.helpers import free_port

    port = free_port()
    monkeypatch.setenv("LEGACY_SOCKET_ADDR", f"127.0.0.1:{port}")
    probe = Probe(legacy_ready, period_s=1.0, timeout_s=2.0)
    holder = _bound_stand_in([a.format(port=port) for a in argv], port)
    try:
        probe.refresh()
        ready, reason = probe.state()
        assert not ready and f"is starting (pid {holder.pid}, loading since " in reason, reason
        assert re.search(r"loading since \d\d:\d\d:\d\d\)", reason), reason
        probe.refresh()
        assert probe.state()[1] == reason, "the same words while it loads: no new progress line per second"
        assert "start it" not in reason and "python -m" not in reason, reason
        # No time guessed (a prepared database loads in seconds, a first start in minutes): its log says.
        assert "its log shows how far it is" in reason and not re.search(r"\d+-\d+ s|minutes", reason), reason
    finally:
        holder.kill()
        holder.communicate()
    probe.refresh()  # gone: the start command again, and "no legacy server runs"
    ready, reason = probe.state()
    assert not ready and f"no legacy server runs on port {port}; start it: " in reason, reason


def test_legacy_bridge_readiness_ignores_a_legacy_server_on_another_port(monkeypatch: pytest.MonkeyPatch) -> None:
    from chatbot.webapp import legacy_ready
    from tests.helpers import free_port

    port = free_port()
    other = port * 10 + 1 if port * 10 + 1 < 65536 else port - 1  # its digits start the same (13113 vs 131131)
    monkeypatch.setenv("LEGACY_SOCKET_ADDR", f"127.0.0.1:{port}")
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "-m", "legacy_socket_server",
                               "--port", str(other)])
    try:
        probe = Probe(legacy_ready, period_s=1.0, timeout_s=2.0)
        probe.refresh()
        assert "start it: " in probe.state()[1] and "starting (pid" not in probe.state()[1], probe.state()
    finally:
        holder.kill()
        holder.wait()


def test_legacy_bridge_readiness_of_a_remote_server_and_a_bad_address(monkeypatch: pytest.MonkeyPatch) -> None:
    from chatbot.webapp import legacy_ready

    monkeypatch.setenv("LEGACY_SOCKET_ADDR", "192.0.2.1:13113")  # TEST-NET: nothing answers, never local
    probe = Probe(legacy_ready, period_s=1.0, timeout_s=2.0)
    probe.refresh()
    ready, reason = probe.state()
    assert not ready and "start the legacy server on 192.0.2.1" in reason and "python -m" not in reason, reason
    monkeypatch.setenv("LEGACY_SOCKET_ADDR", "nonsense")
    probe.refresh()
    assert "LEGACY_SOCKET_ADDR='nonsense' is not host:port" in probe.state()[1]


@pytest.mark.parametrize("fault", ["moved", "replaced by a directory", "schema dropped"])
def test_chatbot_store_probe_names_the_database_while_it_is_unreachable(db_file: Path, fault: str) -> None:
    store = SqlSessionStore(f"sqlite:///{db_file}")
    probe = Probe(store.ping, period_s=1.0, timeout_s=2.0)
    probe.refresh()
    assert probe.state() == (True, "")
    away = db_file.parent.with_name("away")
    if fault == "moved":
        db_file.parent.rename(away)
    elif fault == "replaced by a directory":
        db_file.unlink()
        db_file.mkdir()
    else:
        import sqlite3

        with sqlite3.connect(db_file) as conn:
            conn.execute("DROP TABLE chat_sessions")
    store.close()
    probe.refresh()
    ready, reason = probe.state()
    # PUMA names the database by its file (`puma.unavailable.name_databases`): the port marks nothing
    assert not ready and reason.startswith(f"the SQLite database {db_file.resolve()} is unreachable: "), reason
    if fault == "moved":
        away.rename(db_file.parent)
        probe.refresh()
        assert probe.state() == (True, "")


def test_chatbot_turn_whose_client_timed_out_commits_nothing(db_file: Path) -> None:
    store = SqlSessionStore(f"sqlite:///{db_file}")
    # Envoy waits 20 ms for this request, which came 50 ms ago: its client has had a 504 already.
    token = deadlines.start("20", now=time.monotonic() - 0.05)
    try:
        with pytest.raises(deadlines.DeadlineExceeded, match="its database commit was not done"):
            store.create("late", {"turn": 1})
    finally:
        deadlines.finish(token)
    store.create("late", {"turn": 1})  # the retry: applied, once (the late one left nothing)
    assert store.get("late") == ({"turn": 1}, 1)
    store.close()


def _phased_stand_in(port: int) -> subprocess.Popen[str]:
    """A legacy server stand-in (its command line names the port) that binds `port` without
    listening, says "loading" as the real one does (`show_phase`), and on SIGTERM says "stopping
    SIGTERM" and lingers, as the real one does while it finishes the turns in progress."""
    script = ("import signal, socket, sys, time\n"
              "from legacy_socket_server.running import show_phase\n"
              "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
              "s.bind(('127.0.0.1', int(sys.argv[1]))); show_phase('loading')\n"
              "signal.signal(signal.SIGTERM, lambda *_: (show_phase('stopping SIGTERM'), print('stopping', flush=True)))\n"
              "print('bound', flush=True)\n"
              "time.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", script, str(port), "-m", "legacy_socket_server", "--port",
                               str(port)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "bound"
    return holder


def test_legacy_bridge_readiness_says_a_stopping_server_is_stopping_not_loading(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A legacy server killed as README says (SIGTERM) is "stopping (pid N, sent SIGTERM)" with the
    command that starts it again once it has gone, never "starting ... loading since"; once it has
    exited, "no legacy server runs ... start it"."""
    from chatbot.webapp import legacy_ready
    from tests.helpers import free_port

    port = free_port()
    monkeypatch.setenv("LEGACY_SOCKET_ADDR", f"127.0.0.1:{port}")
    probe = Probe(legacy_ready, period_s=1.0, timeout_s=2.0)
    holder = _phased_stand_in(port)
    try:
        probe.refresh()
        assert f"is starting (pid {holder.pid}, loading since " in probe.state()[1], probe.state()
        holder.send_signal(signal.SIGTERM)
        assert holder.stdout is not None and holder.stdout.readline().strip() == "stopping"
        probe.refresh()
        ready, reason = probe.state()
        assert not ready and f"is stopping (pid {holder.pid}, sent SIGTERM)" in reason, reason
        assert "loading" not in reason and "starting" not in reason, reason
        assert "once it has exited, start it again: " in reason and f"--port {port}" in reason, reason
    finally:
        holder.kill()
        holder.communicate()
    probe.refresh()
    assert f"no legacy server runs on port {port}; start it: " in probe.state()[1], probe.state()
