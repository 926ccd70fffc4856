"""The deadline of the request being served: past it, the client was already told it failed.

Envoy gives up on a request after its route's `timeout_s` and answers the client 504; the instance
is not told and keeps running the request. Whatever that request then commits takes effect after
the client saw a failure, and the client's retry applies it a second time. Envoy says how long it
will wait in the `x-envoy-expected-rq-timeout-ms` header of each request it routes; the instance
turns it into a deadline when the request arrives (`start`; a call made while serving a request
sends its time left on, see `puma.client`), and a service checks it before an
effect the client must not see twice:

- `check_deadline()` raises `DeadlineExceeded` (answered 504, naming the service) once it passed;
- every commit of a SQLAlchemy engine does that first, so a request whose client is gone rolls back
  instead of committing (its retry then applies once). An app does nothing for it: the first request
  an instance serves once SQLAlchemy is imported installs the check for every engine, made before or
  after (`guard_sqlalchemy`; `guard_commits(engine)`, the older explicit form, does the same).

A request with no such header (a direct call, `puma serve` alone) has no deadline.

>>> token = start("250")
>>> 0 < remaining_s() <= 0.25
True
>>> finish(token)
>>> remaining_s() is None
True
"""

from __future__ import annotations

import sys
import threading
import time
from contextvars import ContextVar, Token
from typing import Any

from .errors import PumaError
from .unavailable import name_databases

EXPECTED_TIMEOUT_HEADER = "x-envoy-expected-rq-timeout-ms"  # Envoy -> instance: how long it waits
# caller -> callee: the caller's time left, in ms (Envoy drops a caller's x-envoy-* headers, and
# this one passes unchanged; a client that sends it only shortens its own request's deadline).
DEADLINE_HEADER = "x-puma-deadline-ms"
_deadline: ContextVar[float | None] = ContextVar("puma_deadline", default=None)
_guarded = False  # every SQLAlchemy engine's commits check the deadline (guard_sqlalchemy)
_guard_lock = threading.Lock()


class DeadlineExceeded(PumaError, TimeoutError):
    """The request's deadline passed: its client has been answered 504 and may retry; nothing of it
    may take effect any more. Answered 504 if a service lets it propagate."""

    status_code = 504


def start(timeout_ms: str | None, caller_ms: str | None = None, now: float | None = None) -> Token[float | None]:
    """Set this request's deadline from Envoy's header value and the caller's (milliseconds; the
    earlier wins; None or junk: none)."""
    guard_if_sqlalchemy()
    limits = [ms for ms in (_ms(timeout_ms), _ms(caller_ms)) if ms is not None]
    deadline = (time.monotonic() if now is None else now) + min(limits) / 1000 if limits else None
    return _deadline.set(deadline)


def _ms(value: str | None) -> float | None:
    try:
        ms = float(value) if value is not None else 0.0
    except ValueError:
        return None
    return ms if 0 < ms < float("inf") else None  # Envoy sends 0 for "no timeout"; NaN fails both tests


def finish(token: Token[float | None]) -> None:
    _deadline.reset(token)


def remaining_s() -> float | None:
    """Seconds left before this request's client gives up (negative once past); None if unbounded."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


def check_deadline(what: str = "this effect", *, margin_s: float = 0.0) -> None:
    """Raise `DeadlineExceeded` if the request's client has already been told it timed out (or will
    be within `margin_s`). Example: ``puma.check_deadline("charging the card")`` just before the charge."""
    left = remaining_s()
    if left is not None and left <= margin_s:
        raise DeadlineExceeded(f"the request's deadline passed {-left:.2f} s ago (its client was answered 504 "
                               f"and may retry), so {what} was not done; raise the service's timeout_s if it "
                               "needs longer")


def guard_commits(engine: Any) -> Any:
    """Make every commit on SQLAlchemy `engine` check the request's deadline first: a request whose
    client already got its 504 rolls back instead of committing. Returns `engine`. PUMA's instances
    do this for every engine without being asked (`guard_sqlalchemy`); this explicit form stays for
    code that wants to say so. Example: ``engine = puma.guard_commits(create_engine(url))``."""
    guard_sqlalchemy()
    return engine


def guard_sqlalchemy() -> None:
    """Make every commit of every SQLAlchemy engine, made before or after, check the request's
    deadline first (once per process; a commit outside a request, with no deadline, is untouched).
    Called by `guard_if_sqlalchemy`: an instance needs no call of its own."""
    global _guarded
    with _guard_lock:
        if _guarded:
            return
        from sqlalchemy import event  # only for apps that use SQLAlchemy
        from sqlalchemy.engine import Engine

        event.listen(Engine, "commit", _before_commit)  # the class: every engine, those made already too
        _guarded = True
    name_databases()  # and their errors say which database (a 503's `unavailable`)


def guard_if_sqlalchemy() -> None:
    """`guard_sqlalchemy()` once the app has imported SQLAlchemy (an instance that loaded its app, each
    request's `start`); nothing otherwise, so an app without it never imports it."""
    if not _guarded and "sqlalchemy.engine" in sys.modules:
        guard_sqlalchemy()


def _before_commit(conn: Any) -> None:
    try:
        check_deadline("its database commit")
    except DeadlineExceeded:
        # Roll the database's transaction back here: SQLAlchemy may hand the connection back to
        # its pool still inside it (seen with the ORM), where the next commit would apply it.
        conn.connection.dbapi_connection.rollback()
        raise
