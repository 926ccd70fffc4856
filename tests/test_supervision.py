"""Supervision of a deployment's own processes under the faults real deployments hit: a crashing
request (retries bounded), a busy instance (kept) against a hung one (replaced), a zygote killed
(restarted), Envoy killed (restarted from its files). Real Envoy and instances, polling only.
Busy against hung runs on both backends (processes, containers: tests/backends.py)."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

import puma
from tests.apps import basic
from tests.backends import Backend
from tests.helpers import process_alive as _alive
from tests.helpers import wait_for

QUICK_CHECKS = {"interval_s": 0.3, "timeout_s": 0.3}


def _start(services: dict, functions: dict | None = None, **config) -> puma.Deployment:
    app = puma.App()
    app.configure({"puma_services": services, **config})
    app.add_services(functions or {})
    return app.start(listener={"port": 0})


def _events(mesh: puma.Deployment, kind: str, service: str | None = None) -> list[dict]:
    return [e for e in mesh.status()["events"] if e.get("kind") == kind and service in (None, e["service"])]


def _retries(mesh: puma.Deployment, cluster: str) -> int:
    assert mesh.envoy.admin is not None
    return mesh.envoy.admin.counter(cluster, "upstream_rq_retry")


# --- retry amplification ------------------------------------------------------------------


@pytest.mark.parametrize(("idempotent", "deaths"), [(True, 2), (False, 1)])
@pytest.mark.parametrize("instances", [2, 4])
def test_supervision_one_crashing_request_kills_at_most_two_instances(idempotent, deaths, instances):
    service = {"prefix": "/die", "instances": instances, "idempotent": idempotent}
    with _start({"die": service}, {"die": basic.die}) as mesh, httpx.Client(base_url=mesh.url, timeout=10) as http:
        assert http.post("/die", json={}).status_code >= 500
        wait_for(lambda: len(_events(mesh, "died")) >= deaths and len(mesh.instances("die")) == instances,
                 timeout_s=20, message="the dead instances replaced")
        assert len(_events(mesh, "died")) == deaths
        assert _retries(mesh, "die") == deaths - 1


def test_supervision_an_idempotent_method_that_crashes_is_re_sent_once():
    with _start({"crashy": {"prefix": "/crashy", "target": "tests.apps.basic:Crashy", "instances": 3}}) as mesh, \
            httpx.Client(base_url=mesh.url, timeout=10) as http:
        for round_ in (1, 2):
            assert http.post("/crashy/boom", json={}).status_code >= 500
            wait_for(lambda r=round_: len(_events(mesh, "died")) >= 2 * r and len(mesh.instances("crashy")) == 3,
                     timeout_s=20, message="the dead instances replaced")
            assert len(_events(mesh, "died")) == 2 * round_
        assert http.post("/crashy/ok", json={}).status_code == 200


# --- busy against hung ------------------------------------------------------------------------


def _healthy_in_envoy(mesh: puma.Deployment, service: str) -> dict[str, bool]:
    assert mesh.envoy.admin is not None
    return {h.address: h.healthy for h in mesh.envoy.admin.clusters(stats=False)[service].hosts}


def _post_in_background(url: str, path: str, body: dict, timeout_s: float = 60) -> tuple[threading.Thread, list]:
    answers: list = []

    def post() -> None:
        with httpx.Client(base_url=url, timeout=timeout_s) as http:
            try:
                answers.append(http.post(path, json=body))
            except httpx.HTTPError as exc:  # its instance was killed under it
                answers.append(exc)

    thread = threading.Thread(target=post)
    thread.start()
    return thread, answers


@pytest.mark.flaky(reruns=1)  # timing under CPU starvation (2 shared cores): re-run once; a real
# regression fails both runs. Flaked once each in clean-clone runs, passes alone (see the closing notes).
@pytest.mark.parametrize("seconds", [4, 6])
def test_supervision_a_busy_instance_is_routed_around_but_kept_within_its_timeout(seconds, on_backend: Backend):
    service = {"prefix": "/hold", "instances": 2, "timeout_s": 60, "health_check": QUICK_CHECKS}
    mesh = on_backend.start({"hold": service}, {"hold": "basic:hold_interpreter"})
    who = {on_backend.who(i, "/hold") for i in mesh.instances("hold")}
    thread, answers = _post_in_background(mesh.url, "/hold", {"s": seconds})
    busy = wait_for(lambda: [a for a, ok in _healthy_in_envoy(mesh, "hold").items() if not ok],
                    timeout_s=seconds, message="Envoy finding the busy instance")[0]
    with httpx.Client(base_url=mesh.url, timeout=10) as http:  # served by the other one meanwhile
        served = {http.post("/hold", json={"s": 0}).json()["by"] for _ in range(6)}
    assert len(served) == 1 and served < who
    thread.join()
    assert answers[0].status_code == 200 and answers[0].json()["by"] in who - served
    wait_for(lambda: _healthy_in_envoy(mesh, "hold").get(busy), message="the busy one routed to again")
    assert {on_backend.who(i, "/hold") for i in mesh.instances("hold")} == who
    assert not _events(mesh, "unhealthy") and _events(mesh, "busy")


def test_supervision_a_lone_busy_instance_finishes_its_request(on_backend: Backend):
    service = {"prefix": "/hold", "instances": 1, "timeout_s": 60, "health_check": QUICK_CHECKS}
    mesh = on_backend.start({"hold": service}, {"hold": "basic:hold_interpreter"})
    (instance,) = mesh.instances("hold")
    who = on_backend.who(instance, "/hold")
    with httpx.Client(base_url=mesh.url, timeout=60) as http:
        resp = http.post("/hold", json={"s": 5})
    assert resp.status_code == 200 and resp.json()["by"] == who
    assert [i.id for i in mesh.instances("hold")] == [instance.id] and not _events(mesh, "died")


@pytest.mark.flaky(reruns=1)  # timing under CPU starvation (2 shared cores): re-run once; a real
# regression fails both runs. Flaked once each in clean-clone runs, passes alone (see the closing notes).
def test_supervision_an_instance_busy_past_its_timeout_is_replaced(on_backend: Backend):
    service = {"prefix": "/hold", "instances": 2, "timeout_s": 2, "health_check": QUICK_CHECKS}
    mesh = on_backend.start({"hold": service}, {"hold": "basic:hold_interpreter"})
    ids = {i.id for i in mesh.instances("hold")}
    thread, answers = _post_in_background(mesh.url, "/hold", {"s": 30})
    (event,) = wait_for(lambda: _events(mesh, "unhealthy"), timeout_s=25, message="the busy one replaced")
    assert "past its service's timeout_s" in event["message"]
    thread.join()
    assert answers[0].status_code == 504  # its caller had given up at timeout_s
    wait_for(lambda: len(mesh.instances("hold")) == 2, timeout_s=60, message="a replacement")
    assert len(ids & {i.id for i in mesh.instances("hold")}) == 1


@pytest.mark.flaky(reruns=1)  # timing under CPU starvation (2 shared cores): re-run once; a real
# regression fails both runs. Flaked once each in clean-clone runs, passes alone (see the closing notes).
@pytest.mark.parametrize("how", ["blocked", "stopped", "paused"])
def test_supervision_a_hung_instance_is_replaced_long_before_its_timeout(how, on_backend: Backend):
    if how == "paused" and on_backend.name != "docker":
        pytest.skip("only a container pauses (docker pause); a process's stop is the 'stopped' case")
    service = {"prefix": "/block", "instances": 2, "timeout_s": 60, "health_check": QUICK_CHECKS}
    mesh = on_backend.start({"block": service}, {"block": "basic:block_interpreter"})
    victim = mesh.instances("block")[0]
    started = time.monotonic()
    if how == "blocked":
        thread, thread_answers = _post_in_background(f"http://{victim.address}", "/block", {"s": 40}, timeout_s=60)
    else:  # SIGSTOP to its process (in a container too), or `docker pause` to its container
        on_backend.stop_instance(victim, "pause" if how == "paused" else "signal")
    (event,) = wait_for(lambda: _events(mesh, "unhealthy"), timeout_s=20, message="the hung one replaced")
    # A stopped one is named so, at its first missed check; a blocked one by its CPU (/proc, or the container's cgroup).
    said = {"blocked": "no CPU progress", "stopped": "hung: stopped by SIGSTOP",
            "paused": "hung: stopped: its container is paused"}[how]
    assert said in event["message"] and "hung: " in event["message"], event
    assert time.monotonic() - started < 20
    wait_for(lambda: on_backend.gone(victim), message="the hung instance killed")
    if how == "blocked":
        thread.join()
        assert isinstance(thread_answers[0], httpx.HTTPError)
    wait_for(lambda: len(mesh.instances("block")) == 2, timeout_s=60, message="a replacement")


# --- a request waiting at a crashed instance's port -----------------------------------------


def _queued_at(address: str, path: str) -> socket.socket:
    """A request sent straight to an instance's port (as Envoy sends one to an address it still
    routes to), complete in the kernel's buffers: a stopped instance has not read it."""
    host, port = address.rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=20)
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n"
                 "Content-Length: 2\r\nConnection: close\r\n\r\n{}".encode())
    return sock


