"""A request whose URL is over the limit is a 414 naming the URL's length and the limit; headers
over theirs stay a 431 about headers and cookies. Real Envoy, raw sockets (a client library would
refuse to send some of these)."""

from __future__ import annotations

import json
import socket

import pytest

import puma
from puma.requestlimits import MAX_URL_BYTES
from tests import rawhttp


def _send(echo_mesh: puma.Deployment, target: str, headers: str = "", method: str = "GET",
          body: bytes = b"") -> tuple[int, bytes, str]:
    host, port = echo_mesh.url.removeprefix("http://").rsplit(":", 1)
    length = f"Content-Length: {len(body)}\r\n" if body else ""
    head = f"{method} {target} HTTP/1.1\r\nHost: {host}\r\n{headers}{length}Connection: close\r\n\r\n"
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(head.encode() + body)
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
    head_bytes, _, payload = reply.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    return int(lines[0].split()[1]), payload, "\n".join(lines[1:]).lower()


@pytest.mark.parametrize("target", [
    "/echo?q=" + "a" * 20_000,  # a long query
    "/echo/" + "b" * 70_000,  # newcomer 78's 70,000 characters, as a path
    "/nowhere?" + "c=1&" * 30_000,  # no service's route: the length is said all the same
    "/echo?q=" + "%41" * 60_000,  # percent-encoded: its bytes as sent
])
def test_request_limits_a_long_url_is_a_414_naming_its_length_and_the_limit(echo_mesh: puma.Deployment, target: str) -> None:
    status, payload, _headers = _send(echo_mesh, target)
    body = json.loads(payload)
    assert status == 414, (status, payload[:300])
    assert f"{len(target)} bytes" in body["error"] and str(MAX_URL_BYTES) in body["error"], body
    assert "header" not in body["error"] and "cookie" not in body["error"], body
    assert len(payload) < 2048 and target.startswith(body["path"]), len(payload)  # not the URL echoed whole


def test_request_limits_a_long_url_is_refused_before_its_body_is_awaited(echo_mesh: puma.Deployment) -> None:
    status, payload, _ = _send(echo_mesh, "/echo?q=" + "d" * 30_000, method="POST", body=b'{"a": 1}')
    assert status == 414 and b"URL" in payload, payload[:300]


def test_request_limits_a_browser_gets_the_414_as_a_page_with_the_same_words(echo_mesh: puma.Deployment) -> None:
    target = "/echo?q=" + "e" * 40_000
    status, payload, headers = _send(echo_mesh, target, headers="Accept: text/html\r\n")
    assert status == 414 and "text/html" in headers, headers
    assert f"{len(target)} bytes".encode() in payload, payload[:600]


@pytest.mark.parametrize("headers", [
    "X-Big: " + "a" * 70_000 + "\r\n",
    "Cookie: " + "; ".join(f"c{i}={'v' * 50}" for i in range(1_200)) + "\r\n",
    "".join(f"X-H{i}: {'h' * 700}\r\n" for i in range(95)),  # many headers, none large
])
def test_request_limits_large_headers_stay_a_431_about_headers(echo_mesh: puma.Deployment, headers: str) -> None:
    status, payload, _ = _send(echo_mesh, "/echo", headers=headers)
    assert status == 431, (status, payload[:300])
    error = json.loads(payload)["error"]
    assert "headers are over 60 KiB" in error and "URL" not in error, error


@pytest.mark.parametrize("target", ["/echo", "/echo?q=" + "f" * 8_000])
def test_request_limits_a_url_within_the_limit_is_served(echo_mesh: puma.Deployment, target: str) -> None:
    status, payload, _ = _send(echo_mesh, target, headers="X-Some: " + "g" * 30_000 + "\r\n")
    assert status != 414 and status != 431 and status < 500, (status, payload[:300])


_NEXT = b"GET /echo?text=next HTTP/1.1\r\nHost: localhost\r\n\r\n"


@pytest.mark.parametrize(("first", "status"), [
    (b"GET /echo HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", 431),
    (b"POST /echo HTTP/1.1\r\nHost: localhost\r\nCookie: " + b"c=v; " * 14_000 + b"\r\nContent-Length: 2\r\n\r\n{}", 431),
    (b"GET /echo?q=" + b"u" * 20_000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n", 414),
    (b"GET /echo HTTP/1.1\r\nHost: localhost\r\nX_Under: 1\r\n\r\n", 400),  # the codec's own refusal
    (b"GET /echo HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),  # a route's refusal
])
def test_request_limits_a_refused_request_closes_its_connection(echo_mesh: puma.Deployment, first: bytes,
                                                                 status: int) -> None:
    """A client pipelining another request behind a refused one gets the refusal, `Connection: close`
    and the connection closed: its next request is not read out of what followed a refused head."""
    port = int(echo_mesh.url.rsplit(":", 1)[1])
    got = rawhttp.exchange(port, first + _NEXT, expect=2, timeout_s=5, see_close=True)
    assert got.statuses == [status] and got.closed and not got.timed_out, (got.statuses, got.closed, got.timed_out)
    reply = got.responses[0]
    assert reply.headers.get("connection") == "close" and reply.is_json and reply.json()["error"], reply.headers
    # A well-formed request keeps its connection: the next one is served on it.
    kept = rawhttp.exchange(port, _NEXT + _NEXT, expect=2, timeout_s=5)
    assert kept.statuses == [200, 200] and not kept.closed, kept.statuses
