"""puma_map's transport: kept-alive connections, a stale one re-sent once, replies as they come, timeouts."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from puma.mapping.transport import Exchange, Reply


class _Handler(socketserver.StreamRequestHandler):
    """Answers each request with its body, after `delay_s`; `mode` decides what happens next."""

    def handle(self) -> None:
        server: _Server = self.server  # type: ignore[assignment]
        server.connections += 1
        while True:
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                byte = self.rfile.read(1)
                if not byte:
                    return
                head += byte
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length"))
            body = self.rfile.read(length)
            if server.mode == "hang":
                server.stop.wait(10)
                return
            if server.mode == "drop":
                return  # close without answering
            time.sleep(float(body.decode()) if body[:1].isdigit() else 0)
            server.served += 1
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(body), body))
            if server.mode == "close-after-reply":
                return  # silently: the reply did not say "Connection: close"


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mode: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = mode
        self.connections = 0
        self.served = 0
        self.stop = threading.Event()


@contextmanager
def serving(mode: str = "keep-alive") -> Iterator[_Server]:
    server = _Server(mode)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def _url(server: _Server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/map"


def _collect(ex: Exchange, n: int, timeout_s: float = 5.0) -> dict[object, Reply | Exception]:
    done: dict[object, Reply | Exception] = {}
    deadline = time.monotonic() + timeout_s
    while len(done) < n and time.monotonic() < deadline:
        done.update(ex.wait(0.5))
    return done


def test_replies_come_back_as_they_finish_and_connections_are_reused():
    with serving() as server:
        with Exchange(_url(server), width=2, timeout_s=5) as ex:
            ex.send("slow", b"0.3", {})
            ex.send("fast", b"0.0", {})
            first = ex.wait(None)
            assert [tag for tag, _ in first] == ["fast"]  # not held back behind the slow one
            rest = _collect(ex, 1)
            assert isinstance(rest["slow"], Reply) and rest["slow"].body == b"0.3"
        with Exchange(_url(server), width=2, timeout_s=5) as ex:  # a later map, same two connections
            ex.send("a", b"x", {})
            ex.send("b", b"y", {})
            assert {tag: r.body for tag, r in _collect(ex, 2).items()} == {"a": b"x", "b": b"y"}
        assert server.connections == 2


def test_a_connection_the_server_closed_while_idle_is_sent_again_once():
    with serving("close-after-reply") as server:
        for body in (b"one", b"two", b"three"):  # each later send finds its pooled connection closed
            with Exchange(_url(server), width=1, timeout_s=5) as ex:
                ex.send(body, body, {})
                reply = _collect(ex, 1)[body]
                assert isinstance(reply, Reply) and reply.body == body
        assert (server.served, server.connections) == (3, 3)


def test_a_fresh_connection_dropped_without_reply_is_an_error_not_a_resend():
    with serving("drop") as server, Exchange(_url(server), width=1, timeout_s=5) as ex:
        ex.send("x", b"x", {})
        outcome = _collect(ex, 1)["x"]
        assert isinstance(outcome, ConnectionError)
        assert server.connections == 1


def test_no_reply_within_the_timeout_is_a_timeout_error():
    with serving("hang") as server, Exchange(_url(server), width=1, timeout_s=0.3) as ex:
        ex.send("x", b"x", {})
        started = time.monotonic()
        outcome = _collect(ex, 1)["x"]
        assert isinstance(outcome, TimeoutError) and "0.3 s" in str(outcome)
        assert time.monotonic() - started < 2


def test_refused_connection_raises_on_send():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, not listening: connecting is refused
        with Exchange(f"http://127.0.0.1:{port}/map", width=1, timeout_s=1) as ex, pytest.raises(ConnectionRefusedError):
            ex.send("x", b"x", {})


def test_only_http_urls():
    with pytest.raises(ValueError, match="ftp://x/map"):
        Exchange("ftp://x/map", width=1, timeout_s=1)