@pytest.mark.parametrize("restarts_left", [True, False])
@pytest.mark.parametrize("instances", [1, 2])
def test_supervision_a_request_waiting_at_a_crashed_instance_is_served_by_its_replacement(
        monkeypatch, caplog, restarts_left, instances):
    # Past its restart budget a service replaces a dead instance only after a pause: its socket
    # must stay open meanwhile, or the requests waiting in it are reset, which Envoy reports as
    # "the instance closed the connection ... may have taken effect" though none ran.
    if not restarts_left:
        monkeypatch.setattr(puma.instances, "MAX_RESTARTS_IN_WINDOW", 0)
        monkeypatch.setattr(puma.instances, "RESTART_BACKOFF_S", 0.5)
    with _start({"echo": {"prefix": "/echo", "instances": instances}}, {"echo": basic.echo}) as mesh:
        victim = mesh.instances("echo")[0]
        os.kill(victim.pid, signal.SIGSTOP)  # accepts nothing more: the request waits in its socket
        with _queued_at(victim.address, "/echo") as sock:
            os.kill(victim.pid, signal.SIGKILL)
            reply = http.client.HTTPResponse(sock)
            reply.begin()
            assert reply.status == 200
            assert json.loads(reply.read())["pid"] not in (victim.pid, None)
        wait_for(lambda: len(_events(mesh, "died")) == 1 and len(mesh.instances("echo")) == instances,
                 timeout_s=20, message="the dead instance replaced")
    assert any("backing off" in r.getMessage() for r in caplog.records) is not restarts_left


