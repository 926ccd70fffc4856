"""Health from events and Envoy: deaths seen at once, hung instances found by Envoy's checks and
replaced, busy ones kept, new ones routed to without waiting for a check interval."""

from __future__ import annotations

import contextlib
import http.server
import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import puma
from puma import envoy
from puma.config import LIVENESS_PATH, parse_config
from puma.health import EventPipe, event_address
from puma.instances import Instance
from tests.apps import basic
from tests.helpers import free_port, wait_for
from tests.helpers import process_alive as _alive

SECRET = "test-secret-for-health"
QUICK_CHECKS = {"interval_s": 0.3, "timeout_s": 0.3}


def _start(services: dict, functions: dict, **config) -> puma.Deployment:
    app = puma.App()
    app.configure({"puma_services": services, **config})
    app.add_services(functions)
    return app.start(listener={"port": 0})


def _pids_served(url: str, path: str, count: int) -> set[int]:
    with httpx.Client(base_url=url, timeout=10) as http:
        return {http.post(path, json={}).json()["pid"] for _ in range(count)}


def _events(mesh: puma.Deployment, word: str) -> list[str]:
    return [e["message"] for e in mesh.status()["events"] if word in e["message"]]


# --- hung instances ---------------------------------------------------------------------


@pytest.mark.parametrize("instances", [1, 3])
def test_health_replaces_a_stopped_instance_and_kills_it(instances):
    with _start({"echo": {"prefix": "/echo", "instances": instances, "idempotent": True,
                          "health_check": QUICK_CHECKS}}, {"echo": basic.echo}) as mesh:
        frozen = mesh.instances("echo")[0]
        os.kill(frozen.pid, signal.SIGSTOP)  # alive, answering nothing
        try:
            wait_for(lambda: frozen.pid not in {i.pid for i in mesh.instances("echo")}
                     and len(mesh.instances("echo")) == instances, timeout_s=20, message="replacement")
            wait_for(lambda: not _alive(frozen.pid), timeout_s=10, message="the hung process killed")
            assert frozen.pid not in _pids_served(mesh.url, "/echo", 3 * instances)
            assert _events(mesh, "unhealthy")
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(frozen.pid, signal.SIGCONT)


@pytest.mark.flaky(reruns=1)  # timing under CPU starvation (2 shared cores): re-run once; a real
# regression fails both runs. Flaked once each in clean-clone runs, passes alone (see the closing notes).
def test_health_routes_around_a_hung_instance_before_its_replacement_serves():
    checks = {"interval_s": 0.3, "timeout_s": 0.3, "unhealthy_threshold": 1}
    with _start({"echo": {"prefix": "/echo", "instances": 2, "health_check": checks}}, {"echo": basic.echo}) as mesh:
        frozen = mesh.instances("echo")[0]
        os.kill(frozen.pid, signal.SIGSTOP)
        try:
            wait_for(lambda: len(mesh.instances("echo")) == 2 and frozen.pid not in {i.pid for i in mesh.instances("echo")},
                     timeout_s=20, message="replacement")
            # Not idempotent: a request sent to the stopped one would have hung, not been retried.
            with httpx.Client(base_url=mesh.url, timeout=5) as http:
                assert all(http.post("/echo", json={}).status_code == 200 for _ in range(20))
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(frozen.pid, signal.SIGCONT)


# --- new instances ----------------------------------------------------------------------


def test_health_routes_to_a_new_instance_long_before_a_check_interval():
    rare = {"interval_s": 600, "timeout_s": 1}
    service = {"prefix": "/echo", "instances": {"min": 1, "max": 3}, "autoscale": {"enabled": False},
               "health_check": rare}
    with _start({"echo": service}, {"echo": basic.echo}) as mesh:
        started = time.monotonic()
        mesh.scale("echo", 3)
        wait_for(lambda: len(_pids_served(mesh.url, "/echo", 9)) == 3, timeout_s=20, message="three serving")
        assert time.monotonic() - started < 20 < rare["interval_s"]  # Envoy's first check, not its interval


