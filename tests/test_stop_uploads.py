"""A stop answers a request whose body is still arriving with the "deployment is stopping" 503 that new
requests get: Envoy buffers a body whole before routing it, so no instance had it and the drain did not
wait for it; Envoy was stopped under it and the upload was cut with no HTTP answer (a broken pipe)."""

from __future__ import annotations

import socket
import threading
import time

import pytest

import puma
from tests.apps import basic


def _slow_upload(port: int, path: str, body: bytes, pause_s: float, replies: list[bytes],
                 begun: threading.Semaphore) -> None:
    head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head)
        try:
            for n in range(0, len(body), 4):
                sock.sendall(body[n:n + 4])
                if n == 4:
                    begun.release()  # its headers and first bytes are sent: the upload is under way
                time.sleep(pause_s)
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
        except OSError as exc:
            received = f"cut: {type(exc).__name__}".encode()
    replies.append(received)


@pytest.mark.parametrize("bodies", [
    [b'{"text": "a slow upload of a turn"}'],
    [b'{"n": 1, "note": "two at once"}', b'{"n": 2, "padding": "' + b"x" * 30 + b'"}'],
])
def test_a_stop_answers_requests_still_uploading_their_body(bodies: list[bytes]) -> None:
    app = puma.App()
    app.configure({"puma_services": {"echo": {"prefix": "/echo", "timeout_s": 10, "instances": 1}}})
    app.add_services({"echo": basic.echo})
    replies: list[bytes] = []
    mesh = app.start(listener={"port": 0})
    try:
        port = int(mesh.url.rsplit(":", 1)[1])
        begun = threading.Semaphore(0)
        uploads = [threading.Thread(target=_slow_upload, args=(port, "/echo", body, 0.25, replies, begun))
                   for body in bodies]
        for upload in uploads:
            upload.start()
        for _ in uploads:  # each under way (Envoy buffers the rest as it comes), however busy the machine
            assert begun.acquire(timeout=30), "an upload did not begin"
    finally:
        mesh.stop()
    for upload in uploads:
        upload.join(30)
    assert len(replies) == len(bodies)
    for received in replies:
        assert received.startswith(b"HTTP/1.1 503"), received[:300]
        assert b"the deployment is stopping" in received and b"retry-after" in received.lower(), received
