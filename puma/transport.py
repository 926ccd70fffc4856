"""The mesh's one HTTP/1.1 client: kept-alive connections pooled per process, for `puma.call`,
`puma.acall` and `puma_map`'s many requests in flight (`puma.mapping.transport.Exchange`).

Each request is written whole (head and body in one write when small) on a non-blocking socket,
and its response is read as its bytes arrive by `responses.ResponseReader` (llhttp). The three
callers differ only in how they wait for a socket: `request` polls it, `arequest` asks the event
loop, an `Exchange` runs one selector over many. So they share one pool, one set of timeouts
(`timeout_s` for the whole exchange, connecting capped at `CONNECT_TIMEOUT_S`) and one set of
errors, all `OSError`s: `ConnectionRefusedError`, `TimeoutError`, and the `ConnectionError`s
`ProtocolError` (the response is not HTTP/1.1) and `Disconnected` (the server closed or reset
the connection first). A request on a pooled connection that the server had closed while it was
idle (nothing came back) is sent once more on a fresh one; a pooled connection with bytes waiting
before its request (closed, or a response nobody asked for) is never used.

>>> reply = request("http://127.0.0.1:8080/policy", "POST", b"{}", {"content-type": "application/json"}, 30)  # doctest: +SKIP
>>> reply.status, reply.header("content-type"), reply.body                                               # doctest: +SKIP
(200, 'application/json', b'{"action": "ask_genre"}')
"""

from __future__ import annotations

import functools
import math
import os
import re
import select
import socket
import ssl
import threading
import time
from urllib.parse import urlsplit

from .responses import Disconnected, ProtocolError, Reply, ResponseReader

__all__ = ["Connection", "Connections", "Disconnected", "ProtocolError", "Reply", "arequest", "connections",
           "request", "split_url"]

CONNECT_TIMEOUT_S = 5.0
MAX_IDLE = 64  # idle connections kept per origin; more are closed
JOIN_BELOW_BYTES = 256 << 10  # smaller bodies are copied behind the head and sent in one write
_WOULD_BLOCK = (BlockingIOError, InterruptedError, ssl.SSLWantReadError, ssl.SSLWantWriteError)
_BAD_TARGET = re.compile(r"[\x00-\x20\x7f]").search  # what http.client refuses in a request target
_BAD_NAME = re.compile(r"[^!#$%&'*+\-.^_`|~0-9A-Za-z]").search  # an RFC 9110 token
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]").search  # CR, LF, NUL and other controls (tab is fine)

Origin = tuple[str, str, int]  # scheme, host, port


