"""Traffic management with the real Envoy: autoscaling, affinity, limits, retries, live changes."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

import puma
from tests.apps import basic
from tests.helpers import wait_for


def _start(services: dict, functions: dict, **config) -> puma.Deployment:
    app = puma.App()
    app.configure({"puma_services": services, **config})
    app.add_services(functions)
    return app.start(listener={"port": 0})


def _load(url: str, payload: dict, *, clients: int, stop: threading.Event, max_s: float = 20.0,
          headers: dict | None = None) -> tuple[Counter, list]:
    """Closed-loop clients posting until `stop` (bounded by `max_s`); returns status counts and errors."""
    statuses: Counter = Counter()
    errors: list = []
    deadline = time.monotonic() + max_s

    def client() -> None:
        with httpx.Client(timeout=10) as http:
            while not stop.is_set() and time.monotonic() < deadline:
                try:
                    statuses[http.post(url, json=payload, headers=headers).status_code] += 1
                except httpx.HTTPError as exc:
                    errors.append(repr(exc))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    return statuses, threads


def test_autoscale_grows_under_a_load_step_and_shrinks_after_with_no_failed_request():
    services = {"slow": {"prefix": "/slow", "instances": {"min": 1, "max": 4},
                         "autoscale": {"target_in_flight": 1, "upscale_delay_s": 0.3, "downscale_delay_s": 1.5}}}
    with _start(services, {"slow": basic.slow}) as mesh:
        stop = threading.Event()
        statuses, threads = _load(mesh.url + "/slow", {"s": 0.1}, clients=6, stop=stop)
        try:
            wait_for(lambda: len(mesh.instances("slow")) >= 3, timeout_s=15, message="scale-up under load")
        finally:
            stop.set()
            for t in threads:
                t.join()
        wait_for(lambda: len(mesh.instances("slow")) == 1 and len(mesh.pools["slow"].live()) == 1,
                 timeout_s=20, message="scale-down after the load stopped")
        assert set(statuses) == {200}, statuses
        messages = [e["message"] for e in mesh.status()["events"] if e["service"] == "slow"]
        assert any("in-flight" in m and "1 ->" in m for m in messages), messages
        assert any("fits" in m for m in messages), messages


def test_ring_hash_keeps_each_session_on_one_instance():
    services = {"echo": {"prefix": "/echo", "instances": 3, "lb_policy": "ring_hash",
                         "hash_on": {"header": "x-session-id"}}}
    with _start(services, {"echo": basic.echo}) as mesh, httpx.Client(base_url=mesh.url) as http:
        seen = defaultdict(set)
        for session in range(12):
            for _ in range(5):
                reply = http.post("/echo", json={}, headers={"x-session-id": f"session-{session}"}).json()
                seen[session].add(reply["pid"])
        assert all(len(pids) == 1 for pids in seen.values()), dict(seen)
        assert len(set().union(*seen.values())) > 1  # sessions still spread over instances


def test_least_request_sends_around_an_instance_that_is_busy():
    services = {"slow": {"prefix": "/slow", "instances": 2, "lb_policy": "least_request"}}
    with _start(services, {"slow": basic.slow}) as mesh, httpx.Client(base_url=mesh.url, timeout=10) as http:
        with ThreadPoolExecutor(1) as pool:
            long = pool.submit(http.post, "/slow", json={"s": 3})
            wait_for(lambda: mesh.envoy.admin.in_flight(["slow"])["slow"] == 1, message="the long request in flight")
            quick = {http.post("/slow", json={"s": 0}).json()["pid"] for _ in range(10)}
            busy = long.result(timeout=10).json()["pid"]
        # Round robin would send every other quick request to the busy instance (they would still
        # answer, on its other threads); least_request sends all of them to the idle one.
        assert len(quick) == 1 and busy not in quick, (quick, busy)


def test_rate_limit_answers_429_with_json_and_spares_other_services():
    services = {"limited": "/limited", "free": "/free"}
    with _start(services, {"limited": basic.echo, "free": basic.echo},
                rate_limit={"requests_per_s": 1, "burst": 2, "cluster_name": "limited"}) as mesh, \
            httpx.Client(base_url=mesh.url) as http:
        codes = [http.post("/limited", json={}).status_code for _ in range(8)]
        assert codes.count(200) >= 2 and codes.count(429) >= 4, codes
        limited = http.post("/limited", json={})
        assert limited.status_code == 429
        assert limited.json()["status"] == 429
        assert all(http.post("/free", json={}).status_code == 200 for _ in range(8))


def test_circuit_breaker_answers_503_on_overflow():
    services = {"slow": {"prefix": "/slow", "circuit_breaker": {
        "max_connections": 1, "max_pending_requests": 1, "max_requests": 1}}}
    with _start(services, {"slow": basic.slow}) as mesh:
        results: list[httpx.Response] = []

        def one() -> None:
            with httpx.Client(timeout=10) as http:
                results.append(http.post(mesh.url + "/slow", json={"s": 0.5}))

        threads = [threading.Thread(target=one) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        overflow = [r for r in results if r.status_code == 503]
        assert overflow and any(r.status_code == 200 for r in results)
        assert all(r.headers.get("x-envoy-overloaded") == "true" for r in overflow)
        assert overflow[0].json()["status"] == 503


def test_killing_an_instance_under_load_fails_no_idempotent_request():
    services = {"echo": {"prefix": "/echo", "instances": 3, "idempotent": True}}
    with _start(services, {"echo": basic.echo}) as mesh:
        stop = threading.Event()
        statuses, threads = _load(mesh.url + "/echo", {"x": 1}, clients=4, stop=stop)
        try:
            wait_for(lambda: sum(statuses.values()) > 50, message="load running")
            victim = mesh.instances("echo")[0]
            os.kill(victim.pid, signal.SIGKILL)
            wait_for(lambda: len(mesh.instances("echo")) == 3
                     and victim.pid not in {i.pid for i in mesh.instances("echo")},
                     message="replacement instance")
            served = sum(statuses.values())
            wait_for(lambda: sum(statuses.values()) > served + 50, message="load continuing")
        finally:
            stop.set()
            for t in threads:
                t.join()
        assert set(statuses) == {200}, statuses


def test_service_added_and_removed_at_run_time_without_envoy_restart():
    with _start({"echo": "/echo"}, {"echo": basic.echo}) as mesh, httpx.Client(base_url=mesh.url) as http:
        envoy_pid = mesh.envoy.proc.pid
        assert http.post("/upper", json={"text": "a"}).status_code == 404
        mesh.add_service("upper", {"prefix": "/upper", "target": "tests.apps.basic:upper", "instances": 2})
        wait_for(lambda: http.post("/upper", json={"text": "a"}).status_code == 200, message="new route")
        assert http.post("/upper", json={"text": "a"}).json() == {"text": "A"}
        assert puma.call("upper", {"text": "b"}) == {"text": "B"}
        mesh.remove_service("upper")
        wait_for(lambda: http.post("/upper", json={"text": "a"}).status_code == 404, message="route removed")
        assert http.post("/echo", json={}).status_code == 200
        assert mesh.envoy.proc.pid == envoy_pid and mesh.envoy.proc.poll() is None


@pytest.mark.parametrize("count", [3, 1])
def test_manual_scale_keeps_serving(count):
    with _start({"echo": {"prefix": "/echo", "instances": 2}}, {"echo": basic.echo}) as mesh, \
            httpx.Client(base_url=mesh.url) as http:
        mesh.scale("echo", count)
        wait_for(lambda: len(mesh.instances("echo")) == count
                 and len(mesh.envoy.admin.clusters()["echo"].hosts) == count, message=f"{count} instances")
        pids = {http.post("/echo", json={}).json()["pid"] for _ in range(12)}
        assert pids == {i.pid for i in mesh.instances("echo")}
        assert len(pids) == count


def test_unresponsive_instance_is_taken_out_and_replaced():
    checks = {"interval_s": 0.2, "timeout_s": 0.2}
    with _start({"echo": {"prefix": "/echo", "instances": 2, "idempotent": True, "health_check": checks}},
                {"echo": basic.echo}) as mesh, httpx.Client(base_url=mesh.url, timeout=10) as http:
        frozen = mesh.instances("echo")[0]
        os.kill(frozen.pid, signal.SIGSTOP)  # alive but answering nothing
        try:
            wait_for(lambda: frozen.pid not in {i.pid for i in mesh.instances("echo")}
                     and len(mesh.instances("echo")) == 2, timeout_s=15, message="eviction and replacement")
            assert all(http.post("/echo", json={}).status_code == 200 for _ in range(10))
            assert any("unhealthy" in e["message"] for e in mesh.status()["events"])
        finally:
            with contextlib.suppress(ProcessLookupError):  # normally already killed by PUMA
                os.kill(frozen.pid, signal.SIGCONT)
