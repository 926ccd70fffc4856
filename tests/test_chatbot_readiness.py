"""The chatbot's session store behind PUMA's readiness and deadlines: the services that keep
conversations are unready (named why) while the store is unreachable, and a turn whose client
already timed out commits nothing."""

from __future__ import annotations

import time
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
    import socket

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
    assert reason.endswith(f"start it: .venv/bin/python -m legacy_socket_server --port {port} --pid-file "
                           f"var/legacy-server-{port}.pid >> var/legacy-server-{port}.log 2>&1 &"), reason
    with socket.create_server(("127.0.0.1", port)) as listening:
        listening.listen()
        probe.refresh()
        assert probe.state() == (True, "")
    probe.refresh()  # gone again
    assert not probe.state()[0]


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
    assert not ready and reason.startswith("the chatbot's database (conversations, surveys) is unreachable: "), reason
    if fault == "moved":
        away.rename(db_file.parent)
        probe.refresh()
        assert probe.state() == (True, "")


def test_chatbot_turn_whose_client_timed_out_commits_nothing(db_file: Path) -> None:
    store = SqlSessionStore(f"sqlite:///{db_file}")
    token = deadlines.start("20")  # Envoy waits 20 ms for this request
    try:
        time.sleep(0.05)
        with pytest.raises(deadlines.DeadlineExceeded, match="its database commit was not done"):
            store.create("late", {"turn": 1})
    finally:
        deadlines.finish(token)
    store.create("late", {"turn": 1})  # the retry: applied, once (the late one left nothing)
    assert store.get("late") == ({"turn": 1}, 1)
    store.close()
