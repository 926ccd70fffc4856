"""The `puma` command when the user gets something wrong or changes their mind: one line saying
what and how to fix it (never a traceback), and Ctrl-C during start-up says it is stopping and
stops without waiting for a warm-up to end."""

from __future__ import annotations

import errno
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.helpers import wait_for


def _puma(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "puma.cli", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env={**os.environ, **env})


def _one_error_line(done: subprocess.CompletedProcess) -> str:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("puma: error: ")]
    assert len(errors) == 1, done.stderr
    return errors[0]


@pytest.mark.parametrize(("name", "content", "needles"), [
    ("notes.md", "# Notes\n\nPUMA — a mesh.\n", ["notes.md is not a Python script", "line 3"]),
    ("config.json", '{"puma_services": {"a": "/a"}}\n', ["config.json registered no services", "not a Python app script"]),
    ("binary.py", b"\x7fELF\x00\x01", ["binary.py is not a Python script"]),
    ("latin.py", b"x = '\xe9t\xe9'\n", ["latin.py is not a Python script"]),
])
def test_cli_errors_a_file_that_is_no_python_script_is_one_line(tmp_path: Path, name: str, content: str | bytes,
                                                                needles: list[str]) -> None:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    for command in (["run", str(path), "--port", "0"], ["render", str(path)]):
        line = _one_error_line(_puma(*command))
        assert all(needle in line for needle in needles), line


@pytest.mark.parametrize(("content", "needles"), [
    ('print("no puma here")\n', ["registered no services", "puma_service"]),
    ("from puma import puma_config\npuma_config({'listener': '127.0.0.1:0'})\n", ["registered no services"]),
    ("import a_module_nobody_has\n", ["No module named 'a_module_nobody_has'", "activate"]),
    ("films = {}\nfilms['Heat']\n", ["app.py, line 2: KeyError: 'Heat'"]),
    ("import json\njson.loads('not json')\n", ["app.py, line 2: JSONDecodeError"]),
])
def test_cli_errors_a_script_that_cannot_be_run_names_the_file_and_what_is_missing(
        tmp_path: Path, content: str, needles: list[str]) -> None:
    (tmp_path / "app.py").write_text(content)
    for command in (["run", "app.py", "--port", "0"], ["render", "app.py"], ["serve", "app.py", "--service", "x"]):
        line = _one_error_line(_puma(*command, cwd=tmp_path))
        assert all(needle in line for needle in needles), line


@pytest.mark.parametrize("args", [
    ["render", "examples/parts_app.py", "--out", "/nonexistent-dir/envoy.yaml"],
    ["loc-report", "no/such/old", "no/such/new"],
    ["render", "examples/parts_app.py", "--target", "kubernetes", "--out", "/proc/version/k8s"],
])
def test_cli_errors_paths_that_cannot_be_read_or_written_are_one_line(args: list[str]) -> None:
    line = _one_error_line(_puma(*args, cwd=Path(__file__).parents[1]))
    assert "/" in line  # names the path


@pytest.mark.parametrize(("args", "needle"), [
    (["run", "/tmp"], "/tmp is a directory; give the app's script in it"),
    (["worker", "--join", "nonsense here", "--service", "x"], "--join 'nonsense here' is not a deployment's address"),
    (["worker", "--join", "127.0.0.1:9", "--service", "x"], "Connection refused"),
])
def test_cli_errors_wrong_kinds_of_argument_are_one_line(args: list[str], needle: str) -> None:
    line = _one_error_line(_puma(*args, PUMA_SECRET="s3cret"))
    assert needle in line and "urlopen" not in line, line


def test_cli_errors_bare_command_says_a_command_is_required() -> None:
    for prog in (["-m", "puma.cli"], ["-m", "chatbot"]):
        done = subprocess.run([sys.executable, *prog], capture_output=True, text=True, timeout=60)
        assert done.returncode == 2
        assert "error: a command is required" in done.stderr.splitlines()[-1]


def test_cli_errors_scale_help_states_the_range() -> None:
    from puma.config import MAX_INSTANCES

    text = " ".join(_puma("scale", "--help").stdout.split())
    assert f"1 to {MAX_INSTANCES}" in text and "instances.min" in text


SLOW_APP = """
import time
from puma import puma_config, puma_service, puma_start

def warm_up_for_minutes():
    time.sleep(300)

def hello():
    return {"ok": True}

puma_config({"puma_services": {"slow": {"warmup": "slow_app:warm_up_for_minutes"}, "quick": {}}})
puma_service({"slow": "slow_app:hello", "quick": "slow_app:hello"})
if __name__ == "__main__":
    puma_start()
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_cli_errors_ctrl_c_during_start_up_says_stopping_and_does_not_wait_for_the_warm_up(tmp_path: Path) -> None:
    (tmp_path / "slow_app.py").write_text(SLOW_APP)
    port, log_path = _free_port(), tmp_path / "run.log"
    # The app's directory, then this checkout's code (whichever checkout the venv was installed from).
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(Path(__file__).parents[1])])}
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "puma.cli", "run", "slow_app.py", "--port", str(port)],
                                cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, text=True, env=env,
                                start_new_session=True)
    try:
        # While it starts, `puma status` says so, and for what it waits.
        status = wait_for(lambda: (s := _puma("status", "--url", str(port))).returncode == 0 and s,
                          timeout_s=60, message="the status of the starting deployment")
        assert status  # wait_for returns the first true value
        assert re.search(r"^starting: waiting for .*\bslow\b", status.stdout, re.MULTILINE), status.stdout
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole group
        wait_for(lambda: "stopping (Ctrl-C)" in log_path.read_text(), timeout_s=5, message="'stopping' said")
        # Within seconds (not the warm-up's 300 s, nor its drain timeout), with no warnings, and with
        # the code a Ctrl-C at any other moment of the start-up gives (tests/test_startup_interrupts.py).
        assert proc.wait(timeout=20) == 130
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    text = log_path.read_text()
    after = text.split("stopping (Ctrl-C)", 1)[1]
    assert not re.search(r"^starting \(", after, re.MULTILINE), "a 'starting' line after 'stopping'"
    assert "Traceback" not in text and not re.search(r" (WARNING|ERROR) ", after), after
    assert "puma: stopped during start-up; nothing is left running" in after, after


@pytest.mark.parametrize(("error", "hint"), [
    (OSError(errno.ENOSPC, "No space left on device"), True),  # a write to an open file: no path
    (OSError(errno.EDQUOT, "Disk quota exceeded"), True),
    (OSError(errno.ENOSPC, "No space left on device", "/tmp/puma-x/envoy.yaml"), False),  # names its path
    (OSError(errno.EACCES, "Permission denied"), False),
])
def test_cli_a_full_disk_met_on_an_open_file_says_where_puma_writes_and_the_fix(monkeypatch, capsys, error, hint):
    import puma.cli

    def fail(_args):
        raise error

    monkeypatch.setattr(puma.cli, "cmd_status", fail)  # `puma status` meets the error
    with pytest.raises(SystemExit) as stopped:
        puma.cli.main(["status"])
    err = capsys.readouterr().err
    assert stopped.value.code == 1 and err.startswith("puma: error: ") and "Traceback" not in err
    assert (tempfile.gettempdir() in err and "TMPDIR" in err) == hint, err
