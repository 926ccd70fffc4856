"""Requests queued on an instance's port when its zygote closes that port never reached an instance:
each is answered 503 "not sent" (a header Envoy re-sends on, a body that says it is safe to retry),
never reset into Envoy's "the request may have taken effect". Real sockets, a real zygote object."""

from __future__ import annotations

import io
import json
import socket
import threading
import time
from collections.abc import Callable

import pytest

from puma import zygote
from puma.backlog import NOT_SENT_HEADER
from tests.helpers import wait_for

REQUESTS = {
    "get": b"GET /echo?q=1 HTTP/1.1\r\nhost: x\r\n\r\n",
    "post-json": b'POST /echo HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 12\r\n\r\n{"text":"a"}',
    "body-still-coming": b"POST /slow HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n0123456789",
    "chunked": b"POST /upload HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "big-body": b"PUT /db/put HTTP/1.1\r\nhost: x\r\ncontent-length: 600000\r\n\r\n" + b"x" * 600_000,
}


def _client(port: int, request: bytes, answers: list[bytes | str], sent: threading.Event) -> threading.Thread:
    """Connect (queued in the backlog: no instance accepts), send `request`, keep what comes back.
    `sent` is set once the request is in the kernel's buffers (a body larger than they hold: once its
    sending has begun, as what does not fit waits for a reader)."""
    conn = socket.create_connection(("127.0.0.1", port), timeout=10)

    def run() -> None:
        try:
            if len(request) > 65536:
                sent.set()
            conn.sendall(request)
            sent.set()
            got = b""
            while chunk := conn.recv(65536):
                got += chunk
            answers.append(got)
        except OSError as exc:
            answers.append(type(exc).__name__)  # a reset: what Envoy turns into "may have taken effect"
        finally:
            conn.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _held_socket(z: zygote.Zygote, instance_id: int) -> int:
    sock = socket.create_server(("127.0.0.1", 0), backlog=64)
    z.sockets[instance_id] = sock
    return sock.getsockname()[1]


def _release(z: zygote.Zygote) -> None:
    z.command({"op": "release", "id": 7})  # the supervisor lets the port go


def _orphan_timeout(z: zygote.Zygote) -> None:
    z.orphaned[7] = time.monotonic()  # it died; no replacement was ordered in time
    z._close_orphans(time.monotonic() + 1)


def _stopped_instance_exits(z: zygote.Zygote) -> None:
    z.children[4242] = 7
    z.stopping.add(4242)  # told to stop (a scale-down, the deployment stopping): its port closes at its exit
    z._exited(4242, 0)


@pytest.mark.parametrize("close", [_release, _orphan_timeout, _stopped_instance_exits],
                         ids=["released", "orphan-timeout", "stopped-instance"])
def test_requests_queued_on_a_closed_port_are_answered_not_sent(close: Callable[[zygote.Zygote], None]) -> None:
    z = zygote.Zygote(io.StringIO(), "127.0.0.1", 1.0, become=lambda *_: None, service="echo")
    port = _held_socket(z, 7)
    answers: list[bytes | str] = []
    sent = [threading.Event() for _ in REQUESTS]
    clients = [_client(port, request, answers, done) for request, done in zip(REQUESTS.values(), sent, strict=True)]
    wait_for(lambda: all(e.is_set() for e in sent), timeout_s=10, message="each request written into the backlog")
    close(z)
    for thread in clients:
        thread.join(timeout=10)
    assert len(answers) == len(REQUESTS)
    for answer in answers:
        assert isinstance(answer, bytes) and answer.startswith(b"HTTP/1.1 503 "), answer
        head, body = answer.split(b"\r\n\r\n", 1)
        assert f"{NOT_SENT_HEADER}: true".encode() in head.lower()
        said = json.loads(body)
        assert said["sent"] is False and said["service"] == "echo"
        assert "not sent to any instance" in said["error"] and "may have taken effect" not in said["error"]
    with pytest.raises(ConnectionRefusedError):  # and the port is closed: new connections go elsewhere
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_a_closed_port_with_nothing_queued_closes_at_once() -> None:
    z = zygote.Zygote(io.StringIO(), "127.0.0.1", 1.0, become=lambda *_: None, service="echo")
    port = _held_socket(z, 7)
    idle = socket.create_connection(("127.0.0.1", port), timeout=5)  # connected, sends nothing (a pool's spare)
    started = time.monotonic()
    _release(z)
    took = time.monotonic() - started
    idle.close()
    assert took < 1.0, f"closing a port with one idle connection took {took:.2f} s"
    assert not z.sockets
