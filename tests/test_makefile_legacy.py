"""README step 5 (restart the legacy server alone) as often as a user likes: make run's pid file is
per LEGACY_PORT and written by the server itself (--pid-file), so the restart command make run
prints records the new pid; Ctrl-C and `make stop` stop the legacy server on that port whoever
started it (checked by its command line: a stale pid is never signalled); a second make run on
other ports leaves the first one's files alone; a port held by a legacy server says so.

The real legacy server runs (it binds its port and writes its pid before loading the catalogue;
a stop while it loads is clean); `puma` is a stand-in that holds (tests/test_makefile.py)."""

from __future__ import annotations

import functools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import interrupt_and_finish, wait_for
from tests.helpers import process_alive as _alive
from tests.test_makefile import FAKE_PUMA, _copy_make_files, _free_port

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")

# The venv's python: the real one (the legacy server included), or a holder with FAKE_LEGACY=hold.
PYTHON = f"""#!/bin/sh
case "$*" in
  *legacy_socket_server*) [ "$FAKE_LEGACY" = hold ] && exec {sys.executable} -c "import time; time.sleep(60)" "$@"
                          [ "$FAKE_LEGACY" = slow-stop ] && exec {sys.executable} -c "$SLOW_STOP" "$@" ;;
esac
exec {sys.executable} "$@"
"""


# A legacy server whose turns in progress take FAKE_STOP_S to finish after SIGTERM (a busy machine,
# the server niced): it says so in its log, as the real one does, and keeps its port meanwhile.
SLOW_STOP = """import os, signal, sys, time
def stop(signum, frame):
    print("stopping (SIGTERM): finishing the turns in progress", flush=True)
    time.sleep(float(os.environ["FAKE_STOP_S"]))
    print("stopped", flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
time.sleep(120)
"""


