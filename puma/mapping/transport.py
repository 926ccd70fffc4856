"""HTTP for `puma_map`: kept-alive standard-library connections, many requests in flight from one thread.

A map sends its chunks over up to `width` connections at once without a thread or an event loop
per chunk: requests are written, then a selector waits for whichever reply starts first. The
standard library's `http.client` reads a reply of known length straight into one buffer, so a
68 MB result costs little more than the copy (httpx spent about as much CPU again parsing it, and
its event loop ~1 ms per chunk). Idle connections are pooled per process by origin and
reused by later maps from any thread; a connection is never shared by two maps at once.
"""

from __future__ import annotations

import functools
import http.client
import json
import os
import selectors
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

CONNECT_TIMEOUT_S = 5.0
MAX_IDLE = 64  # idle connections kept per origin; more are closed
# A kept-alive connection the server had closed fails on first use; the request never arrived.
STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes

    def header(self, name: str) -> str:
        return self.headers.get(name, "")


Origin = tuple[str, str, int]  # scheme, host, port


class Connections:
    """Idle kept-alive connections of this process, by origin; safe to use from any thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.idle: dict[Origin, list[http.client.HTTPConnection]] = {}

    def take(self, origin: Origin) -> tuple[http.client.HTTPConnection, bool]:
        """An idle connection (reused=True) or a new, connected one (reused=False)."""
        with self.lock:
            stack = self.idle.get(origin)
            if stack:
                return stack.pop(), True
        return _connect(origin), False

    def give(self, origin: Origin, conn: http.client.HTTPConnection) -> None:
        with self.lock:
            stack = self.idle.setdefault(origin, [])
            if conn.sock is not None and len(stack) < MAX_IDLE:
                stack.append(conn)
                return
        conn.close()


def _origin(url: str) -> Origin:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"url={url!r}: use an http:// or https:// URL")
    return parts.scheme, parts.hostname or "127.0.0.1", parts.port or (443 if parts.scheme == "https" else 80)


def _connect(origin: Origin) -> http.client.HTTPConnection:
    scheme, host, port = origin
    conn = (http.client.HTTPSConnection(host, port, timeout=CONNECT_TIMEOUT_S, context=_tls())
            if scheme == "https" else http.client.HTTPConnection(host, port, timeout=CONNECT_TIMEOUT_S))
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


_pools: dict[int, Connections] = {}


def connections() -> Connections:
    """This process's pool (a forked child starts with an empty one, never its parent's sockets)."""
    pid = os.getpid()
    pool = _pools.get(pid)
    if pool is None:
        _pools.clear()
        pool = _pools[pid] = Connections()
    return pool


@dataclass
class _InFlight:
    tag: Any
    conn: http.client.HTTPConnection
    reused: bool
    body: bytes
    headers: dict[str, str]
    deadline: float


class Exchange:
    """Up to `width` POSTs in flight to one URL, sent and collected by the one thread that owns it.

    >>> with Exchange("http://127.0.0.1:8080/map", width=4, timeout_s=60) as ex:   # doctest: +SKIP
    ...     ex.send("chunk 0", body, headers)
    ...     for tag, reply_or_error in ex.wait(None): ...
    """

    def __init__(self, url: str, width: int, timeout_s: float) -> None:
        parts = urlsplit(url)
        self.origin = _origin(url)
        self.path = parts.path or "/"
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

    def send(self, tag: Any, body: bytes, headers: dict[str, str]) -> None:
        """Write one request; raises OSError if it cannot be sent even on a fresh connection."""
        conn, reused = self.pool.take(self.origin)
        try:
            self._request(conn, body, headers)
        except STALE:
            if not reused:
                raise
            conn, reused = _connect(self.origin), False
            self._request(conn, body, headers)
        self._track(_InFlight(tag, conn, reused, body, headers, time.monotonic() + self.timeout_s))

    def _request(self, conn: http.client.HTTPConnection, body: bytes, headers: dict[str, str]) -> None:
        try:
            conn.sock.settimeout(self.timeout_s)  # a pooled socket keeps the timeout of its last read
            conn.request("POST", self.path, body=body, headers=headers)
        except BaseException:
            conn.close()
            raise

    def _track(self, flight: _InFlight) -> None:
        fd = flight.conn.sock.fileno()
        self.in_flight[fd] = flight
        self.selector.register(fd, selectors.EVENT_READ)

    def wait(self, timeout_s: float | None) -> list[tuple[Any, Reply | Exception]]:
        """Replies (or the errors in their place) that completed within `timeout_s`; [] if none did."""
        if not self.in_flight:
            return []
        soonest = min(f.deadline for f in self.in_flight.values()) - time.monotonic()
        limit = soonest if timeout_s is None else min(timeout_s, soonest)
        ready = [key.fd for key, _ in self.selector.select(max(0.0, limit))]
        done = [(self.in_flight[fd].tag, self._collect(fd)) for fd in ready]
        return [(tag, outcome) for tag, outcome in done if outcome is not None] + list(self._expired())

    def _expired(self) -> Iterator[tuple[Any, Exception]]:
        now = time.monotonic()
        for fd, flight in list(self.in_flight.items()):
            if flight.deadline <= now:
                self._forget(fd).close()
                yield flight.tag, TimeoutError(f"no reply within {self.timeout_s:g} s")

    def _collect(self, fd: int) -> Reply | Exception | None:
        """Read the reply on `fd`; None if the request had to be sent again (stale connection)."""
        flight = self.in_flight[fd]
        conn = self._forget(fd)
        conn.sock.settimeout(max(0.001, flight.deadline - time.monotonic()))
        try:
            resp = conn.getresponse()
            reply = Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
        except STALE as exc:
            conn.close()
            return self._again(flight) if flight.reused else exc
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            return exc
        if resp.will_close:
            conn.close()
        else:
            self.pool.give(self.origin, conn)
        return reply

    def _again(self, flight: _InFlight) -> Exception | None:
        # The server had closed this idle connection before our request arrived: send it once more.
        try:
            conn = _connect(self.origin)
            self._request(conn, flight.body, flight.headers)
        except OSError as exc:
            return exc
        self._track(_InFlight(flight.tag, conn, False, flight.body, flight.headers, flight.deadline))
        return None

    def _forget(self, fd: int) -> http.client.HTTPConnection:
        self.selector.unregister(fd)
        return self.in_flight.pop(fd).conn

    def close(self) -> None:
        """Drop connections with a request still in flight (their replies are not wanted)."""
        for fd in list(self.in_flight):
            self._forget(fd).close()
        self.selector.close()


def get_json(url: str, timeout_s: float) -> Any:
    """GET `url` over a pooled connection and decode its JSON body."""
    parts = urlsplit(url)
    origin = _origin(url)
    pool = connections()
    conn, _ = pool.take(origin)
    try:
        conn.sock.settimeout(timeout_s)
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        resp = conn.getresponse()
        body = resp.read()
    except BaseException:
        conn.close()
        raise
    if resp.will_close:
        conn.close()
    else:
        pool.give(origin, conn)
    return json.loads(body)


@functools.cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()  # made once: loading the CA bundle takes ~10 ms
