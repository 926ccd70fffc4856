"""A supervisor that did not run (SIGSTOP, a debugger, a suspend) is no service's warm-up: stopped
for 10 s while a 3 s warm-up ran, it later tells clients of that service's restart to come back
after about 3 s, not 13 (Retry-After comes from what was measured, and is bounded); and while it is
stopped, `puma status` says for how long it has not answered. Real `puma run`, real Envoy."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil  # type: ignore[import-untyped]

from puma import instances
from puma.stalls import Stalls
from tests.helpers import continued_after, stop_run, wait_for

ROOT = Path(__file__).resolve().parents[1]
WARM_S = 3.0
STOPPED_S = 10.0
WARM = f"""\
import time

def warm() -> None:
    time.sleep({WARM_S})
"""
APP = """\
import puma

def slow(text: str = "") -> dict:
    return {"text": text}

puma.puma_config({"puma_services": {"slow": {"prefix": "/slow", "warmup": "stalled_warm:warm", "instances": 1}}})
puma.puma_service({"slow": slow})
"""


def test_stalls_a_late_tick_is_a_span_the_process_did_not_run_and_only_its_overlap_counts() -> None:
    watch = Stalls(now=100.0)
    assert watch.tick(100.25) is None and watch.tick(100.6) is None  # a busy machine's late tick: no stall
    assert watch.tick(130.85) == 30.0  # stopped for 30 s
    assert watch.paused_within(90.0, 200.0) == 30.0
    assert watch.paused_within(110.85, 120.85) == 10.0  # only what overlaps
    assert watch.paused_within(131.0, 140.0) == 0.0


def test_stalls_a_measured_figure_past_the_bound_is_said_as_the_bound() -> None:
    pool = instances.ServicePool.__new__(instances.ServicePool)
    pool._warming_said, pool.warmup_s, pool.restarting = True, 600.0, True
    pool.zygote_started_at = time.monotonic()
    pool.routable = lambda: []  # type: ignore[method-assign]
    assert pool.warming_s() == instances.MAX_WARMING_RETRY_AFTER_S


def _workers(pid: int) -> list[psutil.Process]:
    try:
        return [p for p in psutil.Process(pid).children(recursive=True) if "--service slow" in " ".join(p.cmdline())]
    except psutil.Error:
        return []


def _warming_reply(url: str) -> httpx.Response | None:
    reply = httpx.post(url + "/slow", json={}, timeout=10)
    return reply if reply.status_code == 503 and reply.headers.get("retry-after") not in (None, "1") else None


def _puma(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "puma.cli", *args], capture_output=True, text=True, timeout=60)


def test_stalls_a_supervisor_stopped_during_start_up_is_not_counted_as_warm_up(tmp_path: Path) -> None:
    (tmp_path / "stalled_app.py").write_text(APP)
    (tmp_path / "stalled_warm.py").write_text(WARM)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    proc = subprocess.Popen([sys.executable, "-m", "puma.cli", "run", "stalled_app.py", "--port", "0"], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    try:
        with continued_after(proc.pid):
            wait_for(lambda: _workers(proc.pid), timeout_s=60, message="the zygote warming up")
            os.kill(proc.pid, signal.SIGSTOP)  # the supervisor alone: its zygote warms up meanwhile
            time.sleep(STOPPED_S)  # the stall itself is what is tested
        out = proc.stdout
        assert out is not None
        url = wait_for(lambda: "serving at " in (line := out.readline()) and line.split("serving at ")[1].split()[0],
                       timeout_s=90, message="serving")
        wait_for(lambda: httpx.post(url + "/slow", json={}, timeout=10).status_code == 200, timeout_s=30,
                 message="slow served")
        # Its zygote and instance die: clients are told how long its warm-up takes, as measured.
        for worker in sorted(_workers(proc.pid), key=lambda p: "instance" not in " ".join(p.cmdline())):
            worker.kill()
        reply = wait_for(lambda: _warming_reply(url), timeout_s=45, message="a 503 saying how long")
        # The warm-up as measured (slower on a loaded machine), never with the stall in it (WARM_S + STOPPED_S).
        assert 2 <= int(reply.headers["retry-after"]) <= WARM_S + STOPPED_S / 2, reply.headers
        wait_for(lambda: httpx.post(url + "/slow", json={}, timeout=10).status_code == 200, timeout_s=60,
                 message="served again")
        # Stopped again: `puma status` says it does not answer, and for how long.
        with continued_after(proc.pid):
            os.kill(proc.pid, signal.SIGSTOP)
            status = _puma("status", "--url", url)
        assert status.returncode == 1 and "the supervisor has not answered for" in status.stderr, status.stderr
        said_s = int(status.stderr.split("has not answered for ")[1].split()[0])
        assert 4 <= said_s <= 30, status.stderr  # puma status waits 5 s for it
    finally:
        stop_run(proc)
