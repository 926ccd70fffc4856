"""`/_puma/ready` while the supervisor is stopped (SIGSTOP, Ctrl-Z) or starved: readiness follows the
data path. Envoy answers within `READY_TIMEOUT_S` from the readiness the supervisor last published
— 200 while the services serve, 503 once it said not ready — instead of a 504 after 5 s that makes
every load balancer (probe timeouts 1-5 s) pull a deployment whose services serve. Real `puma run`."""

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
from puma.defaults import READY_KEY, READY_TIMEOUT_S
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

puma.puma_config({"puma_services": {"echo": {"prefix": "/echo", "readiness": {"check": "ready_check:check",
                                                                                 "period_s": 0.5}}}})
puma.puma_service({"echo": echo})
"""


@pytest.fixture
def run(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    (tmp_path / "ready_app.py").write_text(APP)
    (tmp_path / "ready_check.py").write_text(CHECK)
    flag = tmp_path / "down"
    env = {**os.environ, "DOWN_FLAG": str(flag), "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    with serving_run("ready_app.py", cwd=tmp_path, env=env) as (proc, url):
        yield proc, url, flag


def _probe(url: str) -> tuple[httpx.Response, float]:
    began = time.monotonic()
    reply = httpx.get(url + "/_puma/ready", timeout=10)
    return reply, time.monotonic() - began


def _published(url: str, ready: bool) -> None:
    """Wait until Envoy's runtime holds the readiness the supervisor publishes (`READY_KEY`): what
    Envoy answers `/_puma/ready` from while the supervisor cannot."""
    where = httpx.get(url + "/_puma/status", timeout=10).json()["envoy"]["admin"]  # "unix:PATH" or a URL
    admin = Admin(socket_path=where.removeprefix("unix:")) if where.startswith("unix:") else Admin(
        int(where.rsplit(":", 1)[1]))

    def holds() -> bool:
        entries = json.loads(admin.get("/runtime"))["entries"]
        return entries.get(READY_KEY, {}).get("final_value") == ("100" if ready else "0")

    wait_for(holds, timeout_s=30, message=f"Envoy holds the published readiness {ready}")


def _stopped(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGSTOP)
    wait_for(lambda: Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T",
             message="the supervisor stopped")


def test_ready_from_envoy_a_stopped_supervisor_leaves_readiness_to_the_data_path(run) -> None:  # noqa: ANN001
    proc, url, flag = run
    wait_for(lambda: _probe(url)[0].status_code == 200, timeout_s=30, message="ready")
    _published(url, ready=True)
    _stopped(proc)
    try:
        for _ in range(3):  # each probe, within a load balancer's 1 s timeout
            reply, took_s = _probe(url)
            body = reply.json()
            assert reply.status_code == 200 and body["ready"] is True, reply.text
            assert body["supervisor_answered"] is False and "last published" in body["note"], body
            assert took_s < READY_TIMEOUT_S + 0.7, took_s
        assert httpx.post(url + "/echo", json={"text": "a"}, timeout=10).json() == {"text": "a"}
    finally:
        os.kill(proc.pid, signal.SIGCONT)
    flag.touch()  # what echo needs is down: the supervisor says not ready, and publishes it
    wait_for(lambda: _probe(url)[0].status_code == 503, timeout_s=30, message="not ready")
    _published(url, ready=False)
    _stopped(proc)
    try:
        reply, took_s = _probe(url)
        assert reply.status_code == 503 and reply.json()["ready"] is False, reply.text
        assert reply.json()["supervisor_answered"] is False and took_s < READY_TIMEOUT_S + 0.7, (reply.text, took_s)
    finally:
        os.kill(proc.pid, signal.SIGCONT)
    flag.unlink()
    wait_for(lambda: _probe(url)[0].status_code == 200, timeout_s=30, message="ready again")


def _dashboard(url: str, accept: str) -> tuple[httpx.Response, float]:
    began = time.monotonic()
    reply = httpx.get(url + "/_puma/dashboard?refresh_s=10", headers={"accept": accept}, timeout=10)
    return reply, time.monotonic() - began


def test_ready_from_envoy_the_status_page_says_a_stopped_supervisor_within_a_second(run, new_page) -> None:  # noqa: ANN001
    """An operator opening /_puma/dashboard while the supervisor is stopped gets, within about a
    second, a page saying it is not answering and what it last published, never a blank tab for 5 s."""
    proc, url, flag = run
    wait_for(lambda: _probe(url)[0].status_code == 200, timeout_s=30, message="ready")
    _published(url, ready=True)
    _stopped(proc)
    try:
        for accept in ("text/html,application/xhtml+xml,*/*;q=0.8", "*/*"):  # a browser, curl
            reply, took_s = _dashboard(url, accept)
            assert reply.headers["content-type"].startswith("text/html") and took_s < 2.0, (took_s, reply.text)
            assert "<h1>Status not answering</h1>" in reply.text and "every service was ready" in reply.text, reply.text
        view = new_page()
        began = time.monotonic()
        view.goto(url + "/_puma/dashboard", timeout=2500)
        assert time.monotonic() - began < 2.5 and "kill -CONT" in view.locator("main").inner_text()
        assert httpx.post(url + "/echo", json={"text": "a"}, timeout=10).json() == {"text": "a"}  # still serves
    finally:
        os.kill(proc.pid, signal.SIGCONT)
    flag.touch()
    wait_for(lambda: _probe(url)[0].status_code == 503, timeout_s=30, message="not ready")
    _published(url, ready=False)
    _stopped(proc)
    try:
        reply, took_s = _dashboard(url, "text/html")
        assert took_s < 2.0 and "some service was not ready" in reply.text, (took_s, reply.text)
    finally:
        os.kill(proc.pid, signal.SIGCONT)
    # Running again: the supervisor's own page, at once.
    assert "PUMA deployment" in wait_for(lambda: (r := _dashboard(url, "text/html")[0]).status_code == 200 and r.text,
                                         timeout_s=10, message="the status page again")


@pytest.mark.parametrize("query", ["", "?refresh_s=30"])
def test_ready_from_envoy_an_open_status_page_says_a_stopped_supervisor_within_two_seconds(  # noqa: ANN201
        run, new_page, query: str):  # noqa: ANN001
    """A /_puma/dashboard already open when the supervisor stops says so within about 1.5 s (not at
    its next update, 5 s or more away), in the words a freshly opened one gets (the services still
    serve; kill -CONT resumes it), marks the figures as from before, and is live again once resumed."""
    proc, url, _ = run
    wait_for(lambda: _probe(url)[0].status_code == 200, timeout_s=30, message="ready")
    _published(url, ready=True)
    view = new_page()
    view.goto(url + "/_puma/dashboard" + query)
    view.wait_for_timeout(1500)  # the page's own polling under way, the supervisor answering
    assert "not answering" not in view.locator("#said").inner_text().lower()
    _stopped(proc)
    began = time.monotonic()
    try:
        view.wait_for_function("() => /not answering/i.test(document.getElementById('said').textContent)",
                               timeout=4000)
        took_s = time.monotonic() - began
        said = view.locator("#said").inner_text()
        assert took_s < 2.5, (took_s, said)
        assert "still serve" in said and "kill -CONT" in said and "from before" in said, said
        assert "From before" in view.locator("#services").inner_text(), "the figures are not marked as old"
    finally:
        os.kill(proc.pid, signal.SIGCONT)
    view.wait_for_function("() => !/not answering/i.test(document.getElementById('said').textContent)",
                           timeout=15000)
    assert "From before" not in view.locator("#services").inner_text()
