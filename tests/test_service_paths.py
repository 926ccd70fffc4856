"""A `bytes_body` service's byte POSTs skip Flask, and still behave like any other service's."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.exceptions import ImATeapot

import puma
from puma.messages import Request, Response
from puma.serving import Counters, build_app

TYPES = ("application/octet-stream", "application/json")
LIMIT = 1000


@puma.bytes_body
def echo(req: Request) -> Any:
    if req.body == b"fail":
        raise puma.HTTPError(409, "told to fail", where="echo")
    if req.body == b"crash":
        raise RuntimeError("boom")
    if req.body == b"teapot":
        raise ImATeapot("short and stout")
    seen = {"method": req.method, "path": req.path, "query": req.query, "json": req.json,
            "signature": req.headers.get("X-Puma-Signature"), "in_flight": counters.in_flight,
            "current_body": puma.request.body.decode(errors="replace")}
    return Response(body=json.dumps(seen).encode() + b"|" + req.body, content_type="application/octet-stream",
                    headers={"x-echo": "1"})


counters = Counters()


flask_requests: list[str] = []


@pytest.fixture
def client() -> FlaskClient:
    app = build_app("echo", echo, max_body_bytes=LIMIT, content_types=TYPES, counters=counters)
    app.before_request(lambda: flask_requests.append(app.name))  # runs only for requests Flask dispatches
    flask_requests.clear()
    return app.test_client()


def _seen(resp: Any) -> tuple[dict[str, Any], bytes]:
    meta, _, body = resp.data.partition(b"|")
    return json.loads(meta), body


def test_byte_post_reaches_the_service_with_headers_query_and_body(client):
    resp = client.post("/echo/x?a=1", data=b"\x00\x01payload", content_type="application/octet-stream",
                       headers={"x-puma-signature": "abc"})
    assert resp.status_code == 200 and resp.headers["x-echo"] == "1"
    assert resp.headers["content-type"] == "application/octet-stream"
    seen, body = _seen(resp)
    assert body == b"\x00\x01payload"
    assert seen == {"method": "POST", "path": "/echo/x", "query": {"a": "1"}, "json": None, "signature": "abc",
                    "in_flight": 1, "current_body": "\x00\x01payload"}
    assert counters.in_flight == 0  # counted in, and out again
    assert flask_requests == []  # served without Flask's dispatch


def test_json_is_parsed_on_its_own_path_without_flasks_dispatch(client):
    seen, _ = _seen(client.post("/echo", json={"k": [1, 2]}))
    assert seen["json"] == {"k": [1, 2]}
    assert flask_requests == []  # the JSON path (tests/test_json_path.py); a form still goes through Flask
    client.post("/echo", data={"k": "1"})
    assert flask_requests == ["puma.echo"]
    resp = client.post("/echo", data=b"{not json", content_type="application/json")
    assert resp.status_code == 400 and "malformed JSON" in resp.get_json()["error"]


def test_refusals_and_errors_are_json_like_any_service(client):
    resp = client.post("/echo", data=b"x" * (LIMIT + 1), content_type="application/octet-stream")
    assert resp.status_code == 413 and "too large" in resp.get_json()["error"]
    resp = client.post("/echo", data=b"x", content_type="text/csv")
    assert resp.status_code == 415 and "application/octet-stream" in resp.get_json()["error"]
    resp = client.post("/echo", data=b"fail", content_type="application/octet-stream")
    assert resp.status_code == 409 and resp.get_json() == {"error": "told to fail", "status": 409, "service": "echo",
                                                           "where": "echo"}
    resp = client.post("/echo", data=b"crash", content_type="application/octet-stream")
    assert resp.status_code == 500 and resp.get_json()["type"] == "RuntimeError"
    resp = client.post("/echo", data=b"teapot", content_type="application/octet-stream")
    assert resp.status_code == 418 and resp.get_json()["error"] == "short and stout"
    assert client.get("/healthz").get_json()["status"] == "ok"
    assert counters.in_flight == 0


closed: list[str] = []


@puma.bytes_body
def after_reply(req: Request) -> Response:
    body: Any = object() if req.body == b"unsendable" else b"reply to " + req.body
    return Response(body=body, content_type="application/octet-stream",
                    on_close=lambda: closed.append(req.body.decode()))


@pytest.mark.parametrize("content_type", ["application/octet-stream", "application/json"])  # fast path and Flask's
def test_on_close_runs_once_the_reply_is_written_and_also_when_there_is_none(content_type):
    app = build_app("after", after_reply, max_body_bytes=LIMIT, content_types=TYPES, counters=Counters())
    closed.clear()
    resp = app.test_client().post("/after", data=b'"x"', content_type=content_type, buffered=False)
    assert closed == []  # the reply is not written yet
    assert resp.data == b'reply to "x"'
    resp.close()
    assert closed == ['"x"']
    # A reply that cannot be shaped is never written, and what on_close releases is released anyway.
    resp = app.test_client().post("/after", data=b"unsendable", content_type="application/octet-stream")
    assert resp.status_code == 500 and closed == ['"x"', "unsendable"]
