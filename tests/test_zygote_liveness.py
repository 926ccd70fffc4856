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


def _start(instances: int) -> puma.Deployment:
    app = puma.App()
    app.configure({"puma_services": {"echo": {"prefix": "/echo", "instances": instances},
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


def _served_by_new(mesh: puma.Deployment, old: set[int]) -> bool:
    resp = httpx.post(mesh.url + "/echo", json={}, timeout=10)
    return resp.status_code == 200 and resp.json()["pid"] not in old


@pytest.mark.parametrize("kill_an_instance", [True, False])
def test_a_stopped_zygote_is_killed_and_started_again_with_its_instances(kill_an_instance):
    with _start(2) as mesh:
        zygote = mesh.pools["echo"].zygote.pid
        old = {i.pid for i in mesh.instances("echo")}
        with _stopped(zygote):
            started = time.monotonic()
            if kill_an_instance:  # the probe's case: a death nobody replaces while the zygote is stopped
                os.kill(next(iter(old)), signal.SIGKILL)
            wait_for(lambda: mesh.pools["echo"].zygote.pid != zygote and len(mesh.instances("echo")) == 2,
                     timeout_s=TIMEOUT_S + 25, message="a new zygote with its 2 instances")
            wait_for(lambda: _served_by_new(mesh, old), timeout_s=15, message="/echo served by a new instance")
            took = time.monotonic() - started
        assert took < TIMEOUT_S + 20, f"served again after {took:.1f} s"
        (event,) = _restarts(mesh)
        assert f"zygote (pid {zygote}) did not answer a liveness check" in event and "killed" in event
        wait_for(lambda: not os.path.exists(f"/proc/{zygote}"), message="the stopped zygote gone (and reaped)")
        assert httpx.post(mesh.url + "/other", json={}, timeout=10).status_code == 200  # the other service untouched
        assert mesh.status()["services"]["echo"]["failed"] is None


def test_a_zygote_that_answers_is_never_killed():
    with _start(1) as mesh:
        pool = mesh.pools["echo"]
        zygote = pool.zygote.pid
        wait_for(lambda: pool.watch is not None and pool.watch._last_pong >= 2, timeout_s=20,
                 message="two liveness checks answered")
        assert pool.zygote.pid == zygote and _restarts(mesh) == []


def _watch(answer: bool, killed: list[tuple[int, str]]) -> ZygoteWatch:
    def send(command: dict) -> bool:
        if answer:
            threading.Timer(0.01, lambda: watch.pong({"n": command["n"]})).start()
        return True

    watch = ZygoteWatch("svc", send, lambda: 4242 if not killed else None,
                        lambda pid, why: killed.append((pid, why)), period_s=0.05, timeout_s=0.2)
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
