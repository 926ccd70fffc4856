"""`puma.guard`: a supervisor thread never dies of an exception; it logs once per outage, tries
again with back-off, says what is failing (`outages`) and when it recovered. And every thread the
supervisor side starts goes through it (a new `threading.Thread` there would die silently again)."""

from __future__ import annotations

import errno
import logging
import re
import threading
from pathlib import Path

import pytest

from puma import guard
from tests.helpers import wait_for

PUMA = Path(__file__).resolve().parents[1] / "puma"
# Modules that run in an instance or zygote, or a benchmark's client: not the supervisor's threads.
NOT_SUPERVISOR = {"worker.py", "lifeline.py", "draining.py", "zygote.py", "readiness.py", "eventloop.py", "guard.py", "mapping/service.py"}


def _failing(times: int, exc: Exception):
    calls = []

    def body() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise exc
        return "written"
    return body, calls


def test_guard_persist_retries_until_the_body_succeeds_and_logs_the_outage_once(caplog):
    body, calls = _failing(5, OSError(errno.ENOSPC, "No space left on device"))
    assert guard.persist("write endpoints", body, first_wait_s=0.001, max_wait_s=0.004) == "written"
    assert len(calls) == 6
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 2, said
    assert "write endpoints failed" in said[0] and "No space left" in said[0]
    assert said[1].startswith("write endpoints recovered after 5 failed tries")
    assert caplog.records[0].exc_info is None  # an IO error: no traceback


def test_guard_a_bug_is_logged_with_its_traceback_once_per_kind(caplog):
    body, _ = _failing(3, KeyError("pid"))
    guard.persist("event reader", body, first_wait_s=0.001)
    failed = [r for r in caplog.records if "failed (logged once" in r.getMessage()]
    assert len(failed) == 1 and failed[0].exc_info is not None


def test_guard_persist_stops_trying_once_told_to():
    body, calls = _failing(10**6, OSError(errno.EIO, "I/O error"))
    stop = threading.Event()
    threading.Timer(0.05, stop.set).start()
    assert guard.persist("publish", body, stop=stop.is_set, first_wait_s=0.001, max_wait_s=0.001) is None
    assert 1 <= len(calls) < 10**6 and not guard.outages()


def test_guard_persist_gives_up_when_asked_raising_the_last_failure():
    body, calls = _failing(10**6, OSError(errno.ENOSPC, "No space left on device"))
    with pytest.raises(OSError, match="No space left"):
        guard.persist("start zygote", body, first_wait_s=0.001, max_wait_s=0.002, give_up_after_s=0.05)
    assert len(calls) > 1 and not guard.outages()


def test_guard_thread_survives_failures_and_outages_says_what_is_failing_until_it_recovers():
    space = threading.Event()  # the disk is full until set
    wrote = threading.Event()
    stop = threading.Event()

    def step() -> None:
        if not space.is_set():
            raise OSError(errno.ENOSPC, "No space left on device")
        wrote.set()
        stop.wait(0.01)

    worker = guard.thread(step, name="puma-test-publish", stop=stop.is_set, loop=True)
    worker.start()
    try:
        failing = wait_for(lambda: [o for o in guard.outages() if o["what"] == "puma-test-publish"], timeout_s=5)
        assert "No space left" in failing[0]["error"] and failing[0]["tries"] >= 1
        assert worker.is_alive()
        space.set()
        wait_for(wrote.is_set, timeout_s=5, message="the step written once space came back")
        wait_for(lambda: not [o for o in guard.outages() if o["what"] == "puma-test-publish"], timeout_s=5)
    finally:
        stop.set()
        worker.join(5)
    assert not worker.is_alive()


def test_guard_a_one_shot_thread_logs_its_failure_and_is_not_run_again(caplog):
    calls = []

    def retire() -> None:
        calls.append(1)
        raise RuntimeError("stop command lost")

    t = guard.thread(retire, name="puma-test-retire", retry=False)
    t.start()
    t.join(5)
    assert calls == [1]
    assert any("puma-test-retire failed" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)


def test_guard_every_supervisor_thread_is_started_through_guard():
    raw = []
    for path in sorted(PUMA.rglob("*.py")):
        rel = path.relative_to(PUMA).as_posix()
        if rel in NOT_SUPERVISOR or rel.startswith("bench/"):
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"threading\.(Thread|Timer)\(", line):
                raw.append(f"puma/{rel}:{n}: {line.strip()}")
    assert not raw, "start supervisor threads with puma.guard.thread, not threading directly:\n" + "\n".join(raw)
