"""The fork server's death (kill -9) is logged, recorded and repaired; the zygotes it had started
stay under their liveness checks; an event says "replaced" only once a replacement exists, and
`puma status` counts ready instances against the count wanted. Real fork server, zygotes, Envoy and
instances (newcomer 62: a stopped zygote went uncaught for 60 s after the fork server died, a
killed instance was "replaced" by nothing, and status said "1/1" for a service of 2)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
from pathlib import Path

import httpx

import puma
from puma.running import format_status
from puma.zygotewatch import TIMEOUT_S
from tests.apps import basic
from tests.helpers import continued_after, wait_for


def _start(interval_s: float = 1.0) -> puma.Deployment:
    app = puma.App()
    app.configure({"puma_services": {
        "policy": {"prefix": "/policy", "instances": 2, "health_check": {"interval_s": interval_s}},
        "other": {"prefix": "/other"}}})
    app.add_services({"policy": basic.echo, "other": basic.echo})
    return app.start(listener={"port": 0})


def _events(mesh: puma.Deployment, kind: str) -> list[str]:
    return [e["message"] for e in mesh.status()["events"] if e.get("kind") == kind]


def _zygote(mesh: puma.Deployment, service: str = "policy") -> int:
    zygote = mesh.pools[service].zygote
    assert zygote is not None and zygote.pid is not None
    return zygote.pid


def _gone(pid: int) -> bool:
    """Exited and reaped: no process, not even a <defunct> one."""
    return not Path(f"/proc/{pid}").exists()


def _kill_fork_server(mesh: puma.Deployment) -> int:
    assert mesh.fork_server is not None
    old = mesh.fork_server.proc.pid
    os.kill(old, signal.SIGKILL)
    wait_for(lambda: _gone(old) or _zombie(old), timeout_s=10, message="the fork server dead")
    return old


def test_forkserver_faults_a_killed_fork_server_is_said_and_started_again():
    with _start() as mesh:
        old = _kill_fork_server(mesh)
        assert mesh.fork_server is not None
        (said,) = wait_for(lambda: _events(mesh, "forkserver_died"), timeout_s=15,
                           message="the fork server's death recorded")
        assert f"the fork server (pid {old}) exited with code -9 (SIGKILL)" in said, said
        new = mesh.fork_server.proc.pid
        assert new != old and f"started again (pid {new})" in said, said
        wait_for(lambda: _gone(old), timeout_s=10, message="the dead fork server reaped (no <defunct>)")
        # The next zygote comes from the new server; the services serve on throughout.
        zygote = _zygote(mesh, "other")
        os.kill(zygote, signal.SIGKILL)
        wait_for(lambda: _zygote(mesh, "other") != zygote and mesh.pools["other"].zygote_ready(), timeout_s=30,
                 message="a new zygote for other")
        ppid = int(Path(f"/proc/{_zygote(mesh, 'other')}/stat").read_text().rsplit(")", 1)[1].split()[1])
        assert ppid == new, "forked by the new fork server"
        for path in ("/policy", "/other"):
            assert httpx.post(mesh.url + path, json={}, timeout=10).status_code == 200


def test_forkserver_faults_zygotes_it_had_started_stay_under_their_liveness_check():
    with _start() as mesh:
        _kill_fork_server(mesh)
        zygote = _zygote(mesh)
        serving = {i.pid for i in mesh.instances("policy")}
        with continued_after(zygote):
            os.kill(zygote, signal.SIGSTOP)
            wait_for(lambda: _zygote(mesh) != zygote and mesh.pools["policy"].zygote_ready(),
                     timeout_s=TIMEOUT_S + 20, message="the stopped zygote caught, killed and started again")
        (event,) = _events(mesh, "zygote_restarted")
        assert f"its zygote (pid {zygote}) did not answer a liveness check" in event, event
        assert {i.pid for i in mesh.instances("policy")} == serving, "its instances served on"
        wait_for(lambda: _gone(zygote) or _zombie(zygote), timeout_s=10, message="the stopped zygote killed")


def test_forkserver_faults_an_instance_is_said_replaced_only_once_it_is_and_status_counts_it_missing():
    with _start(interval_s=0.5) as mesh:
        _kill_fork_server(mesh)
        zygote = _zygote(mesh)
        victim, survivor = sorted((i.pid, i.id) for i in mesh.instances("policy"))
        with continued_after(zygote):
            os.kill(zygote, signal.SIGSTOP)  # no fork can happen: the kill below waits for its restart
            os.kill(victim[0], signal.SIGKILL)
            wait_for(lambda: any(f"instance {victim[1]} " in m for m in _events(mesh, "unhealthy")) or
                     _events(mesh, "zygote_restarted"), timeout_s=TIMEOUT_S + 20, message="the dead instance noticed")
            if not _events(mesh, "zygote_restarted"):  # still no zygote to fork a replacement
                assert not _events(mesh, "replaced"), "no replacement exists yet"
                assert not [m for m in _events(mesh, "unhealthy") if m.endswith("replaced")], "said before it is"
                status = format_status(mesh.status())
                assert re.search(r"^policy +/policy +1/2 ", status, re.M), status
            wait_for(lambda: _zygote(mesh) != zygote, timeout_s=TIMEOUT_S + 20, message="the zygote restarted")
        wait_for(lambda: len(mesh.pools["policy"].ready()) == 2, timeout_s=30, message="2 instances ready again")
        assert survivor[0] in {i.pid for i in mesh.instances("policy")}
        (event,) = _events(mesh, "zygote_restarted")
        assert "1 serving instance kept serving, 1 more starting" in event, event
        assert re.search(r"^policy +/policy +2/2 ", format_status(mesh.status()), re.M)


def _zombie(pid: int) -> bool:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    return False


def test_forkserver_faults_a_zygote_dead_under_a_stopped_fork_server_says_code_unknown_and_why():
    """Its parent, stopped, cannot read its exit status: never "code None" (newcomer 73)."""
    with _start() as mesh:
        assert mesh.fork_server is not None
        server = mesh.fork_server.proc.pid
        zygote = _zygote(mesh, "other")
        os.kill(server, signal.SIGSTOP)
        try:
            os.kill(zygote, signal.SIGKILL)
            (said,) = wait_for(lambda: [m for m in _events(mesh, "zygote_restarted") if "zygote died" in m],
                               timeout_s=30, message="the zygote's death recorded")
        finally:
            os.kill(server, signal.SIGCONT)
        assert "None" not in said and "code unknown: its parent, the fork server" in said, said
        assert f"kill -CONT {server}" in said, said
