"""The status server through the front Envoy: GET /_puma/ready (what pages and scripts poll
while a deployment starts) and the fields of /_puma/status the dashboard draws."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

import puma
from puma.supervisor import Deployment
from tests.apps import basic
from tests.helpers import wait_for


def _ready(url: str) -> httpx.Response:
    return httpx.get(f"{url}/_puma/ready", timeout=5)


def test_ready_names_the_services_it_waits_for_until_all_serve(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = tmp_path / "gate"
    monkeypatch.setenv("PUMA_TEST_GATE", str(gate))
    app = puma.App()
    app.configure({"puma_services": {
        "echo": {"prefix": "/echo", "instances": 2},
        "gated": {"prefix": "/gated", "warmup": "tests.apps.basic:wait_for_gate"},
        # An internal service started stopped (scaled by hand) is not waited for; a public one is.
        "later": {"prefix": "/later", "instances": {"min": 0, "max": 1}, "autoscale": {"enabled": False},
                  "visibility": "internal"},
    }})
    app.add_services({"echo": basic.echo, "gated": basic.echo, "later": basic.echo})
    deployment = Deployment(app.resolved_config(listener={"port": 0}))
    starting = threading.Thread(target=deployment.start, daemon=True)
    starting.start()
    try:
        wait_for(lambda: deployment.envoy.port, timeout_s=30, message="Envoy's listener")
        url = deployment.url
        # Through the front Envoy, like /_puma/status: 503 naming the service still warming up.
        waiting = wait_for(lambda: (r := _ready(url)).status_code == 503
                           and r.json()["services"]["echo"]["ready"] == 2 and r, timeout_s=30,
                           message="echo ready while gated warms up")
        body = waiting.json()
        assert body["ready"] is False and body["waiting_for"] == ["gated"]
        assert body["services"]["gated"]["ready"] == 0
        assert waiting.headers["content-type"] == "application/json"
        assert httpx.post(f"{url}/gated", json={}, timeout=5).status_code == 503  # what it means
        gate.touch()
        ready = wait_for(lambda: (r := _ready(url)).status_code == 200 and r, timeout_s=30,
                         message="the deployment ready")
        assert ready.json()["ready"] is True and ready.json()["waiting_for"] == []
        assert httpx.post(f"{url}/gated", json={}, timeout=5).status_code == 200  # and it serves
        assert "pid" not in ready.text and "port" not in ready.text
        # The 503s of start-up are counted apart from the instances' own errors.
        gated = httpx.get(f"{url}/_puma/status", timeout=5).json()["services"]["gated"]
        assert gated["startup_failures"] >= 1 and gated["errors_5xx"] == 0
    finally:
        gate.touch()
        starting.join(timeout=60)
        deployment.stop()


def test_ready_body_of_a_started_deployment() -> None:
    app = puma.App()
    app.configure({"puma_services": {"echo": {"prefix": "/echo", "instances": 2}}})
    app.add_services({"echo": basic.echo})
    with app.start(listener={"port": 0}) as deployment:
        resp = _ready(deployment.url)
        assert resp.status_code == 200 and resp.headers["cache-control"] == "no-store"
        assert resp.json() == {"ready": True, "waiting_for": [], "not_ready": {},
                               "services": {"echo": {"ready": 2, "starting": 0}}, "state": "ready"}


def test_status_counts_server_errors_and_records_scaling_decisions() -> None:
    app = puma.App()
    app.configure({"puma_services": {"echo": {"prefix": "/echo", "instances": {"min": 1, "max": 3}},
                                     "crash": "/crash"}})
    app.add_services({"echo": basic.echo, "crash": basic.crash})
    with app.start(listener={"port": 0}) as deployment, httpx.Client(base_url=deployment.url) as http:
        assert [http.post("/crash", json={}).status_code for _ in range(3)] == [500] * 3
        deployment.scale("echo", 2, reason="test asks for 2")
        status = wait_for(lambda: (s := http.get("/_puma/status").json())["services"]["crash"]
                          ["errors_5xx"] >= 3 and s, timeout_s=10, message="the errors counted")
        crash = status["services"]["crash"]
        assert (crash["errors_5xx"], crash["startup_failures"]) == (3, 0)
        scale = next(e for e in status["events"] if e.get("kind") == "scale")
        assert scale["service"] == "echo" and (scale["from"], scale["to"]) == (1, 2)
        assert scale["reason"] == "test asks for 2" and scale["time"] > 0
