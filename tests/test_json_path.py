"""The JSON path (`puma.serving._JsonPath`) serves POSTs with a JSON body without Flask's dispatch:
every such request is answered exactly as Flask's dispatch answers it (status, body, the headers
a client reads), and the requests it does not take still reach Flask."""

from __future__ import annotations

import json
from typing import Any

import pytest

from puma.endpoints import build as build_endpoints
from puma.errorpages import BrowserErrors
from puma.heads import HeadAsGet
from puma.publicerrors import PublicErrors
from puma.serving import _JsonPath, build_app
from tests.apps import faults

LIMIT = 10_000
CATALOGUE = build_endpoints("tests.apps.parts:Catalogue")


def _both(target: Any, prefix: str = "/") -> tuple[Any, Any]:
    """Test clients of the same service: with the JSON path, and through Flask's dispatch alone."""
    fast = build_app("svc", target, prefix=prefix, max_body_bytes=LIMIT)
    # a HEAD served as its GET outermost (puma.heads), then browsers' pages, then the public words
    # of error replies, then the JSON path
    head = fast.wsgi_app
    assert isinstance(head, HeadAsGet) and isinstance(head.app, BrowserErrors) and isinstance(head.app.app, PublicErrors)
    assert isinstance(head.app.app.app, _JsonPath)
    flask_only = build_app("svc", target, prefix=prefix, max_body_bytes=LIMIT)
    # the JSON path taken off, the other layers kept
    flask_only.wsgi_app = HeadAsGet(BrowserErrors(PublicErrors(flask_only.wsgi_app.app.app.app.flask_app)))  # type: ignore[attr-defined,method-assign]
    return fast.test_client(), flask_only.test_client()


def _answer(resp: Any) -> tuple[int, Any, dict[str, str | None]]:
    body = resp.get_json(silent=True)
    headers = {name: resp.headers.get(name) for name in ("Content-Type", "Retry-After", "Allow", "X-Why")}
    return resp.status_code, body if body is not None else resp.get_data(as_text=True), headers


CASES = [  # (target, path, raw body, content type)
    (faults.add, "/", b'{"by": 2, "weights": [1, 2.5]}', "application/json"),
    (faults.add, "/", b'{"by": true}', "application/json"),  # a boolean for a number: 400 naming it
    (faults.add, "/", b'{"by": "two"}', "application/json; charset=utf-8"),
    (faults.add, "/", b'{"weights": [1]}', "application/json"),  # missing parameter
    (faults.add, "/", b'{"by": 1, "nope": 2}', "application/json"),  # unknown parameter
    (faults.add, "/", b'{"by": 1, "by": 2}', "application/json"),  # a key given twice
    (faults.add, "/", b'{"by": 1', "application/json"),  # malformed
    (faults.add, "/", b'{"by": NaN}', "application/json"),
    (faults.add, "/", b'[1, 2]', "application/json"),  # not an object
    (faults.add, "/?x=%zz", b'{"by": 1}', "application/json"),  # an invalid escape in the query
    (faults.add, "/?x=1&x=2", b'{"by": 1}', "application/json"),
    (faults.add, "/", '{"by": 3}'.encode("utf-16"), "application/json"),  # encodings JSON allows
    (faults.add, "/", b'\xef\xbb\xbf{"by": 3}', "application/json"),
    (faults.add, "/", '{"by": 3, "limits": {"é": 1}}'.encode("latin-1"), "application/json; charset=latin-1"),
    (faults.add, "/", b'{"by": 3}', "APPLICATION/JSON"),
    (faults.add, "/", b'{"by": 3}', "application/merge-patch+json"),  # a type not accepted: 415
    (faults.add, "/", b'{"by": 1e400}', "application/json"),
    (faults.add, "/", b'{"by": 1, "limits": {"\\ud800": 1}}', "application/json"),
    (faults.add, "/", b'   ', "application/json"),
    (faults.add, "/", b'{"by": 3}' + b" " * (LIMIT - 9), "application/json"),  # at the limit exactly
    (faults.add, "/deeper/path", b'{"by": 3}', "application/json"),
    (faults.fields, "/?by=2", b'null', "application/json"),
    (faults.error_status, "/", b'{"code": 409}', "application/json"),
    (faults.error_status, "/", b'{"code": 429}', "application/json"),
    (faults.unsendable, "/", b'{"kind": "minus-inf"}', "application/json"),  # the service's own fault: 500
    (faults.raw_reply, "/", b'{"kind": "fine-201"}', "application/json"),
    (faults.raw_reply, "/", b'{"kind": "tuple-status-99"}', "application/json"),
    (faults.raw_reply, "/", b'{"kind": "unknown"}', "application/json"),  # KeyError in a request handler
    (faults.own_error, "/", b'{"kind": "tuple-409-headers"}', "application/json"),
    (faults.crash, "/", b'{}', "application/json"),
    (faults.sees_headers, "/", b'{"a": 1}', "application/json"),
    (faults.fields, "/?q=caf%C3%A9&n=1", b'{"a": 1}', "application/json"),
    (CATALOGUE, "/search", b'{"words": ["big"]}', "application/json"),
    (CATALOGUE, "/title", b'{"film_id": 99}', "application/json"),  # LookupError: 404
    (CATALOGUE, "/where", b'{"film_id": 5}', "application/json"),
    (CATALOGUE, "/nothing", b'{}', "application/json"),  # no such method
    (CATALOGUE, "/_private", b'{}', "application/json"),
    (CATALOGUE, "/search/", b'{"words": ["big"]}', "application/json"),
    (CATALOGUE, "/search?words=x", b'{"words": ["big"]}', "application/json"),
]


