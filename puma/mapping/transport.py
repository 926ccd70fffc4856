"""HTTP/1.1 for `puma_map`: kept-alive connections, many requests in flight from one thread.

A map sends its chunks over up to `width` connections at once without a thread or an event loop
per chunk: each request is written whole (head and body in one write when it is small), then one
selector waits for whichever reply comes first, and each reply is read as its bytes arrive,
without blocking the others. A reply of known length is read straight into one buffer, so a
68 MB result costs little more than the copy. Idle connections are pooled per process by origin
and reused by later maps from any thread; a connection is never shared by two maps at once.

The client is this module's own rather than `http.client`: per chunk, `http.client` spent
~0.1 ms of CPU parsing headers with the `email` package, making a file object for each reply and
writing head and body as two packets that Envoy then reads twice.
"""

from __future__ import annotations

import functools
import json
import os
import select
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
MAX_HEAD_BYTES = 64 << 10  # a reply's status line and headers
RECV_BYTES = 256 << 10
JOIN_BELOW_BYTES = 256 << 10  # smaller bodies are copied behind the head and sent in one write


class ProtocolError(ConnectionError):
    """The server's reply is not HTTP/1.x as this client reads it; the connection is dropped."""


class Disconnected(ConnectionError):
    """The server closed the connection before the reply was complete (`started`: any byte came)."""

    def __init__(self, message: str, started: bool) -> None:
        super().__init__(message)
        self.started = started


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes | bytearray

    def header(self, name: str) -> str:
        return self.headers.get(name, "")


Origin = tuple[str, str, int]  # scheme, host, port


def _origin(url: str) -> Origin:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"url={url!r}: use an http:// or https:// URL")
    return parts.scheme, parts.hostname or "127.0.0.1", parts.port or (443 if parts.scheme == "https" else 80)


class Connection:
    """One kept-alive HTTP/1.1 connection; its socket is non-blocking once connected."""

    def __init__(self, origin: Origin) -> None:
        scheme, host, port = origin
        sock = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if scheme == "https":
            sock = _tls().wrap_socket(sock, server_hostname=host)
        sock.setblocking(False)
        self.sock: socket.socket | None = sock
        self.host = host if port == (443 if scheme == "https" else 80) else f"{host}:{port}"
        self.reader: _ReplyReader | None = None
        self.will_close = False

    def fileno(self) -> int:
        return self.sock.fileno() if self.sock is not None else -1

    def send(self, method: str, path: str, body: bytes, headers: dict[str, str], deadline: float) -> None:
        """Write one request whole, waiting for the socket to drain until `deadline`."""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}"]
        if body or method != "GET":
            lines.append(f"Content-Length: {len(body)}")
        lines += [f"{name}: {value}" for name, value in headers.items()]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.reader = _ReplyReader()
        if len(body) < JOIN_BELOW_BYTES:
            self._write(memoryview(head + body), deadline)
        else:
            self._write(memoryview(head), deadline)
            self._write(memoryview(body), deadline)

    def _write(self, data: memoryview, deadline: float) -> None:
        sock = self.sock
        assert sock is not None
        while data:
            try:
                data = data[sock.send(data):]
            except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
                _wait_for(sock, select.POLLOUT, deadline)

    def read(self) -> Reply | None:
        """Take in what has arrived; the reply once it is complete, else None (call again when readable)."""
        assert self.sock is not None and self.reader is not None
        reply = self.reader.read(self.sock)
        if reply is not None:
            self.will_close = self.reader.close_after
            self.reader = None
        return reply

    @property
    def reusable(self) -> bool:
        return self.sock is not None and self.reader is None and not self.will_close

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def _wait_for(sock: socket.socket, events: int, deadline: float) -> None:
    poller = select.poll()
    poller.register(sock, events)
    left = deadline - time.monotonic()
    if left <= 0 or not poller.poll(left * 1000):
        raise TimeoutError("the server did not take the request in time")