# --- a zygote killed ------------------------------------------------------------------------


def _zygote_restarted(mesh: puma.Deployment, service: str, old_pid: int, instances: int) -> bool:
    pool = mesh.pools[service]
    return (pool.zygote is not None and pool.zygote.pid not in (None, old_pid)
            and len(mesh.instances(service)) == instances)


def _ready(mesh: puma.Deployment) -> bool:
    return httpx.get(mesh.url + "/_puma/ready", timeout=5).status_code == 200


@pytest.mark.parametrize("instances", [1, 3])
def test_supervision_a_killed_zygote_is_started_again_while_its_instances_serve_on(instances):
    services = {"echo": {"prefix": "/echo", "instances": instances}, "other": {"prefix": "/other"}}
    with _start(services, {"echo": basic.echo, "other": basic.echo}) as mesh, \
            httpx.Client(base_url=mesh.url, timeout=10) as http:
        zygote, old = mesh.pools["echo"].zygote.pid, {i.pid for i in mesh.instances("echo")}
        os.kill(zygote, signal.SIGKILL)
        wait_for(lambda: _zygote_restarted(mesh, "echo", zygote, instances), timeout_s=30,
                 message="a new zygote and its instances")
        wait_for(lambda: _ready(mesh), message="/_puma/ready 200 again")
        served = wait_for(lambda: {http.post("/echo", json={}).json()["pid"] for _ in range(3 * instances)},
                          message="/echo served")
        assert served <= old and all(_alive(pid) for pid in old), "a zygote is needed only to fork"
        wait_for(lambda: not Path(f"/proc/{zygote}").exists(), message="the dead zygote reaped (no zombie)")
        assert http.post("/other", json={}).status_code == 200
        assert len(_events(mesh, "zygote_restarted", "echo")) == 1 and mesh.status()["services"]["echo"]["failed"] is None


