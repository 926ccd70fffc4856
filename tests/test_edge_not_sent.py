"""Envoy's own replies say "not sent to any instance" only where that is certain and "may have taken
effect" only where an instance had the request (real Envoy): a refusal on a route that is not
idempotent was never sent (Envoy retries only what no instance received there); one on an
idempotent route may follow a try that was; a request an instance held when it died may have acted."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

import puma
from tests.apps import basic
from tests.helpers import wait_for

NARROW = {"timeout_s": 5, "circuit_breaker": {"max_connections": 1, "max_pending_requests": 1}}


@pytest.fixture(scope="module")
def mesh() -> Iterator[puma.Deployment]:
    app = puma.App()
    app.configure({"puma_services": {
        "ledger": {"prefix": "/ledger", "methods": ["POST"], **NARROW},  # not idempotent
        "lookup": {"prefix": "/lookup", "idempotent": True, **NARROW},
        "idle": {"prefix": "/idle", "instances": 0, "autoscale": {"enabled": False}},
        "busy": {"prefix": "/busy", "methods": ["POST"], "threads": 1, "timeout_s": 20},
    }})
    app.add_services({"ledger": basic.slow, "lookup": basic.slow, "idle": basic.echo, "busy": basic.slow})
    with app.start(listener={"port": 0}) as deployment:
        yield deployment


def _concurrently(url: str, bodies: list[dict], gap_s: float = 0.3) -> list[httpx.Response]:
    """Send each body in its own thread, `gap_s` apart; the replies in the same order."""
    replies: list[httpx.Response | None] = [None] * len(bodies)

    def send(i: int) -> None:
        time.sleep(i * gap_s)  # the order they reach Envoy in, not a wait for readiness
        replies[i] = httpx.post(url, json=bodies[i], timeout=30)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(r is not None for r in replies)
    return replies  # type: ignore[return-value]


def test_edge_a_full_pending_queue_on_a_non_idempotent_route_says_not_sent_and_safe_to_retry(mesh):
    # One connection, one waiting: the third request overflows Envoy's queue (flag UO).
    held, queued, refused = _concurrently(mesh.url + "/ledger", [{"s": 1.5}, {"s": 0.1}, {"s": 0.1}])
    assert held.status_code == 200 and queued.status_code == 200, (held.text, queued.text)
    body = refused.json()
    assert refused.status_code == 503 and refused.headers["retry-after"] == "1", refused.text
    assert "was not sent to any instance: safe to retry" in body["error"] and body["sent"] is False, body
    assert "may have taken effect" not in body["error"] and "may_have_taken_effect" not in body


def test_edge_a_refusal_on_an_idempotent_route_claims_nothing_about_earlier_tries(mesh):
    _, _, refused = _concurrently(mesh.url + "/lookup", [{"s": 1.5}, {"s": 0.1}, {"s": 0.1}])
    body = refused.json()
    assert refused.status_code == 503 and refused.headers["retry-after"] == "1", refused.text
    assert "not sent" not in body["error"] and "sent" not in body, body


def test_edge_no_instance_to_send_to_says_not_sent(mesh):
    resp = httpx.post(mesh.url + "/idle", json={}, timeout=10)
    body = resp.json()
    assert resp.status_code == 503 and body["sent"] is False and "was not sent to any instance" in body["error"]


def test_edge_requests_an_instance_held_when_it_died_may_have_taken_effect_never_not_sent(mesh):
    """Sent to the instance (its one thread busy, the rest waiting in it), then it is killed:
    Envoy cannot know which ran, so none is told it was not sent."""
    pid = mesh.instances("busy")[0].pid
    replies: list[httpx.Response] = []
    sender = threading.Thread(target=lambda: replies.extend(_concurrently(mesh.url + "/busy", [{"s": 10}] * 3, 0.1)))
    sender.start()
    wait_for(lambda: _busy_connections(mesh) >= 3, timeout_s=10, message="three requests at the instance")
    os.kill(pid, signal.SIGKILL)
    sender.join(timeout=60)
    for resp in replies:
        body = resp.json()
        assert resp.status_code in (502, 503) and body.get("may_have_taken_effect") is True, resp.text
        assert "not sent" not in body["error"] and "retry-after" not in resp.headers


def _busy_connections(mesh: puma.Deployment) -> int:
    assert mesh.envoy.admin is not None
    return mesh.envoy.admin.in_flight(["busy"]).get("busy", 0)  # requests at Envoy for it (sent or waiting)
