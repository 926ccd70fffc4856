"""`puma status` and `puma scale` while a known deployment's Envoy answers nothing (killed, stopped
and killed by its supervisor, restarting): they say the deployment runs, its Envoy is not answering
and its supervisor (pid) restarts it — never "no deployment answers ... start one", whose advice
fails on a port that run holds. Which option named the deployment is said as typed (--port)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def supervisor() -> Iterator[subprocess.Popen[bytes]]:
    """A live process standing for a `puma run` whose Envoy is down (nothing listens on its port)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc
    proc.kill()
    proc.wait()


def _record(runs_dir: Path, pid: int, port: int, command: str) -> None:
    runs_dir.mkdir(exist_ok=True)
    (runs_dir / f"{pid}.json").write_text(json.dumps({
        "url": f"http://127.0.0.1:{port}", "pid": pid, "app": "chatbot/puma_app.py", "command": command,
        "cwd": str(ROOT), "started": time.time(), "token": "t", "state": "serving"}))


def _puma(runs_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**{k: v for k, v in os.environ.items() if k not in ("PUMA_URL", "PUMA_SECRET")},
           "PUMA_RUNS_DIR": str(runs_dir), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "puma.cli", *args], env=env, capture_output=True, text=True,
                          timeout=60, cwd=ROOT)


@pytest.mark.parametrize(("command", "form"), [
    (["status"], "--port"), (["status", "--json"], "--url"), (["scale", "agent", "4"], "--port"),
    (["scale", "db", "1"], "--url")])
def test_envoy_down_status_names_the_live_supervisor_not_start_one(
        tmp_path: Path, supervisor: subprocess.Popen[bytes], command: list[str], form: str) -> None:
    port = _free_port()
    _record(tmp_path / "runs", supervisor.pid, port, "make run")
    done = _puma(tmp_path / "runs", *command, form, str(port))
    said = done.stderr
    assert done.returncode != 0
    assert "start one" not in said and "no PUMA deployment answers" not in said, said
    assert "Envoy is not answering" in said and f"supervisor (pid {supervisor.pid}) is alive" in said, said
    assert "restart" in said and "`make run`" in said, said


def test_envoy_down_status_with_the_supervisor_stopped_says_how_to_resume(
        tmp_path: Path, supervisor: subprocess.Popen[bytes]) -> None:
    port = _free_port()
    _record(tmp_path / "runs", supervisor.pid, port, "puma run chatbot/puma_app.py")
    os.kill(supervisor.pid, signal.SIGSTOP)
    try:
        said = _puma(tmp_path / "runs", "status", "--port", str(port)).stderr
    finally:
        os.kill(supervisor.pid, signal.SIGCONT)
    assert "Envoy is not answering" in said and "is stopped" in said, said
    assert f"kill -CONT {supervisor.pid}" in said and "start one" not in said, said


@pytest.mark.parametrize("option", ["--port", "--url"])
def test_envoy_down_status_with_no_run_says_which_option_named_it(tmp_path: Path, option: str) -> None:
    port = _free_port()  # nobody's: nothing to restart, so "start one" is the right advice
    said = _puma(tmp_path / "runs", "status", option, str(port)).stderr
    assert f"no PUMA deployment answers at http://127.0.0.1:{port} (from {option}" in said, said
    assert "start one" in said
    if option == "--port":
        assert "(from --url)" not in said, said