def test_supervision_no_instance_is_added_while_a_zygote_restarts():
    # The autoscaler sees 0 instances while a killed zygote waits to be started again: its "0 -> 1"
    # must not leave a phantom "starting" instance that the next restart starts as well (1 -> 2),
    # and a count asked by hand meanwhile is refused, not lost.
    services = {"auto": {"prefix": "/auto", "instances": {"min": 1, "max": 3}}}
    with _start(services, {"auto": basic.echo}) as mesh:
        pool = mesh.pools["auto"]
        refused = []
        for _ in range(3):
            zygote, deadline = pool.zygote.pid, time.monotonic() + 30
            os.kill(zygote, signal.SIGKILL)
            while (pool.zygote.pid == zygote or pool.restarting) and time.monotonic() < deadline:
                if pool.restarting:
                    try:
                        mesh.scale("auto", 2)
                    except puma.PumaScaleError as exc:
                        refused.append(str(exc))
                time.sleep(0.02)
            wait_for(lambda z=zygote: _zygote_restarted(mesh, "auto", z, 1), timeout_s=30, message="a restart")
            assert [i.state for i in pool.instances.values()] in (["starting"], ["ready"]), pool.instances
        assert refused and all("auto is restarting" in r and "try again" in r for r in refused), refused
        wait_for(lambda: [i.state for i in pool.instances.values()] == ["ready"], message="one ready instance")


def test_supervision_a_zygote_that_keeps_dying_is_reported_failed_once():
    services = {"echo": {"prefix": "/echo"}, "other": {"prefix": "/other"}}
    with _start(services, {"echo": basic.echo, "other": basic.echo}) as mesh, \
            httpx.Client(base_url=mesh.url, timeout=10) as http:
        for _ in range(3):
            zygote = mesh.pools["echo"].zygote.pid
            os.kill(zygote, signal.SIGKILL)
            wait_for(lambda z=zygote: _zygote_restarted(mesh, "echo", z, 1), timeout_s=30, message="a restart")
        os.kill(mesh.pools["echo"].zygote.pid, signal.SIGKILL)  # the fourth in a minute: past the budget
        failed = wait_for(lambda: mesh.status()["services"]["echo"]["failed"], timeout_s=10,
                          message="the service reported failed")
        assert "exited 4 times" in failed
        from puma.running import format_status

        assert f"echo: {failed}" in format_status(mesh.status())  # what `puma status` shows
        assert len(_events(mesh, "failed", "echo")) == 1 and len(_events(mesh, "zygote_restarted", "echo")) == 3
        # Clients are told it failed, not "starting: retry in 1 s" (for ever); a mesh call alike.
        reply = wait_for(lambda: (r := http.post("/echo", json={})).status_code == 503 and "failed" in r.text and r,
                         timeout_s=10, message="Envoy answering that echo failed")
        # A public client: down, retry later; how it failed and the command are the operator's.
        assert "retry-after" not in reply.headers and "retry later" in reply.json()["error"], reply.text
        assert "puma scale" not in reply.text and "exited 4 times" not in reply.text, reply.text
        assert "retry-after" not in http.get("/echo/x").headers
        internal = httpx.post(mesh.internal_url + "/echo", json={}, timeout=10)
        assert internal.status_code == 503 and "failed" in internal.text and "retry-after" not in internal.headers
        assert "puma scale echo N" in internal.text and "exited 4 times" in internal.text, internal.text
        assert http.post("/other", json={}).status_code == 200  # the rest of the deployment serves on
        assert mesh.status()["services"]["echo"]["instances"] == []
        # The operator's way back for this one service (newcomer 56 M2: only a restart of the whole
        # deployment brought it back, dropping every other service's work): `puma scale echo 2`.
        other = {i.pid for i in mesh.instances("other")}
        started = httpx.post(mesh.url + "/_puma/scale", json={"service": "echo", "instances": 2},
                             headers={"x-puma-token": mesh.status_server.token}, timeout=30)
        assert started.status_code == 200, started.text
        wait_for(lambda: len(mesh.instances("echo")) == 2, timeout_s=30, message="echo started again with 2 instances")
        wait_for(lambda: http.post("/echo", json={}).status_code == 200, timeout_s=15, message="echo served again")
        assert mesh.status()["services"]["echo"]["failed"] is None
        (revived,) = _events(mesh, "revived", "echo")
        assert "started again by hand with 2 instances" in revived["message"] and "exited 4 times" in revived["message"]
        assert {i.pid for i in mesh.instances("other")} == other  # the rest untouched
        zygote = mesh.pools["echo"].zygote.pid  # its budget starts afresh: one more death is a restart
        os.kill(zygote, signal.SIGKILL)
        wait_for(lambda: _zygote_restarted(mesh, "echo", zygote, 2), timeout_s=30, message="a restart, not a failure")
        assert mesh.status()["services"]["echo"]["failed"] is None


