"""`/_puma/ready/<service>` while the supervisor is stopped (SIGSTOP, Ctrl-Z) or starved: like
`/_puma/ready`, Envoy answers within `READY_TIMEOUT_S` from what the supervisor last published for
THAT service — 200 for one that serves, 503 for one it said is not ready — saying the supervisor did
not answer, instead of a 504 after 5 s that fails a load balancer's probe of a service that serves.
An internal service is not named to the public listener then either. Real `puma run`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from puma.admin import Admin
from puma.defaults import READY_TIMEOUT_S, service_ready_key
from tests.helpers import serving_run, wait_for

ROOT = Path(__file__).resolve().parents[1]

CHECK = """\
import os, pathlib

def check():
    return not pathlib.Path(os.environ["DOWN_FLAG"]).exists()
"""
APP = """\
import puma

def echo(text: str = "") -> dict:
    return {"text": text}

def side() -> dict:
    return {"side": True}

def ledger() -> dict:
    return {"ledger": True}

puma.puma_config({"puma_services": {
    "echo": {"prefix": "/echo", "readiness": {"check": "ready_check:check", "period_s": 0.5}},
    "side": {"prefix": "/side"},
    "ledger": {"prefix": "/ledger", "visibility": "internal"}}})
puma.puma_service({"echo": echo, "side": side, "ledger": ledger})
"""


@pytest.fixture
def run(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    (tmp_path / "svc_ready_app.py").write_text(APP)
    (tmp_path / "ready_check.py").write_text(CHECK)
    flag = tmp_path / "down"
    env = {**os.environ, "DOWN_FLAG": str(flag), "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    with serving_run("svc_ready_app.py", cwd=tmp_path, env=env) as (proc, url):
        yield proc, url, flag


def _probe(url: str, service: str) -> tuple[httpx.Response, float]:
    began = time.monotonic()
    reply = httpx.get(f"{url}/_puma/ready/{service}", timeout=10)
    return reply, time.monotonic() - began


def _published(url: str, expected: dict[str, bool]) -> None:
    """Wait until Envoy's runtime holds each service's readiness as the supervisor publishes it."""
    where = httpx.get(url + "/_puma/status", timeout=10).json()["envoy"]["admin"]  # "unix:PATH" or a URL
    admin = Admin(socket_path=where.removeprefix("unix:")) if where.startswith("unix:") else Admin(
        int(where.rsplit(":", 1)[1]))

    def holds() -> bool:
        entries = json.loads(admin.get("/runtime"))["entries"]
        return all(entries.get(service_ready_key(name), {}).get("final_value") == ("100" if ready else "0")
                   for name, ready in expected.items())

    wait_for(holds, timeout_s=30, message=f"Envoy holds the published readiness {expected}")


def _stopped(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGSTOP)
    wait_for(lambda: Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T",
             message="the supervisor stopped")


def _said_by_envoy(reply: httpx.Response, took_s: float, service: str, status: int) -> None:
    body = reply.json()
    assert reply.status_code == status and body["ready"] is (status == 200), reply.text
    assert body["service"] == service and body["supervisor_answered"] is False, body
    assert "did not answer" in json.dumps(body) and "last published" in json.dumps(body), body
    assert took_s < READY_TIMEOUT_S + 0.7, took_s
    assert reply.headers.get("cache-control") == "no-store", reply.headers


def test_ready_from_envoy_service_each_service_answers_at_once_from_what_was_published(run) -> None:  # noqa: ANN001
    proc, url, flag = run
    wait_for(lambda: _probe(url, "echo")[0].status_code == 200, timeout_s=60, message="echo ready")
    _published(url, {"echo": True, "side": True})
    _stopped(proc)
    try:
        for service in ("echo", "side", "echo"):
            _said_by_envoy(*_probe(url, service), service, 200)
        query, took_s = (lambda b: (httpx.get(f"{url}/_puma/ready/side?probe=lb", timeout=10), time.monotonic() - b))(
            time.monotonic())
        _said_by_envoy(query, took_s, "side", 200)
    finally:
        os.kill(proc.pid, signal.SIGCONT)
    flag.touch()  # what echo needs is down: the supervisor says echo is not ready, side still is
    wait_for(lambda: _probe(url, "echo")[0].status_code == 503, timeout_s=30, message="echo not ready")
    _published(url, {"echo": False, "side": True})
    _stopped(proc)
    try:
        reply, took_s = _probe(url, "echo")
        _said_by_envoy(reply, took_s, "echo", 503)
        assert reply.headers.get("retry-after"), reply.headers
        _said_by_envoy(*_probe(url, "side"), "side", 200)
    finally:
        os.kill(proc.pid, signal.SIGCONT)
    flag.unlink()
    wait_for(lambda: _probe(url, "echo")[0].status_code == 200, timeout_s=30, message="echo ready again")


def test_ready_from_envoy_service_names_no_internal_service_to_the_public(run) -> None:  # noqa: ANN001
    proc, url, _ = run
    wait_for(lambda: _probe(url, "side")[0].status_code == 200, timeout_s=60, message="side ready")
    _published(url, {"side": True, "ledger": True})
    _stopped(proc)
    try:
        for asked in ("ledger", "no-such-service"):
            reply, _took = _probe(url, asked)
            body = {k: v for k, v in reply.json().items() if k != "path"}  # the path asked is echoed back
            assert reply.status_code >= 500 and "ledger" not in json.dumps(body), reply.text
            assert body.get("ready") is None, reply.text  # no readiness of it, told or made up
    finally:
        os.kill(proc.pid, signal.SIGCONT)
