"""Every mesh client (`puma.call`, `puma.acall`, `puma.map`) against malformed, smuggled and
desynchronised responses from a raw loopback server.

A response whose framing is ambiguous or broken is a protocol error the caller sees as a typed
error naming the service, and its connection is closed, never used again: the next call goes out
on a new connection and gets its own answer. A response that is whole but followed by bytes
nobody asked for (a second, smuggled response) is kept, and its connection is closed. Well-formed
but unusual responses (trailers, interim 1xx, close-delimited bodies) are read correctly.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import re
import socket
import struct
import termios
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import puma
import puma.client
from puma import transport
from puma.errors import PumaCallError
from puma.mapping import PumaMapError
from tests.helpers import wait_for
from tests.rawserver import RawServer, raw_server

TIMEOUT_S = 3.0
OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
STATUS = b'{"services": {"map": {"prefix": "/map", "ready": 1}}}'


def _cl(extra: bytes, body: bytes, length: bytes | None = None) -> bytes:
    length = str(len(body)).encode() if length is None else length
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + length + b"\r\n" + extra + b"\r\n" + body


def _chunked(size: bytes, body: bytes, head: bytes = b"Transfer-Encoding: chunked\r\n", tail: bytes = b"\r\n0\r\n\r\n") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + head + b"\r\n" + size + b"\r\n" + body + tail


def _hex(body: bytes) -> bytes:
    return b"%x" % len(body)


# Each: the first response to the service, made from the JSON body the client expects.
REFUSED: dict[str, Callable[[bytes], bytes]] = {
    # the five the map's own reader let through
    "content-length in superscript digits": lambda b: _cl(b"", b, "\u00b2".encode()),
    "chunk size -1": lambda b: _chunked(b"-1", b),
    "chunk size 0x prefix": lambda b: _chunked(b"0x" + _hex(b), b),
    "chunk size +prefix": lambda b: _chunked(b"+" + _hex(b), b),
    "space before the colon": lambda b: b"HTTP/1.1 200 OK\r\nContent-Length : %d\r\n\r\n%s" % (len(b), b),
    "transfer-encoding notchunked": lambda b: _chunked(_hex(b), b, b"Transfer-Encoding: notchunked\r\n"),
    "content-length with transfer-encoding": lambda b: _chunked(_hex(b), b, b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n" % len(b)),
    # the same kinds, other shapes (request-smuggling write-ups, RFC 9112 sections 6 and 7)
    "tab before the colon": lambda b: _chunked(_hex(b), b, b"Transfer-Encoding\t: chunked\r\n"),
    "transfer-encoding xchunked": lambda b: _chunked(_hex(b), b, b"Transfer-Encoding: xchunked\r\n"),
    "transfer-encoding chunked twice": lambda b: _chunked(_hex(b), b, b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
    "transfer-encoding chunked then identity": lambda b: _chunked(_hex(b), b, b"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n"),
    "transfer-encoding gzip, chunked": lambda b: _chunked(_hex(b), b, b"Transfer-Encoding: gzip, chunked\r\n"),
    "transfer-encoding on HTTP/1.0": lambda b: _chunked(_hex(b), b).replace(b"HTTP/1.1", b"HTTP/1.0", 1),
    "two differing content-lengths": lambda b: _cl(b"Content-Length: %d\r\n" % (len(b) + 5), b),
    "two equal content-lengths": lambda b: _cl(b"Content-Length: %d\r\n" % len(b), b),
    "content-length list": lambda b: _cl(b"", b, b"%d, %d" % (len(b), len(b))),
    "content-length negative": lambda b: _cl(b"", b, b"-1"),
    "content-length hex": lambda b: _cl(b"", b, b"0x%x" % len(b)),
    "content-length empty": lambda b: _cl(b"", b, b""),
    "content-length overflow": lambda b: _cl(b"", b, b"9" * 30),
    "content-length in a chunked trailer": lambda b: _chunked(_hex(b), b, tail=b"\r\n0\r\nContent-Length: 999\r\n\r\n"),
    "chunk size overflow": lambda b: _chunked(b"f" * 20, b),
    "chunk without its CRLF": lambda b: _chunked(_hex(b), b, tail=b"XX0\r\n\r\n"),
    "obsolete line folding": lambda b: _cl(b"X-Folded: a\r\n b\r\n", b),
    "bare LF line ends": lambda b: (b"HTTP/1.1 200 OK\nContent-Length: %d\n\n%s" % (len(b), b)),
    "NUL in a header value": lambda b: _cl(b"X-A: a\x00b\r\n", b),
    "space inside a header name": lambda b: b"HTTP/1.1 200 OK\r\nContent Length: %d\r\n\r\n%s" % (len(b), b),
    "HTTP/2.0 status line": lambda b: (OK % (len(b), b)).replace(b"HTTP/1.1", b"HTTP/2.0", 1),
    "not HTTP at all": lambda b: b"SSH-2.0-OpenSSH_9.2\r\n\r\n",
    "status 99": lambda b: (OK % (len(b), b)).replace(b"200 OK", b"099 Odd", 1),
    "101 switching protocols unasked": lambda b: b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n" + b,
    "endless 100 Continue": lambda b: b"HTTP/1.1 100 Continue\r\n\r\n" * 4000,
    "a header over 64 KB": lambda b: _cl(b"X-Big: " + b"a" * (70 << 10) + b"\r\n", b),
    # found by trying replies the code was not written around (newcomer check)
    "a reason phrase of 100 KB": lambda b: (OK % (len(b), b)).replace(b"200 OK", b"200 " + b"\xff" * 100_000, 1),
    "content-length of a terabyte": lambda b: _cl(b"", b"x" * 200_000, b"1000000000000"),
}

# Whole responses followed by bytes no request asked for: kept, and the connection closed.
DESYNCED: dict[str, Callable[[bytes], bytes]] = {
    "a second response behind the first": lambda b: OK % (len(b), b) + OK % (len(b"[9]"), b"[9]"),
    "garbage behind the response": lambda b: OK % (len(b), b) + b"garbage\r\n\r\n",
    "bytes after Connection: close": lambda b: _cl(b"Connection: close\r\n", b) + b"HTTP/1.1 200 OK\r\n\r\n",
    "body behind a 204": lambda b: b"HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n[9]" + OK % (len(b), b),
}

# Well-formed, if unusual: read right, and the connection kept when it may be.
READ: dict[str, tuple[Callable[[bytes], bytes | list[bytes | None]], bool]] = {
    "a trailer after the last chunk": (
        lambda b: _chunked(_hex(b), b, b"Transfer-Encoding: chunked\r\nTrailer: X-Sum\r\n", b"\r\n0\r\nX-Sum: 9\r\n\r\n"), True),
    "chunk extensions": (lambda b: _chunked(_hex(b) + b';name="v"', b), True),
    "100 Continue and 103 Early Hints first": (
        lambda b: b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + OK % (len(b), b), True),
    "HTTP/1.0 delimited by the end of the connection": (
        lambda b: [b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + b], False),
}

CLIENTS = ["call", "acall", "map"]


def _expected(client: str) -> tuple[bytes, Any]:
    """The JSON body the service answers `client` with, and what the client returns for it."""
    return (b'{"results": [1]}', [1]) if client == "map" else (b'{"ok": 1}', {"ok": 1})


@pytest.fixture(autouse=True)
def _mesh() -> Iterator[None]:
    saved = dict(puma.client._mesh)
    yield
    puma.client.use_mesh(saved.pop("url"), saved.pop("services"), **saved)
    pool = transport.connections()
    with pool.lock:
        idle = [conn for stack in pool.idle.values() for conn in stack]
        pool.idle.clear()
    for conn in idle:
        conn.close()


def _serving(first: Callable[[bytes], Any], client: str, then_close: bool = False) -> Any:
    body, _ = _expected(client)
    calls = []

    def answer(head: bytes, index: int) -> Any:
        if head.startswith(b"GET /_puma/status"):
            return OK % (len(STATUS), STATUS)
        calls.append(index)
        if len(calls) == 1:
            reply = first(body)
            return reply + [None] if then_close and isinstance(reply, list) else reply
        return OK % (len(body), body)

    return raw_server(answer)


def _use(client: str, server: RawServer) -> Any:
    """Call the service once with `client`; its result, or the exception it raised."""
    try:
        if client == "call":
            puma.client.use_mesh(server.url, {"svc": "/svc"})
            return puma.call("svc", {"q": 1}, timeout_s=TIMEOUT_S)
        if client == "acall":
            puma.client.use_mesh(server.url, {"svc": "/svc"})
            return asyncio.run(puma.acall("svc", {"q": 1}, timeout_s=TIMEOUT_S))
        return puma.map("math:factorial", [1], url=server.url + "/map", json_mode=True, retries=0,
                        timeout_s=TIMEOUT_S)
    except Exception as exc:  # noqa: BLE001 - the test inspects it
        return exc


def _service_requests(server: RawServer) -> list[int]:
    return [conn for conn, head in server.requests if not head.startswith(b"GET /_puma/status")]


def _names_the_service(client: str, error: Exception, server: RawServer) -> bool:
    if client == "map":
        return isinstance(error, PumaMapError) and f"{server.url}/map" in str(error)
    return isinstance(error, PumaCallError) and error.service == "svc" and "'svc'" in str(error) and error.status == 0


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("case", list(REFUSED))
def test_transport_a_malformed_response_is_a_protocol_error_and_its_connection_is_closed(client, case):
    with _serving(REFUSED[case], client) as server:
        error = _use(client, server)
        assert isinstance(error, Exception), f"{case}: {client} accepted it and returned {error!r}"
        assert _names_the_service(client, error, server), f"{case}: {client} raised {error!r}"
        assert "malformed response to POST /" in str(error), f"{case}: {client} raised {error!r}"
        wait_for(lambda: 0 in server.closed_by_client, timeout_s=2, message=f"{client} to close the connection")
        assert _use(client, server) == _expected(client)[1]  # the next call: a new connection, its own answer
        first, second = _service_requests(server)[:2]
        assert first != second


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("case", list(DESYNCED))
def test_transport_bytes_after_a_whole_response_close_its_connection(client, case):
    with _serving(DESYNCED[case], client) as server:
        first = _use(client, server)
        if case == "body behind a 204":
            assert first == "" or isinstance(first, PumaMapError), f"{case}: {client} gave {first!r}"
        else:
            assert first == _expected(client)[1], f"{case}: {client} gave {first!r}"
        assert _use(client, server) == _expected(client)[1]  # not the response queued behind the first
        requests = _service_requests(server)
        assert len(set(requests[:2])) == 2, f"{case}: {client} sent the next call on the desynchronised connection"


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("case", list(READ))
def test_transport_unusual_but_well_formed_responses_are_read(client, case):
    make, keeps = READ[case]
    with _serving(make, client, then_close=not keeps) as server:
        for _ in range(2):
            assert _use(client, server) == _expected(client)[1], case
        requests = _service_requests(server)
        assert (requests[0] == requests[1]) == keeps


def _ok(body: bytes) -> bytes:
    return OK % (len(body), body)


@pytest.mark.parametrize("client", ["call", "acall"])
@pytest.mark.parametrize("body", [b"{not json", b'{"a": "\xff"}', b"[1, 2"])
def test_transport_a_2xx_whose_json_cannot_be_read_is_an_error_naming_the_service(client, body):
    with raw_server(lambda head, index: _ok(body)) as server:
        error = _use(client, server)
        assert isinstance(error, PumaCallError) and error.service == "svc" and error.status == 200, repr(error)
        assert "not valid JSON" in str(error) and "'svc'" in str(error)


def _endless(conn: socket.socket) -> None:
    conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n")
    piece = b"x" * 65536
    with contextlib.suppress(OSError):
        for _ in range(100_000):  # ~6.5 GB if nobody stops reading
            conn.sendall(piece)


@pytest.mark.parametrize("client", CLIENTS)
def test_transport_a_body_that_never_ends_is_cut_off_at_the_deadline(client):
    with _serving(lambda body: _endless, client) as server:
        started = time.monotonic()
        error = _use(client, server)
        # Cut off by the deadline, or on a quiet machine's loopback (GB/s) by the body cap first.
        assert isinstance(error, Exception) and ("TimeoutError" in str(error) or "body over" in str(error)), repr(error)
        assert time.monotonic() - started < TIMEOUT_S + 1.5  # not read on for as long as bytes come


@pytest.mark.parametrize("client", CLIENTS)
def test_transport_an_early_error_while_the_body_is_sent_is_the_answer_not_a_resend(client):
    big = "x" * (8 << 20)  # far more than the socket buffers take before the server answers

    def early(head: bytes) -> Callable[[socket.socket], None] | None:
        if not head.startswith(b"POST"):
            return None
        return lambda conn: conn.sendall(b"HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\n"
                                         b"Connection: close\r\nContent-Length: 20\r\n\r\n{\"error\": \"too big\"}")

    with raw_server(lambda head, index: _ok(STATUS), early) as server:
        if client == "map":
            with pytest.raises(PumaMapError, match="413") as caught:
                puma.map("math:factorial", [big], url=server.url + "/map", json_mode=True, retries=2, timeout_s=TIMEOUT_S)
            assert caught.value.status == 413
        else:
            puma.client.use_mesh(server.url, {"svc": "/svc"})
            call = puma.call if client == "call" else lambda *a, **k: asyncio.run(puma.acall(*a, **k))
            with pytest.raises(puma.PumaBadRequest, match="too big") as caught:
                call("svc", {"text": big}, timeout_s=TIMEOUT_S)
            assert caught.value.status == 413
        assert len(_service_requests(server)) == 1  # the refused request was not sent again


@pytest.mark.parametrize("client", ["call", "acall"])
@pytest.mark.parametrize(("headers", "path", "named"), [
    ({"x-a": "1\r\nX-Injected: 1"}, "", "'x-a'"),
    ({"x-a\r\nX-Injected": "1"}, "", "X-Injected"),
    ({"bad name": "1"}, "", "'bad name'"),
    ({}, "/a b HTTP/1.1\r\nX-Injected: 1\r\n\r\nGET /", "percent-encode"),
])
def test_transport_a_request_that_would_split_is_refused_before_sending(client, headers, path, named):
    with raw_server(lambda head, index: _ok(b'{"ok": 1}')) as server:
        puma.client.use_mesh(server.url, {"svc": "/svc"})
        with pytest.raises(ValueError, match=re.escape(named)):
            if client == "call":
                puma.call("svc", {}, headers=headers, path=path)
            else:
                asyncio.run(puma.acall("svc", {}, headers=headers, path=path))
        assert server.requests == []


def _unacknowledged_bytes(conn: socket.socket) -> int:
    """Bytes written to `conn` that its peer's kernel has not yet acknowledged receiving (SIOCOUTQ)."""
    return int(struct.unpack("i", fcntl.ioctl(conn.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0])


@pytest.mark.parametrize("client", CLIENTS)
def test_transport_a_response_sent_to_an_idle_connection_is_never_taken_for_the_next_answer(client):
    body, expected = _expected(client)
    taken, sent, done = threading.Event(), threading.Event(), threading.Event()

    def poisoned(conn: socket.socket) -> None:  # a whole answer, then, unasked, a second one while idle
        # Written at once: Nagle would hold the second back until the client ACKs the first (up to
        # its 40-ms delayed ACK), so that it came after the next request, as if it were its answer.
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.sendall(_ok(body))
        taken.wait(10)  # the caller has its answer: the connection is idle in the client's pool
        conn.sendall(_ok(b'{"smuggled": 1}' if client != "map" else b'{"results": [666]}'))
        wait_for(lambda: _unacknowledged_bytes(conn) == 0, timeout_s=5, message="the client to receive it")
        sent.set()
        done.wait(10)  # held open (not closed, which a pool would notice) until the next call is over

    calls = []

    def answer(head: bytes, index: int) -> Any:
        if head.startswith(b"GET /_puma/status"):
            return _ok(STATUS)
        calls.append(index)
        return poisoned if len(calls) == 1 else _ok(body)

    with raw_server(answer) as server:
        try:
            assert _use(client, server) == expected
            taken.set()
            assert sent.wait(5)
            assert _use(client, server) == expected  # its own answer, on a new connection
        finally:
            done.set()
        first, second = _service_requests(server)[:2]
        assert first != second
