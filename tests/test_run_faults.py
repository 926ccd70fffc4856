"""`puma run` and `puma scale` under operational faults (issue 18): a supervisor killed with
SIGKILL takes Envoy and its instances with it; a start that loses the race for a port says so as
the pre-check does; `puma scale` at an address where nothing (or no PUMA) listens says that first;
an encoded slash is refused at the edge. Real Envoy, real `puma run`, free ports."""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import puma
from puma import proxy
from puma.instances import ServicePool
from tests.apps import basic
from tests.helpers import port_bindable, wait_for
from tests.helpers import process_alive as _alive
from tests.rawhttp import exchange

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]



@pytest.fixture
def puma_run() -> Iterator[subprocess.Popen[str]]:
    """`puma run examples/hello_app.py` on a free port, as a user starts it."""
    proc = subprocess.Popen([sys.executable, "-m", "puma.cli", "run", str(ROOT / "examples" / "hello_app.py"),
                             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    try:
        yield proc
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # whatever of its group is left (nothing, when it holds)
        except ProcessLookupError:
            pass
        proc.wait()
        proc.stdout.close()  # type: ignore[union-attr]  # started with stdout=PIPE


def _serving_url(proc: subprocess.Popen[str]) -> str | None:
    assert proc.stdout is not None and proc.poll() is None, "puma run exited"
    match = re.search(r"serving at (http://\S+)", proc.stdout.readline())
    return match.group(1) if match else None


def test_kill_9_of_puma_run_leaves_no_envoy_or_instance_holding_the_port(puma_run: subprocess.Popen[str]) -> None:
    url = wait_for(lambda: _serving_url(puma_run), timeout_s=60, message="puma run serving")
    status = httpx.get(url + "/_puma/status").json()
    pids = [status["envoy"]["pid"]] + [i["pid"] for s in status["services"].values() for i in s["instances"]]
    assert all(_alive(pid) for pid in pids)
    os.kill(puma_run.pid, signal.SIGKILL)
    try:
        wait_for(lambda: not any(_alive(pid) for pid in pids), timeout_s=10, message="Envoy and instances gone")
        # A killed process shows as a zombie while its last threads still close their sockets: wait for those.
        wait_for(lambda: port_bindable(int(url.rsplit(":", 1)[1])), timeout_s=10, message="the port free again")
    finally:
        for pid in pids:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("host", ["127.0.0.1"])
def test_a_start_that_loses_the_race_for_its_port_says_the_port_is_in_use(monkeypatch: pytest.MonkeyPatch,
                                                                          host: str) -> None:
    """Another process takes the port between the pre-check and Envoy's bind: the same message."""
    monkeypatch.setattr(proxy, "check_port_free", lambda *_args: None)  # as if the other start came after it
    with socket.create_server((host, 0)) as holder:
        port = holder.getsockname()[1]
        app = puma.App()
        app.configure({"puma_services": {"echo": {"prefix": "/echo"}}})
        app.add_services({"echo": basic.echo})
        with pytest.raises(puma.PumaStartError) as caught:
            app.start(listener={"host": host, "port": port})
    message = str(caught.value)
    assert message.startswith(f"port {port} (the listener's port) is already in use by pid {os.getpid()} ("), message
    assert f"(on {host})" in message and "--port N" in message
    assert "Address already in use" not in message and "envoy.log" not in message


def _scale(url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PUMA_SECRET"}
    return subprocess.run([sys.executable, "-m", "puma.cli", "scale", "--url", url, "echo", "2"], env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("form", ["{port}", "127.0.0.1:{port}", "http://127.0.0.1:{port}"])
def test_puma_scale_where_nothing_listens_says_so_before_the_secret(form: str) -> None:
    done = _scale(form.format(port=_free_port()))
    assert done.returncode != 0
    assert "no PUMA deployment answers at" in done.stderr and "secret" not in done.stderr, done.stderr


def test_puma_scale_at_a_server_that_is_not_puma_says_so_before_the_secret() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        def answer() -> None:  # a line protocol, like the legacy socket server: not HTTP
            conn, _ = server.accept()
            with conn:
                conn.recv(4096)
                conn.sendall(b'{"error": "bad_request"}\n')
        thread = threading.Thread(target=answer, daemon=True)
        thread.start()
        done = _scale(f"127.0.0.1:{server.getsockname()[1]}")
        thread.join(timeout=10)
    assert done.returncode != 0
    assert "is not a PUMA deployment" in done.stderr and "secret" not in done.stderr, done.stderr


@pytest.fixture(scope="module")
def mesh() -> Iterator[puma.Deployment]:
    app = puma.App()
    app.configure({"puma_services": {"echo": {"prefix": "/echo"}, "files": {"prefix": "/"}}})
    app.add_services({"echo": basic.echo, "files": basic.echo})
    with app.start(listener={"port": 0}) as deployment:
        yield deployment


@pytest.mark.parametrize("target", ["/echo%2Fx", "/echo%2fx", "/..%2f..%2fetc%2fpasswd", "/echo/a%2Fb/c",
                                    "/%5c..%5c..%5cetc", "/echo%5Cx", "/x/..%2F..%2Fecho"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_encoded_slash_is_refused_at_the_edge(mesh: puma.Deployment, target: str, method: str) -> None:
    port = int(mesh.url.rsplit(":", 1)[1])
    answer = exchange(port, f"{method} {target} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n"
                            "Content-Type: application/json\r\nConnection: close\r\n\r\n{}".encode())
    assert answer.statuses == [400], answer
    assert "cannot be normalised" in answer.responses[0].json()["error"]


def test_plain_dot_segments_are_still_resolved_as_a_browser_would(mesh: puma.Deployment) -> None:
    assert httpx.post(mesh.url + "/x/../echo", json={"a": 1}).json()["path"] == "/echo"


_SLOW_APP = '''
import os, time
from pathlib import Path
import puma

def slow(request: puma.Request) -> dict:
    Path(os.environ["SLOW_MARK"]).write_text(str(os.getpid()))  # the request is in the instance now
    time.sleep(float(request.data.get("s", 2)))
    return {"slept": True}

puma.puma_config({"puma_services": {"slow": {"prefix": "/slow", "timeout_s": 20}}})
puma.puma_service({"slow": slow})
'''


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_to_the_whole_process_group_drains_the_request_in_flight(tmp_path: Path, sig: int) -> None:
    """Ctrl-C in a terminal signals the foreground group (supervisor, Envoy, instances) at once:
    Envoy and the instances must leave it to the supervisor, which drains, then stops them."""
    app = tmp_path / "slow_app.py"
    app.write_text(_SLOW_APP)
    mark = tmp_path / "in-flight"
    proc = subprocess.Popen([sys.executable, "-m", "puma.cli", "run", str(app), "--port", "0"], cwd=ROOT,
                            env={**os.environ, "SLOW_MARK": str(mark)}, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        url = wait_for(lambda: _serving_url(proc), timeout_s=60, message="puma run serving")
        status = httpx.get(url + "/_puma/status").json()
        pids = [status["envoy"]["pid"]] + [i["pid"] for s in status["services"].values() for i in s["instances"]]
        replies: list[httpx.Response | BaseException] = []

        def send() -> None:
            try:
                replies.append(httpx.post(url + "/slow", json={"s": 2}, timeout=30))
            except BaseException as exc:  # noqa: BLE001 - asserted below
                replies.append(exc)
        sender = threading.Thread(target=send)
        sender.start()
        wait_for(mark.exists, timeout_s=20, message="the slow request in its instance")
        os.killpg(proc.pid, sig)  # as a terminal does: the whole group
        sender.join(30)
        assert len(replies) == 1 and isinstance(replies[0], httpx.Response), replies
        assert replies[0].status_code == 200 and replies[0].json() == {"slept": True}
        # Drained either way; a Ctrl-C ends as shells report SIGINT (130), a SIGTERM as a stop asked for (0).
        assert proc.wait(timeout=60) == (130 if sig == signal.SIGINT else 0)
        wait_for(lambda: not any(_alive(pid) for pid in pids), timeout_s=10, message="Envoy and instances gone")
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        proc.stdout.close()  # type: ignore[union-attr]  # started with stdout=PIPE


@pytest.mark.parametrize("failing", [True, False])
def test_logs_are_kept_after_a_stop_when_a_service_logged_a_traceback(failing: bool) -> None:
    """The log a 500's traceback went to still exists after a normal stop; a clean run leaves nothing."""
    from tests.apps import faults

    app = puma.App()
    app.configure({"puma_services": {"crash": {"prefix": "/crash"}, "echo": {"prefix": "/echo"}}})
    app.add_services({"crash": faults.crash, "echo": basic.echo})
    with app.start(listener={"port": 0}) as mesh:
        logs = Path(mesh.status()["logs"])
        assert logs == mesh.run_dir / "logs" and (logs / "crash.log").exists()
        from puma.running import format_status

        assert f"logs: {logs}/<service>.log" in format_status(mesh.status())  # what `puma status` shows
        if failing:
            assert httpx.post(mesh.url + "/crash", json={}, timeout=30).status_code == 500
        else:
            assert httpx.post(mesh.url + "/echo", json={}, timeout=30).status_code == 200
        wait_for(lambda: not failing or b"Traceback" in (logs / "crash.log").read_bytes(), timeout_s=10,
                 message="the traceback in crash.log")
    try:
        assert (logs / "crash.log").exists() is failing
        if failing:
            assert b"Traceback (most recent call last)" in (logs / "crash.log").read_bytes()
    finally:
        import shutil

        shutil.rmtree(logs.parent, ignore_errors=True)


def test_a_service_failing_while_others_still_start_stops_the_start_at_once(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """`echo` is up and `gated` still warms up when echo's zygote dies past its restart budget:
    the start fails then, naming echo, not when gated's 60 s start-up timeout runs out."""
    import time

    from puma.supervisor import Deployment

    monkeypatch.setenv("PUMA_TEST_GATE", str(tmp_path / "never"))
    app = puma.App()
    app.configure({"puma_services": {"echo": {"prefix": "/echo"},
                                     "gated": {"prefix": "/gated", "warmup": "tests.apps.basic:wait_for_gate"}}})
    app.add_services({"echo": basic.echo, "gated": basic.echo})
    deployment = Deployment(app.resolved_config(listener={"port": 0}), startup_timeout_s=60)
    errors: list[BaseException] = []

    def start() -> None:
        try:
            deployment.start()
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
    starting = threading.Thread(target=start, daemon=True)
    starting.start()
    try:
        pool = deployment.pools["echo"]
        wait_for(pool.ready, timeout_s=60, message="echo ready while gated warms up")
        for _ in range(4):  # the fourth death in a minute is past the budget
            zygote = wait_for(functools.partial(_zygote_pid, pool), timeout_s=30, message="echo's zygote up")
            os.kill(zygote, signal.SIGKILL)
            wait_for(functools.partial(_restarted_or_failed, pool, zygote), timeout_s=30,
                     message="echo's zygote restarted or failed")
        failed_at = time.monotonic()
        starting.join(30)
        assert not starting.is_alive() and time.monotonic() - failed_at < 10
        assert len(errors) == 1 and isinstance(errors[0], puma.PumaStartError), errors
        assert "'echo' failed while starting" in str(errors[0]) and "exited 4 times" in str(errors[0])
    finally:
        (tmp_path / "never").touch()
        deployment.stop()
        starting.join(30)


def test_a_hung_warm_up_times_out_when_stated_showing_where_it_hangs(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A warm-up that never ends: the start fails at its timeout (not a drain later), and the log's
    tail in the error holds the warm-up's stack, naming the function it hangs in."""
    import time

    from puma.supervisor import Deployment

    monkeypatch.setenv("PUMA_TEST_GATE", str(tmp_path / "never"))
    app = puma.App()
    app.configure({"puma_services": {"gated": {"prefix": "/gated", "warmup": "tests.apps.basic:wait_for_gate"}}})
    app.add_services({"gated": basic.echo})
    deployment = Deployment(app.resolved_config(listener={"port": 0}), startup_timeout_s=4)
    began = time.monotonic()
    with pytest.raises(puma.PumaStartError) as caught:
        deployment.start()
    took = time.monotonic() - began
    message = str(caught.value)
    try:
        assert "did not start within 4 s" in message and took < 4 + 15, (took, message)
        assert "wait_for_gate" in message and "basic.py" in message, message  # the stack, from the log
    finally:
        import shutil

        shutil.rmtree(deployment.run_dir, ignore_errors=True)


# --- a stopped part: requests never wait forever ---------------------------------------------------


def test_a_stopped_envoy_is_killed_and_started_again_so_requests_are_answered() -> None:
    app = puma.App()
    app.configure({"puma_services": {"echo": {"prefix": "/echo"}}})
    app.add_services({"echo": basic.echo})
    with app.start(listener={"port": 0}) as deployment:
        assert deployment.envoy.proc is not None
        stopped = deployment.envoy.proc.pid
        os.kill(stopped, signal.SIGSTOP)
        started = time.monotonic()
        resp = wait_for(lambda: httpx.post(deployment.url + "/echo", json={"n": 1}, timeout=15), timeout_s=30,
                        message="an answer once Envoy is restarted")
        waited = time.monotonic() - started
        assert resp.status_code == 200 and waited < proxy.STOPPED_GRACE_S + 8, (resp.status_code, waited)
        assert deployment.envoy.proc is not None and deployment.envoy.proc.pid != stopped
        assert not _alive(stopped)
        said = [e["message"] for e in deployment.status()["events"] if "envoy exited" in e["message"]]
        # The event says PUMA killed it and why, not only "code -9" (newcomer 56 m2).
        assert said and "PUMA killed it: stopped (SIGSTOP)" in said[0], said


def test_a_stopped_supervisor_leaves_requests_served_and_its_status_bounded(puma_run: subprocess.Popen[str]) -> None:
    url = wait_for(lambda: _serving_url(puma_run), timeout_s=60, message="puma run serving")
    os.kill(puma_run.pid, signal.SIGSTOP)
    try:
        for _ in range(5):  # the data path needs no supervisor
            resp = httpx.post(url + "/greet", json={"name": "ann"}, timeout=5)
            assert resp.status_code == 200, resp.text
        started = time.monotonic()
        status = httpx.get(url + "/_puma/status", timeout=30)
        assert time.monotonic() - started < 8, "a stopped supervisor's status must not hang"
        body = status.json()
        assert status.status_code == 504 and "supervisor" in body["error"], body
        started = time.monotonic()  # readiness follows the data path: what the supervisor last published
        ready = httpx.get(url + "/_puma/ready", timeout=30)
        assert time.monotonic() - started < 2 and ready.status_code == 200, ready.text
        assert ready.json()["supervisor_answered"] is False, ready.text
    finally:
        os.kill(puma_run.pid, signal.SIGCONT)
    assert httpx.get(url + "/_puma/ready", timeout=10).json()["ready"] is True


def _restarted_or_failed(pool: ServicePool, old_pid: int) -> bool:
    return bool(pool.failed) or (pool.zygote is not None and pool.zygote.pid != old_pid)


def _zygote_pid(pool: ServicePool) -> int | None:
    return pool.zygote.pid if pool.zygote_ready() and pool.zygote is not None else None


def _kept_after(request: tuple[str, dict], services: dict, functions: dict, caplog: pytest.LogCaptureFixture
                ) -> tuple[Path, int, str]:
    """Start, send `request` (path, JSON), stop: the run's logs dir, the answer's status, what the stop said."""
    app = puma.App()
    app.configure({"puma_services": services})
    app.add_services(functions)
    with caplog.at_level(logging.WARNING, logger="puma.supervisor"), app.start(listener={"port": 0}) as mesh:
        logs = mesh.run_dir / "logs"
        status = httpx.post(mesh.url + request[0], json=request[1], timeout=30).status_code
        if status >= 500:  # the status sampler has seen it before the stop looks
            wait_for(lambda: sum(s["errors_5xx"] for s in mesh.status()["services"].values()), timeout_s=10,
                     message="the 5xx counted")
    said = " ".join(r.getMessage() for r in caplog.records if "logs kept in" in r.getMessage())
    return logs, status, said


@pytest.mark.parametrize(("path", "body", "expected", "why"), [
    ("/unsendable", {"kind": "minus-inf"}, 500, "errors in unsendable.log"),  # a 500 logged without a traceback
    ("/slow", {"s": 3}, 504, "server error (5xx) answered"),  # a timeout: no log line at all
])
def test_logs_of_a_run_with_server_errors_are_kept_and_the_stop_says_where_and_why(
        path: str, body: dict, expected: int, why: str, caplog: pytest.LogCaptureFixture) -> None:
    from tests.apps import faults

    services = {"unsendable": {"prefix": "/unsendable"}, "slow": {"prefix": "/slow", "timeout_s": 1}}
    logs, status, said = _kept_after((path, body), services, {"unsendable": faults.unsendable, "slow": basic.slow},
                                     caplog)
    try:
        assert status == expected
        assert logs.is_dir() and f"logs kept in {logs.parent} (the run had errors: " in said and why in said, said
    finally:
        shutil.rmtree(logs.parent, ignore_errors=True)


def test_logs_of_a_run_with_only_client_errors_are_removed(caplog: pytest.LogCaptureFixture) -> None:
    logs, status, said = _kept_after(("/upper", {"text": 3}), {"upper": {"prefix": "/upper"}}, {"upper": basic.upper},
                                     caplog)
    assert status == 400 and not logs.exists() and said == ""
