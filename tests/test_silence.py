"""An instance that stops answering is said at once — in `puma status` beside the ready count Envoy's
routing still includes — and the event that replaces it gives the time measured from its first
missed check; a process the kernel shows stopped is replaced at its first missed check."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

import puma
from puma.busy import BusyBoard, board_path
from puma.config import parse_config
from puma.health import HealthMonitor
from puma.instances import Instance
from puma.running import format_status
from puma.silence import silent_line
from tests.apps import basic
from tests.helpers import wait_for


class _Pool:
    def __init__(self, pid: int, busy_dir: Path | None = None, threshold: int = 3) -> None:
        self.name = "db"
        self.busy_dir = busy_dir
        self.service = parse_config({"puma_services": {"db": {"prefix": "/db", "health_check": {
            "unhealthy_threshold": threshold, "timeout_s": 2}}}}).puma_services["db"]
        self.instance = Instance(1, "db", pid=pid, port=4001, state="ready", ever_ready=True)
        self.evicted: list[int] = []

    def find(self, address: str) -> Instance | None:
        return self.instance if address == self.instance.address else None

    def evict(self, instance: Instance) -> None:
        self.evicted.append(instance.id)

    def busy(self, instance: Instance) -> tuple[int, float]:
        from puma import busy
        if self.busy_dir is None:
            return 0, 0.0
        return busy.read(board_path(self.busy_dir, self.name, instance.id))


def _deployment(pool: _Pool) -> SimpleNamespace:
    d = SimpleNamespace(pools={"db": pool}, stopping=False, events=[],
                        status_server=SimpleNamespace(sampler=SimpleNamespace(routed=lambda _name: None)))
    d.record = lambda _service, message, **_data: d.events.append(message)
    return d


def _failure(port: int = 4001) -> dict:
    return {"cluster_name": "db", "health_check_failure_event": {"failure_type": "NETWORK"},
            "host": {"socket_address": {"address": "127.0.0.1", "port_value": port}}}


@pytest.mark.parametrize("threshold", [2, 3, 5])
def test_health_replaces_a_stopped_process_at_its_first_missed_check(tmp_path, threshold):
    # (SIGSTOP: a SIGTSTP to a process group with no terminal, as here, is discarded by the kernel.)
    proc = subprocess.Popen(["sleep", "30"])
    try:
        os.kill(proc.pid, signal.SIGSTOP)
        wait_for(lambda: Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T",
                 message="the process stopped")
        pool = _Pool(proc.pid, threshold=threshold)
        d = _deployment(pool)
        monitor = HealthMonitor(d, tmp_path / "events")
        monitor.watch = False
        monitor.on_event(_failure())
        # Not after unhealthy_threshold checks: a stopped process answers nothing until resumed.
        assert pool.evicted == [1]
        (said,) = d.events
        assert "hung: stopped by SIGSTOP or SIGTSTP" in said, said
        assert "answered no health check for 2.0 s" in said  # since the missed check was sent, 2 s before
        assert said.count("(") == 1, said  # one level of parentheses
    finally:
        proc.kill()
        proc.wait()


def test_health_counts_an_instance_silent_from_its_first_missed_check_until_it_answers(tmp_path):
    pool = _Pool(os.getpid())  # running, not stopped: judged by CPU progress, not at once
    monitor = HealthMonitor(_deployment(pool), tmp_path / "events")
    monitor.watch = False
    monitor.on_event(_failure())
    assert pool.evicted == [] and pool.instance.silent_since is not None
    assert 1.9 < time.monotonic() - pool.instance.silent_since < 3.0  # the check was sent its timeout (2 s) ago
    answered = _failure()
    del answered["health_check_failure_event"]
    monitor.on_event({**answered, "add_healthy_event": {}})
    assert pool.instance.silent_since is None


@pytest.mark.parametrize(("running", "waiting", "quiet_s", "silent_s", "expected"), [
    (0, 3, 6.0, None, "answered no request for 6 s (3 waiting)"),  # stopped between requests: in its backlog
    (2, 0, 9.0, None, "answered no request for 9 s (2 waiting)"),  # Envoy not asked: its own count
    (1, 1, 4.0, 5.0, "answered no health check for 5 s and no request for 4 s (1 waiting)"),
    (0, 0, 50.0, 3.0, "answered no health check for 3 s;"),  # idle, and its check missed
    (0, 2, 1.0, None, None),  # requests just came: not silent yet
    (0, 0, 40.0, None, None),  # idle and answering
])
def test_silent_line_says_what_an_instance_left_unanswered_and_for_how_long(
        tmp_path, running, waiting, quiet_s, silent_s, expected):
    pool = _Pool(4242, busy_dir=tmp_path)
    now = time.monotonic()
    board = BusyBoard(board_path(tmp_path, "db", 1))
    board.publish(running, now - quiet_s if running else 0.0, "POST /db")
    os.utime(board.path, (time.time() - quiet_s, time.time() - quiet_s))  # its last sign of work
    pool.instance.silent_since = None if silent_s is None else now - silent_s
    line = silent_line(pool, pool.instance, waiting, now)
    if expected is None:
        assert line is None
    else:
        assert line is not None and expected in line and "instance 1 (pid 4242)" in line, line
        status = {"services": {"db": {"prefix": "/db", "ready": 1, "wanted": 1, "max_instances": 1, "in_flight": 3,
                                      "requests_per_s": 0.0, "p50_ms": None, "p99_ms": None, "instances": [],
                                      "silent": [line]}}}
        text = format_status(status)
        assert "1/1 (1 not answering)" in text and f"db: {line}" in text
        assert "serving; not answering: db (see below: requests to it wait)" in text.splitlines()[1]


def test_status_says_at_once_an_instance_answers_nothing_and_the_event_times_it():
    checks = {"interval_s": 3, "timeout_s": 1, "unhealthy_threshold": 3}
    app = puma.App()
    app.configure({"puma_services": {"work": {"prefix": "/work", "instances": 1, "timeout_s": 30,
                                              "health_check": checks}}})
    app.add_services({"work": basic.block_interpreter})
    with app.start(listener={"port": 0}) as mesh, httpx.Client(base_url=mesh.url, timeout=40) as http:
        (hung,) = mesh.instances("work")
        def block() -> None:
            with contextlib.suppress(httpx.HTTPError):
                http.post("/work", json={"s": 25})

        held = threading.Thread(target=block, daemon=True)
        began = time.monotonic()
        held.start()  # the interpreter blocked in a C call: no CPU, no answer, not stopped
        said = wait_for(lambda: mesh.status()["services"]["work"].get("silent"), timeout_s=15, message="silent said")
        # Said before the replacement (Envoy still routes to it), within a check interval and its timeout.
        assert time.monotonic() - began < checks["interval_s"] + checks["timeout_s"] + 3
        assert "answered no" in said[0] and f"pid {hung.pid}" in said[0]
        wait_for(lambda: [e for e in mesh.status()["events"] if "unhealthy" in e["message"]], timeout_s=20,
                 message="replaced")
        (event,) = [e["message"] for e in mesh.status()["events"] if "unhealthy" in e["message"]]
        figure = float(event.split("answered no health check for ")[1].split(" s")[0])
        assert figure >= checks["timeout_s"], event  # measured from the first missed check
        wait_for(lambda: mesh.instances("work") and hung.pid not in {i.pid for i in mesh.instances("work")},
                 timeout_s=20, message="a replacement")
        assert not mesh.status()["services"]["work"]["silent"]


def test_status_says_a_stopped_instance_with_requests_waiting_before_any_check_fails():
    """Its next health check is 30 s away: the requests Envoy has waiting at it say it at once."""
    app = puma.App()
    app.configure({"puma_services": {"db": {"prefix": "/db", "instances": 1,
                                            "health_check": {"interval_s": 30, "timeout_s": 2}}}})
    app.add_services({"db": basic.echo})
    with app.start(listener={"port": 0}) as mesh, httpx.Client(base_url=mesh.url, timeout=60) as http:
        assert http.post("/db", json={}).status_code == 200  # its first check passed: routed to
        (stopped,) = mesh.instances("db")
        os.kill(stopped.pid, signal.SIGSTOP)
        try:
            def wait() -> None:
                with contextlib.suppress(httpx.HTTPError):
                    httpx.post(mesh.url + "/db", json={}, timeout=15)

            users = [threading.Thread(target=wait, daemon=True) for _ in range(2)]
            began = time.monotonic()
            for user in users:
                user.start()
            said = wait_for(lambda: mesh.status()["services"]["db"]["silent"], timeout_s=12, message="silent said")
            assert time.monotonic() - began < 8, said
            assert "answered no request for" in said[0] and "waiting)" in said[0], said
            assert mesh.status()["services"]["db"]["ready"] == 1  # Envoy still routes to it: counted, and said
        finally:
            os.kill(stopped.pid, signal.SIGCONT)
        for user in users:
            user.join(timeout=20)


@pytest.mark.parametrize("silent_s", [5.0, 8.0, 33.5])
def test_health_a_stopped_instances_event_says_its_measured_silence_and_when_it_last_answered(tmp_path, silent_s):
    """Its event's figure agrees with the time it says (an SRE read "for 2.0 s, the last it answered
    at" a time 12 s back as two clocks): the time since the last check it answered, that time, and
    apart, when the first check it missed was sent (2 s before Envoy's event: it may have been fine
    until then)."""
    proc = subprocess.Popen(["sleep", "30"])
    try:
        os.kill(proc.pid, signal.SIGSTOP)
        wait_for(lambda: Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T",
                 message="the process stopped")
        pool = _Pool(proc.pid, busy_dir=tmp_path)
        BusyBoard(board_path(tmp_path, "db", 1)).answered(time.monotonic() - silent_s)
        d = _deployment(pool)
        monitor = HealthMonitor(d, tmp_path / "events")
        monitor.watch = False
        monitor.on_event(_failure())
        (said,) = d.events
        figure = float(said.split("answered no health check for ")[1].split(" s")[0])
        assert silent_s <= figure < silent_s + 1.0, said
        last = time.strftime("%H:%M:%S", time.localtime(time.time() - silent_s))
        assert f"for {figure:.1f} s, since {last}" in said, said
        missed = float(said.split("the first it missed was sent ")[1].split(" s")[0])
        assert 2.0 <= missed < 3.0, said
        assert said.count("(") == 1, said  # one level of parentheses
    finally:
        proc.kill()
        proc.wait()


def test_health_an_instance_stopped_between_checks_is_said_silent_for_as_long_as_it_was():
    checks = {"interval_s": 4, "timeout_s": 1, "unhealthy_threshold": 2}
    app = puma.App()
    app.configure({"puma_services": {"db": {"prefix": "/db", "instances": 1, "health_check": checks}}})
    app.add_services({"db": basic.echo})
    with app.start(listener={"port": 0}) as mesh, httpx.Client(base_url=mesh.url, timeout=30) as http:
        assert http.post("/db", json={}).status_code == 200
        (stopped,) = mesh.instances("db")
        assert stopped.pid is not None
        # Just after Envoy's check was answered: its next one comes a whole interval later.
        checked = Path(mesh.pools["db"].busy_dir) / f"db.{stopped.id}"
        seen = checked.stat().st_mtime_ns
        wait_for(lambda: checked.stat().st_mtime_ns != seen, timeout_s=10, interval_s=0.02, message="a check answered")
        os.kill(stopped.pid, signal.SIGSTOP)
        stopped_at = time.time()
        try:
            event = wait_for(lambda: [e for e in mesh.status()["events"] if "unhealthy" in e["message"]],
                             timeout_s=30, message="the stopped instance replaced")[0]
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(stopped.pid, signal.SIGCONT)
        figure = float(event["message"].split("answered no health check for ")[1].split(" s")[0])
        really = event["time"] - stopped_at  # stopped this long when the event was written
        # The silence since the check it last answered (just before it was stopped), as long as it was
        # stopped; and that time, said as a time.
        assert checks["timeout_s"] - 0.1 <= figure <= really + 0.5, (figure, really, event)
        last = re.search(r"s, since (\d\d:\d\d:\d\d)", event["message"])
        assert last is not None, event
        assert last.group(1) in {time.strftime("%H:%M:%S", time.localtime(stopped_at + d)) for d in (-1, 0)}, event
        # One replacement, one "replacing it": the exit of the instance PUMA killed is not a second death.
        wait_for(lambda: any(" replaced by instance " in e["message"] for e in mesh.status()["events"]),
                 timeout_s=30, message="the replacement up")
        replacing = [e["message"] for e in mesh.status()["events"] if "replacing it" in e["message"]]
        assert len(replacing) == 1 and "unhealthy" in replacing[0], replacing
