"""What a client and an operator see when a reply outlives its service's `timeout_s` while it is
still being sent (a 200 whose body is cut off), and an instance's memory in `puma status`."""

from __future__ import annotations

import json
import logging
import re
import socket
import time

import httpx
import pytest

import puma
from puma.running import format_status
from puma.supervisor import Deployment
from tests.apps import replies
from tests.helpers import wait_for

SIZE = 30_000_000  # more than loopback's socket buffers and Envoy's own hold, so sending must wait on the client
TIMEOUT_S = 3


@pytest.fixture(scope="module")
def mesh():
    app = puma.App()
    app.configure({"puma_services": {"big": {"prefix": "/big", "timeout_s": TIMEOUT_S},
                                     "small": {"prefix": "/small", "instances": 2}}})
    app.add_services({"big": replies.big, "small": replies.small})
    with Deployment(app.resolved_config(listener={"port": 0})) as deployment:
        yield deployment


def _slow_read(url: str, stall_s: float) -> tuple[bytes, int, int]:
    """POST /big, read the head, stop reading for `stall_s`, then read to the end: (head, declared
    Content-Length, body bytes received)."""
    host, port = url.split("//")[1].rsplit(":", 1)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting: a slow reader
    sock.settimeout(30)
    sock.connect((host, int(port)))
    with sock:
        body = json.dumps({"n": SIZE}).encode()
        sock.sendall(b"POST /big HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(4096)
        head, _, rest = data.partition(b"\r\n\r\n")
        declared = re.search(rb"content-length: (\d+)", head, re.I)
        assert declared is not None, head
        length = int(declared.group(1))
        time.sleep(stall_s)  # the reader under test stops reading this long (the reply backs up)
        got = len(rest)
        try:
            while chunk := sock.recv(1 << 20):
                got += len(chunk)
        except ConnectionResetError:
            pass
        return head, length, got


def test_reply_cut_off_by_its_timeout_is_counted_as_an_error_and_logged(mesh, caplog):
    caplog.set_level(logging.WARNING, logger="puma.control")
    head, length, got = _slow_read(mesh.url, stall_s=TIMEOUT_S + 2)
    assert head.startswith(b"HTTP/1.1 200") and length == SIZE + 2
    assert got < length  # the client can tell: the connection closed before Content-Length
    status = wait_for(lambda: (s := mesh.status())["services"]["big"]["replies_cut_off"] == 1 and s,
                      timeout_s=10, message="the cut reply counted")
    assert status["services"]["big"]["errors_5xx"] >= 1
    assert "replies cut off by timeout_s after their 200 went out (counted in 5xx): big 1" in format_status(status)
    event = wait_for(lambda: [e for e in mesh.status()["events"] if e.get("kind") == "cut_off"], timeout_s=10,
                     message="the cut reply recorded")
    assert event[0]["service"] == "big" and "timeout_s (3 s)" in event[0]["message"]
    assert any("big" in r.getMessage() and "cut off" in r.getMessage() for r in caplog.records)


def test_reply_read_at_once_is_complete_and_no_error(mesh):
    before = mesh.status()["services"]["big"]
    reply = httpx.post(mesh.url + "/big", json={"n": SIZE}, timeout=30)
    assert reply.status_code == 200 and len(reply.content) == SIZE + 2
    after = mesh.status()["services"]["big"]
    assert (after["replies_cut_off"], after["errors_5xx"]) == (before["replies_cut_off"], before["errors_5xx"])


def test_status_shows_each_instances_resident_memory(mesh):
    status = mesh.status()
    sizes = [i["rss_mib"] for i in status["services"]["small"]["instances"]]
    assert len(sizes) == 2 and all(isinstance(s, float) and 5 < s < 2000 for s in sizes), sizes
    assert re.search(r"small .* \d+:\d+ \(\d+ MiB\) \d+:\d+ \(\d+ MiB\)", format_status(status)), format_status(status)
