"""What an HTTP/2 (h2c, prior knowledge) client gets for request headers over Envoy's limits
(newcomer 43, B5), pinned as README ("What PUMA guarantees under faults") documents it, through a
real Envoy: headers over 60 KiB get a 431 on their stream (checked after the codec, whose own
limit is higher: puma.requestlimits); over 100 fields the codec refuses the header block before a
stream exists to answer on, so the one stream is reset and the connection's other streams go on; a single field over 64 KiB cannot even be decoded (HPACK is connection state, RFC 9113 4.3),
so the connection ends with GOAWAY COMPRESSION_ERROR. An HTTP/1 client gets a 431 with JSON."""

from __future__ import annotations

import httpx
import pytest

import puma
from tests.rawh2 import exchange

INTERNAL_ERROR, COMPRESSION_ERROR = 0x2, 0x9
FINE = ("GET", "/echo", [("accept", "application/json")])


def _port(echo_mesh: puma.Deployment) -> int:
    return int(echo_mesh.url.rsplit(":", 1)[1])


OVER_THE_LIMIT = {
    "two-fields-of-40KB": [("x-a", "a" * 40_000), ("x-b", "b" * 40_000)],
    "one-field-of-62KB": [("x-big", "c" * 62_000)],
    "150-headers": [(f"x-h{i}", "v") for i in range(150)],
    "cookie-crumbs-72KB": [("cookie", f"c{i}={'z' * 900}") for i in range(80)],
}


@pytest.mark.parametrize("headers", [v for k, v in OVER_THE_LIMIT.items() if k != "150-headers"],
                         ids=[k for k in OVER_THE_LIMIT if k != "150-headers"])
def test_h2c_headers_over_60_kib_are_a_431_on_their_stream_only(echo_mesh: puma.Deployment, headers: list) -> None:
    # Under the codec's own limit (puma.requestlimits), headers over 60 KiB are refused on their stream.
    outcome = exchange(_port(echo_mesh), [("GET", "/echo", headers), FINE])
    assert outcome.goaway is None and outcome.statuses.get(1) == 431, outcome
    assert outcome.statuses.get(3) == 200, outcome  # the connection's other stream is answered


def test_h2c_headers_over_the_count_reset_their_stream_only(echo_mesh: puma.Deployment) -> None:
    outcome = exchange(_port(echo_mesh), [("GET", "/echo", OVER_THE_LIMIT["150-headers"]), FINE])
    assert outcome.goaway is None and 1 not in outcome.statuses, outcome
    assert outcome.resets.get(1) == INTERNAL_ERROR, outcome
    assert outcome.statuses.get(3) == 200, outcome  # the connection's other stream is answered


@pytest.mark.parametrize("size", [70_000, 120_000])
def test_h2c_one_field_over_64_kib_ends_the_connection(echo_mesh: puma.Deployment, size: int) -> None:
    outcome = exchange(_port(echo_mesh), [("GET", "/echo", [("x-huge", "h" * size)]), FINE])
    assert outcome.goaway == COMPRESSION_ERROR and not outcome.statuses, outcome


def test_h2c_headers_within_the_limit_are_served(echo_mesh: puma.Deployment) -> None:
    outcome = exchange(_port(echo_mesh), [("GET", "/echo", [("x-a", "a" * 50_000)]), FINE])
    assert outcome.statuses == {1: 200, 3: 200} and not outcome.resets and outcome.goaway is None, outcome


@pytest.mark.parametrize("headers", [*OVER_THE_LIMIT.values(), [("x-huge", "h" * 70_000)]],
                         ids=[*OVER_THE_LIMIT.keys(), "one-field-of-70KB"])
def test_http1_headers_over_the_limit_are_a_431_with_json(echo_mesh: puma.Deployment, headers: list) -> None:
    resp = httpx.get(echo_mesh.url + "/echo", headers=headers, timeout=10)
    assert resp.status_code == 431 and resp.json()["error"], resp.text[:200]
    # A sentence naming the limit and what to do, not Envoy's bare reason phrase.
    error = resp.json()["error"]
    assert error != "Request Header Fields Too Large" and ("60 KiB" in error or "100 headers" in error), error
    assert "send" in error, error