def test_health_admits_an_instance_when_it_says_it_serves_with_no_probe():
    # An instance that never serves (its start hangs) is neither routed to nor kept.
    with _start({"echo": {"prefix": "/echo", "instances": 2}}, {"echo": basic.echo}) as mesh:
        up = [e for e in mesh.status()["events"] if e.get("kind") == "up"]
        assert len(up) == 2 and all(e["startup_ms"] < 30_000 for e in up)
        assert all(re.fullmatch(r"instance \d up at 127\.0\.0\.1:\d+ in \d+ ms(, forked from its zygote \(import and warm-up \d+\.\d s\))?", e["message"]) for e in up), up
        assert {h.address for h in mesh.envoy.admin.clusters()["echo"].hosts if h.healthy} == \
               {i.address for i in mesh.instances("echo")}


# --- busy instances -----------------------------------------------------------------------


@pytest.mark.parametrize("handler", ["slow", "spin"])
def test_health_keeps_a_saturated_instance(handler):
    service = {"prefix": "/work", "instances": 1, "threads": 2, "timeout_s": 30, "health_check": QUICK_CHECKS}
    with _start({"work": service}, {"work": getattr(basic, handler)}) as mesh:
        (busy,) = mesh.instances("work")
        # Four 2.5 s requests on two threads: every thread busy for ~5 s, requests queued behind them,
        # more than ten check intervals; a check waiting behind them would fail twice in a row.
        with httpx.Client(base_url=mesh.url, timeout=30) as http:
            threads = [threading.Thread(target=http.post, args=("/work",), kwargs={"json": {"s": 2.5}})
                       for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert http.post("/work", json={"s": 0}).json()["pid"] == busy.pid
        assert [i.pid for i in mesh.instances("work")] == [busy.pid]
        assert not _events(mesh, "unhealthy")


def test_health_liveness_is_answered_while_every_thread_is_busy():
    service = {"prefix": "/slow", "instances": 1, "threads": 1, "timeout_s": 30}
    with _start({"slow": service}, {"slow": basic.slow}) as mesh:
        (instance,) = mesh.instances("slow")
        with httpx.Client(base_url=mesh.url, timeout=30) as http:
            busy = threading.Thread(target=http.post, args=("/slow",), kwargs={"json": {"s": 3}})
            busy.start()
            wait_for(lambda: mesh.envoy.admin.in_flight(["slow"])["slow"] >= 1, timeout_s=10,
                     message="the slow request in the instance's one thread")
            started = time.monotonic()
            answer = httpx.get(f"http://{instance.address}{LIVENESS_PATH}", timeout=2)
            waited = time.monotonic() - started
            busy.join()
        assert answer.status_code == 200 and answer.json() == {"live": True}
        assert waited < 1.0


# --- deaths and idle -------------------------------------------------------------------------


def test_health_a_killed_instance_leaves_envoy_at_once():
    with _start({"echo": {"prefix": "/echo", "instances": 3, "health_check": {"interval_s": 600}}},
                {"echo": basic.echo}) as mesh:
        victim = mesh.instances("echo")[0]
        os.kill(victim.pid, signal.SIGKILL)
        wait_for(lambda: victim.pid not in {i.pid for i in mesh.instances("echo")}, timeout_s=5,
                 message="the zygote's exit report")
        wait_for(lambda: len(mesh.instances("echo")) == 3, timeout_s=10, message="replacement")
        assert victim.pid not in _pids_served(mesh.url, "/echo", 12)


def _switches(pid: int) -> int:
    """Context switches of every thread of `pid` so far: each wake-up adds at least one."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        for line in (task / "status").read_text().splitlines():
            if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                total += int(line.split()[1])
    return total


def test_health_idle_zygotes_fork_server_and_instances_never_wake():
    services = {f"s{k}": {"prefix": f"/s{k}", "instances": 2, "health_check": {"interval_s": 600}} for k in range(3)}
    with _start(services, {name: basic.echo for name in services}) as mesh:
        pools = list(mesh.pools.values())
        processes = [mesh.fork_server.proc.pid, *(p.zygote.pid for p in pools),
                     *(i.pid for p in pools for i in p.ready())]
        seen: dict[int, int] = {}

        def settled() -> bool:  # start-up's last messages handled: no switch since the last poll
            now = {pid: _switches(pid) for pid in processes}
            same = now == seen
            seen.update(now)
            return same

        wait_for(settled, timeout_s=10, interval_s=0.25, message="start-up's last wake-ups")
        before = {pid: _switches(pid) for pid in processes}
        time.sleep(1.5)  # the idle window measured (a duration, not a wait for a condition)
        woke = {pid: _switches(pid) - n for pid, n in before.items() if _switches(pid) != n}
        assert not woke, f"processes woke while idle (pid: context switches): {woke}"


# --- worker hosts ------------------------------------------------------------------------------


def _worker(url: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "puma.cli", "worker", "--join", url, "--service", "echo",
                             "--token", SECRET, *extra], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


@pytest.fixture(scope="module")
def core():
    app = puma.App()
    app.configure({"secret": SECRET, "puma_services": {"echo": {"prefix": "/echo", "idempotent": True,
                                                                 "health_check": QUICK_CHECKS}}})
    app.add_services({"echo": basic.echo})
    with app.start(listener={"port": 0}) as deployment:
        yield deployment


def _remote(mesh) -> list:
    return [i for i in mesh.instances("echo") if i.remote]


def _stop_worker(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGCONT)
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def test_health_drops_a_frozen_worker_host_in_seconds(core):
    proc = _worker(core.url, "--instances", "2")
    try:
        wait_for(lambda: len(_remote(core)) == 2, timeout_s=30, message="two remote instances")
        os.killpg(proc.pid, signal.SIGSTOP)  # the whole host stops answering: no report, no request served
        lost = time.monotonic()
        wait_for(lambda: not _remote(core), timeout_s=20, message="the frozen host's instances dropped")
        assert time.monotonic() - lost < 15
        assert all(pid in {i.pid for i in core.instances("echo")} for pid in _pids_served(core.url, "/echo", 10))
        # Envoy's checks may take them out first; the registry forgets the silent host either way.
        wait_for(lambda: _events(core, "lost"), timeout_s=10, message="the host forgotten")
        assert not core.registry.last_seen
    finally:
        _stop_worker(proc)


def test_health_a_worker_host_replaces_its_hung_instance_when_the_core_says_so(core):
    proc = _worker(core.url, "--instances", "2")
    try:
        wait_for(lambda: len(_remote(core)) == 2, timeout_s=30, message="two remote instances")
        frozen = _remote(core)[0]
        os.kill(frozen.pid, signal.SIGSTOP)
        wait_for(lambda: len(_remote(core)) == 2 and frozen.pid not in {i.pid for i in _remote(core)},
                 timeout_s=30, message="the worker host's replacement")
        wait_for(lambda: not _alive(frozen.pid), timeout_s=10, message="the hung process killed by its host")
    finally:
        with contextlib.suppress(ProcessLookupError, UnboundLocalError):
            os.kill(frozen.pid, signal.SIGCONT)
        _stop_worker(proc)


# --- the pieces ------------------------------------------------------------------------------------


def test_render_checks_every_instance_at_its_liveness_path_and_reports_to_the_pipe(tmp_path):
    config = parse_config({"puma_services": {"a": {"prefix": "/a", "health_check": {"interval_s": 30}}, "b": "/b"}})
    clusters = envoy.all_clusters(config, eds_dir=tmp_path, health_events=tmp_path / "events")
    for cluster in clusters:
        (check,) = cluster["health_checks"]
        assert check["http_health_check"] == {"path": LIVENESS_PATH}
        assert check["event_logger"][0]["typed_config"]["event_log_path"] == str(tmp_path / "events")
        assert check["unhealthy_interval"] == "1.000s"  # a failed first check is retried soon
        assert cluster["common_lb_config"]["update_merge_window"] == "0s"
    assert [c["health_checks"][0]["interval"] for c in clusters] == ["30.000s", "10.000s"]
    static = envoy.bootstrap_static(config, {"a": [("a", 8000)], "b": [("b", 8000)]}, dns=True)
    assert all("event_logger" not in c["health_checks"][0] for c in static["static_resources"]["clusters"])


def test_event_pipe_delivers_each_line_and_skips_garbage(tmp_path):
    seen: list[dict] = []
    pipe = EventPipe(tmp_path / "events", seen.append)
    pipe.start()
    try:
        with open(tmp_path / "events", "wb") as writer:  # as Envoy does: append lines, flush
            event = {"cluster_name": "a", "eject_unhealthy_event": {"failure_type": "ACTIVE"},
                     "host": {"socket_address": {"address": "127.0.0.1", "port_value": 4242}}}
            writer.write(json.dumps(event).encode() + b"\nnot json\n" + json.dumps({"x": 1}).encode() + b"\n")
        wait_for(lambda: len(seen) == 2, message="two events")
    finally:
        pipe.stop()
    assert event_address(seen[0]) == "127.0.0.1:4242" and seen[1] == {"x": 1}
    assert not pipe.thread.is_alive()


class _Pool:
    """What the health monitor uses of a pool: find a ready instance by address, evict it."""

    def __init__(self, name: str, threshold: int, readiness: str | None = None) -> None:
        self.name = name
        self.service = parse_config({"puma_services": {name: {"prefix": "/p", "health_check": {
            "unhealthy_threshold": threshold}, **({"readiness": readiness} if readiness else {})}}}).puma_services[name]
        self.ready = {"127.0.0.1:4001": Instance(1, name, pid=11, port=4001, state="ready")}
        self.evicted: list[int] = []

    def find(self, address: str):
        return self.ready.get(address)

    def evict(self, instance) -> None:
        self.evicted.append(instance.id)


class _Deployment:
    def __init__(self, pool: _Pool) -> None:
        self.pools = {pool.name: pool}
        self.stopping = False
        self.events: list[str] = []
        self.routed: list[str] = []
        self.status_server = type("S", (), {"sampler": type("T", (), {"routed": self.routed.append})()})()

    def record(self, service: str, message: str, **_data) -> None:
        self.events.append(message)


def _event(kind: str, port: int = 4001, **detail) -> dict:
    return {"cluster_name": "a", kind: detail, "host": {"socket_address": {"address": "127.0.0.1", "port_value": port}}}


def test_health_monitor_replaces_on_ejection_and_after_failed_first_checks(tmp_path):
    from puma.health import HealthMonitor

    pool = _Pool("a", threshold=3)
    monitor = HealthMonitor(_Deployment(pool), tmp_path / "events")
    monitor.watch = False  # events alone (the supervisor's own probes: tests/test_silence.py)
    monitor.on_event(_event("eject_unhealthy_event", failure_type="ACTIVE"))
    assert pool.evicted == [1]
    # Never found healthy: two failures and a pass reset the count, three in a row replace it.
    for kind in ("health_check_failure_event",) * 2 + ("add_healthy_event",) + ("health_check_failure_event",) * 2:
        monitor.on_event(_event(kind))
    assert pool.evicted == [1]
    monitor.on_event(_event("health_check_failure_event", first_check=False))
    assert pool.evicted == [1, 1] and monitor.d.routed == ["a"]
    monitor.on_event(_event("eject_unhealthy_event", port=9999))  # not an instance of ours: ignored
    monitor.on_event({"cluster_name": "nope", "eject_unhealthy_event": {}})
    assert pool.evicted == [1, 1]


def test_health_monitor_keeps_an_instance_that_answers_not_ready_and_replaces_one_that_times_out(tmp_path):
    """Readiness is not liveness: an instance that answered its check 503 (failure type ACTIVE: its
    readiness check fails) is routed around but never killed; one whose check timed out still is."""
    from puma.health import HealthMonitor

    pool = _Pool("a", threshold=2, readiness="app.store:ping")
    deployment = _Deployment(pool)
    monitor = HealthMonitor(deployment, tmp_path / "events")
    monitor.watch = False
    monitor.on_event(_event("add_healthy_event"))  # it was serving
    monitor.on_event(_event("eject_unhealthy_event", failure_type="ACTIVE"))
    for _ in range(5):
        monitor.on_event(_event("health_check_failure_event", failure_type="ACTIVE", first_check=False))
    assert pool.evicted == [] and set(monitor.unready) == {"127.0.0.1:4001"}
    # said once, not per check (nothing answers at 4001 here, so no reason of its own)
    assert deployment.events == ["instance 1 not ready: its readiness check fails; routed around, not restarted"]
    monitor.on_event(_event("add_healthy_event"))
    assert not monitor.unready and deployment.events[1].startswith("instance 1 ready again after ")
    monitor.on_event(_event("add_healthy_event"))  # a pass while ready: nothing to say
    assert len(deployment.events) == 2
    monitor.on_event(_event("eject_unhealthy_event", failure_type="NETWORK"))
    assert pool.evicted == [1]


class _JsonHandler(http.server.BaseHTTPRequestHandler):
    """A stand-in instance: answers with `_send`, logs nothing."""

    def _send(self, status: int, doc: object) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _NotReady(_JsonHandler):
    """An instance's liveness answer while its readiness check fails (as puma.worker answers it)."""

    reason = "the ledger is unreachable: connection refused"

    def do_GET(self) -> None:
        self._send(503, {"live": True, "ready": False, "reason": type(self).reason})


@pytest.fixture
def not_ready_instance() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotReady)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_health_monitor_names_why_an_instance_is_not_ready_and_says_each_change_once(
        tmp_path, not_ready_instance, caplog):
    """The reason is the instance's own (its liveness answer): in the status, the events and the
    log; a change of reason is kept; waiting at start is said apart from a dependency going down,
    and the recovery from each is said once."""
    from puma.health import HealthMonitor

    port = not_ready_instance
    pool = _Pool("a", threshold=2, readiness="app.store:ping")
    instance = Instance(1, "a", pid=11, port=port, state="ready")
    pool.ready = {f"127.0.0.1:{port}": instance}
    deployment = _Deployment(pool)
    monitor = HealthMonitor(deployment, tmp_path / "events")
    monitor.watch = False
    caplog.set_level(logging.INFO, logger="puma.health")
    failure = _event("health_check_failure_event", port=port, failure_type="ACTIVE")
    for _ in range(3):  # at start: it never passed yet, so it waits (not a warning)
        monitor.on_event(failure)
    assert instance.not_ready == _NotReady.reason
    assert deployment.events == [f"instance 1 waiting to be ready: {_NotReady.reason}"]
    assert [r.levelname for r in caplog.records] == ["INFO"]
    monitor.on_event(_event("add_healthy_event", port=port))
    assert instance.not_ready is None and deployment.events[-1].startswith("instance 1 ready after waiting ")
    _NotReady.reason = "the ledger is unreachable: no route to host"
    try:
        for _ in range(3):  # what it needs went down while it served: a warning, once, naming why
            monitor.on_event(failure)
        assert instance.not_ready == _NotReady.reason
        assert deployment.events[-1] == f"instance 1 not ready: {_NotReady.reason}; routed around, not restarted"
        warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert len(warnings) == 1 and _NotReady.reason in warnings[0], warnings
        monitor.on_event(_event("add_healthy_event", port=port))
        assert deployment.events[-1].startswith("instance 1 ready again after ") and len(deployment.events) == 4
        assert "ready again" in caplog.records[-1].getMessage() and _NotReady.reason in caplog.records[-1].getMessage()
    finally:
        _NotReady.reason = "the ledger is unreachable: connection refused"


