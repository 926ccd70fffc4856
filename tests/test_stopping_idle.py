"""An idle deployment stops at once, whatever traffic it served before: a stop waits only for
requests in progress, and an instance with none exits as soon as it is told to drain (never its
drain timeout, never the wait of an instance sent SIGTERM). Real Envoy and instances."""

from __future__ import annotations

import time

import httpx

import puma
from tests.apps import basic

DRAIN_TIMEOUT_S = 30  # a stop that waited on an idle instance would take about this long


def ready_check() -> None:
    """A readiness check that passes (the chatbot's services have one: their instances run a probe thread)."""


def test_stopping_an_idle_deployment_after_every_kind_of_traffic_does_not_wait_for_the_drain_timeout() -> None:
    app = puma.App()
    app.configure({"puma_services": {"echo": {"prefix": "/echo", "readiness": f"{__name__}:ready_check", "max_body_bytes": 1000,
                                              "methods": ["POST"]},
                                     "plain": {"prefix": "/plain", "methods": ["GET"]}},
                   "http_connection_manager": {"drain_timeout": DRAIN_TIMEOUT_S}})
    app.add_services({"echo": basic.echo, "plain": basic.plain})
    mesh = app.start(listener={"port": 0})
    try:
        with httpx.Client(base_url=mesh.url, timeout=10) as kept:  # one kept-alive connection, as a browser's
            for _ in range(5):
                assert kept.get("/_puma/ready").status_code == 200  # what a script polls while it waits
            assert kept.post("/echo", json={"a": 1}).status_code == 200  # JSON: the fast path
            assert kept.post("/echo", content=b"{bad", headers={"content-type": "application/json"}).status_code == 400
            assert kept.post("/echo", content=b"x" * 5000, headers={"content-type": "application/json"}).status_code == 413
            assert kept.post("/echo", data={"a": "1"}).status_code == 200  # a form: through Flask
            assert kept.put("/echo", json={}).status_code == 405
            assert kept.get("/plain").status_code == 200
            assert kept.get("/plain/nowhere").status_code in (200, 404)
            assert kept.get("/_puma/status").status_code == 200
            started = time.monotonic()
            mesh.stop()  # the client's connection is still open, idle
            took = time.monotonic() - started
    finally:
        mesh.stop()
    assert took < DRAIN_TIMEOUT_S / 3, f"an idle deployment took {took:.1f} s to stop"
