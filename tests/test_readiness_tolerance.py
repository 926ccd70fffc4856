"""A readiness check that answers late is tolerated `failure_threshold` times in a row (Kubernetes'
failureThreshold) before its instance is not ready, and every reason names the check's import path:
under machine load, one late 1 s check must not take a whole service out without saying what was slow."""

from __future__ import annotations

import functools
import threading
from typing import Any

import httpx

import puma
from tests.helpers import wait_for


def _start(services: dict, functions: dict, **config: Any) -> puma.Deployment:
    app = puma.App()
    app.configure({"puma_services": services, **config})
    app.add_services(functions)
    return app.start(listener={"port": 0})


def _slow_check(slow: threading.Event) -> Any:
    def check() -> None:
        if slow.is_set():
            threading.Event().wait(2.0)  # a store answering late (a loaded machine), not a failure

    return check


def _refreshed(probe: Any) -> tuple[bool, str]:
    probe.refresh()
    return probe.state()


def _ready_after_refresh(probe: Any) -> bool:
    return _refreshed(probe) == (True, "")


def test_probe_tolerates_late_checks_below_its_failure_threshold_and_names_the_check() -> None:
    from puma.readiness import Probe

    for threshold in (2, 3, 5):
        slow = threading.Event()
        probe = Probe(_slow_check(slow), period_s=1.0, timeout_s=0.05, failure_threshold=threshold,
                      name="app.store:ping")
        probe.refresh()
        slow.set()
        for _ in range(threshold - 1):  # late, but fewer times in a row than the threshold: still ready
            probe.refresh()
            assert probe.state() == (True, ""), (threshold, probe.state())
        probe.refresh()
        ready, reason = probe.state()
        assert not ready and "app.store:ping" in reason and f"{threshold} times in a row" in reason, reason
        slow.clear()
        wait_for(functools.partial(_ready_after_refresh, probe), timeout_s=10, message="ready again")


def test_probe_a_late_check_that_answers_in_between_starts_the_count_again() -> None:
    from puma.readiness import Probe

    slow = threading.Event()
    probe = Probe(_slow_check(slow), period_s=1.0, timeout_s=0.05, failure_threshold=3, name="app.cache:ping")
    probe.refresh()
    for _ in range(4):  # late twice, then it answers (the stuck run ends): never three in a row
        slow.set()
        probe.refresh()
        probe.refresh()
        slow.clear()
        wait_for(lambda: _refreshed(probe) == (True, "") and probe._misses == 0, timeout_s=10,
                 message="an answer in between")


def test_probe_a_check_that_answers_not_ready_names_its_import_path() -> None:
    from puma.readiness import Probe

    probe = Probe(lambda: False, period_s=1.0, timeout_s=1.0, failure_threshold=3, name="app.queue:ready")
    probe.refresh()
    assert probe.state() == (False, "its readiness check app.queue:ready returned False")

    def raises() -> None:
        raise KeyError("no such table")

    probe = Probe(raises, period_s=1.0, timeout_s=1.0, failure_threshold=3, name="app.queue:ready")
    probe.refresh()
    assert "app.queue:ready" in probe.state()[1] and "no such table" in probe.state()[1]


class _StoreDown(ConnectionError):
    """A store's own error, as an app wraps what its client raised."""


def _timing_out(kind: str) -> Any:
    def check() -> None:
        if kind == "socket":  # a client's own short timeout (the dependency is slow)
            raise TimeoutError("timed out")
        try:
            raise TimeoutError("read timed out")
        except TimeoutError as slow:
            raise _StoreDown("the ledger answered too late") from slow  # wrapped, the cause kept

    return check


def test_probe_a_check_failing_by_its_own_timeout_counts_as_late_not_at_once() -> None:
    """A dependency that is slow (the check's own timeout) on a loaded machine is late once on every
    instance: it takes them out only after `failure_threshold` in a row, as a check that did not
    answer; a refusal (not a timeout) still counts at once."""
    from puma.readiness import Probe

    for kind in ("socket", "wrapped"):
        probe = Probe(_timing_out(kind), period_s=1.0, timeout_s=1.0, failure_threshold=3, name="app.ledger:ping")
        for _ in range(2):
            probe.refresh()
            assert probe.state() == (True, ""), (kind, probe.state())
        probe.refresh()
        ready, reason = probe.state()
        assert not ready and "3 times in a row" in reason, (kind, reason)
        assert ("too late" if kind == "wrapped" else "timed out") in reason, reason

    def refused() -> None:
        try:
            raise TimeoutError("slow")
        except TimeoutError:
            raise _StoreDown("connection refused") from None  # its cause withheld: an answer, counted at once

    probe = Probe(refused, period_s=1.0, timeout_s=1.0, failure_threshold=3, name="app.ledger:ping")
    probe.refresh()
    assert not probe.state()[0] and "connection refused" in probe.state()[1]


def test_probe_a_timeout_in_between_answers_never_adds_up_to_not_ready() -> None:
    from puma.readiness import Probe

    calls = iter(["slow", "slow", "ok"] * 3)

    def flaky() -> None:
        if next(calls) == "slow":
            raise TimeoutError("timed out")

    probe = Probe(flaky, period_s=1.0, timeout_s=1.0, failure_threshold=3, name="app.ledger:ping")
    for _ in range(9):
        probe.refresh()
        assert probe.state() == (True, ""), probe.state()


def test_config_failure_threshold_reaches_the_instances_and_names_the_check(tmp_path, monkeypatch) -> None:
    from pathlib import Path as _Path

    from tests.apps import ledger

    db = tmp_path / "ledger.sqlite3"
    ledger.create(str(db))
    monkeypatch.setenv("LEDGER_DB", str(db))
    services = {"ledger": {"prefix": "/ledger", "timeout_s": 2, "health_check": {"interval_s": 0.5},
                           "readiness": {"check": "tests.apps.ledger:ping", "period_s": 0.2, "timeout_s": 0.2,
                                         "failure_threshold": 4}}}
    hang = _Path(str(db) + ".hang")
    with _start(services, {"ledger": "tests.apps.ledger:ledger"}) as mesh, \
            httpx.Client(base_url=mesh.url, timeout=10) as http:
        wait_for(lambda: http.get("/_puma/ready").status_code == 200, timeout_s=30, message="ready")
        hang.touch()
        try:
            body = wait_for(lambda: (r := http.get("/_puma/ready")).status_code == 503 and "ledger:ping" in str(
                r.json()["not_ready"]) and r.json(), timeout_s=30, message="not ready, naming the check that hangs")
            reason = body["not_ready"]["ledger"]
            assert "tests.apps.ledger:ping" in reason and "4 times in a row" in reason, reason
        finally:
            hang.unlink()
        wait_for(lambda: http.get("/_puma/ready").status_code == 200, timeout_s=30, message="ready again")
    try:
        puma.App().configure({"puma_services": {"x": {"prefix": "/x", "readiness": {
            "check": "a:b", "failure_threshold": 0}}}})
    except puma.PumaConfigError as exc:
        assert "failure_threshold" in str(exc)
    else:
        raise AssertionError("a failure_threshold of 0 was accepted")