# --- a cluster partly down ---------------------------------------------------------------------


class _Alive(_JsonHandler):
    """An instance that answers every GET (its liveness) and POST with 200."""

    def _answer(self) -> None:
        self._send(200, {"ok": True})

    do_GET = do_POST = _answer


@pytest.mark.parametrize("down", [2, 3])
def test_health_a_cluster_mostly_down_is_served_by_its_healthy_instances_alone(tmp_path, down):
    # Two of three instances down (a compose stack's replicas still starting, two processes gone):
    # Envoy's default panic threshold (50 %) would balance over all three again, failing most
    # requests that an idempotent route's single retry cannot save. Every request reaches the one
    # healthy instance.
    from puma.proxy import EnvoyProcess

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Alive)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    dead = [("127.0.0.1", free_port()) for _ in range(down)]
    live = [("127.0.0.1", server.server_address[1])]
    config = parse_config({"listener": {"port": 0}, "puma_services": {"echo": {
        "prefix": "/echo", "instances": 4, "idempotent": True, "health_check": QUICK_CHECKS}}})
    proxy = EnvoyProcess(tmp_path, dict(os.environ))
    try:
        proxy.publish_config(config, {"echo": live + dead})
        proxy.start(config)
        assert proxy.admin is not None
        wait_for(lambda: sum(h.healthy for h in proxy.admin.clusters()["echo"].hosts) == 1, timeout_s=20,
                 message="one of the instances healthy, the others failing their checks")
        with httpx.Client(base_url=f"http://127.0.0.1:{proxy.port}", timeout=10) as client:
            statuses = [client.post("/echo", json={}).status_code for _ in range(30)]
        assert statuses == [200] * 30
    finally:
        proxy.stop()
        server.shutdown()
        server.server_close()


