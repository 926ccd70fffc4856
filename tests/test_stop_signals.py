"""A stop is handled at once whichever thread of a process the kernel hands its signal to.

Linux gives a signal sent to a process to any thread that does not block it (a thread starting
another takes a pending one); Python runs the handler in the main thread, which slept on in
`select()` or on a lock. An idle instance then waited for its zygote's kill at its drain timeout
(`make stop` took 16-21 s, now and then), and `puma run` never saw a SIGTERM at all. Here the
signal is sent to a chosen thread (`tgkill`), as the kernel sometimes does. Real Envoy, instances
and `puma run`, free ports.
"""

from __future__ import annotations

import ctypes
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

import puma
from puma import draining
from puma.counters import Counters
from puma.zygote import DRAIN_SIGNAL
from tests.apps import basic
from tests.helpers import wait_for

ROOT = Path(__file__).resolve().parents[1]
DRAIN_TIMEOUT_S = 30  # a stop that waited on an idle instance would take about this long
QUICK_S = 5.0  # an idle instance's drain, with a busy machine's scheduling


def ready_check() -> None:
    """A readiness check that passes: its instance runs a probe thread, which starts a thread per check."""


def ready_check_starting_threads() -> None:
    """A readiness check that pings its store from worker threads, one after another, for a while (a
    pool of pings): its thread starts threads all the time, and Linux hands a pending signal to such a thread."""
    deadline = time.monotonic() + 10
    if os.environ.get("CHECKS_STARTED"):  # the test waits until every instance's checks are under way
        Path(os.environ["CHECKS_STARTED"], str(os.getpid())).touch()
    while time.monotonic() < deadline:
        worker = threading.Thread(target=time.sleep, args=(0.002,))  # a ping's wait: little CPU
        worker.start()
        worker.join()


def start_a_thread() -> None:
    """A warm-up that leaves a thread running in the zygote (a library's pool, a cache refresher)."""
    threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()


def _tgkill(pid: int, tid: int, sig: int) -> None:
    """Send `sig` to thread `tid` of process `pid`, as the kernel may pick it for a signal sent to the process."""
    if ctypes.CDLL(None, use_errno=True).tgkill(pid, tid, sig) != 0:
        raise OSError(ctypes.get_errno(), f"tgkill({pid}, {tid}, {sig})")


def _other_threads(pid: int) -> list[int]:
    return sorted(int(t) for t in os.listdir(f"/proc/{pid}/task") if int(t) != pid)


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


def _mesh(services: dict[str, dict], targets: dict) -> puma.Deployment:
    app = puma.App()
    app.configure({"puma_services": services, "http_connection_manager": {"drain_timeout": DRAIN_TIMEOUT_S}})
    app.add_services(targets)
    return app.start(listener={"port": 0})


@pytest.mark.parametrize("which", ["first", "last"])
def test_an_instance_told_to_drain_on_another_thread_exits_at_once(which: str) -> None:
    # Envoy's checks (which would wake the instance's loop) come once a minute: only the signal can.
    mesh = _mesh({"echo": {"prefix": "/echo", "readiness": {"check": f"{__name__}:ready_check", "period_s": 60},
                           "health_check": {"interval_s": 60}}}, {"echo": basic.echo})
    try:
        assert httpx.post(mesh.url + "/echo", json={"a": 1}, timeout=10).status_code == 200  # a request thread too
        pid = mesh.instances("echo")[0].pid
        assert pid is not None
        threads = _other_threads(pid)
        assert threads, "the instance runs no thread besides its main one"
        started = time.monotonic()
        _tgkill(pid, threads[0] if which == "first" else threads[-1], DRAIN_SIGNAL)
        wait_for(lambda: _gone(pid), timeout_s=DRAIN_TIMEOUT_S, interval_s=0.05, message=f"instance pid {pid} to exit")
        took = time.monotonic() - started
    finally:
        mesh.stop()
    assert took < QUICK_S, f"an idle instance took {took:.1f} s to drain after its stop signal"


