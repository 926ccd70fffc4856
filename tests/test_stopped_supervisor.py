"""A `puma run` whose supervisor is stopped (SIGSTOP, a terminal's Ctrl-Z) while Envoy and the
instances serve (newcomer 43, C2): `puma status` says the supervisor does not answer (the address
is right), `puma scale` says its change was sent but not confirmed (exit code 3) and the change is
applied once the supervisor resumes; /_puma/ paths answer naming the supervisor, never a service's
"(- s)" timeout. Real `puma run`, real Envoy, a free port."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.helpers import serving_run, wait_for

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def run() -> Iterator[tuple[subprocess.Popen[str], str]]:
    with serving_run(ROOT / "examples" / "hello_app.py") as running:
        yield running


def _puma(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "puma.cli", *args], capture_output=True, text=True, timeout=60)


def _instances(url: str, service: str) -> int:
    status = _puma("status", "--url", url, "--json")
    return len(json.loads(status.stdout)["services"][service]["instances"]) if not status.returncode else -1


def test_a_stopped_supervisor_is_named_and_a_scale_sent_to_it_is_not_confirmed_then_applied(run) -> None:  # noqa: ANN001
    proc, url = run
    os.kill(proc.pid, signal.SIGSTOP)
    # Each of these waits out the supervisor's 5 s: asked side by side, the test waits it out once.
    with ThreadPoolExecutor(max_workers=4) as pool:
        asked_status = pool.submit(_puma, "status", "--url", url)
        asked_path = pool.submit(httpx.get, url + "/_puma/status", timeout=30)
        asked_scale = pool.submit(_puma, "scale", "shout", "2", "--url", url)
        # Readiness follows the data path: Envoy answers it from what the supervisor last published.
        ready = httpx.get(url + "/_puma/ready", timeout=30)
        assert ready.status_code == 200 and ready.json()["supervisor_answered"] is False, ready.text
        assert httpx.post(url + "/shout", json={"text": "a"}, timeout=10).json() == {"text": "A!"}  # services serve
        status = asked_status.result()
        assert status.returncode == 1
        assert f"its supervisor (pid {proc.pid}) did not within 5 s" in status.stderr, status.stderr
        assert f"kill -CONT {proc.pid}" in status.stderr and "address `puma run` printed" not in status.stderr
        reply = asked_path.result()
        body = reply.json()
        assert reply.status_code == 504 and body["supervisor_answered"] is False, reply.text
        assert "(- s)" not in body["error"] and "may_have_taken_effect" not in body
        assert "supervisor" in body["error"] and "retry-after" not in reply.headers
        scale = asked_scale.result()
    assert scale.returncode == 3, scale.stderr
    assert "sent, not confirmed" in scale.stderr and "may still apply the scale" in scale.stderr
    os.kill(proc.pid, signal.SIGCONT)
    wait_for(lambda: _instances(url, "shout") == 2, timeout_s=60, message="the scale applied after SIGCONT")