# --- Envoy killed ------------------------------------------------------------------------------


def _envoy_restarted(mesh: puma.Deployment, old_pid: int) -> bool:
    return (mesh.envoy.proc is not None and mesh.envoy.proc.pid != old_pid and mesh.envoy.admin is not None
            and mesh.envoy.admin.ready())


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_supervision_a_killed_envoy_is_started_again_on_the_same_ports(sig, caplog):
    services = {"echo": {"prefix": "/echo", "instances": 2},
                "auto": {"prefix": "/auto", "instances": {"min": 1, "max": 2}}}
    with _start(services, {"echo": basic.echo, "auto": basic.echo}) as mesh:
        url, internal = mesh.url, mesh.internal_url
        pids = {i.pid for i in mesh.instances("echo")}
        envoy = mesh.envoy.proc.pid
        with httpx.Client(base_url=url, timeout=10) as http:
            assert http.post("/echo", json={}).status_code == 200
            os.kill(envoy, sig)
            wait_for(lambda: _envoy_restarted(mesh, envoy), timeout_s=30, message="Envoy started again")
            assert mesh.url == url and mesh.internal_url == internal
            served = wait_for(lambda: {http.post("/echo", json={}).json()["pid"] for _ in range(8)},
                              timeout_s=10, message="routes and endpoints back")
            assert served == pids
            assert http.post("/auto", json={}).status_code == 200
        assert httpx.post(internal + "/echo", json={}, timeout=5).status_code == 200
        assert len(_events(mesh, "envoy_restarted")) == 1 and mesh.failure is None
    tick_logs = [r.getMessage() for r in caplog.records if r.getMessage().startswith("autoscaler tick")]
    failed = [m for m in tick_logs if m.startswith("autoscaler tick failed")]
    assert len(failed) <= 1 and len(tick_logs) <= 2, tick_logs  # one outage: logged once, and its end


def _descendants(pid: int) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    parents = {pid}
    for _ in range(4):
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            name, fields = stat[stat.index("(") + 1: stat.rindex(")")], stat.rsplit(")", 1)[1].split()
            if int(fields[1]) in parents and int(entry.name) not in {p for p, _ in found}:
                found.append((int(entry.name), name))
        parents |= {p for p, _ in found}
    return found


def test_supervision_puma_run_stops_with_the_cause_when_envoy_keeps_dying(tmp_path):
    import re
    import subprocess
    import sys

    hello = Path(__file__).parents[1] / "examples" / "hello_app.py"
    log_path = tmp_path / "run.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "puma.cli", "run", str(hello), "--port", "0"],
                                stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: re.search(r"serving at (http://\S+)", log_path.read_text()), timeout_s=60,
                 message="puma run to serve")
        killed: set[int] = set()
        for k in range(4):
            envoy = wait_for(lambda: [p for p, name in _descendants(proc.pid) if name == "envoy" and p not in killed],
                             timeout_s=30, message="an Envoy")[0]
            os.kill(envoy, signal.SIGKILL)
            killed.add(envoy)
            if k < 3:
                wait_for(lambda n=k + 1: log_path.read_text().count("envoy restarted") >= n, timeout_s=30,
                         message="Envoy restarted")
        assert proc.wait(timeout=60) == 1
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log_path.read_text()
    assert "Envoy exited 4 times" in text and "puma: error: the deployment stopped" in text
    assert "Traceback" not in text and text.count("autoscaler tick failed") <= 4  # once per outage at most


