"""puma_map's transport: kept-alive connections, a stale one re-sent once, replies as they come, timeouts."""

from __future__ import annotations

import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

import pytest

from puma.mapping.transport import Disconnected, Exchange, ProtocolError, Reply, get_json


class _Handler(socketserver.StreamRequestHandler):
    """Answers each request with its body, after `delay_s`; `mode` decides what happens next."""

    def handle(self) -> None:
        server = cast(_Server, self.server)  # socketserver types it as its base class
        server.connections += 1
        while True:
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                byte = self.rfile.read(1)
                if not byte:
                    return
                head += byte
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length")), 0)
            server.heads.append(head)
            body = self.rfile.read(length)
            if server.raw is not None:  # a canned reply, written in pieces
                for piece in server.raw:
                    self.wfile.write(piece)
                    self.wfile.flush()
                    server.wrote.set()
                    time.sleep(server.drip_s)  # the next piece comes later: a reply arriving slowly
                server.served += 1
                if server.mode == "close-after-reply":
                    return
                continue
            if server.mode == "hang":
                server.stop.wait(10)
                return
            if server.mode == "drop":
                return  # close without answering
            time.sleep(float(body.decode()) if body[:1].isdigit() else 0)  # a reply as slow as the test asks
            server.served += 1
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(body), body))
            if server.mode == "close-after-reply":
                return  # silently: the reply did not say "Connection: close"


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mode: str, raw: list[bytes] | None = None, drip_s: float = 0.0) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = mode
        self.raw = raw
        self.drip_s = drip_s
        self.heads: list[bytes] = []
        self.wrote = threading.Event()  # a piece of a canned reply was written
        self.connections = 0
        self.served = 0
        self.stop = threading.Event()


@contextmanager
def serving(mode: str = "keep-alive", raw: list[bytes] | None = None, drip_s: float = 0.0,
            tls: ssl.SSLContext | None = None) -> Iterator[_Server]:
    server = _Server(mode, raw, drip_s)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
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


def test_a_fresh_send_goes_on_a_new_connection_though_kept_alive_ones_are_idle():
    # puma_map sends a chunk so after a crash: Envoy then passes it on over a new connection too.
    with serving() as server, Exchange(_url(server), width=2, timeout_s=5) as ex:
        ex.send("warm", b"w", {})
        assert isinstance(_collect(ex, 1)["warm"], Reply)
        for n, body in enumerate((b"one", b"two"), start=2):
            ex.send(body, body, {}, fresh=True)
            reply = _collect(ex, 1)[body]
            assert isinstance(reply, Reply) and reply.body == body
            assert server.connections == n
        ex.send("kept", b"k", {})  # the others still reuse what is idle
        assert isinstance(_collect(ex, 1)["kept"], Reply) and server.connections == 3


def test_a_fresh_connection_dropped_without_reply_is_an_error_even_with_idle_ones_pooled():
    with serving("close-after-reply") as server, Exchange(_url(server), width=1, timeout_s=5) as ex:
        ex.send("warm", b"w", {})
        assert isinstance(_collect(ex, 1)["warm"], Reply)
        server.mode = "drop"
        ex.send("x", b"x", {}, fresh=True)
        assert isinstance(_collect(ex, 1)["x"], ConnectionError)  # not taken for a stale kept-alive one
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


def _one(server: _Server, body: bytes = b"x") -> Reply | Exception:
    with Exchange(_url(server), width=1, timeout_s=5) as ex:
        ex.send("x", body, {"X-Puma-Test": "1"})
        return _collect(ex, 1)["x"]


def test_a_request_is_written_whole_with_its_length_and_headers():
    with serving() as server:
        reply = _one(server, b"hello")
        assert isinstance(reply, Reply) and reply.body == b"hello" and reply.header("content-type") == "text/plain"
        head = server.heads[0].decode()
        assert head.startswith("POST /map HTTP/1.1\r\n")
        assert f"Host: 127.0.0.1:{server.server_address[1]}" in head and "Content-Length: 5" in head
        assert "X-Puma-Test: 1" in head


def test_a_chunked_reply_with_trailers_arriving_in_pieces():
    raw = [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\nx-a: 2\r\n\r\n5\r\nhel",
           b"lo\r\n6;ext=1\r\n world\r\n0\r\n", b"Trailer: t\r\n\r\n"]
    with serving(raw=raw, drip_s=0.02) as server:
        for _ in range(2):  # the connection stays usable after a chunked reply
            reply = _one(server)
            assert isinstance(reply, Reply) and reply.body == b"hello world"
            assert reply.header("x-a") == "1, 2"  # repeated headers are joined
        assert server.connections == 1