def test_health_monitor_says_a_not_ready_reason_again_when_it_changes_in_substance(tmp_path, monkeypatch):
    """A legacy server that was stopping, then gone: the log and the events say the new reason once
    (the first one is wrong by then), but not a reason whose figures alone change (a count, a time)."""
    import puma.health
    from puma.health import HealthMonitor

    reasons = iter(["the server (pid 42) is stopping (sent SIGTERM)", "the server (pid 42) is stopping (sent SIGTERM)",
                    "nothing accepts connections; start it: serve --port 13155",
                    "nothing accepts connections; start it: serve --port 13155",
                    "loading the catalogue: 1% (5,000 of 457,357 rows)", "loading the catalogue: 7% (30,000 of 457,357 rows)"])
    monkeypatch.setattr(puma.health, "not_ready_reason", lambda _address: next(reasons))
    pool = _Pool("a", threshold=2, readiness="app.store:ping")
    deployment = _Deployment(pool)
    monitor = HealthMonitor(deployment, tmp_path / "events")
    monitor.watch = False
    monitor.on_event(_event("add_healthy_event"))
    for _ in range(6):
        monitor.on_event(_event("health_check_failure_event", failure_type="ACTIVE", first_check=False))
    assert deployment.events == [
        "instance 1 not ready: the server (pid 42) is stopping (sent SIGTERM); routed around, not restarted",
        "instance 1 still not ready, now: nothing accepts connections; start it: serve --port 13155",
        "instance 1 still not ready, now: loading the catalogue: 1% (5,000 of 457,357 rows)"]
    assert pool.evicted == []


def test_an_instance_up_in_milliseconds_names_its_zygotes_long_warm_up(monkeypatch: pytest.MonkeyPatch) -> None:
    # "up in 80 ms" right after a minute of "loading the catalogue" reads as a mistake: the log line
    # and the dashboard's event say the time before the fork was the zygote's warm-up.
    monkeypatch.setenv("STARTUP_WORK_S", "1.2")
    services = {"echo": {"prefix": "/echo", "warmup": "tests.apps.startup:long_but_reporting"}}
    with _start(services, {"echo": basic.echo}) as mesh:
        up = [e for e in mesh.status()["events"] if e.get("kind") == "up"]
        assert up and all(e["startup_ms"] < 1000 for e in up), up
        said = re.search(r"in \d+ ms, forked from its zygote \(import and warm-up (\d+\.\d) s\)", up[0]["message"])
        assert said and 1.2 <= float(said.group(1)) < 30, up
