"""A zygote is needed only to fork: its death (kill -9, or killed by its liveness check when it is
stopped) must not stop the instances it had forked. They serve on, still supervised (replaced
when they die, retired by a scale-down, drained at stop), and only the next fork waits for the new
zygote. Real zygotes, Envoy and instances; a service whose warm-up takes seconds, as the chatbot's
agent does (newcomer 62: 15-21 s of 503 after its zygote was killed)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from puma.config import parse_config
from puma.supervisor import Deployment
from tests.helpers import continued_after, wait_for

ROOT = Path(__file__).resolve().parents[1]
# The warm-up each zygote runs again: what a client would wait for, were instances to die with it.
# Two seconds are a hundred requests of the tests' traffic; the Retry-After test wants a longer one
# to tell its hint from "every second".
WARM_S = "2"
LONG_WARM_S = "4"


def _deployment(monkeypatch: pytest.MonkeyPatch, instances: int | dict = 2, interval_s: float | None = None,
                warm_s: str = WARM_S) -> Deployment:
    monkeypatch.setenv("STARTUP_WORK_S", warm_s)
    checks = {"health_check": {"interval_s": interval_s}} if interval_s else {}
    return Deployment(parse_config({"puma_services": {
        "slow": {"prefix": "/slow", "target": "tests.apps.basic:echo", "warmup": "tests.apps.startup:long_and_silent",
                 "instances": instances, **checks},
        "other": {"prefix": "/other", "target": "tests.apps.basic:echo"}}, "listener": {"port": 0}}))


class Traffic:
    """Requests to /slow, one after another, from a thread: every status and serving pid seen."""

    def __init__(self, url: str) -> None:
        self.url = url + "/slow"
        self.statuses: list[int | str] = []
        self.pids: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=15)

    def _run(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self._stop.wait(0.02):
                try:
                    resp = client.post(self.url, json={"n": len(self.statuses)})
                except httpx.HTTPError as exc:
                    self.statuses.append(type(exc).__name__)
                    continue
                self.statuses.append(resp.status_code)
                if resp.status_code == 200:
                    self.pids.add(resp.json()["pid"])

    def failures(self) -> list[int | str]:
        return [s for s in self.statuses if s != 200]


def _zygote_pid(mesh: Deployment) -> int:
    zygote = mesh.pools["slow"].zygote
    assert zygote is not None and zygote.pid is not None, "the zygote is running"
    return zygote.pid


def _pids(mesh: Deployment) -> list[int]:
    return sorted(i.pid for i in mesh.instances("slow") if i.pid is not None)


def _new_zygote_ready(mesh: Deployment, old: int) -> None:
    pool = mesh.pools["slow"]
    wait_for(lambda: pool.zygote is not None and pool.zygote.pid not in (old, None) and pool.zygote_ready(),
             timeout_s=60, interval_s=0.1, message="a new zygote, warmed up")


def _restart_events(mesh: Deployment) -> list[str]:
    return [e["message"] for e in mesh.status()["events"]
            if e.get("kind") == "zygote_restarted" and e["service"] == "slow"]


@pytest.mark.parametrize("fault", [signal.SIGKILL, signal.SIGSTOP, signal.SIGTERM], ids=["killed", "stopped", "terminated"])
def test_zygote_faults_a_zygote_fault_costs_no_request(monkeypatch: pytest.MonkeyPatch, fault: signal.Signals) -> None:
    """Killed, stopped until its liveness check kills it, or sent SIGTERM by an operator: requests go
    on being answered by the same instances all along, while the new zygote warms up."""
    with _deployment(monkeypatch, interval_s=1.0) as mesh:
        zygote = _zygote_pid(mesh)
        serving = set(_pids(mesh))
        with Traffic(mesh.url) as traffic, continued_after(zygote):
            wait_for(lambda: len(traffic.statuses) >= 5, timeout_s=20, message="traffic flowing")
            os.kill(zygote, fault)
            _new_zygote_ready(mesh, zygote)
            seen = len(traffic.statuses)
            wait_for(lambda: len(traffic.statuses) >= seen + 5, timeout_s=20, message="traffic after the restart")
        assert traffic.failures() == [], f"{len(traffic.failures())} of {len(traffic.statuses)} failed"
        assert traffic.pids == serving, "the instances the zygote had forked served throughout"
        (event,) = _restart_events(mesh)
        assert "started again; 2 serving instances kept serving" in event, event
        assert mesh.status()["services"]["slow"]["failed"] is None


def test_zygote_faults_instances_that_outlived_their_zygote_stay_supervised(monkeypatch: pytest.MonkeyPatch) -> None:
    """After the zygote's death its instances are still replaced when they die (by the new zygote,
    with an event only once the replacement exists), retired by a scale-down, and stopped at the end."""
    with _deployment(monkeypatch, instances={"min": 1, "max": 3}) as mesh:
        pool = mesh.pools["slow"]
        mesh.scale("slow", 3)
        wait_for(lambda: len(pool.ready()) == 3, timeout_s=30, message="3 instances")
        zygote = _zygote_pid(mesh)
        orphans = _pids(mesh)
        os.kill(zygote, signal.SIGKILL)
        _new_zygote_ready(mesh, zygote)
        os.kill(orphans[0], signal.SIGKILL)
        wait_for(lambda: len(pool.ready()) == 3 and orphans[0] not in {i.pid for i in pool.ready()},
                 timeout_s=30, message="the dead orphan replaced by a fork of the new zygote")
        events = [e["message"] for e in mesh.status()["events"] if e["service"] == "slow"]
        assert any("died (code unknown: its zygote had died); replacing it" in m for m in events), events
        assert any(" replaced by instance " in m for m in events), events
        mesh.scale("slow", 1)
        wait_for(lambda: len(pool.live()) == 1 and all(not Path(f"/proc/{p}").exists() or _zombie(p)
                                                       for p in orphans[1:] if p not in {i.pid for i in pool.live()}),
                 timeout_s=30, message="a scale-down to 1 that stopped the orphans it retired")
        assert httpx.post(mesh.url + "/slow", json={}, timeout=10).status_code == 200
        left = [p for p in orphans if Path(f"/proc/{p}").exists() and not _zombie(p)]
    wait_for(lambda: all(not Path(f"/proc/{p}").exists() or _zombie(p) for p in left), timeout_s=15,
             message="the orphans stopped with the deployment")


def test_zygote_faults_an_orphan_stops_when_the_supervisor_dies(tmp_path: Path) -> None:
    """Tied to the supervisor, not to its zygote: with both gone, no instance is left running."""
    app = tmp_path / "app.py"
    app.write_text("from puma import puma_config, puma_start\n"
                   "puma_config({'puma_services': {'echo': {'prefix': '/echo', 'target': 'tests.apps.basic:echo', "
                   "'instances': 2}}})\nif __name__ == '__main__':\n    puma_start()\n")
    log = tmp_path / "run.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "puma.cli", "run", str(app), "--port", "0"], cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "TMPDIR": str(tmp_path)})
    try:
        wait_for(lambda: "serving at" in log.read_text(), timeout_s=60, message="serving")
        zygote = wait_for(lambda: _workers(proc.pid, zygotes=True), timeout_s=10, message="the zygote")[0]
        instances = wait_for(lambda: _workers(proc.pid, zygotes=False), timeout_s=10, message="the instances")
        os.kill(zygote, signal.SIGKILL)
        wait_for(lambda: "starting it again" in log.read_text(), timeout_s=30, message="the zygote started again")
        assert not [p for p in instances if _zombie(p)], "the instances outlived their zygote"
    finally:
        proc.kill()
        proc.wait()
    wait_for(lambda: not [p for p in instances if Path(f"/proc/{p}").exists() and not _zombie(p)], timeout_s=20,
             message="the orphaned instances to exit with the supervisor")
    for pid in re.findall(r"envoy started \(pid (\d+)\)", log.read_text()):
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)  # Envoy is not the supervisor's child to take along


def _zombie(pid: int) -> bool:
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] == "Z"
    return True


def _workers(supervisor: int, *, zygotes: bool) -> list[int]:
    """The pids of `puma.worker` processes of `supervisor`: its zygotes (ppid: the fork server) or instances."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            parent = (Path("/proc") / str(ppid) / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if b"puma.worker" not in cmdline or f"PUMA_SUPERVISOR_PID={supervisor}".encode() not in environ.split(b"\0"):
            continue
        if (b"puma.worker" not in parent) == zygotes and not _zombie(int(entry.name)):
            found.append(int(entry.name))
    return sorted(found)