@functools.lru_cache(maxsize=1024)
def split_url(url: str) -> tuple[Origin, str]:
    """(origin, request target) of an http:// or https:// URL; ValueError naming the URL otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"url={url!r}: use an http:// or https:// URL")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if _BAD_TARGET(target):
        raise ValueError(f"url={url!r}: the path may not contain spaces or control characters; percent-encode them")
    return (parts.scheme, parts.hostname or "127.0.0.1", parts.port or (443 if parts.scheme == "https" else 80)), target


def _header_lines(headers: dict[str, str], names: str) -> list[str]:
    """`name: value` lines; ValueError for a name that is no token or a value with CR, LF or NUL."""
    lines = [f"{name}: {value}" for name, value in headers.items()]
    if _BAD_NAME(names.replace("\n", "")) or _BAD_VALUE("".join(headers.values())) or not all(headers):
        name, value = next((n, v) for n, v in headers.items() if not n or _BAD_NAME(n) or _BAD_VALUE(v))
        raise ValueError(f"header {name!r}: {value[:80]!r} is not a valid HTTP header (a name is a token; "
                         "a value has no CR, LF or other control characters)")
    return lines


class Connection:
    """One kept-alive HTTP/1.1 connection; its socket is non-blocking once connected."""

    def __init__(self, origin: Origin, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
        scheme, host, port = origin
        sock = socket.create_connection((host, port), timeout=min(timeout_s, CONNECT_TIMEOUT_S))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if scheme == "https":
            sock = _tls().wrap_socket(sock, server_hostname=host)
        sock.setblocking(False)
        self.sock: socket.socket | None = sock
        self.idle_poll = select.poll()
        self.idle_poll.register(sock, select.POLLIN)
        self.host = host if port == (443 if scheme == "https" else 80) else f"{host}:{port}"
        self.reader: ResponseReader | None = None
        self.will_close = False
        self.early: Reply | None = None  # a response that came while the request was still being written

    def fileno(self) -> int:
        return self.sock.fileno() if self.sock is not None else -1

    def begin(self, method: str, target: str, body: bytes, headers: dict[str, str]) -> memoryview:
        """The request's bytes, ready to write; from here `read` reads its response."""
        names = "\n".join(headers)
        lines = [f"{method} {target} HTTP/1.1"]
        if "\nhost\n" not in f"\n{names}\n".lower():  # unless the caller gave one
            lines.append(f"Host: {self.host}")
        if body or method not in ("GET", "HEAD"):
            lines.append(f"Content-Length: {len(body)}")
        head = ("\r\n".join(lines + _header_lines(headers, names)) + "\r\n\r\n").encode("latin-1")
        self.reader = ResponseReader(f"{method} {target}")
        return memoryview(head + body if len(body) < JOIN_BELOW_BYTES else head)

    def write(self, data: memoryview) -> memoryview:
        """Write what the socket takes now; what is left."""
        assert self.sock is not None
        while data:
            try:
                data = data[self.sock.send(data):]
            except _WOULD_BLOCK:
                break
        return data

    def send(self, method: str, target: str, body: bytes, headers: dict[str, str], deadline: float) -> None:
        """Write one request whole, waiting for the socket to drain until `deadline`. A server that
        answers before it has read the whole request (a 413) and closes: that answer is the reply."""
        try:
            for data in self._pieces(method, target, body, headers):
                while data := self.write(data):
                    _wait_for(self.fileno(), select.POLLOUT, deadline, "the server did not take the request in time")
        except (BrokenPipeError, ConnectionResetError) as exc:
            self._answered_early(exc)

    async def asend(self, method: str, target: str, body: bytes, headers: dict[str, str], deadline: float) -> None:
        try:
            for data in self._pieces(method, target, body, headers):
                while data := self.write(data):
                    await _ready(self.fileno(), deadline, write=True)
        except (BrokenPipeError, ConnectionResetError) as exc:
            self._answered_early(exc)

    def _answered_early(self, error: OSError) -> None:
        """After a failed write: keep a whole response already received, else re-raise the write's error."""
        try:
            early = self.read()
        except (OSError, ValueError):
            early = None
        if early is None:
            raise error
        self.early, self.will_close = early, True

    def _pieces(self, method: str, target: str, body: bytes, headers: dict[str, str]) -> list[memoryview]:
        head = self.begin(method, target, body, headers)
        return [head] if len(body) < JOIN_BELOW_BYTES else [head, memoryview(body)]

    def read(self, deadline: float = math.inf) -> Reply | None:
        """Take in what has arrived; the response once it is complete, else None (call again when readable)."""
        if self.early is not None:
            early, self.early, self.reader = self.early, None, None
            return early
        assert self.sock is not None and self.reader is not None
        reply = self.reader.read(self.sock, deadline)
        if reply is not None:
            self.will_close = reply.will_close
            self.reader = None
        return reply

    def receive(self, deadline: float, timeout_s: float) -> Reply:
        """Wait for the whole response until `deadline`."""
        while (reply := self.read(deadline)) is None:
            _wait_for(self.fileno(), select.POLLIN, deadline, f"no reply within {timeout_s:g} s")
        return reply

    async def areceive(self, deadline: float, timeout_s: float) -> Reply:
        while (reply := self.read(deadline)) is None:
            await _ready(self.fileno(), deadline, timeout=f"no reply within {timeout_s:g} s")
        return reply

    @property
    def reusable(self) -> bool:
        return self.sock is not None and self.reader is None and not self.will_close

    def stale(self) -> bool:
        """Readable while idle: the server closed it, or sent bytes no request asked for."""
        assert self.sock is not None
        return bool(self.idle_poll.poll(0)) or (isinstance(self.sock, ssl.SSLSocket) and self.sock.pending() > 0)

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def _wait_for(fd: int, events: int, deadline: float, timeout: str) -> None:
    poller = select.poll()
    poller.register(fd, events)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(timeout)
        if poller.poll(left * 1000):
            return