class _ReplyReader:
    """Reads one HTTP/1.x reply off a non-blocking socket, in as many pieces as it arrives.

    The body is delimited by Content-Length, chunked transfer coding, or the end of the
    connection; 1xx interim replies are skipped.
    """

    def __init__(self) -> None:
        self.data = bytearray()  # bytes received and not yet parsed
        self.started = False
        self.status = 0
        self.headers: dict[str, str] = {}
        self.close_after = False
        self.body: bytearray | None = None  # Content-Length: filled in place
        self.filled = 0
        self.chunks: list[bytes] | None = None  # chunked: the pieces so far
        self.to_eof = False

    def read(self, sock: socket.socket) -> Reply | None:
        while True:
            if self.body is not None:  # known length: straight into the body's own buffer
                if self.filled == len(self.body):
                    return self._done(self.body)
                received = self._recv_into(sock, memoryview(self.body)[self.filled:])
                if received is None:
                    return None
                self.filled += received
                continue
            more = self._recv(sock)
            if more is None:
                return None
            if more:
                self.data += more
            reply = self._parse(eof=not more)
            if reply is not None:
                return reply
            if not more:
                raise Disconnected("the server closed the connection before the reply was complete",
                                   started=self.started)

    def _recv(self, sock: socket.socket) -> bytes | None:
        try:
            data = sock.recv(RECV_BYTES)
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return None
        except ConnectionResetError as exc:
            raise Disconnected(f"the server reset the connection: {exc}", started=self.started) from None
        self.started = self.started or bool(data)
        return data

    def _recv_into(self, sock: socket.socket, view: memoryview) -> int | None:
        try:
            received = sock.recv_into(view)
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return None
        except ConnectionResetError as exc:
            raise Disconnected(f"the server reset the connection mid-body: {exc}", started=True) from None
        if not received:
            raise Disconnected(f"the server closed the connection {len(view)} bytes before the end of the body",
                               started=True)
        return received

    def _parse(self, eof: bool) -> Reply | None:
        while not self.status:  # the head, after any 1xx interim replies
            end = self.data.find(b"\r\n\r\n")
            if end < 0:
                if len(self.data) > MAX_HEAD_BYTES:
                    raise ProtocolError(f"reply head longer than {MAX_HEAD_BYTES} bytes")
                return None
            head = bytes(self.data[:end])
            del self.data[:end + 4]
            self._head(head)
        if self.to_eof:
            return self._done(self.data) if eof else None
        if self.chunks is not None:
            return self._chunked()
        return None  # Content-Length: `read` fills `self.body`

    def _head(self, head: bytes) -> None:
        lines = head.decode("latin-1").split("\r\n")
        version, _, rest = lines[0].partition(" ")
        code = rest[:3]
        if not version.startswith("HTTP/1.") or not code.isdigit():
            raise ProtocolError(f"not an HTTP/1.x status line: {lines[0][:100]!r}")
        status = int(code)
        if 100 <= status < 200:
            return  # interim reply: the real one follows
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                raise ProtocolError(f"malformed header line {line[:100]!r}")
            name = name.strip().lower()
            value = value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        self.status, self.headers = status, headers
        connection = headers.get("connection", "").lower()
        self.close_after = "close" in connection or (version == "HTTP/1.0" and "keep-alive" not in connection)
        if status in (204, 304):
            self.body, self.filled = bytearray(), 0
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            self.chunks = []
        elif "content-length" in headers:
            text = headers["content-length"]
            if not text.isdigit():
                raise ProtocolError(f"bad Content-Length {text[:40]!r}")
            length = int(text)
            self.body = bytearray(length)
            self.filled = min(length, len(self.data))
            self.body[:self.filled] = self.data[:self.filled]
            del self.data[:self.filled]
        else:
            self.to_eof = self.close_after = True

    def _chunked(self) -> Reply | None:
        assert self.chunks is not None
        while True:
            line_end = self.data.find(b"\r\n")
            if line_end < 0:
                return None
            size_text = bytes(self.data[:line_end]).split(b";")[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise ProtocolError(f"bad chunk size {size_text[:20]!r}") from None
            if size == 0:  # the last chunk; then optional trailer lines and an empty line
                if self.data.startswith(b"\r\n", line_end + 2):
                    end = line_end + 4
                else:
                    end = self.data.find(b"\r\n\r\n", line_end + 2) + 4
                    if end < 4:
                        return None
                del self.data[:end]
                return self._done(b"".join(self.chunks))
            if len(self.data) < line_end + 2 + size + 2:
                return None
            start = line_end + 2
            self.chunks.append(bytes(self.data[start:start + size]))
            del self.data[:start + size + 2]

    def _done(self, body: bytes | bytearray) -> Reply:
        if self.data and not self.to_eof:
            self.close_after = True  # bytes after the reply: nothing to pair them with
        return Reply(self.status, self.headers, body)


class Connections:
    """Idle kept-alive connections of this process, by origin; safe to use from any thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.idle: dict[Origin, list[Connection]] = {}

    def take(self, origin: Origin) -> tuple[Connection, bool]:
        """An idle connection (reused=True) or a new, connected one (reused=False)."""
        with self.lock:
            stack = self.idle.get(origin)
            if stack:
                return stack.pop(), True
        return Connection(origin), False

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
        parts = urlsplit(url)
        self.origin = _origin(url)
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
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

    def send(self, tag: Any, body: bytes, headers: dict[str, str], method: str = "POST") -> None:
        """Write one request; raises OSError if it cannot be sent even on a fresh connection."""
        deadline = time.monotonic() + self.timeout_s
        conn, reused = self.pool.take(self.origin)
        try:
            self._request(conn, method, body, headers, deadline)
        except ConnectionError:
            if not reused:
                raise
            conn, reused = Connection(self.origin), False  # the server had closed the idle one
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
            reply = flight.conn.read()
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
            conn = Connection(self.origin)
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
    with Exchange(url, width=1, timeout_s=timeout_s) as exchange:
        exchange.send(None, b"", {}, method="GET")
        while exchange.busy:
            for _, outcome in exchange.wait(None):
                if isinstance(outcome, Exception):
                    raise outcome
                return json.loads(outcome.body)
    raise ConnectionError(f"no reply from {url}")


@functools.cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()  # made once: loading the CA bundle takes ~10 ms
