"""Reply headers a handler returns (newcomer 39, 4.3): a name or value HTTP cannot carry, or a
framing/hop-by-hop header the server sets itself, is a JSON 500 naming the header (never a
truncated 200, a stalled connection or Envoy's 502), logged with the service."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import puma
from puma.serving import build_app
from tests.apps import awaited

REFUSED = [{"Content-Length": "2"}, {"content-length": "1000"}, {"Transfer-Encoding": "chunked"},
           {"Connection": "close, x"}, {"Keep-Alive": "timeout=5"}, {"Upgrade": "h2c"},
           {"X A": "1"}, {"X-Ok:": "1"}, {"": "1"}, {"X-U": "☃"}, {"X-A": "a\r\nX-Injected: 1"}, {"X-B": "a\nb"}]


def _client() -> Any:
    return build_app("hdr", awaited.with_headers, prefix="/hdr", max_body_bytes=100_000).test_client()


@pytest.mark.parametrize("headers", REFUSED, ids=[next(iter(h)) or "empty" for h in REFUSED])
def test_reply_headers_that_cannot_go_on_the_wire_are_a_json_500_naming_them(headers: dict, caplog) -> None:  # noqa: ANN001
    caplog.set_level(logging.ERROR, "puma.serving")
    resp = _client().post("/hdr", json={"headers": headers})
    name = next(iter(headers))
    assert resp.status_code == 500 and resp.is_json
    assert repr(name) in resp.get_json()["error"] and resp.get_json()["service"] == "hdr"
    assert any("hdr" in r.getMessage() and repr(name) in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("headers", [{"X-Made-By": "puma"}, {"Cache-Control": "no-store", "X-N": "3"},
                                     {"Content-Type": "application/json; charset=utf-8"}, {"X-Latin": "café"}])
def test_valid_reply_headers_are_sent_as_given(headers: dict) -> None:
    resp = _client().post("/hdr", json={"headers": headers})
    assert resp.status_code == 200 and resp.get_json() == {"ok": True}
    for key, value in headers.items():
        assert resp.headers[key] == value


@pytest.fixture(scope="module")
def mesh() -> Iterator[puma.Deployment]:
    app = puma.App()
    app.configure({"puma_services": {"hdr": {"prefix": "/hdr"}}})
    app.add_services({"hdr": awaited.with_headers})
    with app.start(listener={"port": 0}) as d:
        yield d


@pytest.mark.parametrize("headers", [{"Content-Length": "2"}, {"Content-Length": "1000"}, {"X A": "1"},
                                     {"Transfer-Encoding": "chunked"}])
def test_through_envoy_a_bad_reply_header_is_the_services_json_500(mesh: puma.Deployment, headers: dict) -> None:
    resp = httpx.post(mesh.url + "/hdr", json={"headers": headers}, timeout=10)
    assert resp.status_code == 500 and resp.json()["service"] == "hdr"
    assert repr(next(iter(headers))) in resp.json()["error"]
