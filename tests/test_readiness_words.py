"""The supervisor's readiness events carry the instance's own reason, however late it reads them, and
an instance whose readiness check never passed is *waiting* (INFO), never "not ready" then "ready again"."""

from __future__ import annotations

import logging
import threading
from types import SimpleNamespace

import pytest

from puma.busy import BusyBoard, board_path, read_readiness
from puma.config import parse_config
from puma.health import HealthMonitor
from puma.instances import Instance
from puma.readiness import Probe

REASONS = [
    "the legacy socket server is unreachable: the legacy server on 127.0.0.1:13173 is starting (pid 25682)",
    "the chatbot's database is unreachable: OperationalError: unable to open database file",
    "RuntimeError: the recommender model is still loading (41 of 90 MiB)",
]


class _Pool:
    def __init__(self, busy_dir) -> None:
        self.name = "legacy"
        self.busy_dir = busy_dir
        self.lock = threading.RLock()
        self.service = parse_config({"puma_services": {"legacy": {"prefix": "/legacy",
                                                                  "readiness": "app.legacy:ping"}}}).puma_services["legacy"]
        # Envoy's first check, made as it joined, found it healthy: the instance's own check had not
        # finished its first run yet.
        self.instance = Instance(1, "legacy", pid=None, port=1, state="ready", ever_ready=True)

    def find(self, address: str):
        return self.instance if address == self.instance.address else None

    def busy(self, _instance):
        return 0, 0.0


def _monitor(pool: _Pool, tmp_path) -> tuple[HealthMonitor, list[str]]:
    events: list[str] = []
    d = SimpleNamespace(pools={"legacy": pool}, stopping=False,
                        record=lambda _s, message, **_d: events.append(message),
                        status_server=SimpleNamespace(sampler=SimpleNamespace(routed=lambda _n: None)))
    monitor = HealthMonitor(d, tmp_path / "events")
    monitor.watch = False
    return monitor, events


def _event(kind: str, **detail) -> dict:
    return {"cluster_name": "legacy", kind: detail, "host": {"socket_address": {"address": "127.0.0.1", "port_value": 1}}}


@pytest.mark.parametrize("reason", REASONS)
def test_health_event_of_a_start_up_wait_is_waiting_in_the_instances_words(tmp_path, caplog, reason):
    pool = _Pool(tmp_path)
    BusyBoard(board_path(tmp_path, "legacy", 1)).readiness(False, reason)  # as its probe published it
    monitor, events = _monitor(pool, tmp_path)
    caplog.set_level(logging.INFO, logger="puma.health")
    monitor.on_event(_event("health_check_failure_event", failure_type="ACTIVE"))
    monitor.on_event(_event("add_healthy_event"))
    assert events[0] == f"instance 1 waiting to be ready: {reason}", events
    assert events[1].startswith("instance 1 ready after waiting "), events
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.records
    assert not [e for e in events if "again" in e or "not ready" in e], events


@pytest.mark.parametrize("reason", REASONS)
def test_health_event_of_an_outage_carries_the_reason_the_instance_gave(tmp_path, caplog, reason):
    """The instance passes again (or answers nothing) by the time the event is read: its words still come."""
    pool = _Pool(tmp_path)
    BusyBoard(board_path(tmp_path, "legacy", 1)).readiness(True, reason)
    monitor, events = _monitor(pool, tmp_path)
    caplog.set_level(logging.INFO, logger="puma.health")
    monitor.on_event(_event("add_healthy_event"))
    monitor.on_event(_event("eject_unhealthy_event", failure_type="ACTIVE"))
    assert events == [f"instance 1 not ready: {reason}; routed around, not restarted"], events
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and reason in r.getMessage()]


def test_probe_says_a_first_wait_at_info_and_an_outage_at_warning_and_publishes_its_words(tmp_path, caplog):
    outcome: list[BaseException | None] = [RuntimeError("the store is starting")]

    def check() -> None:
        if outcome[0] is not None:
            raise outcome[0]

    board = BusyBoard(board_path(tmp_path, "s", 1))
    probe = Probe(check, period_s=1.0, timeout_s=0.5)
    probe.board = board
    caplog.set_level(logging.INFO, logger="puma.readiness")
    probe.refresh()
    assert read_readiness(board.path) == (False, "RuntimeError: the store is starting")
    outcome[0] = None
    probe.refresh()
    outcome[0] = RuntimeError("the store refused the connection")
    probe.refresh()
    outcome[0] = None
    probe.refresh()
    said = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert said == [("INFO", "waiting for its readiness check to pass: RuntimeError: the store is starting"),
                    ("INFO", "ready: its readiness check passes"),
                    ("WARNING", "not ready: RuntimeError: the store refused the connection"),
                    ("WARNING", "ready again")], said
    # Ready again, the last reason is kept: a supervisor reading the event late still says it.
    assert read_readiness(board.path) == (True, "RuntimeError: the store refused the connection")


def test_probe_that_passes_from_the_start_publishes_that_it_passed(tmp_path, caplog):
    board = BusyBoard(board_path(tmp_path, "s", 2))
    probe = Probe(lambda: None, period_s=1.0, timeout_s=0.5)
    probe.board = board
    caplog.set_level(logging.INFO, logger="puma.readiness")
    probe.refresh()
    assert read_readiness(board.path) == (True, "") and caplog.records == []  # nothing to say: never waited
