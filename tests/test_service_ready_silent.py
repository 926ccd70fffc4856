"""`/_puma/ready/<service>` while the supervisor is stopped (SIGSTOP, Ctrl-Z) or cannot be reached:
Envoy answers at once, a JSON 503 saying the supervisor is not answering, with `Retry-After` —
never a 5 s hang ending in a 504, or an empty reply. Real `puma run`, real Envoy, a free port."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import continued_after, serving_run, wait_for

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def run() -> Iterator[tuple[subprocess.Popen[str], str]]:
    with serving_run(ROOT / "examples" / "hello_app.py") as running:
        yield running


def _ask(url: str) -> tuple[httpx.Response, float]:
    began = time.monotonic()
    reply = httpx.get(url, timeout=10)
    return reply, time.monotonic() - began


def _stop(pid: int) -> None:
    os.kill(pid, signal.SIGSTOP)
    wait_for(lambda: Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T",
             message="the supervisor stopped")


def test_service_ready_a_stopped_supervisor_is_said_in_a_json_503_within_a_second(run) -> None:  # noqa: ANN001
    proc, url = run
    wait_for(lambda: httpx.get(url + "/_puma/ready/shout", timeout=10).status_code == 200, timeout_s=60,
             message="shout ready")
    with continued_after(proc.pid):
        _stop(proc.pid)
        for path in ("/_puma/ready/shout", "/_puma/ready/greet?x=1", "/_puma/ready/nosuch"):
            reply, took_s = _ask(url + path)
            assert took_s < 1.5, (path, took_s)  # a probe's timeout is 1-5 s; not the status route's 5 s
            assert reply.status_code == 503 and reply.headers["content-type"].startswith("application/json"), \
                (path, reply.status_code, reply.text)
            body = reply.json()
            assert body["ready"] is False and body["supervisor_answered"] is False, body
            assert "not answering" in body["error"] and "kill -CONT" in body["error"], body
            assert body["path"] == path and reply.headers["retry-after"] == "1", (body, reply.headers)
        # Its services still serve meanwhile.
        assert httpx.post(url + "/shout", json={"text": "a"}, timeout=10).json() == {"text": "A!"}
    reply = wait_for(lambda: (r := httpx.get(url + "/_puma/ready/shout", timeout=10)).status_code == 200 and r,
                     timeout_s=15, message="the supervisor's own answer again")
    assert reply.json()["service"] == "shout" and "supervisor_answered" not in reply.json()
