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
from puma.edge import REPLY_HEADERS_MAX_COUNT
from puma.replies import REPLY_HEADERS_MAX_BYTES
from puma.serving import build_app
from tests.apps import awaited

REFUSED = [{"Content-Length": "2"}, {"content-length": "1000"}, {"Transfer-Encoding": "chunked"},
           {"Connection": "close, x"}, {"Keep-Alive": "timeout=5"}, {"Upgrade": "h2c"},
           {"X A": "1"}, {"X-Ok:": "1"}, {"": "1"}, {"X-U": "☃"}, {"X-A": "a\r\nX-Injected: 1"}, {"X-B": "a\nb"},
           # PUMA's own "no instance read it": Envoy would re-send a request whose handler ran
           {"X-Puma-Not-Sent": "true"}, {"x-puma-not-sent": "1"}]


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


@pytest.fixture(scope="module")
def retrying_mesh() -> Iterator[puma.Deployment]:
    """An idempotent service of two instances: Envoy re-sends to the other one on a reset or a 502."""
    app = puma.App()
    app.configure({"puma_services": {"big": {"prefix": "/big", "instances": 2, "idempotent": True}}})
    app.add_services({"big": awaited.counted_headers})
    with app.start(listener={"port": 0}) as d:
        yield d


@pytest.mark.parametrize("request_data", [
    {"size": 90_000}, {"size": 2_000_000}, {"size": REPLY_HEADERS_MAX_BYTES},
    {"headers": {f"X-Part-{i}": "b" * 1000 for i in range(85)}},  # many headers, none large
    {"headers": {f"X-N-{i}": "1" for i in range(95)}},  # more headers than Envoy counts
], ids=["90KB", "2MB", "at-the-limit", "85x1KB", "95-headers"])
def test_reply_headers_envoy_would_not_take_are_a_logged_500_run_once(retrying_mesh: puma.Deployment, tmp_path,
                                                                      request_data: dict) -> None:
    ran = tmp_path / "ran"
    resp = httpx.post(retrying_mesh.url + "/big", json={**request_data, "ran": str(ran)}, timeout=30)
    assert resp.status_code == 500 and resp.json()["service"] == "big", resp.text[:300]
    error = resp.json()["error"]
    assert str(REPLY_HEADERS_MAX_BYTES) in error or str(REPLY_HEADERS_MAX_COUNT - 10) in error, error
    assert "body" in error  # the fix
    assert ran.read_text().count("ran") == 1  # a 500 is the service's answer: never re-sent to the other instance
    log_text = (retrying_mesh.run_dir / "logs" / "big.log").read_text()
    assert error.removeprefix("service 'big': ") in log_text


@pytest.mark.parametrize("request_data", [
    {"size": REPLY_HEADERS_MAX_BYTES - 20}, {"headers": {f"X-N-{i}": "1" for i in range(85)}}, {"size": 80_000},
], ids=["just-under", "85-headers", "80KB"])
def test_reply_headers_within_envoys_limits_reach_the_client_whole(retrying_mesh: puma.Deployment, tmp_path,
                                                                   request_data: dict) -> None:
    resp = httpx.post(retrying_mesh.url + "/big", json={**request_data, "ran": str(tmp_path / "ran")}, timeout=30)
    assert resp.status_code == 200, resp.text[:300]
    if "size" in request_data:
        assert resp.headers["x-big"] == "a" * int(request_data["size"])
    else:
        assert all(resp.headers[k] == v for k, v in request_data["headers"].items())