def test_stopping_instances_whose_readiness_checks_start_threads_waits_for_none(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHECKS_STARTED", str(tmp_path))
    mesh = _mesh({"echo": {"prefix": "/echo", "instances": 2,
                           "readiness": {"check": f"{__name__}:ready_check_starting_threads", "timeout_s": 0.5,
                                         "period_s": 0.5}},
                  "plain": {"prefix": "/plain", "readiness": f"{__name__}:ready_check_starting_threads"}},
                 {"echo": basic.echo, "plain": basic.plain})
    try:
        assert httpx.post(mesh.url + "/echo", json={"a": 1}, timeout=10).status_code == 200
        wait_for(lambda: len(list(tmp_path.iterdir())) >= 3, timeout_s=30,
                 message="the 3 instances' readiness checks under way, starting threads")
        started = time.monotonic()
        mesh.stop()
        took = time.monotonic() - started
    finally:
        mesh.stop()
    assert took < QUICK_S, f"3 idle instances took {took:.1f} s to stop"


@pytest.mark.parametrize("which", ["first", "last"])
def test_a_zygote_sent_sigterm_on_another_thread_exits_at_once(which: str) -> None:
    # The supervisor's liveness ping (every interval_s, 60 s here) is the only other thing that wakes
    # an idle zygote: a SIGTERM another of its threads took waited for it.
    mesh = _mesh({"echo": {"prefix": "/echo", "warmup": f"{__name__}:start_a_thread", "instances": 2,
                           "health_check": {"interval_s": 60}}}, {"echo": basic.echo})
    try:
        pool = mesh.pools["echo"]
        assert pool.zygote is not None
        zygote = pool.zygote.pid
        assert zygote is not None
        threads = _other_threads(zygote)
        assert threads, "the zygote runs no thread besides its main one"
        serving = {i.pid for i in mesh.instances("echo")}
        started = time.monotonic()
        _tgkill(zygote, threads[0] if which == "first" else threads[-1], signal.SIGTERM)
        wait_for(lambda: _gone(zygote), timeout_s=DRAIN_TIMEOUT_S, interval_s=0.05, message=f"zygote pid {zygote} to exit")
        took = time.monotonic() - started
        # It exits alone: its instances serve on while the supervisor starts another zygote.
        assert {i.pid for i in mesh.instances("echo")} >= serving
        assert httpx.post(mesh.url + "/echo", json={"a": 1}, timeout=10).status_code == 200
    finally:
        mesh.stop()
    assert took < QUICK_S, f"an idle zygote took {took:.1f} s to act on its SIGTERM"


SIMPLE_APP = """\
from puma import puma_config, puma_start
puma_config({"puma_services": {"echo": {"prefix": "/echo", "target": "tests.apps.startup:answer"}}})
if __name__ == "__main__":
    puma_start()
"""


@pytest.mark.parametrize("sig, which", [(signal.SIGTERM, "first"), (signal.SIGTERM, "last"), (signal.SIGINT, "last")],
                         ids=["sigterm-first-thread", "sigterm-last-thread", "sigint-last-thread"])
def test_puma_run_stops_when_another_of_its_threads_takes_the_signal(tmp_path: Path, sig: int, which: str) -> None:
    app = tmp_path / "app.py"
    app.write_text(SIMPLE_APP)
    proc = subprocess.Popen([sys.executable, "-m", "puma.cli", "run", str(app), "--port", "0"], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # bounded: the run prints its URL, or ends
            if "PUMA is serving at" in line:
                break
        started = time.monotonic()
        for _ in range(50):  # a short-lived thread (a probe, a spawn) may end between listing and signal
            threads = _other_threads(proc.pid)
            try:
                _tgkill(proc.pid, threads[0] if which == "first" else threads[-1], sig)
                break
            except ProcessLookupError:
                continue
        else:
            pytest.fail("no thread of puma run lived long enough to be signalled")
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail(f"puma run still serving 30 s after {signal.Signals(sig).name} (taken by one of its threads)")
        took = time.monotonic() - started
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
    assert code == (130 if sig == signal.SIGINT else 0)  # Ctrl-C: 130 in every phase; SIGTERM: a stop asked for
    assert took < 15, f"puma run took {took:.1f} s to stop"


def _hold(counters: Counters, what: str, seconds: float) -> threading.Thread:
    """A request `what` on a thread of its own, running `seconds`."""
    def run() -> None:
        counters.enter(what)
        try:
            time.sleep(seconds)  # the request's own length: what the drain under test waits for
        finally:
            counters.leave()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    wait_for(lambda: counters.in_flight >= 1, message=f"{what} to start")
    return thread


@pytest.mark.parametrize("requests", [[("POST /listener", 0.8)], [("GET /healthz", 0.8), ("POST /agent", 1.2)]])
def test_a_drain_that_waits_says_which_requests_it_waits_for(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
                                                             requests: list[tuple[str, float]]) -> None:
    monkeypatch.setattr(draining, "DRAIN_REPORT_AFTER_S", 0.2)
    counters = Counters()
    held = [_hold(counters, what, seconds) for what, seconds in requests]
    with caplog.at_level(logging.WARNING, logger="puma.worker"):
        draining.wait_for_requests(counters, timeout_s=10, instance_id=1)
    assert counters.in_flight == 0  # it waited for them all
    said = [r.getMessage() for r in caplog.records if "draining" in r.getMessage()]
    assert said, "a drain that waited 0.8 s said nothing"
    assert f"waiting for {len(requests)} request" in said[0], said
    for what, _s in requests:
        assert re.search(re.escape(what) + r", \d+\.\d s", said[0]), said
    for thread in held:
        thread.join()


def test_a_drain_past_its_timeout_says_which_requests_it_leaves(caplog: pytest.LogCaptureFixture) -> None:
    counters = Counters()
    held = _hold(counters, "POST /wait", 3.0)
    with caplog.at_level(logging.WARNING, logger="puma.worker"):
        draining.wait_for_requests(counters, timeout_s=1.2, instance_id=1)
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "exiting past its drain timeout with 1 request: POST /wait" in said, said
    held.join()


def test_a_quick_drain_says_nothing(caplog: pytest.LogCaptureFixture) -> None:
    counters = Counters()
    held = _hold(counters, "POST /quick", 0.3)
    with caplog.at_level(logging.WARNING, logger="puma.worker"):
        draining.wait_for_requests(counters, timeout_s=5, instance_id=1)
    assert not [r for r in caplog.records if "draining" in r.getMessage()]
    held.join()
