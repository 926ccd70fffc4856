"""Every event says when it happened, a death the supervisor sees late says how late (it was
stopped or starved), a gap in the supervisor's own clock is said as such, and a zygote killed
together with its instances names each instance's death."""

from __future__ import annotations

import os
import re
import signal
import threading
import time

import pytest

import puma
from puma import wakeups
from puma.clocks import seen_late
from tests.apps import basic
from tests.helpers import wait_for


@pytest.mark.parametrize("late_s", [4.2, 60.0, 88.0])
def test_events_a_death_seen_late_says_when_it_happened_and_how_late(late_s: float) -> None:
    said = seen_late(time.monotonic() - late_s)
    when = time.strftime("%H:%M:%S", time.localtime(time.time() - late_s))
    assert f" at {when}, seen {late_s:.0f} s late" in said and "stopped or starved" in said, said


@pytest.mark.parametrize("at", [None, "x", 0.2])
def test_events_a_death_seen_at_once_or_from_a_source_without_its_time_adds_nothing(at: object) -> None:
    assert seen_late(time.monotonic() - at if isinstance(at, float) else at) == ""


class _Clock:
    """time.monotonic for wakeups.wait: each call moves on by the next step."""

    def __init__(self, steps: list[float]) -> None:
        self.now, self.steps = 1000.0, iter(steps)

    def __call__(self) -> float:
        self.now += next(self.steps, 0.5)
        return self.now


@pytest.mark.parametrize(("steps", "gaps"), [
    ([0.0, 0.5, 0.5, 88.5, 0.5], [88.0]),  # stopped (SIGSTOP) 88 s, resumed
    ([0.0, 0.5, 6.0, 0.5, 30.5], [5.5, 30.0]),  # starved twice
    ([0.0, 0.5, 0.6, 0.5, 2.0], []),  # a busy machine's usual lateness: nothing said
])
def test_events_a_gap_in_the_supervisors_own_clock_is_said(monkeypatch: pytest.MonkeyPatch, steps: list[float],
                                                          gaps: list[float]) -> None:
    waits = iter([False] * (len(steps) - 1) + [True])
    event = threading.Event()
    monkeypatch.setattr(event, "wait", lambda _timeout: next(waits))
    monkeypatch.setattr(time, "monotonic", _Clock(steps))  # the module wakeups reads its clock from
    seen: list[float] = []
    wakeups.wait(event, on_gap=seen.append)
    assert [round(g, 1) for g in seen] == gaps


def test_events_a_zygote_killed_with_its_only_instance_names_the_instances_death(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("WARNING", logger="puma")
    app = puma.App()
    app.configure({"puma_services": {"echo": {"prefix": "/echo", "instances": 1}}})
    app.add_services({"echo": basic.echo})
    with app.start(listener={"port": 0}) as mesh:
        pool = mesh.pools["echo"]
        assert pool.zygote is not None and pool.zygote.pid is not None
        zygote, (instance,) = pool.zygote.pid, mesh.instances("echo")
        assert instance.pid is not None
        victim = instance.pid
        # Dead before its zygote could report it (`kill -9 ZYGOTE INSTANCE` at once): the zygote is
        # held still, the instance killed (a zombie its zygote never reaps), then the zygote killed.
        os.kill(zygote, signal.SIGSTOP)
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: _state(victim) in ("Z", None), message="the instance dead, unreported")
        os.kill(zygote, signal.SIGKILL)
        restarted = wait_for(lambda: [e for e in mesh.status()["events"] if e.get("kind") == "zygote_restarted"],
                             timeout_s=30, message="the zygote started again")
        # The zygote reported the death before it died, the supervisor found it dead with it, or its
        # exit came as an orphan's: named in each case.
        died = wait_for(lambda: [e["message"] for e in mesh.status()["events"] if e.get("kind") == "died"
                                 and re.match(rf"instance {instance.id} died\b", e["message"])],
                        timeout_s=10, message="the instance's death named")
        assert "0 serving instances" not in restarted[0]["message"], restarted
        assert "died with its zygote" in died[0] or "code" in died[0], died
        assert "seen" not in " ".join(died), died  # the supervisor ran: nothing is said late
        # The terminal's line says what the event says, in the same words (not "its 0 ... serve on").
        logged = [r.getMessage() for r in caplog.records if "starting it again" in r.getMessage()]
        assert logged and all("none kept serving" in line and "0 serving" not in line for line in logged), logged
        wait_for(lambda: mesh.status()["services"]["echo"]["ready"] == 1, timeout_s=30, message="echo serves again")


def _state(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None