@pytest.mark.parametrize(("target", "path", "body", "content_type"), CASES,
                         ids=[f"{getattr(c[0], '__name__', 'Catalogue')}{c[1]}-{c[2][:18]!r}" for c in CASES])
def test_json_path_answers_as_flask_dispatch_does(target: Any, path: str, body: bytes, content_type: str) -> None:
    fast, flask_only = _both(target)
    headers = {"Content-Type": content_type, "X-Custom": "yes"}
    assert _answer(fast.post(path, data=body, headers=headers)) == \
        _answer(flask_only.post(path, data=body, headers=headers))


@pytest.mark.parametrize(("method", "body", "headers"), [
    ("GET", None, {}),  # other methods
    ("POST", b'{"by": 1}' + b" " * LIMIT, {"Content-Type": "application/json"}),  # over the limit: 413
    ("POST", b"by=1", {"Content-Type": "application/x-www-form-urlencoded"}),  # a form
    ("POST", b'{"by": 1}', {"Content-Type": "application/json", "Content-Encoding": "gzip"}),  # 415
    ("POST", b'{"by": 1}', {"Content-Type": "text/csv"}),  # a type not accepted: 415
    ("POST", b"", {"Content-Type": "application/json"}),  # empty
])
def test_json_path_leaves_what_it_does_not_take_to_flask(method: str, body: bytes | None,
                                                          headers: dict[str, str]) -> None:
    fast, flask_only = _both(faults.add)
    assert _answer(fast.open("/", method=method, data=body, headers=headers)) == \
        _answer(flask_only.open("/", method=method, data=body, headers=headers))


def test_json_path_counts_requests_in_flight_and_served() -> None:
    app = build_app("svc", faults.add, max_body_bytes=LIMIT)
    client = app.test_client()
    for _ in range(3):
        assert client.post("/", json={"by": 1}).status_code == 200
    health = client.get("/healthz").get_json()
    assert health["served"] == 3 and health["in_flight"] == 0


def test_json_path_serves_an_objects_methods_under_its_prefix() -> None:
    fast = build_app("catalogue", CATALOGUE, prefix="/catalogue",
                     max_body_bytes=LIMIT).test_client()
    resp = fast.post("/catalogue/search", json={"words": ["big"]})
    assert resp.status_code == 200 and resp.get_json() == [3]
    assert json.loads(fast.post("/catalogue/title", json={"film_id": 3}).get_data()) == "Big"
