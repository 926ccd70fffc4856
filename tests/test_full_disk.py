"""A full disk under the run directory never takes supervision down: on a real tmpfs filled to
ENOSPC, instances and a zygote die, a scale is asked for, then the space is freed; the service
serves again with no restart of the deployment, and meanwhile `puma status` and `puma scale` say
what Envoy was told (not what was intended) and what the supervisor is failing at.
Real Envoy and instances; needs root to mount the tmpfs (skipped otherwise)."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import puma
from puma import running
from puma.errors import PumaError
from puma.supervisor import Deployment
from tests.apps import basic, failing_store
from tests.helpers import wait_for

QUICK_CHECKS = {"interval_s": 0.3, "timeout_s": 0.3}


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 24 MiB tmpfs (a real filesystem that fills up), unmounted afterwards."""
    where = tmp_path / "small"
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(where)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs (needs root): {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(disk: Path) -> Path:
    """Write a file on `disk` until it is full (ENOSPC); its path."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        size = 1 << 20
        while size:  # down to the last byte
            try:
                os.write(fd, b"x" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
                size //= 2
    finally:
        os.close(fd)
    with pytest.raises(OSError, match="No space left"):
        (disk / "probe").write_bytes(b"x")
    return filler


def _deployment(run_dir: Path) -> Deployment:
    app = puma.App()
    app.configure({"puma_services": {"echo": {"prefix": "/echo", "instances": 2, "health_check": QUICK_CHECKS},
                                     "upper": {"prefix": "/upper", "instances": 1}}})
    app.add_services({"echo": basic.echo, "upper": basic.upper})
    return Deployment(app.resolved_config(listener={"port": 0}), run_dir=run_dir,
                      import_paths=app.import_paths).start()


def _in_envoy(mesh: Deployment, service: str) -> set[str]:
    assert mesh.envoy.admin is not None
    stat = mesh.envoy.admin.clusters().get(service)
    return {h.address for h in stat.hosts if h.healthy} if stat else set()


def _threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.is_alive()}


def _kill(pid: int | None) -> None:
    assert pid is not None
    os.kill(pid, signal.SIGKILL)


def test_full_disk_supervision_survives_and_the_service_recovers_once_space_is_freed(small_disk):
    with _deployment(small_disk / "run") as mesh, httpx.Client(base_url=mesh.url, timeout=10) as http:
        assert http.post("/echo", json={"n": 1}).status_code == 200
        envoy_pid = mesh.envoy.proc.pid if mesh.envoy.proc else None
        pool = mesh.pools["echo"]
        filler = _fill(small_disk)
        first, second = sorted(pool.ready(), key=lambda i: i.id)
        _kill(first.pid)  # its replacement joins on another address: an endpoints write, refused
        wait_for(lambda: any("endpoints" in f["what"] or "publish" in f["what"]
                             for f in mesh.status()["supervisor_failing"]),
                 timeout_s=20, message="puma status names the failing endpoints write")
        _kill(second.pid)
        zygote_pid = pool.zygote.pid if pool.zygote else None
        _kill(zygote_pid)  # its death must still be seen and the zygote started again
        wait_for(lambda: pool.zygote is not None and pool.zygote.pid != zygote_pid and len(pool.ready()) == 2,
                 timeout_s=30, message="the zygote started again, with its instances, on a full disk")
        assert {"puma-publish", "puma-echo-events", "puma-echo-zygote-watch"} <= _threads()
        # What Envoy was told is what status says: instances Envoy lacks are not "healthy".
        status = mesh.status()
        told = _in_envoy(mesh, "echo")
        for inst in status["services"]["echo"]["instances"]:
            if inst["state"] == "ready":
                assert inst["healthy"] == (f"{inst['host']}:{inst['port']}" in told), inst
        text = running.format_status(status)
        assert "supervisor failing" in text and "No space left on device" in text, text
        # `puma scale`'s wait counts an instance ready only once Envoy has it healthy.
        asked_at = time.time()
        mesh.scale("upper", 2, reason="puma scale")
        wait_for(lambda: len(mesh.pools["upper"].ready()) == 2, timeout_s=20, message="upper's 2nd instance up")
        upper = mesh.status()["services"]["upper"]
        assert upper["ready"] == 1 and any("not in Envoy yet" in why and "No space left" in why
                                           for why in upper["not_ready"] + upper["short"]), upper
        assert "ready" not in [i["state"] for i in upper["instances"] if i["in_envoy"] is False], upper
        with pytest.raises(PumaError, match=r"up \(not yet in Envoy\)") as refused:
            running._wait_scaled(mesh.url, "the test",
                                 {"service": "upper", "to": 2, "at": asked_at}, wait_s=1.0)
        # What the operator is told: the cause, and that the count asked for stays in effect.
        assert "No space left on device" in str(refused.value) and "stays in effect" in str(refused.value)

        filler.unlink()  # space again: everything due is written, with no restart
        wait_for(lambda: not mesh.status()["supervisor_failing"], timeout_s=20,
                 message="the supervisor's failures recovered")
        wait_for(lambda: len(_in_envoy(mesh, "echo")) == 2 and len(_in_envoy(mesh, "upper")) == 2,
                 timeout_s=20, message="Envoy has every instance again")
        assert {http.post("/echo", json={"n": i}).status_code for i in range(20)} == {200}
        assert http.post("/upper", json={"text": "a"}).status_code == 200
        assert (mesh.envoy.proc.pid if mesh.envoy.proc else None) == envoy_pid
        assert not pool.failed and mesh.failure is None
        running._wait_scaled(mesh.url, "the test", {"service": "upper", "to": 2, "at": asked_at}, wait_s=20)
        assert mesh.status()["services"]["upper"]["ready"] == 2


def test_full_disk_a_zygote_that_cannot_be_started_again_is_failed_saying_it_is_down(monkeypatch):
    """Retried for its give-up time, a zygote start that keeps failing makes the service failed:
    clients are told it is down until an operator restarts it (no Retry-After), never to retry for ever."""
    import puma.instances

    monkeypatch.setattr(puma.instances, "ZYGOTE_START_GIVE_UP_S", 1.0)
    app = puma.App()
    app.configure({"puma_services": {"echo": {"prefix": "/echo"}, "upper": {"prefix": "/upper"}}})
    app.add_services({"echo": basic.echo, "upper": basic.upper})
    with app.start(listener={"port": 0}) as mesh, httpx.Client(base_url=mesh.url, timeout=10) as http:
        pool = mesh.pools["echo"]

        def refuse() -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(pool, "start_zygote", refuse)
        _kill(pool.zygote.pid if pool.zygote else None)
        wait_for(lambda: pool.failed, timeout_s=20, message="the service reported failed")
        assert "could not be started again" in str(pool.failed) and "No space left" in str(pool.failed)

        def answer() -> httpx.Response | None:
            reply = http.post("/echo", json={})
            return reply if "is down" in reply.text and "restarts it" in reply.text else None

        reply = wait_for(answer, timeout_s=10, message="a failed service's answer")
        assert reply.status_code >= 500 and "retry-after" not in reply.headers, reply.text
        assert http.post("/upper", json={"text": "a"}).status_code == 200  # the others serve on
        assert any(e.get("kind") == "failed" for e in mesh.status()["events"])


def test_full_disk_a_scale_down_stops_an_instance_only_once_envoy_has_let_it_go(small_disk):
    """Retiring an instance waits for its endpoints write to land: on a full disk Envoy still routes
    to it, so it keeps serving (no request sent to a stopped instance) until space comes back."""
    with _deployment(small_disk / "run") as mesh, httpx.Client(base_url=mesh.url, timeout=10) as http:
        pool = mesh.pools["echo"]
        leaving = max(pool.ready(), key=lambda i: i.id)
        filler = _fill(small_disk)
        mesh.scale("echo", 1, reason="puma scale")
        wait_for(lambda: leaving.state == "draining", timeout_s=10, message="the instance retired")
        assert {http.post("/echo", json={"n": n}).status_code for n in range(30)} == {200}
        assert leaving.pid is not None and os.path.exists(f"/proc/{leaving.pid}")  # not stopped under Envoy
        assert f"{leaving.host}:{leaving.port}" in _in_envoy(mesh, "echo")
        filler.unlink()
        wait_for(lambda: _in_envoy(mesh, "echo") and f"{leaving.host}:{leaving.port}" not in _in_envoy(mesh, "echo"),
                 timeout_s=20, message="Envoy let the retired instance go")
        wait_for(lambda: leaving.state == "stopped" or leaving.id not in pool.instances, timeout_s=20,
                 message="the retired instance stopped")
        assert {http.post("/echo", json={"n": n}).status_code for n in range(10)} == {200}


def test_full_disk_the_services_log_still_records_its_507s(small_disk: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The run directory on the disk that filled up: the service's log is the record of the outage,
    so its lines must still reach it (before, it stayed 0 bytes through dozens of 507s)."""
    fault = tmp_path / "fault"  # off the small disk: the test's switch, not part of the outage
    monkeypatch.setenv(failing_store.FAULT_ENV, str(fault))
    app = puma.App()
    app.configure({"puma_services": {"chat": {"prefix": "/chat", "instances": 1}}})
    app.add_services({"chat": failing_store.note})
    with Deployment(app.resolved_config(listener={"port": 0}), run_dir=small_disk / "run",
                    import_paths=app.import_paths).start() as mesh, \
            httpx.Client(base_url=mesh.url, timeout=10) as http:
        assert http.post("/chat", data={"text": "a"}).status_code == 200
        log = small_disk / "run" / "logs" / "chat.log"
        time.sleep(1.5)  # a window, not a wait: the supervisor's log check (every 0.5 s) looks at chat.log
        filler = _fill(small_disk)
        fault.write_text("enospc")
        for round_no in range(3):  # runs of 507s, each logged once (then one line per 10 s)
            assert {http.post("/chat", data={"text": f"t{round_no}{n}"}).status_code for n in range(5)} == {507}
        said = wait_for(lambda: [line for line in log.read_text().splitlines() if "is full" in line],
                        timeout_s=10, message="chat.log to record the 507s")
        assert "/srv/notes/notes.log is full" in said[0] and "507" in said[0], said
        filler.unlink()


def test_full_disk_ready_and_status_say_one_state_degraded_then_ready_again(small_disk):
    """/_puma/ready, /_puma/ready/<service> and `puma status` say one state from one definition
    (`puma.states.verdict`): on a full disk the supervisor cannot tell Envoy of a new instance, so
    all three say "degraded" (still 200: the services serve), and all three say ready once freed."""
    with _deployment(small_disk / "run") as mesh, httpx.Client(base_url=mesh.url, timeout=10) as http:
        wait_for(lambda: http.get("/_puma/ready").json().get("state") == "ready", timeout_s=30, message="ready")
        filler = _fill(small_disk)
        _kill(sorted(mesh.pools["echo"].ready(), key=lambda i: i.id)[0].pid)  # its replacement: a refused write
        wait_for(lambda: mesh.status()["supervisor_failing"], timeout_s=20, message="the supervisor failing")
        whole, one = http.get("/_puma/ready"), http.get("/_puma/ready/echo")
        status = mesh.status()
        assert whole.status_code == 200 and one.status_code == 200, (whole.text, one.text)
        assert whole.json()["state"] == one.json()["state"] == status["state"] == "degraded", (whole.text, status)
        assert any("No space left" in why for why in whole.json()["supervisor_failing"]), whole.text
        headline = running.format_status(status)
        assert "serving; degraded" in headline and "supervisor failing" in headline, headline
        filler.unlink()
        wait_for(lambda: http.get("/_puma/ready").json()["state"] == "ready" and mesh.status()["state"] == "ready"
                 and http.get("/_puma/ready/echo").json()["state"] == "ready", timeout_s=30, message="ready again")
        assert "degraded" not in running.format_status(mesh.status())
