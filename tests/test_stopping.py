"""What a client is told while a deployment stops: its request in progress finishes; a new one is
a 503 that says the deployment is stopping (not starting), with Retry-After."""

from __future__ import annotations

import threading

import httpx

import puma
from puma.localreplies import STOPPING_RETRY_AFTER_S
from tests.apps import basic
from tests.helpers import wait_for


def test_stopping_a_new_request_is_told_the_deployment_is_stopping():
    app = puma.App()
    app.configure({"puma_services": {"slow": {"prefix": "/slow"}, "echo": {"prefix": "/echo"}},
                   "http_connection_manager": {"drain_timeout": 5}})
    app.add_services({"slow": basic.slow, "echo": basic.echo})
    mesh = app.start(listener={"port": 0})
    answers: list[httpx.Response] = []
    stopper = None
    try:
        before = httpx.post(mesh.url + "/echo", json={}, timeout=10)
        assert before.status_code == 200
        call = threading.Thread(target=lambda: answers.append(httpx.post(mesh.url + "/slow", json={"s": 2}, timeout=20)))
        call.start()
        wait_for(lambda: mesh.status()["services"]["slow"]["in_flight"] == 1, message="the slow call in progress")
        stopper = threading.Thread(target=mesh.stop)
        stopper.start()
        refused = wait_for(lambda: (r := httpx.post(mesh.url + "/echo", json={}, timeout=5)).status_code == 503 and r,
                           timeout_s=10, message="a 503 while stopping")
        body = refused.json()
        assert "stopping" in body["error"] and "starting" not in body["error"], body
        # Not 1 s: a client obeying it would poll all through a restart (45-100 s).
        assert body["service"] == "echo" and refused.headers["retry-after"] == str(STOPPING_RETRY_AFTER_S)
        call.join(timeout=20)
        assert [a.status_code for a in answers] == [200]  # the request in progress finished
    finally:
        if stopper is not None:
            stopper.join(timeout=30)
        mesh.stop()
