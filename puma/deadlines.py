"""The deadline of the request being served: past it, the client was already told it failed.

Envoy gives up on a request after its route's `timeout_s` and answers the client 504; the instance
is not told and keeps running the request. Whatever that request then commits takes effect after
the client saw a failure, and the client's retry applies it a second time. Envoy says how long it
will wait in the `x-envoy-expected-rq-timeout-ms` header of each request it routes; the instance
turns it into a deadline when the request arrives (`start`; a call made while serving a request
sends its time left on, see `puma.client`), and a service checks it before an
effect the client must not see twice:

- `check_deadline()` raises `DeadlineExceeded` (answered 504, naming the service) once it passed;
- `guard_commits(engine)` makes every commit of a SQLAlchemy engine do that first, so a request
  whose client is gone rolls back instead of committing (its retry then applies once).

A request with no such header (a direct call, `puma serve` alone) has no deadline.

>>> token = start("250")
>>> 0 < remaining_s() <= 0.25
True
>>> finish(token)
>>> remaining_s() is None
True
"""

from __future__ import annotations

import time
from contextvars import ContextVar, Token
from typing import Any

from .errors import PumaError

EXPECTED_TIMEOUT_HEADER = "x-envoy-expected-rq-timeout-ms"  # Envoy -> instance: how long it waits
# caller -> callee: the caller's time left, in ms (Envoy drops a caller's x-envoy-* headers, and
# this one passes unchanged; a client that sends it only shortens its own request's deadline).
DEADLINE_HEADER = "x-puma-deadline-ms"
_deadline: ContextVar[float | None] = ContextVar("puma_deadline", default=None)


class DeadlineExceeded(PumaError, TimeoutError):
    """The request's deadline passed: its client has been answered 504 and may retry; nothing of it
    may take effect any more. Answered 504 if a service lets it propagate."""

    status_code = 504


def start(timeout_ms: str | None, caller_ms: str | None = None, now: float | None = None) -> Token[float | None]:
    """Set this request's deadline from Envoy's header value and the caller's (milliseconds; the
    earlier wins; None or junk: none)."""
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
    client already got its 504 rolls back instead of committing. Returns `engine`.
    Example: ``engine = puma.guard_commits(create_engine(url))``."""
    from sqlalchemy import event  # only for apps that use SQLAlchemy

    def before_commit(conn: Any) -> None:
        try:
            check_deadline("its database commit")
        except DeadlineExceeded:
            # Roll the database's transaction back here: SQLAlchemy may hand the connection back to
            # its pool still inside it (seen with the ORM), where the next commit would apply it.
            conn.connection.dbapi_connection.rollback()
            raise

    event.listen(engine, "commit", before_commit)
    return engine
