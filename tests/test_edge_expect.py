"""Edges said the same way wherever they are met (newcomer 43, B5), through a real Envoy: an
`Expect` other than 100-continue is a 417 with JSON (RFC 9110 10.1.1), over HTTP/1 and h2c alike;
a method no service takes (TRACE, PROPFIND, a made-up one) is a 405 of the same JSON shape, with
the same `Allow`, as the service's own 405."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

import puma
from tests.apps import basic


def add(a: int, b: int = 0) -> int:
    return a + b


@pytest.fixture(scope="module")
def mesh() -> Iterator[puma.Deployment]:
    app = puma.App()
    app.configure({"puma_services": {"echo": {"prefix": "/echo"}, "add": {"prefix": "/add"}}})
    app.add_services({"echo": basic.echo, "add": add})
    with app.start(listener={"port": 0}) as deployment:
        yield deployment


def _raw(url: str, data: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65_536):  # the request says Connection: close
            answer += chunk
    return answer


@pytest.mark.parametrize("expect", ["200-ok", "100-continue, fancy", "fancy", "100-continues", "continue"])
@pytest.mark.parametrize("path", ["/add", "/echo", "/nowhere"])
def test_expect_other_than_100_continue_is_a_417_with_json(mesh: puma.Deployment, expect: str, path: str) -> None:
    resp = httpx.post(mesh.url + path, json={"a": 1}, headers={"Expect": expect}, timeout=10)
    assert resp.status_code == 417, resp.text[:200]
    assert "100-continue" in resp.json()["error"] and resp.json()["status"] == 417


@pytest.mark.parametrize("expect", ["100-continue", "100-Continue", "100-CONTINUE"])
def test_expect_100_continue_is_still_served(mesh: puma.Deployment, expect: str) -> None:
    body = b'{"a": 2, "b": 3}'
    answer = _raw(mesh.url, b"POST /add HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nExpect: " + expect.encode()
                  + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    assert answer.startswith(b"HTTP/1.1 100 Continue") and b"HTTP/1.1 200 OK" in answer and answer.endswith(b"5"), answer


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "BREW", "GET", "DELETE"])
def test_a_method_a_bound_service_does_not_take_is_one_405_shape(mesh: puma.Deployment, method: str) -> None:
    edge = httpx.request(method, mesh.url + "/add", timeout=10)
    own = httpx.request("GET", mesh.internal_url + "/add", timeout=10)  # the instance's own 405
    assert edge.status_code == own.status_code == 405
    assert edge.headers["allow"] == own.headers["allow"] == "POST"
    assert set(edge.json()) == set(own.json()) >= {"error", "status", "service", "path"}, (edge.json(), own.json())
    assert edge.json()["service"] == own.json()["service"] == "add" and "POST" in edge.json()["error"]


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "BREW"])
def test_a_method_no_service_takes_is_a_405_naming_the_methods_taken(mesh: puma.Deployment, method: str) -> None:
    resp = httpx.request(method, mesh.url + "/echo", timeout=10)
    allow = resp.headers["allow"]
    assert resp.status_code == 405 and "GET" in allow and "POST" in allow and method not in allow
    assert resp.json()["service"] == "echo" and allow in resp.json()["error"]
