"""A wall-clock step (NTP, an operator's `date -s`, a VM resumed) never makes a request look old.

How long a request has held its thread decides whether an instance is stuck and replaced with its
requests (puma.busy, puma.worker's liveness): measured on the wall clock, a forward step of an hour
while an instance is saturated made every request look an hour old (gunicorn#1709, #1965 are this
bug). Both sides of the measure (the instance's counters and the supervisor's reading of its busy
board) use the monotonic clock; these tests step `time.time` and check nothing ages."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from puma import busy
from puma.serving import Counters
from tests.helpers import wait_for

STEP_S = 3600.0


def _held(counters: Counters, board: busy.BusyBoard | None = None) -> threading.Event:
    """A request entered on another thread and kept in flight until the returned event is set."""
    release, entered = threading.Event(), threading.Event()
    counters.board = board

    def request() -> None:
        counters.enter()
        entered.set()
        release.wait(10)
        counters.leave()

    threading.Thread(target=request, daemon=True).start()
    assert entered.wait(5)
    return release


def test_a_clock_step_does_not_age_the_requests_an_instance_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    counters = Counters()
    release = _held(counters)
    try:
        real = time.time
        monkeypatch.setattr(time, "time", lambda: real() + STEP_S)
        held = counters.held_for()
        assert len(held) == 1 and held[0] < 60, f"an hour's clock step aged a request to {held[0]:.0f} s"
    finally:
        release.set()


def test_a_clock_step_does_not_age_what_the_supervisor_reads_on_the_busy_board(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = busy.board_path(tmp_path, "slow", 1)
    counters = Counters()
    release = _held(counters, busy.BusyBoard(path))
    try:
        real = time.time
        monkeypatch.setattr(time, "time", lambda: real() + STEP_S)
        running, oldest_s = busy.read(path)
        assert running == 1
        assert oldest_s < 60, f"the supervisor read a request as {oldest_s:.0f} s old after an hour's clock step"
    finally:
        release.set()
    wait_for(lambda: busy.read(path) == (0, 0.0), timeout_s=5, message="the board to say nothing is held")  # done: nothing held