@pytest.fixture
def checkout(tmp_path: Path, chatbot_db_url: str) -> Path:
    _copy_make_files(tmp_path)
    for name in ("scripts/stop_run.py",):
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, tmp_path / name)
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name, text in (("python", PYTHON), ("puma", FAKE_PUMA)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    (tmp_path / "venv" / ".installed").touch()
    return tmp_path


def _gone(pid: int) -> bool:
    return not _alive(pid)


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class MakeRun:
    """`make run` in its own session (its own terminal), its output in a file."""

    def __init__(self, checkout: Path, port: int, legacy_port: int, db_url: str, **env: str) -> None:
        self.checkout, self.port, self.legacy_port = checkout, port, legacy_port
        self.out = checkout / f"make-run-{port}.out"
        self.pid_file = checkout / "var" / f"legacy-server-{legacy_port}.pid"
        with open(self.out, "wb") as sink:
            self.proc = subprocess.Popen(
                ["make", "--no-print-directory", "VENV=venv", "run", f"PORT={port}", f"LEGACY_PORT={legacy_port}"],
                cwd=checkout, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
                env={**os.environ, "FAKE_PUMA_S": "120", "SLOW_STOP": SLOW_STOP, "PYTHONPATH": str(ROOT), "DATABASE_URL": db_url, **env},
                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # Ctrl-C as a terminal gives it
        wait_for(lambda: "puma: serving" in self.text(), timeout_s=30, message="make run to start")

    def text(self) -> str:
        return self.out.read_text()

    def said(self, words: str) -> bool:
        return words in self.text()

    def server(self, other_than: int = 0) -> int:
        """The legacy server's pid, once the pid file names a live one on this port (not `other_than`)."""
        def named() -> int | None:
            pid = int(self.pid_file.read_text().strip() or 0)
            line = _command_line(pid)
            ok = pid != other_than and "legacy_socket_server" in line and f"--port {self.legacy_port}" in line
            return pid if ok else None
        return wait_for(named, timeout_s=30, interval_s=0.1, message=f"a legacy server in {self.pid_file.name}")

    def ctrl_c(self) -> None:
        interrupt_and_finish(self.proc, group=True, log=self.out)  # Ctrl-C in its terminal

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@pytest.fixture
def terminals() -> Iterator[list[subprocess.Popen[str]]]:
    opened: list[subprocess.Popen[str]] = []
    yield opened
    for terminal in opened:
        terminal.kill()
        terminal.communicate()


@pytest.fixture
def runs(checkout: Path, chatbot_db_url: str) -> Iterator[list[MakeRun]]:
    started: list[MakeRun] = []
    yield started
    for run in started:
        run.kill()
    for pid_file in (checkout / "var").glob("legacy-server-*.pid"):  # a server the test started by hand
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            continue
        if "legacy_socket_server" in _command_line(pid):
            os.kill(pid, signal.SIGKILL)


def _restart_command(run: MakeRun, times: int) -> str:
    said = wait_for(lambda: len(found := re.findall(r"to start it again alone \(PUMA keeps running\), run:\n  (.*)", run.text()))
                    >= times and found, timeout_s=30, message="make run to print the restart command")
    return said[-1]


# The terminal the printed command is typed in, under a parent that never reaps its orphans (PID 1
# in many containers): the server it starts, once killed, stays a zombie, which `kill -0` calls alive.
NO_REAPER = """import ctypes, subprocess, sys, time
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: the shell's orphans become ours
subprocess.run(["bash", "-c", sys.argv[1]], check=True, timeout=30)
print("typed", flush=True)
time.sleep(300)  # never wait()s: a dead orphan stays a zombie until this ends
"""


def _start_by_hand(checkout: Path, command: str, db_url: str, terminals: list[subprocess.Popen[str]]) -> None:
    """The printed command, typed in another terminal (its own session: Ctrl-C in make run's misses it)."""
    terminal = subprocess.Popen([sys.executable, "-c", NO_REAPER, command], cwd=checkout, stdout=subprocess.PIPE,
                                text=True, start_new_session=True,
                                env={**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": db_url})
    terminals.append(terminal)
    assert terminal.stdout is not None and terminal.stdout.readline() == "typed\n", "the command failed"


def test_legacy_server_restarted_twice_by_the_printed_command_then_ctrl_c_stops_it(
        checkout: Path, runs: list[MakeRun], chatbot_db_url: str, terminals: list[subprocess.Popen[str]]) -> None:
    legacy_port = _free_port()
    run = MakeRun(checkout, _free_port(), legacy_port, chatbot_db_url)
    runs.append(run)
    first = run.server()
    pid = first
    for times in (1, 2):  # README step 5, twice: kill $(cat var/legacy-server-PORT.pid), then the printed command
        os.kill(int(run.pid_file.read_text()), signal.SIGTERM)
        command = _restart_command(run, times)
        assert f"--port {legacy_port} --pid-file var/legacy-server-{legacy_port}.pid" in command, command
        assert command.endswith(f">> var/legacy-server-{legacy_port}.log 2>&1 &"), command
        wait_for(functools.partial(_gone, pid), message="the killed server gone")
        _start_by_hand(checkout, command, chatbot_db_url, terminals)
        pid = run.server(other_than=pid)
        wait_for(functools.partial(run.said, f"runs on port {legacy_port} again (pid {pid})"), timeout_s=15,
                 message="make run to say it watches the new server")
    run.ctrl_c()
    wait_for(lambda: not _alive(pid), timeout_s=15, message="Ctrl-C to stop the server started by hand")
    assert not run.pid_file.exists()
    # The port is free again: the next make run on it starts.
    again = MakeRun(checkout, _free_port(), legacy_port, chatbot_db_url, FAKE_LEGACY="hold")
    runs.append(again)
    assert "already in use" not in again.text()


def test_make_stop_stops_a_legacy_server_started_by_hand_on_its_port(
        checkout: Path, runs: list[MakeRun], chatbot_db_url: str, terminals: list[subprocess.Popen[str]]) -> None:
    legacy_port = _free_port()
    run = MakeRun(checkout, _free_port(), legacy_port, chatbot_db_url)
    runs.append(run)
    first = run.server()
    os.kill(first, signal.SIGTERM)
    _start_by_hand(checkout, _restart_command(run, 1), chatbot_db_url, terminals)
    by_hand = run.server(other_than=first)
    done = subprocess.run(["make", "--no-print-directory", "VENV=venv", "stop", f"PORT={run.port}"], cwd=checkout,
                          capture_output=True, text=True, timeout=150)
    assert done.returncode == 0 and f"stopped the make run on port {run.port}" in " ".join(done.stdout.split()), done
    wait_for(lambda: not _alive(by_hand), timeout_s=15, message="make stop to stop the server started by hand")


def test_make_stop_waits_for_a_legacy_server_still_finishing_its_turns_and_never_calls_it_left(
        checkout: Path, runs: list[MakeRun], chatbot_db_url: str) -> None:
    # Its stop outlasts make run's own wait for it (10 s before): make stop said "left running ...
    # stop it with kill PID" of a server that was stopping, and was gone a moment later.
    run = MakeRun(checkout, _free_port(), _free_port(), chatbot_db_url, FAKE_LEGACY="slow-stop", FAKE_STOP_S="13")
    runs.append(run)
    server = run.server()
    done = subprocess.run(["make", "--no-print-directory", "VENV=venv", "stop", f"PORT={run.port}"], cwd=checkout,
                          capture_output=True, text=True, timeout=150)
    assert done.returncode == 0, done
    assert "left running" not in " ".join(done.stdout.split()) and "kill" not in " ".join(done.stdout.split()), done.stdout
    assert f"no legacy socket server is left on port {run.legacy_port}" in " ".join(done.stdout.split()), done.stdout
    assert not _alive(server)
    # Its progress lines name what it waits for: not puma run's drain (over in a moment) but the server.
    waits = [line for line in done.stdout.splitlines() if "still stopping" in line]
    assert waits and all("legacy socket server" in line and "requests in flight" not in line for line in waits), waits


def test_two_make_runs_in_one_checkout_keep_their_own_pid_files(
        checkout: Path, runs: list[MakeRun], chatbot_db_url: str) -> None:
    one = MakeRun(checkout, _free_port(), _free_port(), chatbot_db_url, FAKE_LEGACY="hold")
    runs.append(one)
    first = one.server()
    two = MakeRun(checkout, _free_port(), _free_port(), chatbot_db_url, FAKE_LEGACY="hold")
    runs.append(two)
    second = two.server()
    assert first != second and one.pid_file != two.pid_file
    two.ctrl_c()
    assert not two.pid_file.exists() and not _alive(second)
    assert one.pid_file.read_text().strip() == str(first) and _alive(first), "the first run's server and pid file"
    one.ctrl_c()
    assert not _alive(first)


def test_ctrl_c_never_signals_a_process_a_stale_pid_file_names(
        checkout: Path, runs: list[MakeRun], chatbot_db_url: str) -> None:
    run = MakeRun(checkout, _free_port(), _free_port(), chatbot_db_url, FAKE_LEGACY="hold")
    runs.append(run)
    server = run.server()
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        run.pid_file.write_text(f"{bystander.pid}\n")  # its pid reused by something else
        run.ctrl_c()
        assert bystander.poll() is None, "make run killed a process that is no legacy server"
        assert run.pid_file.read_text().strip() == str(bystander.pid), "a run removes only its own server's pid file"
        wait_for(lambda: not _alive(server), timeout_s=15, message="its own server stopped")
    finally:
        bystander.kill()
        bystander.wait()


def test_a_legacy_port_held_by_a_legacy_server_is_named_with_its_pid(
        checkout: Path, runs: list[MakeRun], chatbot_db_url: str) -> None:
    legacy_port = _free_port()
    run = MakeRun(checkout, _free_port(), legacy_port, chatbot_db_url, FAKE_LEGACY="hold")
    runs.append(run)
    server = run.server()
    with socket.create_server(("127.0.0.1", legacy_port)):  # the stand-in binds nothing: hold it as the server would
        done = subprocess.run(["make", "--no-print-directory", "VENV=venv", "run", f"PORT={_free_port()}",
                               f"LEGACY_PORT={legacy_port}"], cwd=checkout, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    said = " ".join(done.stderr.split())  # make's lines are wrapped at ~100 columns
    # Started by that make run: stopping the make run is the one fix (a kill would leave it half up).
    assert f"a legacy socket server holds it (pid {server}), started by the make run serving on port {run.port}" \
        in said and f"make stop PORT={run.port}" in said, done.stderr
    assert f"kill {server}" not in said and "by hand" not in said, done.stderr


def _loading_legacy_server(checkout: Path, legacy_port: int, terminals: list[subprocess.Popen[str]]) -> int:
    """A stand-in for a legacy server started by hand while it loads: its port bound with
    SO_REUSEADDR and not listening (as the real one until its catalogue is loaded), no pid file."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import socket, sys, time; s = socket.socket(); "
         "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', int(sys.argv[3]))); "
         "print('bound', flush=True); time.sleep(60)", "legacy_socket_server", "--port", str(legacy_port)],
        cwd=checkout, stdout=subprocess.PIPE, text=True)
    terminals.append(holder)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "bound"
    return holder.pid


def test_a_second_make_run_refuses_a_legacy_port_whose_server_is_still_loading(
        checkout: Path, runs: list[MakeRun], chatbot_db_url: str, terminals: list[subprocess.Popen[str]]) -> None:
    legacy_port = _free_port()
    loading = _loading_legacy_server(checkout, legacy_port, terminals)
    (checkout / "var").mkdir(exist_ok=True)
    pid_file = checkout / "var" / f"legacy-server-{legacy_port}.pid"
    for named in (False, True):  # found by its bound port alone, then by its pid file too
        if named:
            pid_file.write_text(f"{loading}\n")
        done = subprocess.run(["make", "--no-print-directory", "VENV=venv", "run", f"PORT={_free_port()}",
                               f"LEGACY_PORT={legacy_port}"], cwd=checkout, capture_output=True, text=True, timeout=60,
                              env={**os.environ, "FAKE_LEGACY": "hold"})
        said = " ".join(done.stderr.split())  # make's lines are wrapped at ~100 columns
        assert done.returncode != 0 and f"port {legacy_port} (LEGACY_PORT) is already in use" in said, done
        assert "puma: serving" not in " ".join(done.stdout.split()), "a second deployment started beside the loading server"
        assert (f"a legacy socket server is loading on it (pid {loading}" in said) == named
        assert "does not listen yet" in said or named, done.stderr
    assert pid_file.read_text().strip() == str(loading), "the loading server keeps its pid file"
    assert _alive(loading)


def test_make_stop_says_which_legacy_server_it_leaves_running(
        checkout: Path, runs: list[MakeRun], chatbot_db_url: str, terminals: list[subprocess.Popen[str]]) -> None:
    run = MakeRun(checkout, _free_port(), _free_port(), chatbot_db_url, FAKE_LEGACY="hold")
    runs.append(run)
    run.server()
    # Started by hand on the run's LEGACY_PORT, its pid in no file (as after M3's lost pid file).
    stray = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "-m", "legacy_socket_server",
                              "--port", str(run.legacy_port)], cwd=checkout, text=True)
    terminals.append(stray)
    done = subprocess.run(["make", "--no-print-directory", "VENV=venv", "stop", f"PORT={run.port}"], cwd=checkout,
                          capture_output=True, text=True, timeout=150)
    assert done.returncode == 0 and f"stopped the make run on port {run.port}" in " ".join(done.stdout.split()), done
    assert f"left running: a legacy socket server on port {run.legacy_port} (pid {stray.pid})" in " ".join(done.stdout.split()), done
    assert f"kill {stray.pid}" in " ".join(done.stdout.split()) and _alive(stray.pid)


def test_make_stop_says_no_legacy_server_is_left(checkout: Path, runs: list[MakeRun], chatbot_db_url: str) -> None:
    run = MakeRun(checkout, _free_port(), _free_port(), chatbot_db_url, FAKE_LEGACY="hold")
    runs.append(run)
    server = run.server()
    done = subprocess.run(["make", "--no-print-directory", "VENV=venv", "stop", f"PORT={run.port}"], cwd=checkout,
                          capture_output=True, text=True, timeout=150)
    assert f"no legacy socket server is left on port {run.legacy_port}" in " ".join(done.stdout.split()), done
    assert not _alive(server) and not run.pid_file.exists()


def test_make_stop_resumes_a_stopped_legacy_server_so_it_stops_and_says_it_was_stopped(
        checkout: Path, runs: list[MakeRun], chatbot_db_url: str) -> None:
    # A stopped server (kill -STOP, Ctrl-Z) holds its SIGTERM until it runs again: make stop took 85 s
    # saying it was "still finishing its turns", and it then served on, called "started by hand".
    import time

    run = MakeRun(checkout, _free_port(), _free_port(), chatbot_db_url, FAKE_LEGACY="slow-stop", FAKE_STOP_S="0.2")
    runs.append(run)
    server = run.server()
    os.kill(server, signal.SIGSTOP)
    asked = time.monotonic()
    done = subprocess.run(["make", "--no-print-directory", "VENV=venv", "stop", f"PORT={run.port}"], cwd=checkout,
                          capture_output=True, text=True, timeout=150)
    took = time.monotonic() - asked
    assert done.returncode == 0, done
    assert took < 20, (took, done.stdout)
    said = " ".join((done.stdout + run.text()).split())  # lines are wrapped at ~100 columns
    assert "still finishing its turns" not in said and "stops by itself" not in said, said
    assert "is stopped (state T" in said and "SIGCONT" in said, said
    wait_for(functools.partial(_gone, server), timeout_s=10, message="the legacy server to exit")
    assert f"no legacy socket server is left on port {run.legacy_port}" in " ".join(done.stdout.split()), done.stdout