@pytest.mark.parametrize("order", ["instance, then zygote", "zygote, then the instance it kept serving"])
def test_zygote_faults_with_no_instance_left_the_503_says_how_long_the_warm_up_takes(
        monkeypatch: pytest.MonkeyPatch, order: str) -> None:
    """Its zygote and every instance killed, in either order (the supervisor may see the zygote's
    death first and keep the instance, then see the instance die): clients are told to come back
    after about its warm-up, not every second; once it serves again, no Retry-After."""
    with _deployment(monkeypatch, instances=1, warm_s=LONG_WARM_S) as mesh:
        zygote, (instance,) = _zygote_pid(mesh), _pids(mesh)
        if order.startswith("instance"):
            os.kill(instance, signal.SIGKILL)
            os.kill(zygote, signal.SIGKILL)
        else:
            os.kill(zygote, signal.SIGKILL)
            pool = mesh.pools["slow"]
            wait_for(lambda: any(i.orphan for i in pool.instances.values()), timeout_s=10,
                     message="the instance kept serving as its zygote starts again")
            os.kill(instance, signal.SIGKILL)
        reply = wait_for(lambda: (r := httpx.post(mesh.url + "/slow", json={}, timeout=10)).status_code == 503
                         and r.headers.get("retry-after") not in (None, "1") and r, timeout_s=10,
                         message="a 503 saying how long")
        assert 2 <= int(reply.headers["retry-after"]) <= int(LONG_WARM_S) + 2, reply.headers
        assert "no instance of this service is ready" in reply.json()["error"], reply.text
        ok = wait_for(lambda: (r := httpx.post(mesh.url + "/slow", json={}, timeout=10)).status_code == 200 and r,
                      timeout_s=60, message="served again")
        wait_for(lambda: "retry-after" not in httpx.post(mesh.url + "/slow", json={}, timeout=10).headers,
                 timeout_s=10, message="no Retry-After once it serves")
        assert ok.status_code == 200
        assert httpx.post(mesh.url + "/other", json={}, timeout=10).headers.get("retry-after") is None