def test_a_reply_delimited_by_the_end_of_the_connection_is_read_whole_and_not_reused():
    with serving("close-after-reply", raw=[b"HTTP/1.0 200 OK\r\n\r\nall of ", b"it"], drip_s=0.02) as server:
        for _ in range(2):
            reply = _one(server)
            assert isinstance(reply, Reply) and reply.body == b"all of it"
        assert server.connections == 2


def test_interim_1xx_replies_are_skipped():
    raw = [b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"]
    with serving(raw=raw) as server:
        reply = _one(server)
        assert isinstance(reply, Reply) and (reply.status, reply.body) == (201, b"ok")


def test_a_reply_that_is_not_http_is_a_protocol_error_and_its_connection_is_dropped():
    with serving(raw=[b"SSH-2.0-OpenSSH_9.2\r\n\r\n"]) as server:
        outcome = _one(server)
        assert isinstance(outcome, ProtocolError) and "SSH-2.0" in str(outcome)
        _one(server)
        assert server.connections == 2


def test_a_reply_cut_off_mid_body_is_an_error_not_a_resend():
    with serving("close-after-reply", raw=[b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"]) as server:
        _one(server)  # leaves nothing pooled: the server hung up
        outcome = _one(server)
        assert isinstance(outcome, Disconnected) and outcome.started and "7 bytes before the end" in str(outcome)
        assert server.served == 2


def test_a_big_reply_arriving_slowly_does_not_hold_back_a_quick_one():
    big = 4 << 20
    raw = [b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % big] + [b"z" * (big // 8)] * 8
    with serving(raw=raw, drip_s=0.05) as slow, serving() as quick:
        with Exchange(_url(slow), width=1, timeout_s=5) as ex_slow, Exchange(_url(quick), width=1, timeout_s=5) as ex:
            ex_slow.send("big", b"x", {})
            assert slow.wrote.wait(5)  # the big reply has started
            assert not ex_slow.wait(0.02)  # only part of it is here: not a reply yet
            ex.send("small", b"s", {})
            assert list(_collect(ex, 1)) == ["small"]
            done = _collect(ex_slow, 1)
            assert isinstance(done["big"], Reply) and len(done["big"].body) == big and done["big"].body[-1:] == b"z"


def test_get_json_over_a_pooled_connection():
    with serving(raw=[b'HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n{"ready": 2}']) as server:
        url = f"http://127.0.0.1:{server.server_address[1]}/_puma/status"
        assert get_json(url, timeout_s=2) == {"ready": 2}
        assert get_json(url, timeout_s=2) == {"ready": 2}
        assert server.heads[0].startswith(b"GET /_puma/status HTTP/1.1") and b"Content-Length" not in server.heads[0]
        assert server.connections == 1


def _self_signed(tmp_path) -> tuple[str, str]:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


def test_https_replies_are_read_whole_over_a_reused_connection(tmp_path, monkeypatch):
    from puma import transport

    cert, key = _self_signed(tmp_path)
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    client_tls = ssl.create_default_context(cafile=cert)
    monkeypatch.setattr(transport, "_tls", lambda: client_tls)
    with serving(tls=server_tls) as server:
        url = f"https://localhost:{server.server_address[1]}/map"
        big = b"b" * (3 << 20)  # many TLS records: the reader must drain what the TLS layer holds
        for body in (big, b"small"):
            with Exchange(url, width=1, timeout_s=5) as ex:
                ex.send("x", body, {})
                reply = _collect(ex, 1)["x"]
                assert isinstance(reply, Reply) and reply.body == body
        assert server.connections == 1


def test_https_for_the_sync_and_async_callers_on_one_pooled_connection(tmp_path, monkeypatch):
    import asyncio

    from puma import transport

    cert, key = _self_signed(tmp_path)
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    monkeypatch.setattr(transport, "_tls", lambda: ssl.create_default_context(cafile=cert))
    with serving(tls=server_tls) as server:
        url = f"https://localhost:{server.server_address[1]}/call"
        big = b"c" * (2 << 20)
        assert transport.request(url, "POST", big, {}, 5).body == big
        assert asyncio.run(transport.arequest(url, "POST", b"async", {}, 5)).body == b"async"
        assert transport.request(url, "POST", b"sync", {}, 5).body == b"sync"
        assert server.connections == 1
