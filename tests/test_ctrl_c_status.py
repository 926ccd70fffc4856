"""Ctrl-C ends `puma run` with one exit status, 130 (what shells report for SIGINT), whatever
phase it lands in (newcomer 83: a script checking `$?` got 130 for a Ctrl-C during start-up and 0
for one once serving). SIGTERM (`make stop`, `puma stop`) stays a stop asked for: exit 0. Real
`puma run` processes on free ports; start-up phases are tests/test_startup_interrupts.py's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import interrupt_and_finish
from tests.test_startup_interrupts import ROOT, SLOW_IMPORT_APP, _session_members


def _serving(tmp_path: Path, disposition: signal.Handlers) -> subprocess.Popen[str]:
    app = tmp_path / "app.py"
    app.write_text(SLOW_IMPORT_APP)
    (tmp_path / "release").touch()
    proc = subprocess.Popen([sys.executable, "-m", "puma", "run", str(app), "--port", "0"], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, "MARK": str(tmp_path / "mark"), "RELEASE": str(tmp_path / "release"),
                                 "PYTHONPATH": str(ROOT)},
                            preexec_fn=lambda: signal.signal(signal.SIGINT, disposition))
    assert proc.stdout is not None
    for line in proc.stdout:  # bounded: the run prints its URL, or ends
        if "PUMA is serving at" in line or "PUMA answers at" in line:
            break
    return proc


@pytest.mark.parametrize(("disposition", "group"), [
    (signal.SIG_DFL, True),    # Ctrl-C in a terminal: the whole foreground group
    (signal.SIG_IGN, False),   # `puma run &`, then `kill -INT <pid>`
    (signal.SIG_DFL, False),   # `kill -INT <pid>` of a run in the foreground of another terminal
], ids=["terminal", "background", "kill-int"])
def test_ctrl_c_once_serving_exits_130_as_during_start_up(tmp_path: Path, disposition: signal.Handlers,
                                                         group: bool) -> None:
    proc = _serving(tmp_path, disposition)
    code, out = interrupt_and_finish(proc, group=group)
    assert code == 130, (code, out)
    assert "Traceback" not in out and "puma: stopped in" in out, out  # a drain, said as such
    assert _session_members(proc.pid) == [], "a process of the stopped run is left"


def test_sigterm_once_serving_is_a_stop_asked_for_exit_0(tmp_path: Path) -> None:
    proc = _serving(tmp_path, signal.SIG_DFL)
    code, out = interrupt_and_finish(proc, signal.SIGTERM)  # what `make stop` sends
    assert code == 0, (code, out)


def _controlling_terminal() -> None:
    """In the child, after its setsid: the pty on stdin becomes its terminal, as a shell's job has
    (Ctrl-C typed there is then a SIGINT to its group, echoed "^C" as a terminal does)."""
    import fcntl
    import termios

    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _read_until(main: int, wanted: bytes, timeout_s: float) -> bytes:
    import select
    import time

    out, deadline = b"", time.monotonic() + timeout_s
    while wanted not in out and time.monotonic() < deadline:
        if select.select([main], [], [], 0.5)[0]:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the terminal's other end closed
                break
            if not chunk:
                break
            out += chunk
    return out


@pytest.mark.parametrize("columns", [80, 120])
def test_ctrl_c_typed_in_a_terminal_leaves_the_stop_line_on_its_own_line(tmp_path: Path, columns: int) -> None:
    """A terminal echoes Ctrl-C as "^C" and no newline; what `puma run` says next (while serving,
    as during start-up) starts a line of its own, never "^Cpuma: stopping: ..." run together."""
    import fcntl
    import pty
    import struct
    import termios

    app = tmp_path / "app.py"
    app.write_text(SLOW_IMPORT_APP)
    (tmp_path / "release").touch()
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "puma", "run", str(app), "--port", "0"], cwd=ROOT,
                            stdin=child, stdout=child, stderr=child, start_new_session=True,
                            preexec_fn=_controlling_terminal,
                            env={**os.environ, "MARK": str(tmp_path / "mark"), "RELEASE": str(tmp_path / "release"),
                                 "PYTHONPATH": str(ROOT)})
    os.close(child)
    try:
        out = _read_until(main, b"serving at", 90)
        assert b"serving at" in out, out.decode(errors="replace")
        os.write(main, b"\x03")  # Ctrl-C, typed
        out += _read_until(main, b"puma: stopped", 60)
        proc.wait(timeout=60)
    finally:
        os.close(main)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    text = out.decode(errors="replace").replace("\r\n", "\n")
    assert "^C" in text, text  # the terminal echoed it (the case this test is about)
    lines = text.splitlines()
    assert [line for line in lines if "^Cpuma" in line] == [], text
    assert any(line.startswith("puma: stopping") for line in lines), text
    assert proc.returncode == 130, proc.returncode
