"""Ctrl-C (or `kill -INT`) at any moment of `puma run`'s start-up: one line, exit code 130, no
traceback, nothing left running; the same for a `puma run` started in the background, which
inherits SIGINT ignored from the shell."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import interrupt_and_finish, wait_for

ROOT = Path(__file__).parents[1]
STOPPED = "puma: stopped during start-up; nothing is left running"

# An app whose import takes as long as the test wants: it says it is importing, then waits.
SLOW_IMPORT_APP = """\
import os, pathlib, time
pathlib.Path(os.environ["MARK"]).write_text("importing")
deadline = time.monotonic() + 60
while not pathlib.Path(os.environ["RELEASE"]).exists() and time.monotonic() < deadline:
    time.sleep(0.02)  # the app's own poll for the test's go-ahead
from puma import puma_config, puma_start
puma_config({"puma_services": {"echo": {"prefix": "/echo", "target": "tests.apps.startup:answer"}}})
if __name__ == "__main__":
    puma_start()
"""


def _start(tmp_path: Path, *, background: bool = False) -> subprocess.Popen[str]:
    app = tmp_path / "slow_app.py"
    app.write_text(SLOW_IMPORT_APP)
    # A shell's `&` starts a command with SIGINT ignored; a terminal's foreground job has it default.
    disposition = signal.SIG_IGN if background else signal.SIG_DFL
    return subprocess.Popen([sys.executable, "-m", "puma", "run", str(app), "--port", "0"], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, "MARK": str(tmp_path / "mark"), "RELEASE": str(tmp_path / "release")},
                            preexec_fn=lambda: signal.signal(signal.SIGINT, disposition))


def _catches_sigint(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), 16)
    return bool(caught & (1 << (signal.SIGINT - 1)))


def _session_members(sid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == sid and fields[0] != "Z":
                members.append(int(entry.name))
    return members


def _assert_stopped_in_one_line(code: int, out: str, sid: int) -> None:
    assert "Traceback" not in out and "KeyboardInterrupt" not in out, out
    assert code == 130, (code, out)
    assert out.strip().splitlines()[-1] == STOPPED, out
    assert _session_members(sid) == [], "a process of the stopped run is left"


def _has_loaded(pid: int, library: str) -> bool:
    try:
        return library in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


# Moments inside PUMA's own imports (seconds on a busy machine), each known by a C extension that
# `puma.cli`'s imports load: early (json), midway (pydantic), late (yaml, httptools).
@pytest.mark.parametrize("loaded", ["/_json.", "/_pydantic_core.", "/_yaml.", "httptools/parser"])
def test_startup_ctrl_c_while_puma_imports_is_one_line_and_exit_130(tmp_path: Path, loaded: str) -> None:
    proc = _start(tmp_path)
    wait_for(lambda: _has_loaded(proc.pid, loaded) or proc.poll() is not None, timeout_s=30, interval_s=0.002,
             message=f"{loaded} to be loaded")
    code, out = interrupt_and_finish(proc, group=True, timeout_s=30)  # Ctrl-C in a terminal
    _assert_stopped_in_one_line(code, out, proc.pid)


@pytest.mark.parametrize("background", [False, True], ids=["terminal", "background"])
def test_startup_sigint_while_the_app_imports_stops_it_in_one_line(tmp_path: Path, background: bool) -> None:
    proc = _start(tmp_path, background=background)
    wait_for(lambda: (tmp_path / "mark").exists(), timeout_s=60, message="the app's import to begin")
    code, out = interrupt_and_finish(proc, group=True, timeout_s=30)  # Ctrl-C in a terminal
    _assert_stopped_in_one_line(code, out, proc.pid)
    (tmp_path / "release").touch()


def test_startup_background_run_stops_on_sigint_once_serving(tmp_path: Path) -> None:
    (tmp_path / "release").touch()
    proc = _start(tmp_path, background=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # bounded: the run prints its URL, or ends
            if "PUMA is serving at" in line:
                break
    finally:
        code, out = interrupt_and_finish(proc)  # `kill -INT <pid>`, as the README promises
    assert code == 130, out  # Ctrl-C ends with 130 in every phase, serving too


def test_startup_the_puma_command_handles_ctrl_c_before_it_imports_anything() -> None:
    # What the `puma` console script runs first (`from puma.entry import main`) loads nothing
    # Python's own start-up has not, but puma's two small modules and `signal` (the built-in
    # `_signal`'s wrapper): a Ctrl-C is handled ~1 ms after it (`typing` took ~5-35 ms there).
    probe = ("import sys; before = set(sys.modules); import puma.entry; "
             "print(' '.join(sorted(set(sys.modules) - before)))")
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout.split()
    assert sorted(loaded) == ["puma", "puma.entry", "puma.interrupts", "signal"], loaded


def _console_script(tmp_path: Path) -> Path:
    """A `puma` command as pip writes it, for this checkout (pip's own points at the installed one)."""
    script = tmp_path / "puma"
    script.write_text(f"#!{sys.executable}\nimport sys\nfrom puma.entry import main\n"
                      "if __name__ == '__main__':\n    sys.exit(main())\n")
    script.chmod(0o755)
    return script


def _only_pythons_import_frames(traceback: str) -> bool:
    """Whether every frame of `traceback` is Python's own import machinery (`<frozen importlib...>`)."""
    return all(name.startswith("<frozen importlib") for name in re.findall(r'File "([^"]*)"', traceback))


@pytest.mark.parametrize("delay_ms", [0, 25, 50, 100, 200, 350, 500])
def test_startup_ctrl_c_soon_after_the_command_starts_is_one_line_and_exit_130(tmp_path: Path, delay_ms: int) -> None:
    app = tmp_path / "slow_app.py"
    app.write_text(SLOW_IMPORT_APP)
    proc = subprocess.Popen([str(_console_script(tmp_path)), "run", str(app), "--port", "0"], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT), "MARK": str(tmp_path / "mark"),
                                 "RELEASE": str(tmp_path / "release")},
                            # As a terminal starts it: a suite run in the background (nohup, CI) has
                            # SIGINT ignored, which the command would inherit and never hear Ctrl-C.
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(delay_ms / 1000)  # the moment under test: a Ctrl-C this long after the command starts
    code, out = interrupt_and_finish(proc, group=True, timeout_s=30)  # Ctrl-C in a terminal
    (tmp_path / "release").touch()
    if code == -signal.SIGINT and not out.strip():
        return  # before Python handles SIGINT at all: ended by it, which a shell reports as 130, silently
    if "Fatal Python error: init_import_site" in out:
        # Python's own start-up (its `site` module, with `pip install -e` setuptools' finder), which
        # runs after Python handles SIGINT and before any of puma's code: README says so.
        assert "puma/" not in out.split("Traceback", 1)[-1], out
        return
    if "Traceback" in out and _only_pythons_import_frames(out.split("from puma.entry import main", 1)[-1]):
        # Inside pip's script, while Python finds and reads puma.entry, before a line of PUMA ran
        # (no PUMA frame in the traceback; README says so): ~1 ms, hit once at 50 ms in a busy run,
        # and at 100 ms in a `-n 2` run, its traceback ending inside importlib's own frames.
        assert re.search(r'File "[^"]*/puma/', out) is None and out.rstrip().endswith("KeyboardInterrupt"), out
        return
    _assert_stopped_in_one_line(code, out, proc.pid)


