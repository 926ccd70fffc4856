"""`puma_map`'s exchange: many requests in flight from one thread, on the mesh's one client.

A map sends its chunks over up to `width` connections at once without a thread or an event loop
per chunk: each request is written whole (head and body in one write when it is small), then one
selector waits for whichever response comes first, and each is read as its bytes arrive, without
blocking the others. Connections, their pool and the response parser (llhttp) are
`puma.transport`'s, which `puma.call` and `puma.acall` use too; a known-length response still
arriving is read straight into one buffer, so a 68 MB result costs little more than the copy.
"""

from __future__ import annotations

import json
import selectors
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..transport import (
    Connection,
    Disconnected,
    ProtocolError,
    Reply,
    connections,
    request,
    split_url,
)

__all__ = ["Disconnected", "Exchange", "ProtocolError", "Reply", "get_json"]


@dataclass
class _InFlight:
    tag: Any
    conn: Connection
    reused: bool
    method: str
    body: bytes
    headers: dict[str, str]
    deadline: float


class Exchange:
    """Up to `width` requests in flight to one URL, sent and collected by the one thread that owns it.

    >>> with Exchange("http://127.0.0.1:8080/map", width=4, timeout_s=60) as ex:   # doctest: +SKIP
    ...     ex.send("chunk 0", body, headers)
    ...     for tag, reply_or_error in ex.wait(None): ...
    """

    def __init__(self, url: str, width: int, timeout_s: float) -> None:
        self.origin, self.path = split_url(url)
        self.width = width
        self.timeout_s = timeout_s
        self.pool = connections()
        self.selector = selectors.DefaultSelector()
        self.in_flight: dict[int, _InFlight] = {}  # by socket fd

    def __enter__(self) -> Exchange:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def free(self) -> int:
        return self.width - len(self.in_flight)

    @property
    def busy(self) -> bool:
        return bool(self.in_flight)

    def send(self, tag: Any, body: bytes, headers: dict[str, str], method: str = "POST", *,
             fresh: bool = False) -> None:
        """Write one request (on a new connection if `fresh`, else on a kept-alive one when there is
        one); raises OSError if it cannot be sent even on a new connection."""
        deadline = time.monotonic() + self.timeout_s
        if fresh:
            conn, reused = Connection(self.origin, self.timeout_s), False
        else:
            conn, reused = self.pool.take(self.origin, self.timeout_s)
        try:
            self._request(conn, method, body, headers, deadline)
        except ConnectionError:
            if not reused:
                raise
            conn, reused = Connection(self.origin, self.timeout_s), False  # the server had closed the idle one
            self._request(conn, method, body, headers, deadline)
        self._track(_InFlight(tag, conn, reused, method, body, headers, deadline))

    def _request(self, conn: Connection, method: str, body: bytes, headers: dict[str, str], deadline: float) -> None:
        try:
            conn.send(method, self.path, body, headers, deadline)
        except BaseException:
            conn.close()
            raise

    def _track(self, flight: _InFlight) -> None:
        fd = flight.conn.fileno()
        self.in_flight[fd] = flight
        self.selector.register(fd, selectors.EVENT_READ)

    def wait(self, timeout_s: float | None) -> list[tuple[Any, Reply | Exception]]:
        """Replies (or the errors in their place) that completed within `timeout_s`; [] if none did."""
        if not self.in_flight:
            return []
        soonest = min(f.deadline for f in self.in_flight.values()) - time.monotonic()
        limit = soonest if timeout_s is None else min(timeout_s, soonest)
        done = []
        for key, _ in self.selector.select(max(0.0, limit)):
            outcome = self._collect(key.fd)
            if outcome is not None:
                done.append(outcome)
        return done + list(self._expired())

    def _expired(self) -> Iterator[tuple[Any, Exception]]:
        now = time.monotonic()
        for fd, flight in list(self.in_flight.items()):
            if flight.deadline <= now:
                self._forget(fd).close()
                yield flight.tag, TimeoutError(f"no reply within {self.timeout_s:g} s")

    def _collect(self, fd: int) -> tuple[Any, Reply | Exception] | None:
        """(tag, reply or error) once the reply on `fd` is complete; None while it is still arriving,
        or when the request had to be sent again (a stale kept-alive connection)."""
        flight = self.in_flight[fd]
        try:
            reply = flight.conn.read(flight.deadline)
        except Disconnected as exc:
            self._forget(fd).close()
            if flight.reused and not exc.started:
                return self._again(flight)
            return flight.tag, exc
        except OSError as exc:
            self._forget(fd).close()
            return flight.tag, exc
        if reply is None:
            return None
        self.pool.give(self.origin, self._forget(fd))
        return flight.tag, reply

    def _again(self, flight: _InFlight) -> tuple[Any, Exception] | None:
        # The server had closed this idle connection before our request arrived: send it once more.
        try:
            conn = Connection(self.origin, self.timeout_s)
            self._request(conn, flight.method, flight.body, flight.headers, flight.deadline)
        except OSError as exc:
            return flight.tag, exc
        self._track(_InFlight(flight.tag, conn, False, flight.method, flight.body, flight.headers, flight.deadline))
        return None

    def _forget(self, fd: int) -> Connection:
        self.selector.unregister(fd)
        return self.in_flight.pop(fd).conn

    def close(self) -> None:
        """Drop connections with a request still in flight (their replies are not wanted)."""
        for fd in list(self.in_flight):
            self._forget(fd).close()
        self.selector.close()


def get_json(url: str, timeout_s: float) -> Any:
    """GET `url` over a pooled connection and decode its JSON body."""
    return json.loads(request(url, "GET", b"", {}, timeout_s).body)
