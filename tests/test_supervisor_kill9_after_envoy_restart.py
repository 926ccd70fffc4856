"""`kill -9` of `puma run` after its Envoy was restarted: the restarted Envoy dies with it, and the
next `puma run` on the same port serves. Before, Envoy restarted by its watch thread had no death
signal (PR_SET_PDEATHSIG is tied to the forking *thread*): it outlived the supervisor, held the port
and answered 503 for instances that no longer existed. Real Envoy, real `puma run`, free ports."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.helpers import port_bindable, process_alive, serving_run, wait_for

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "examples" / "hello_app.py"



def _envoy_pid(url: str) -> int | None:
    try:
        return int(httpx.get(url + "/_puma/status", timeout=2).json()["envoy"]["pid"])
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return None


def _kill(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            if process_alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_restarted_envoy_dies_with_a_killed_puma_run_and_the_port_serves_again() -> None:
    seen: list[int] = []
    try:
        with serving_run(APP) as (proc, url):
            port = int(url.rsplit(":", 1)[1])
            first = wait_for(lambda: _envoy_pid(url), message="Envoy's pid in the status")
            os.kill(first, signal.SIGKILL)
            second = wait_for(lambda: (pid := _envoy_pid(url)) != first and pid, timeout_s=30,
                              message="Envoy started again")
            seen += [first, second]
            os.kill(proc.pid, signal.SIGKILL)
            wait_for(lambda: not process_alive(second), timeout_s=10, message="the restarted Envoy gone with puma run")
            wait_for(lambda: port_bindable(port), timeout_s=10, message="the port free again")
        again = subprocess.Popen([sys.executable, "-m", "puma.cli", "run", str(APP), "--port", str(port)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            reply = wait_for(lambda: _hello(port), timeout_s=90, message="the second puma run serving")
            assert reply.status_code == 200
            seen.append(wait_for(lambda: _envoy_pid(f"http://127.0.0.1:{port}"), message="its Envoy"))
        finally:
            again.terminate()
            again.wait(60)
    finally:
        _kill(seen)


def _hello(port: int) -> httpx.Response | None:
    try:
        reply = httpx.get(f"http://127.0.0.1:{port}/_puma/ready", timeout=2)
    except httpx.HTTPError:
        return None
    return reply if reply.status_code == 200 else None