def test_supervision_a_repeated_failure_is_logged_once_per_outage_with_its_count(caplog):
    from puma.control import Outage

    outage = Outage("autoscaler tick")
    for round_ in range(2):
        for _ in range(224):
            outage.failed(ConnectionRefusedError(111, "Connection refused"))
        outage.failed(ValueError("a different failure"))  # a new kind is said once, with its traceback
        outage.recovered()
        outage.recovered()  # nothing more to say while it works
        messages = [r.getMessage() for r in caplog.records]
        assert len(messages) == 3 * (round_ + 1), messages
        assert messages[-1].startswith("autoscaler tick recovered after 225 failed ticks")
    refused, different = caplog.records[0], caplog.records[1]
    assert refused.exc_info is None and different.exc_info is not None


def test_supervision_a_caller_of_a_failed_service_is_a_500_naming_it_down_until_restarted(monkeypatch):
    """A failed service cannot succeed until an operator restarts it: a service calling it answers a
    500 naming it, without Retry-After (nor does a mesh call wait it out); a public client is told it
    is down and to retry later, with no operator's command or restart counts."""
    import puma.instances

    monkeypatch.setattr(puma.instances, "MAX_ZYGOTE_RESTARTS_IN_WINDOW", 0)  # its first death spends the budget
    services = {"upper": {"prefix": "/upper"}, "relay": {"prefix": "/relay", "timeout_s": 5}}
    with _start(services, {"upper": basic.upper, "relay": basic.relay}) as mesh, \
            httpx.Client(base_url=mesh.url, timeout=10) as http:
        assert http.post("/relay", json={"text": "a"}).json() == {"relayed": {"text": "A"}}
        os.kill(mesh.pools["upper"].zygote.pid, signal.SIGKILL)
        wait_for(lambda: mesh.status()["services"]["upper"]["failed"], timeout_s=10, message="upper reported failed")
        direct = wait_for(lambda: (r := http.post("/upper", json={"text": "b"})).status_code == 503
                          and "is down" in r.text and r,
                          timeout_s=10, message="Envoy answering that upper failed")
        assert "retry-after" not in direct.headers
        for text in ("b", "c"):
            reply = http.post("/relay", json={"text": text})
            body = reply.json()
            assert reply.status_code == 500 and "retry-after" not in reply.headers, reply.text
            assert body["callee"] == "upper" and "retry_after_s" not in body
            assert "down until an operator restarts it; retry later" in body["error"], body
            assert "puma scale" not in body["error"] and "zygote" not in body["error"], body
            assert "will not help" not in body["error"] and "((" not in body["error"], body
        assert http.post("/relay", json={"text": "d"}).elapsed.total_seconds() < 3  # answered, not waited out


def test_supervision_status_counts_ready_of_what_a_scale_set_not_of_the_config():
    """After a scale by hand, `puma status` reads "4/4" (ready of the instances it now runs), not "4/2"."""
    from puma.running import format_status

    with _start({"echo": {"prefix": "/echo", "instances": 2}}, {"echo": basic.echo}) as mesh:
        for count, shown in ((4, "4/4"), (1, "1/1"), (3, "3/3")):
            mesh.scale("echo", count)
            wait_for(lambda c=count: mesh.status()["services"]["echo"]["ready"] == c and len(
                [i for i in mesh.status()["services"]["echo"]["instances"] if i["state"] != "draining"]) == c,
                timeout_s=60, message=f"{count} ready")
            assert re.search(rf"echo\s+/echo\s+{shown}\s", format_status(mesh.status())), format_status(mesh.status())