@pytest.mark.parametrize("order", ["instance, then zygote", "zygote, then instance 0.2 s later"])
@pytest.mark.parametrize("instances", [1, 3])
def test_zygote_faults_an_instance_killed_with_its_zygote_is_not_said_to_keep_serving(
        monkeypatch: pytest.MonkeyPatch, order: str, instances: int) -> None:
    """`kill -9 INSTANCE ZYGOTE` in either order (on a loaded machine the supervisor may see the
    zygote's death before the instance has even run since its kill): the event counts only the
    instances that really serve on ("none kept serving" when none does) and names the killed
    instance's death exactly once."""
    with _deployment(monkeypatch, instances=instances, warm_s="1") as mesh:
        pool = mesh.pools["slow"]
        zygote, pids = _zygote_pid(mesh), _pids(mesh)
        victim = pids[0]
        (victim_id,) = [i.id for i in pool.instances.values() if i.pid == victim]
        if order.startswith("instance"):
            os.kill(victim, signal.SIGKILL)
            os.kill(zygote, signal.SIGKILL)
        else:
            os.kill(zygote, signal.SIGKILL)
            threading.Event().wait(0.2)
            os.kill(victim, signal.SIGKILL)
        (event,) = wait_for(lambda: _restart_events(mesh), timeout_s=60, message="the zygote started again")
        kept = instances - 1
        said = f"{kept} serving instance{'s' if kept > 1 else ''} kept serving" if kept else "none kept serving"
        assert said in event, event
        wait_for(lambda: len(pool.ready()) == instances, timeout_s=30, message="back to full strength")
        deaths = [e["message"] for e in mesh.status()["events"] if e["service"] == "slow"
                  and re.match(rf"instance {victim_id} died\b", e["message"])]
        assert len(deaths) == 1, deaths
        others = [e["message"] for e in mesh.status()["events"] if e["service"] == "slow" and e.get("kind") == "died"
                  and not e["message"].startswith(f"instance {victim_id} ")]
        assert others == [], others
