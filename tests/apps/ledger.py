"""A ledger service on a SQLite file (its path in $LEDGER_DB): store faults, readiness, deadlines.

`POST /ledger {"key", "amount", "delay_s"}` appends a row (after `delay_s`, inside its transaction,
as a slow turn would); `{"key"}` alone reads the key's total; `{"note_bytes": n}` also appends n
bytes to $LEDGER_DB.log (a service's own file). `ping` is its readiness check: the database
opens and answers; a file `$LEDGER_DB.hang` makes the check hang (a store host that never answers).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

import puma


def _db() -> str:
    return os.environ["LEDGER_DB"]


_engines: dict[str, sa.Engine] = {}


def engine() -> sa.Engine:
    path = _db()
    if path not in _engines:
        # mode=rw: a database that moved away is "unable to open", never silently re-created empty.
        # A plain engine: PUMA's instance makes its commits check the request's deadline by itself.
        url = f"sqlite:///file:{path}?mode=rw&uri=true"
        _engines[path] = sa.create_engine(url, connect_args={"timeout": 0.2}, poolclass=sa.pool.NullPool)
    return _engines[path]


def create(path: str, *, wal: bool = False) -> None:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE IF NOT EXISTS ledger (key TEXT, amount INTEGER, note TEXT)"))
    if wal:  # kept in the file: every later connection journals to a write-ahead log
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    engine.dispose()


def ledger(key: str, amount: int | None = None, delay_s: float = 0.0, note_bytes: int = 0) -> dict[str, Any]:
    if note_bytes:
        with open(_db() + ".log", "ab") as log_file:
            log_file.write(b"n" * note_bytes)
    if amount is None:
        return {"key": key, "total": total(key)}
    with engine().begin() as conn:
        conn.execute(sa.text("INSERT INTO ledger VALUES (:k, :a, :n)"), {"k": key, "a": amount, "n": "x" * 2000})
        time.sleep(delay_s)
    return {"key": key, "applied": amount}


def total(key: str) -> int:
    with engine().connect() as conn:
        return int(conn.execute(sa.text("SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE key = :k"),
                                {"k": key}).scalar_one())


def ping() -> None:
    hang, since = Path(_db() + ".hang"), time.monotonic()
    while hang.exists() and time.monotonic() - since < 30:  # a store host that answers nothing, until back
        time.sleep(0.05)
    with engine().connect() as conn:
        conn.execute(sa.text("SELECT count(*) FROM ledger")).scalar_one()


def relay(key: str, amount: int, spend_s: float = 0.0, delay_s: float = 0.0) -> Any:
    """Spend `spend_s` (a slow first step), then append through the ledger service."""
    time.sleep(spend_s)
    return puma.call("ledger", {"key": key, "amount": amount, "delay_s": delay_s})
