"""A request that does not all arrive in time gets a 408 whose JSON names the cause (a body shorter
than its Content-Length, headers that never end) and the fix, and the setting that timed it out:
Envoy's own body was a bare "request timeout"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import puma
from puma.config import parse_config
from puma.localreplies import local_reply_config
from tests.apps import basic
from tests.rawhttp import exchange


@pytest.fixture(scope="module")
def mesh() -> Iterator[puma.Deployment]:
    app = puma.App()
    app.configure({"puma_services": {"echo": {"prefix": "/echo"}},
                   "http_connection_manager": {"request_timeout": 1.5, "request_headers_timeout": 0.7}})
    app.add_services({"echo": basic.echo})
    with app.start(listener={"port": 0}) as deployment:
        yield deployment


def _port(mesh: puma.Deployment) -> int:
    return int(mesh.url.rsplit(":", 1)[1])


@pytest.mark.parametrize("request_bytes", [
    b'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{"text": "hi',
    b"POST /echo/form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 300\r\n\r\na=1&b=2",
    b"PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n",  # nothing of the body at all
    b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabc",  # a chunk cut short
])
def test_a_body_that_never_all_arrives_gets_a_408_naming_cause_and_fix(mesh, request_bytes: bytes) -> None:
    result = exchange(_port(mesh), request_bytes, timeout_s=15)
    (reply,) = result.responses
    assert reply.status == 408 and reply.is_json, result
    error = reply.json()["error"]
    assert error != "request timeout" and "1.5 s" in error and "request_timeout" in error, error
    assert "Content-Length" in error and "send the whole body" in error, error


def test_headers_that_never_end_get_a_408_naming_the_setting(mesh) -> None:
    dribble = [b"GET /echo HTTP/1.1\r\n"] + [b"X-Slow-%d: 1\r\n" % n for n in range(30)]
    result = exchange(_port(mesh), dribble, pause_s=0.1, timeout_s=15)
    (reply,) = result.responses
    error = reply.json()["error"]
    assert reply.status == 408 and "request_headers_timeout" in error and "0.7 s" in error, error


def test_every_local_reply_mapper_has_a_body_that_names_more_than_envoys_words() -> None:
    bare = {"request timeout", "stream timeout", "Bad Request", "upstream request timeout", "no healthy upstream",
            "Request Header Fields Too Large", "Payload Too Large", "Not Found", "Method Not Allowed", ""}
    mappers = local_reply_config(parse_config({"puma_services": {"a": {"prefix": "/a"}}}))["mappers"]
    for mapper in mappers:
        text = (mapper.get("body") or {}).get("inline_string")
        if text is not None:
            assert text not in bare and len(text) > 40, mapper
