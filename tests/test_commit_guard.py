"""A request whose client already got its 504 commits nothing, on any SQLAlchemy engine the app made,
without the app asking (`puma.deadlines.guard_if_sqlalchemy`): the port's code holds no
`guard_commits` line. Through the real mesh: tests/test_readiness.py's late-request tests, whose
ledger app makes a plain engine."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from puma import deadlines


def _plain_engine(path: Path) -> sa.Engine:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE IF NOT EXISTS t (v TEXT)")
    return sa.create_engine(f"sqlite:///{path}", pool_size=1, max_overflow=0)  # no guard_commits


def _write_core(engine: sa.Engine, value: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO t VALUES (:v)"), {"v": value})


def _write_orm(engine: sa.Engine, value: str) -> None:
    with Session(engine) as session:
        session.execute(sa.text("INSERT INTO t VALUES (:v)"), {"v": value})
        session.commit()


def _write_connection(engine: sa.Engine, value: str) -> None:
    with engine.connect() as conn:
        conn.execute(sa.text("INSERT INTO t VALUES (:v)"), {"v": value})
        conn.commit()


def _rows(path: Path) -> list[str]:
    with sqlite3.connect(path) as fresh:
        return [v for (v,) in fresh.execute("SELECT v FROM t")]


@pytest.mark.parametrize("write", [_write_core, _write_orm, _write_connection], ids=["begin", "orm", "connect"])
@pytest.mark.parametrize("made", ["before", "during"])
def test_commit_guard_late_request_on_a_plain_engine_commits_nothing(tmp_path: Path, made: str,
                                                                     write: Callable[[sa.Engine, str], None]) -> None:
    path = tmp_path / "late.sqlite3"
    engine = _plain_engine(path) if made == "before" else None
    if engine is None:
        _plain_engine(path).dispose()  # the table exists; the engine the request uses does not yet
    token = deadlines.start("1", now=time.monotonic() - 1)  # a request whose client gave up a second ago
    try:
        engine = engine or _plain_engine(path)  # an engine the handler makes on its first request
        with pytest.raises(deadlines.DeadlineExceeded, match="its database commit was not done"):
            write(engine, "late")
    finally:
        deadlines.finish(token)
    write(engine, "next")  # the next request, on the same pooled connection
    assert _rows(path) == ["next"]
    engine.dispose()


@pytest.mark.parametrize("envoy_ms", [None, "0", "60000"])
def test_commit_guard_commits_in_time_or_without_a_deadline(tmp_path: Path, envoy_ms: str | None) -> None:
    path = tmp_path / "in-time.sqlite3"
    engine = _plain_engine(path)
    token = deadlines.start(envoy_ms)
    try:
        _write_orm(engine, "served")
    finally:
        deadlines.finish(token)
    _write_core(engine, "outside any request")
    assert _rows(path) == ["served", "outside any request"]
    engine.dispose()


def test_commit_guard_leaves_apps_without_sqlalchemy_without_it() -> None:
    """An app that never imports SQLAlchemy serves requests without PUMA importing it."""
    code = ("import sys; from puma import deadlines; deadlines.finish(deadlines.start('100')); "
            "deadlines.guard_if_sqlalchemy(); print('sqlalchemy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False", out.stderr
