"""A stock-room service on a SQLAlchemy engine ($STOCKROOM_DB_URL, any database), written as a
monolith writes it: no `puma.mark_unavailable`, no PUMA import at all. A database that is down,
locked or gone answers 503 naming that database (`puma.unavailable.name_databases`).

`POST /count {"item"}` reads an item's count; `take {"item", "n"}` takes n of it; `ping` is a
readiness check (the database opens and answers).
"""

from __future__ import annotations

import os

import sqlalchemy as sa

_engines: dict[str, sa.Engine] = {}


def engine() -> sa.Engine:
    url = os.environ["STOCKROOM_DB_URL"]
    if url not in _engines:
        _engines[url] = sa.create_engine(url, connect_args=_connect_args(url), poolclass=sa.pool.NullPool)
    return _engines[url]


def _connect_args(url: str) -> dict[str, object]:
    # Short waits: a locked SQLite file or an unreachable server fails the request within a second.
    return {"timeout": 0.2} if url.startswith("sqlite") else {"connect_timeout": 1}


def create(url: str) -> None:
    with sa.create_engine(url).begin() as conn:
        conn.execute(sa.text("CREATE TABLE stock (item TEXT PRIMARY KEY, n INTEGER NOT NULL)"))
        conn.execute(sa.text("INSERT INTO stock VALUES ('bolt', 10)"))


def count(item: str) -> int:
    with engine().connect() as conn:
        return int(conn.execute(sa.text("SELECT n FROM stock WHERE item = :i"), {"i": item}).scalar_one())


def take(item: str, n: int) -> int:
    with engine().begin() as conn:
        conn.execute(sa.text("UPDATE stock SET n = n - :n WHERE item = :i"), {"n": n, "i": item})
        return int(conn.execute(sa.text("SELECT n FROM stock WHERE item = :i"), {"i": item}).scalar_one())


def ping() -> None:
    with engine().connect() as conn:
        conn.execute(sa.text("SELECT 1"))
