"""A SQLAlchemy app's 503s and readiness reasons name *which* database is down — its file, or its
name, host and port, never its user or password — without the app marking anything
(`puma.unavailable.name_databases`): a port keeps its engine code as the monolith wrote it.
The service is `tests/apps/stockroom.py`, served in-process by the instance's WSGI app."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from puma import unavailable
from puma.media import DEFAULT_CONTENT_TYPES
from puma.readiness import Probe
from puma.serving import build_app
from tests.apps import stockroom


def _client(target: Any) -> Any:
    return build_app("stockroom", target, max_body_bytes=10_000, content_types=DEFAULT_CONTENT_TYPES).test_client()


@pytest.fixture
def db_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "shop floor" / "stock.sqlite3"  # a space: SQLite's URI form quotes it
    path.parent.mkdir()
    stockroom.create(f"sqlite:///{path}")
    monkeypatch.setenv("STOCKROOM_DB_URL", f"sqlite:///file:{str(path).replace(' ', '%20')}?mode=rw&uri=true")
    yield path
    for engine in stockroom._engines.values():
        engine.dispose()
    stockroom._engines.clear()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_database_names_a_locked_sqlite_file_in_the_503(db_file: Path) -> None:
    client = _client(stockroom.take)
    assert client.post("/", json={"item": "bolt", "n": 1}).get_json() == 9
    holder = sqlite3.connect(db_file, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        resp = client.post("/", json={"item": "bolt", "n": 1})
        body = resp.get_json()
        assert resp.status_code == 503 and resp.headers["retry-after"] == "1", body
        assert body["unavailable"] == f"the SQLite database {db_file}" and "locked" in body["error"], body
    finally:
        holder.close()
    assert client.post("/", json={"item": "bolt", "n": 1}).get_json() == 8  # the same request, once it is free


@pytest.mark.parametrize("fault", ["moved away", "replaced by a directory"])
def test_database_names_a_sqlite_file_that_cannot_be_opened(db_file: Path, fault: str) -> None:
    if fault == "moved away":
        db_file.rename(db_file.with_name("elsewhere.sqlite3"))
    else:
        db_file.unlink()
        db_file.mkdir()
    resp = _client(stockroom.count).post("/", json={"item": "bolt"})
    body = resp.get_json()
    assert resp.status_code == 503 and body["unavailable"] == f"the SQLite database {db_file}", body
    assert "unable to open database file" in body["error"], body


def test_database_names_an_unreachable_server_without_its_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    port = _free_port()
    monkeypatch.setenv("STOCKROOM_DB_URL", f"postgresql+psycopg2://shopkeeper:s3cret-pw@127.0.0.1:{port}/shop")
    try:
        resp = _client(stockroom.count).post("/", data={"item": "bolt"})
    finally:
        stockroom._engines.clear()
    body = resp.get_json()
    assert resp.status_code == 503 and int(resp.headers["retry-after"]) >= 1, body
    assert body["unavailable"] == f"the PostgreSQL database shop on 127.0.0.1:{port}", body
    assert "s3cret" not in resp.get_data(as_text=True) and "shopkeeper" not in resp.get_data(as_text=True)


def test_database_names_the_database_in_a_readiness_reason(db_file: Path) -> None:
    probe = Probe(stockroom.ping, period_s=1.0, timeout_s=2.0)
    probe.refresh()
    assert probe.state() == (True, "")
    db_file.rename(db_file.with_name("gone.sqlite3"))
    probe.refresh()
    ready, reason = probe.state()
    assert not ready and reason.startswith(f"the SQLite database {db_file} is unreachable: unable to open"), reason


def test_database_names_give_way_to_what_the_app_marks(db_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(unavailable._MARKED, sa.exc.OperationalError, ("the stock room's ledger", 2.0))
    db_file.unlink()
    resp = _client(stockroom.count).post("/", json={"item": "bolt"})
    assert resp.status_code == 503 and resp.headers["retry-after"] == "2", resp.get_json()
    assert resp.get_json()["unavailable"] == "the stock room's ledger"


@pytest.mark.parametrize(("url", "words"), [
    ("postgresql://u:pw@db.internal:5432/orders", "the PostgreSQL database orders on db.internal:5432"),
    ("mysql+pymysql://root@10.0.0.7/shop", "the MySQL database shop on 10.0.0.7"),
    ("sqlite:////srv/app/var/app.db", "the SQLite database /srv/app/var/app.db"),
    ("sqlite://", "the in-memory SQLite database"),
])
def test_database_names_words_of_a_url(url: str, words: str) -> None:
    assert unavailable.database_words(sa.engine.make_url(url)) == words
