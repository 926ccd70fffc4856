"""`puma status` after `puma run` was killed (kill -9, a crash, the OOM killer): it says that the last
run ended without stopping, when, its pid, what is left of it (nothing; or its processes still
running, its port still answering) and what to do, instead of only "no PUMA deployment answers"."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from puma.defaults import DEFAULT_URL
from tests.helpers import free_port, interrupt_and_finish, port_bindable

ROOT = Path(__file__).parents[1]
DEFAULT_PORT = int(DEFAULT_URL.rsplit(":", 1)[1])


def _gone_pid() -> int:
    """The pid of a process that has ended (a killed `puma run` stand-in)."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    return int(done.stdout)


def _killed_run(runs_dir: Path, port: int, cwd: Path, pid: int | None = None) -> tuple[int, float]:
    """A run file as a killed `puma run` leaves it: its process gone, its last heartbeat 40 s ago."""
    pid, beat = pid or _gone_pid(), time.time() - 40
    runs_dir.mkdir(parents=True, exist_ok=True)
    path = runs_dir / f"{pid}.json"
    path.write_text(json.dumps({"url": f"http://127.0.0.1:{port}", "pid": pid, "app": "chatbot/puma_app.py",
                                "command": "puma run chatbot/puma_app.py", "cwd": str(cwd),
                                "started": beat - 300, "token": "t", "state": "serving", "harness": ""}))
    os.utime(path, (beat, beat))
    return pid, beat


def _status(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PUMA_URL"}
    return subprocess.run([sys.executable, "-m", "puma", "status", *args], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, env={**env, "PUMA_RUNS_DIR": str(tmp_path / "runs"),
                                                      "PYTHONPATH": str(ROOT)})


@pytest.fixture
def leftover() -> Iterator[tuple[subprocess.Popen[str], int]]:
    """A process the killed run started (it carries its supervisor's pid in its environment), still running."""
    pid = _gone_pid()
    proc = subprocess.Popen([sys.executable, "-c", "import time; print('up', flush=True); time.sleep(120)"],
                            env={**os.environ, "PUMA_SUPERVISOR_PID": str(pid)}, stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "up"
        yield proc, pid
    finally:
        interrupt_and_finish(proc, group=True, timeout_s=10)


def test_status_after_a_killed_run_says_it_ended_when_and_that_nothing_is_left(tmp_path: Path) -> None:
    port = free_port()
    pid, beat = _killed_run(tmp_path / "runs", port, tmp_path)
    # Without --port, status asks the default address first: something serving there (a `make run`
    # of the person running the tests) is what it then reports, rightly; asked by the port otherwise.
    done = _status(tmp_path) if port_bindable(DEFAULT_PORT) else _status(tmp_path, "--port", str(port))
    said = " ".join(done.stderr.split())
    assert done.returncode != 0 and "Traceback" not in said, said
    assert f"pid {pid}" in said and "ended without stopping" in said, said
    assert time.strftime("%H:%M:%S", time.localtime(beat)) in said, said  # when: its last heartbeat
    assert "nothing of it is left" in said and "puma run chatbot/puma_app.py" in said, said  # what to do
    again = " ".join(_status(tmp_path, "--port", str(port)).stderr.split())  # asked again, by its port: still said
    assert f"pid {pid}" in again and "ended without stopping" in again, again


def test_status_after_a_killed_run_names_what_is_left_and_how_to_stop_it(
        tmp_path: Path, leftover: tuple[subprocess.Popen[str], int]) -> None:
    proc, supervisor = leftover
    port = free_port()
    _killed_run(tmp_path / "runs", port, tmp_path, pid=supervisor)
    done = _status(tmp_path, "--port", str(port))
    said = " ".join(done.stderr.split())
    assert f"pid {supervisor}" in said and "ended without stopping" in said, said
    assert f"pid {proc.pid}" in said and f"kill {proc.pid}" in said, said  # the process left, and how to stop it
    assert "nothing of it is left" not in said, said


def test_status_forgets_a_killed_run_once_another_starts_at_its_address(tmp_path: Path) -> None:
    from puma import lastrun, runs

    port = free_port()
    _killed_run(tmp_path / "runs", port, tmp_path)
    os.environ[runs.ENV_RUNS_DIR] = str(tmp_path / "runs")
    try:
        assert runs.running() == [] and lastrun.ended_at(f"http://127.0.0.1:{port}")  # noticed, kept as a note
        runs.record(f"http://127.0.0.1:{port}", app="app.py", token="t")  # a new run there
        assert lastrun.ended_at(f"http://127.0.0.1:{port}") is None
    finally:
        del os.environ[runs.ENV_RUNS_DIR]
        for path in (tmp_path / "runs").glob(f"{os.getpid()}.json"):
            path.unlink()
    with socket.socket() as sock:  # (the port is still free: nothing here held it)
        sock.bind(("127.0.0.1", port))