async def _ready(fd: int, deadline: float, *, write: bool = False,
                 timeout: str = "the server did not take the request in time") -> None:
    """Until `fd` is readable (writable), by the running event loop; TimeoutError at `deadline`."""
    import asyncio  # imported by whoever runs the loop; a sync caller never pays for it

    loop = asyncio.get_running_loop()
    waiter = loop.create_future()

    def wake() -> None:
        if not waiter.done():
            waiter.set_result(None)

    watch, unwatch = (loop.add_writer, loop.remove_writer) if write else (loop.add_reader, loop.remove_reader)
    watch(fd, wake)
    timer = loop.call_at(loop.time() + max(0.0, deadline - time.monotonic()), wake)
    try:
        await waiter
    finally:
        unwatch(fd)
        timer.cancel()
    if time.monotonic() >= deadline:
        raise TimeoutError(timeout)


class Connections:
    """Idle kept-alive connections of this process, by origin; safe to use from any thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.idle: dict[Origin, list[Connection]] = {}

    def take(self, origin: Origin, timeout_s: float = CONNECT_TIMEOUT_S) -> tuple[Connection, bool]:
        """An idle connection (reused=True) or a new, connected one (reused=False)."""
        conn = self.reuse(origin)
        return (conn, True) if conn is not None else (Connection(origin, timeout_s), False)

    def reuse(self, origin: Origin) -> Connection | None:
        """The most recently used idle connection that is still fit for a request, or None."""
        while True:
            with self.lock:
                stack = self.idle.get(origin)
                conn = stack.pop() if stack else None
            if conn is None or not conn.stale():
                return conn
            conn.close()

    def give(self, origin: Origin, conn: Connection) -> None:
        with self.lock:
            stack = self.idle.setdefault(origin, [])
            if conn.reusable and len(stack) < MAX_IDLE:
                stack.append(conn)
                return
        conn.close()


_pools: dict[int, Connections] = {}


def connections() -> Connections:
    """This process's pool (a forked child starts with an empty one, never its parent's sockets)."""
    pid = os.getpid()
    pool = _pools.get(pid)
    if pool is None:
        _pools.clear()
        pool = _pools[pid] = Connections()
    return pool


def request(url: str, method: str, body: bytes, headers: dict[str, str], timeout_s: float) -> Reply:
    """One request on a pooled connection, waiting up to `timeout_s` in all; its complete response.

    Raises OSError: `ConnectionRefusedError`, `TimeoutError`, `ProtocolError`, `Disconnected`, ...
    """
    origin, target = split_url(url)
    pool = connections()
    deadline = time.monotonic() + timeout_s
    conn, reused = pool.take(origin, timeout_s)
    while True:
        try:
            conn.send(method, target, body, headers, deadline)
            reply = conn.receive(deadline, timeout_s)
        except (Disconnected, BrokenPipeError, ConnectionResetError) as exc:
            conn.close()
            if not reused or getattr(exc, "started", False):
                raise
            conn, reused = Connection(origin, timeout_s), False  # the server had closed it while idle: once more
            continue
        except BaseException:
            conn.close()
            raise
        pool.give(origin, conn)
        return reply


async def arequest(url: str, method: str, body: bytes, headers: dict[str, str], timeout_s: float) -> Reply:
    """`request` for a coroutine: the same pool and errors; the event loop waits on the socket.
    A new connection is made in a worker thread, so connecting never blocks the loop."""
    origin, target = split_url(url)
    pool = connections()
    deadline = time.monotonic() + timeout_s
    conn, reused = await _taken(pool, origin, timeout_s)
    while True:
        try:
            await conn.asend(method, target, body, headers, deadline)
            reply = await conn.areceive(deadline, timeout_s)
        except (Disconnected, BrokenPipeError, ConnectionResetError) as exc:
            conn.close()
            if not reused or getattr(exc, "started", False):
                raise
            conn, reused = await _connected(origin, timeout_s), False
            continue
        except BaseException:  # cancelled too: a response half-read can never be paired again
            conn.close()
            raise
        pool.give(origin, conn)
        return reply


async def _taken(pool: Connections, origin: Origin, timeout_s: float) -> tuple[Connection, bool]:
    conn = pool.reuse(origin)
    if conn is not None:
        return conn, True
    return await _connected(origin, timeout_s), False


async def _connected(origin: Origin, timeout_s: float) -> Connection:
    import asyncio

    return await asyncio.to_thread(Connection, origin, timeout_s)


@functools.cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()  # made once: loading the CA bundle takes ~10 ms