@pytest.mark.parametrize("module", ["signal", "puma.interrupts"])
def test_startup_ctrl_c_while_the_entry_point_imports_its_handler_is_one_line_and_exit_130(module: str) -> None:
    # A Ctrl-C lands in one of the imports that bring the handler in (one at 25 ms did, in CI):
    # a finder that raises KeyboardInterrupt when that module is imported stands in for it.
    script = (f"import sys\nclass Ctrl_C:\n    def find_spec(self, name, path=None, target=None):\n"
              f"        if name == {module!r}: raise KeyboardInterrupt\n"
              f"sys.modules.pop({module!r}, None)\nsys.meta_path.insert(0, Ctrl_C())\n"
              "from puma.entry import main\nsys.exit(main(['--help']))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert "Traceback" not in done.stderr and "KeyboardInterrupt" not in done.stderr, done.stderr
    assert done.returncode == 130, (done.returncode, done.stderr)
    assert done.stderr.strip() == STOPPED and done.stdout == ""


# A service whose warm-up lasts until the test is done: `puma run` is inside its start-up, with Envoy
# and a zygote started, when the signal comes.
SLOW_WARMUP_APP = """\
from puma import puma_config, puma_start
puma_config({"puma_services": {"echo": {"prefix": "/echo", "target": "tests.apps.startup:answer",
                                         "warmup": "tests.apps.startup:long_and_silent"}}})
if __name__ == "__main__":
    puma_start()
"""


def _start_warming(tmp_path: Path) -> subprocess.Popen[str]:
    app = tmp_path / "warming_app.py"
    app.write_text(SLOW_WARMUP_APP)
    return subprocess.Popen([sys.executable, "-m", "puma", "run", str(app), "--port", "0"], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, "STARTUP_WORK_S": "120"})


def _sigterm_and_finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    return interrupt_and_finish(proc, signal.SIGTERM)  # what `make stop` sends: to `puma run` alone


def test_startup_sigterm_while_the_app_imports_ends_with_the_same_line_as_ctrl_c(tmp_path: Path) -> None:
    proc = _start(tmp_path)
    wait_for(lambda: (tmp_path / "mark").exists(), timeout_s=60, message="the app's import to begin")
    code, out = _sigterm_and_finish(proc)
    _assert_stopped_in_one_line(code, out, proc.pid)
    (tmp_path / "release").touch()


@pytest.mark.parametrize("loaded", ["/_pydantic_core.", "/_yaml."])
def test_startup_sigterm_while_puma_imports_ends_with_the_same_line_as_ctrl_c(tmp_path: Path, loaded: str) -> None:
    proc = _start(tmp_path)
    wait_for(lambda: _has_loaded(proc.pid, loaded) or proc.poll() is not None, timeout_s=30, interval_s=0.002,
             message=f"{loaded} to be loaded")
    code, out = _sigterm_and_finish(proc)
    _assert_stopped_in_one_line(code, out, proc.pid)
    (tmp_path / "release").touch()


def test_startup_sigterm_while_services_start_stops_them_and_says_the_same_line(tmp_path: Path) -> None:
    proc = _start_warming(tmp_path)
    assert proc.stdout is not None
    for line in proc.stdout:  # bounded: start-up says what it waits for, or the run ends
        if "echo" in line and ("warm" in line or "starting" in line):
            break
    code, out = _sigterm_and_finish(proc)
    assert "interrupted (SIGTERM)" not in out, out
    _assert_stopped_in_one_line(code, out, proc.pid)
