"""Instances on other hosts: `puma worker --join` registers with the core, which routes to them."""

from __future__ import annotations

import signal
import subprocess
import sys

import httpx
import pytest

import puma
from tests.apps import basic
from tests.helpers import wait_for

SECRET = "test-secret-for-workers"


@pytest.fixture(scope="module")
def mesh():
    app = puma.App()
    app.configure({"secret": SECRET, "puma_services": {"echo": {"prefix": "/echo", "idempotent": True}}})
    app.add_services({"echo": basic.echo})
    with app.start(listener={"port": 0}) as deployment:
        yield deployment


def _worker(url: str, *extra: str, token: str = SECRET, log=None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "puma.cli", "worker", "--join", url, "--service", "echo",
                             "--token", token, *extra], stdout=subprocess.DEVNULL, stderr=log or subprocess.DEVNULL)


def _remote(mesh) -> list:
    return [i for i in mesh.instances("echo") if i.remote]


def test_worker_instances_join_serve_and_leave(mesh):
    proc = _worker(mesh.url, "--instances", "2")
    try:
        wait_for(lambda: len(_remote(mesh)) == 2, timeout_s=30, message="two remote instances")
        remote_pids = {i.pid for i in _remote(mesh)}
        with httpx.Client(base_url=mesh.url) as http:
            seen = {http.post("/echo", json={}).json()["pid"] for _ in range(30)}
        assert remote_pids <= seen
        status = httpx.get(mesh.url + "/_puma/status").json()["services"]["echo"]
        assert sum(1 for i in status["instances"] if i["worker"]) == 2
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    wait_for(lambda: not _remote(mesh), timeout_s=10, message="worker gone from the endpoints")
    assert httpx.post(mesh.url + "/echo", json={}).status_code == 200


def test_worker_that_vanishes_is_expired(mesh):
    proc = _worker(mesh.url)
    try:
        wait_for(lambda: len(_remote(mesh)) == 1, timeout_s=30, message="remote instance")
        proc.kill()  # no goodbye: its instance dies with its zygote's parent gone
        proc.wait()
        wait_for(lambda: not _remote(mesh), timeout_s=15, message="expiry")
        with httpx.Client(base_url=mesh.url) as http:
            assert all(http.post("/echo", json={}).status_code == 200 for _ in range(10))
    finally:
        if proc.poll() is None:
            proc.kill()


def test_worker_with_wrong_token_is_refused(mesh, tmp_path):
    with open(tmp_path / "worker.log", "w") as log:
        proc = _worker(mesh.url, token="wrong", log=log)
        assert proc.wait(timeout=30) == 1
    assert "refused the worker: HTTP 401" in (tmp_path / "worker.log").read_text()


def test_worker_report_of_nothing_new_is_a_digest_and_an_unknown_digest_is_asked_again(mesh):
    url, headers = mesh.url + "/_puma/workers", {"x-puma-token": SECRET}
    full = {"worker": "w-digest", "service": "echo", "digest": "d1", "instances": []}
    try:
        assert "settings" in httpx.post(url, json=full, headers=headers).json()
        same = httpx.post(url, json={"worker": "w-digest", "service": "echo", "digest": "d1"}, headers=headers).json()
        assert same == {"service": "echo", "replace": []}
        other = httpx.post(url, json={"worker": "w-digest", "service": "echo", "digest": "d2"}, headers=headers).json()
        assert other == {"service": "echo", "resend": True}
        stranger = httpx.post(url, json={"worker": "w-unknown", "service": "echo", "digest": "d1"}, headers=headers)
        assert stranger.json()["resend"] is True
    finally:
        httpx.delete(url + "/w-digest", headers=headers)
