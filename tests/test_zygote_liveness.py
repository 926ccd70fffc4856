"""A zygote that stops answering (SIGSTOP, a hang) is noticed by its liveness check, killed and
started again with its instances; the event log says why. Real zygotes, Envoy and instances."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time

import httpx
import pytest

import puma
from puma.zygotewatch import TIMEOUT_S, ZygoteWatch
from tests.apps import basic
from tests.helpers import wait_for


def _start(instances: int | dict, interval_s: float | None = None) -> puma.Deployment:
    checks = {"health_check": {"interval_s": interval_s}} if interval_s else {}
    app = puma.App()
    app.configure({"puma_services": {"echo": {"prefix": "/echo", "instances": instances, **checks},
                                     "other": {"prefix": "/other"}}})
    app.add_services({"echo": basic.echo, "other": basic.echo})
    return app.start(listener={"port": 0})


def _restarts(mesh: puma.Deployment) -> list[str]:
    return [e["message"] for e in mesh.status()["events"]
            if e.get("kind") == "zygote_restarted" and e["service"] == "echo"]


@contextlib.contextmanager
def _stopped(pid: int):
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)  # never leave a stopped process behind, whatever the test did


def _zygote_pid(mesh: puma.Deployment) -> int | None:
    zygote = mesh.pools["echo"].zygote  # None for a moment while it is restarted
    return zygote.pid if zygote is not None else None


def _served_by_new(mesh: puma.Deployment, old: set[int]) -> bool:
    resp = httpx.post(mesh.url + "/echo", json={}, timeout=10)
    return resp.status_code == 200 and resp.json()["pid"] not in old


def _restarted_and_serving(mesh: puma.Deployment, zygote: int, old: set[int], instances: int,
                           within_s: float, kept: int | None = None) -> None:
    """A new zygote, `instances` in all: the `kept` (default all) instances it had serve on."""
    started = time.monotonic()
    kept = instances if kept is None else kept
    wait_for(lambda: _zygote_pid(mesh) not in (zygote, None) and len(mesh.instances("echo")) == instances,
             timeout_s=within_s, message=f"a new zygote with its {instances} instances")
    assert len({i.pid for i in mesh.instances("echo")} & old) == kept, "its serving instances served on"
    if kept < instances:
        wait_for(lambda: _served_by_new(mesh, old), timeout_s=15, message="/echo served by a new instance")
    (event,) = _restarts(mesh)
    assert f"its zygote (pid {zygote}) did not answer a liveness check within {TIMEOUT_S:g} s" in event, event
    assert f"killed; started again; {kept} serving instance{'' if kept == 1 else 's'} kept serving" in event, event
    if kept < instances:
        assert f"{instances - kept} more starting" in event, event
    wait_for(lambda: not os.path.exists(f"/proc/{zygote}"), message="the stopped zygote gone (and reaped)")
    assert httpx.post(mesh.url + "/other", json={}, timeout=10).status_code == 200  # the other service untouched
    assert mesh.status()["services"]["echo"]["failed"] is None
    assert time.monotonic() - started < within_s + 15


def test_a_stopped_zygote_whose_instance_dies_is_restarted_with_its_instances():
    """The probe's case, with the default health checks: its instance's death needs a fork."""
    with _start(2) as mesh:
        zygote = mesh.pools["echo"].zygote.pid
        old = {i.pid for i in mesh.instances("echo")}
        with _stopped(zygote):
            os.kill(next(iter(old)), signal.SIGKILL)
            _restarted_and_serving(mesh, zygote, old, 2, within_s=45, kept=1)


def test_a_zygote_that_dies_while_the_fork_server_is_stopped_is_started_without_it():
    """A zygote asked of a stopped fork server never started: the service answered 503 for as long
    as the server stayed stopped, and its event said only "zygote died (code None)" (newcomer 56)."""
    with _start({"min": 1, "max": 2}) as mesh:
        server, zygote = mesh.fork_server.proc.pid, _zygote_pid(mesh)
        old = {i.pid for i in mesh.instances("echo")}
        with _stopped(server):
            os.kill(zygote, signal.SIGKILL)
            wait_for(lambda: _zygote_pid(mesh) not in (zygote, None) and mesh.pools["echo"].zygote_ready(),
                     timeout_s=30, message="a new zygote while the fork server stays stopped")
            mesh.scale("echo", 2)  # a fork: asked of the new zygote
            wait_for(lambda: _served_by_new(mesh, old), timeout_s=30,
                     message="/echo served by a new instance while the fork server stays stopped")
            said = [e["message"] for e in mesh.status()["events"] if e.get("kind") == "forkserver_stopped"]
            assert said and f"the fork server (pid {server}) is stopped" in said[0], said
            assert f"kill -CONT {server}" in said[0]
        assert httpx.post(mesh.url + "/other", json={}, timeout=10).status_code == 200


def test_a_stopped_zygote_is_found_by_its_periodic_check_alone():
    with _start(2, interval_s=1.0) as mesh:
        zygote = mesh.pools["echo"].zygote.pid
        old = {i.pid for i in mesh.instances("echo")}
        with _stopped(zygote):
            _restarted_and_serving(mesh, zygote, old, 2, within_s=TIMEOUT_S + 15)


def test_a_stopped_zygote_is_found_when_it_is_asked_to_fork():
    """No periodic check for 10 minutes: scaling up is what needs the zygote, and finds it stopped."""
    with _start({"min": 1, "max": 3}, interval_s=600) as mesh:
        zygote = mesh.pools["echo"].zygote.pid
        old = {i.pid for i in mesh.instances("echo")}
        with _stopped(zygote):
            mesh.scale("echo", 2)
            _restarted_and_serving(mesh, zygote, old, 2, within_s=TIMEOUT_S + 15, kept=1)


def test_a_zygote_that_answers_is_never_killed():
    with _start(1, interval_s=0.3) as mesh:
        pool = mesh.pools["echo"]
        zygote = pool.zygote.pid
        mesh.scale("echo", 1)  # a command too: checked at once
        wait_for(lambda: pool.watch is not None and pool.watch._last_pong >= 4, timeout_s=20,
                 message="four liveness checks answered")
        assert pool.zygote.pid == zygote and _restarts(mesh) == []


def _watch(answer: bool, killed: list[tuple[int, str]]) -> ZygoteWatch:
    def send(command: dict) -> bool:
        if answer:
            threading.Timer(0.01, lambda: watch.pong({"n": command["n"]})).start()
        return True

    watch = ZygoteWatch("svc", send, lambda: 4242 if not killed else None,
                        lambda pid, why: killed.append((pid, why)), period_s=0.05, timeout_s=0.2)
    watch.nudge()  # as after a command: checked at once, besides every period
    return watch


@pytest.mark.parametrize("answer", [True, False])
def test_zygote_watch_kills_only_a_zygote_that_does_not_answer(answer):
    killed: list[tuple[int, str]] = []
    watch = _watch(answer, killed)
    watch.start()
    try:
        if answer:
            wait_for(lambda: watch._last_pong >= 3, message="three pings answered")
            assert killed == []
        else:
            wait_for(lambda: killed, message="the silent zygote killed")
            assert killed == [(4242, "its zygote (pid 4242) did not answer a liveness check within 0.2 s "
                                     "(stopped or hung)")]
    finally:
        watch.stop()
