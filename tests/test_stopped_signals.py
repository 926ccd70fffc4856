"""A stop asked for while a process is stopped (SIGSTOP, Ctrl-Z, a paused VM) takes effect once it
is continued: the signal waits in the kernel, and whichever thread wakes first must not swallow it."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import free_port, start_legacy_server, wait_for


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return ""


@pytest.fixture
def legacy(chatbot_db_url: str, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    log_path = tmp_path / "legacy.log"
    proc = start_legacy_server(chatbot_db_url, log_path)
    try:
        wait_for(lambda: b"listening on" in log_path.read_bytes() or proc.poll() is not None,
                 timeout_s=90, message="the legacy server to listen")
        assert proc.poll() is None, log_path.read_text()
        yield proc, log_path
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGCONT)
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("signals", [[signal.SIGTERM], [signal.SIGINT], [signal.SIGTERM, signal.SIGTERM]],
                         ids=["term", "int", "term-twice"])
def test_legacy_server_stops_when_continued_after_a_stop_sent_while_it_was_stopped(
        legacy: tuple[subprocess.Popen[bytes], Path], signals: list[signal.Signals]) -> None:
    proc, log_path = legacy
    os.kill(proc.pid, signal.SIGSTOP)
    wait_for(lambda: _state(proc.pid) == "T", timeout_s=5, message="the server to be stopped")
    time.sleep(0.3)  # its accept thread's 0.1 s poll is due when it resumes: it may take the signal
    for sig in signals:
        os.kill(proc.pid, sig)
    continued = time.monotonic()
    os.kill(proc.pid, signal.SIGCONT)
    assert proc.wait(timeout=10) == 0, log_path.read_text()
    assert time.monotonic() - continued < 5
    text = log_path.read_text()
    assert re.search(rf"stopping \({signals[0].name}\)", text), text
    assert text.rstrip().endswith("stopped"), text


ROOT = Path(__file__).parents[1]
# A stand-in for `puma run`: records its run file, stops on SIGTERM (its handler runs only once it is
# running again: stopped, it holds the signal).
FAKE_RUN = """\
import os, signal, sys, time
from puma import runs
runs.record(f"http://127.0.0.1:{sys.argv[1]}", app="fake_app.py", token="t")
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print("ready", flush=True)
while True:
    time.sleep(3600)
"""
# A stand-in for scripts/run.sh: its pid then its puma run's in var/make-run-PORT.pid, as make run writes them.
FAKE_MAKE_RUN = """\
#!/bin/bash
mkdir -p var
echo $$ > var/make-run-$2.pid
"$1" fake_run.py "$2" > fake-run.log 2>&1 &
echo $! >> var/make-run-$2.pid
wait $!
"""


def _pids(path: Path) -> list[int]:
    return [int(word) for word in path.read_text().split()] if path.exists() else []


@pytest.mark.parametrize("twice", [False, True], ids=["once", "stopped-twice"])
def test_puma_stop_resumes_a_stopped_run_and_says_it_was_stopped(tmp_path: Path, twice: bool) -> None:
    port = free_port()
    env = {**os.environ, "PUMA_RUNS_DIR": str(tmp_path / "runs"), "PYTHONPATH": str(ROOT)}
    (tmp_path / "fake_run.py").write_text(FAKE_RUN)
    proc = subprocess.Popen([sys.executable, "fake_run.py", str(port)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, start_new_session=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
        os.kill(proc.pid, signal.SIGSTOP)
        if twice:  # a Ctrl-Z, then a kill -STOP: one SIGCONT resumes it all the same
            os.kill(proc.pid, signal.SIGTSTP)
        wait_for(lambda: _state(proc.pid) == "T", timeout_s=5, message="the run to be stopped")
        asked = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "puma.cli", "stop", "--port", str(port), "--timeout-s", "60"],
                              capture_output=True, text=True, timeout=90, env=env, cwd=tmp_path)
        assert done.returncode == 0, done
        assert time.monotonic() - asked < 20, done.stdout
        assert f"pid {proc.pid} was stopped (state T" in done.stdout and "SIGCONT" in done.stdout, done.stdout
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.mark.parametrize("stopped", ["puma", "both"])
def test_make_stop_resumes_a_stopped_puma_run_and_its_figure_is_the_whole_wait(tmp_path: Path, stopped: str) -> None:
    port = free_port()
    env = {**os.environ, "PUMA_RUNS_DIR": str(tmp_path / "runs"), "PYTHONPATH": str(ROOT)}
    (tmp_path / "fake_run.py").write_text(FAKE_RUN)
    (tmp_path / "run.sh").write_text(FAKE_MAKE_RUN)
    (tmp_path / "run.sh").chmod(0o755)
    runner = subprocess.Popen([str(tmp_path / "run.sh"), sys.executable, str(port), str(free_port()), "legacy.log"],
                              cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    run_file = tmp_path / "var" / f"make-run-{port}.pid"
    try:
        wait_for(lambda: len(_pids(run_file)) == 2 and b"ready" in (tmp_path / "fake-run.log").read_bytes(),
                 timeout_s=30, message="the fake make run to start")
        puma = _pids(run_file)[1]
        os.kill(puma, signal.SIGSTOP)
        if stopped == "both":  # a Ctrl-Z of the whole job: make run's shell too
            os.kill(runner.pid, signal.SIGSTOP)
        wait_for(lambda: _state(puma) == "T", timeout_s=5, message="puma run to be stopped")
        asked = time.monotonic()
        done = subprocess.run([sys.executable, str(ROOT / "scripts" / "stop_run.py"), str(port)],
                              capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
        took = time.monotonic() - asked
        assert done.returncode == 0, done
        assert "is stopped (state T" in done.stdout and "SIGCONT" in done.stdout, done
        assert took < 20, done.stdout
        found = re.search(r"stopped the make run on port \d+ in ([\d.]+) s", done.stdout)
        assert found is not None, done.stdout
        said = float(found.group(1))
        assert said <= took
        assert wait_for(lambda: runner.poll() is not None, timeout_s=30, message="make run to end")
    finally:
        for pid in [runner.pid, *_pids(run_file)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
                os.kill(pid, signal.SIGKILL)
        runner.wait()


@pytest.fixture(scope="module")
def warming() -> Iterator[str]:
    import puma
    from tests.apps import warming as apps

    app = puma.App()
    app.configure({"puma_services": {"back": {"prefix": "/back", "instances": 1},
                                     "front": {"prefix": "/front", "instances": 1}}})
    app.add_services({"back": apps.back, "front": apps.front})
    with app.start(listener={"port": 0}) as mesh:
        yield mesh.url


@pytest.mark.parametrize(("callee_says", "relayed"), [("20", "20"), ("7", "7"), ("900", "60"), ("", "1")])
def test_a_relayed_503_carries_the_callees_retry_after_bounded(warming: str, callee_says: str, relayed: str) -> None:
    """The service a caller needs is warming up again and says for how long: the caller's 503 says
    the same (at most a minute), not 1 s, so a client does not poll every second through it."""
    import httpx

    reply = httpx.post(warming + "/front", data={"wait": callee_says}, timeout=30)
    assert reply.status_code == 503, reply.text
    assert reply.headers["retry-after"] == relayed, (reply.headers, reply.text)
    assert reply.json()["retry_after_s"] == int(relayed), reply.text
