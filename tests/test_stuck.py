"""Handlers blocked without CPU past their timeout (newcomer 39 §2.1), and handlers raising what
ends a program (§2.3). An instance whose every thread is held is shown (status: busy, stuck), logged
with the service and how long, counted as load by the autoscaler (Envoy forgot those requests at
its timeout), and replaced once held past timeout_s + grace. SystemExit/KeyboardInterrupt from a
handler is an immediate JSON 500 naming it; the instance keeps serving. Real Envoy and instances,
on both backends (processes, containers: tests/backends.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

import puma
from puma.busy import STUCK_GRACE_S
from puma.running import format_status
from tests.backends import Backend
from tests.helpers import wait_for
from tests.plugins.backends import backend_for

TIMEOUT_S = 2.0


@pytest.fixture(scope="module", params=["process", "docker"])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    yield from backend_for(request, tmp_path_factory.mktemp(f"stuck-{request.param}"))


@pytest.fixture(scope="module")
def mesh(backend: Backend) -> puma.Deployment:
    return backend.start({
        "fixed": {"prefix": "/fixed", "instances": 1, "threads": 2, "timeout_s": TIMEOUT_S,
                  "health_check": {"interval_s": 1, "unhealthy_threshold": 2}},
        "scaled": {"prefix": "/scaled", "instances": {"min": 1, "max": 2}, "threads": 3, "timeout_s": TIMEOUT_S,
                   "autoscale": {"target_in_flight": 1, "upscale_delay_s": 0.2, "downscale_delay_s": 600}},
        "leave": {"prefix": "/leave"}},
        {"fixed": "held:hold", "scaled": "held:hold", "leave": "held:leave"},
        http_connection_manager={"drain_timeout": 1})


def _hold(url: str, n: int, seconds: float) -> list[threading.Thread]:
    def one() -> None:
        try:
            httpx.post(url, json={"seconds": seconds}, timeout=TIMEOUT_S + 5)
        except httpx.HTTPError:
            pass

    threads = [threading.Thread(target=one, daemon=True) for _ in range(n)]
    for t in threads:
        t.start()
    return threads


def test_stuck_instance_is_shown_logged_and_replaced(mesh: puma.Deployment) -> None:
    (instance,) = mesh.instances("fixed")
    before = Backend.who(instance, "/fixed", {"seconds": 0})
    for t in _hold(mesh.url + "/fixed", 2, 120):
        t.join()  # each answered 504 at timeout_s: Envoy counts them no more
    status = mesh.status()["services"]["fixed"]
    assert status["in_flight"] == 0 and status["busy"] == 2, status
    shown = wait_for(lambda: (s := mesh.status())["services"]["fixed"]["stuck"] == 1 and s, timeout_s=10,
                     message="the instance shown stuck")
    assert "stuck (every request thread held" in format_status(shown) and "fixed: 1 of 1 instances" in format_status(shown)
    event = wait_for(lambda: next((e for e in mesh.events if e["service"] == "fixed" and e.get("kind") == "stuck"), None),
                     timeout_s=5, message="a stuck event")
    assert "all 2 request threads held by handlers for" in event["message"] and "timeout_s (2 s)" in event["message"]
    # Replaced once held past timeout_s + grace (and Envoy's checks found it failing): another instance serves.
    wait_for(lambda: (r := httpx.post(mesh.url + "/fixed", json={"seconds": 0}, timeout=TIMEOUT_S + 3)).status_code == 200
             and r.json()["by"] != before, timeout_s=TIMEOUT_S + STUCK_GRACE_S + 20, interval_s=0.5,
             message="a replacement serving")
    assert any(e.get("kind") == "unhealthy" and "stuck: all 2 request threads" in e["message"]
               for e in mesh.events if e["service"] == "fixed"), list(mesh.events)


def test_stuck_requests_count_as_load_for_the_autoscaler(mesh: puma.Deployment) -> None:
    for t in _hold(mesh.url + "/scaled", 3, 60):
        t.join()
    assert mesh.status()["services"]["scaled"]["in_flight"] == 0
    wait_for(lambda: len(mesh.pools["scaled"].live()) == 2, timeout_s=10, message="scaled up on held requests")
    assert any(e.get("kind") == "scale" and e["service"] == "scaled" for e in mesh.events)


@pytest.mark.parametrize("kind, named", [("exit", "SystemExit(3)"), ("exit-text", "SystemExit('usage"),
                                         ("interrupt", "KeyboardInterrupt"), ("generator-exit", "GeneratorExit")])
def test_handler_raising_a_program_exit_is_a_500_naming_it(mesh: puma.Deployment, kind: str, named: str) -> None:
    by = httpx.post(mesh.url + "/leave", json={}, timeout=10).json()["by"]
    answer = httpx.post(mesh.url + "/leave", json={"kind": kind}, timeout=10)
    assert answer.status_code == 500 and answer.elapsed.total_seconds() < 5
    body = answer.json()
    assert named in body["error"] and body["service"] == "leave", body
    after = httpx.post(mesh.url + "/leave", json={}, timeout=10).json()
    assert after["stayed"] is True and after["by"] == by  # the same instance keeps serving
