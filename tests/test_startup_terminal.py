"""`puma run` on a terminal while it starts: the progress line and nothing else of PUMA's routine
(newcomer probe: a dozen `puma.instances INFO service web: instance 1 up ...` records wrapped
around README's promised "one `starting (…)` line"), but the whole story when the start fails."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from tests.test_startup import _app

ROOT = Path(__file__).parents[1]
ROUTINE = re.compile(r"^\d\d:\d\d:\d\d puma\.\S+ INFO ", re.MULTILINE)
QUICK = "{'quick': {'prefix': '/quick', 'target': 'tests.apps.startup:answer', 'instances': 2}}"


def _start_on_terminal(app: Path, tmp_path: Path, *before: str, after: tuple[str, ...] = ()
                       ) -> tuple[subprocess.Popen[bytes], int]:
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    command = [sys.executable, "-m", "puma.cli", *before, "run", str(app), "--port", "0", *after]
    proc = subprocess.Popen(command, cwd=ROOT,
                            stdin=child, stdout=child, stderr=child, start_new_session=True,
                            env={**os.environ, "TMPDIR": str(tmp_path)})
    os.close(child)
    return proc, main


def _read_until(main: int, proc: subprocess.Popen[bytes], pattern: str, timeout_s: float) -> str:
    """The terminal's text (carriage returns kept) until `pattern` shows or the process ends."""
    out, deadline = b"", time.monotonic() + timeout_s
    while time.monotonic() < deadline and not re.search(pattern, out.decode(errors="replace")):
        if select.select([main], [], [], 0.2)[0]:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the other end closed: the process ended
                break
            out += chunk
        elif proc.poll() is not None:
            break
    return out.decode(errors="replace")


def _finish(proc: subprocess.Popen[bytes], main: int) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    os.close(main)


def test_a_start_on_a_terminal_shows_the_progress_line_not_the_routine_records(tmp_path: Path) -> None:
    proc, main = _start_on_terminal(_app(tmp_path, QUICK), tmp_path)
    try:
        text = _read_until(main, proc, r"PUMA is serving at http://\S+ \(", timeout_s=90)
    finally:
        _finish(proc, main)
    assert "PUMA is serving at" in text, text
    assert not ROUTINE.search(text), text  # "instance 1 up", "envoy started": the line said them


@pytest.mark.parametrize("after_the_command", [False, True])
def test_debug_level_on_a_terminal_still_shows_every_record_as_it_comes(tmp_path: Path, after_the_command: bool) -> None:
    """`puma --log-level debug run app.py`, or `puma run app.py --log-level debug` as people type it."""
    option = ("--log-level", "debug")
    proc, main = (_start_on_terminal(_app(tmp_path, QUICK), tmp_path, after=option) if after_the_command
                  else _start_on_terminal(_app(tmp_path, QUICK), tmp_path, *option))
    try:
        text = _read_until(main, proc, r"PUMA is serving at http://\S+ \(", timeout_s=90)
    finally:
        _finish(proc, main)
    assert re.search(r"puma\.instances INFO service quick: instance \d up", text), text


def test_a_failed_start_on_a_terminal_shows_what_happened_before_the_error(tmp_path: Path) -> None:
    app = _app(tmp_path, "{'quick': {'prefix': '/quick', 'target': 'tests.apps.startup:answer'}, "
                         "'model': {'prefix': '/model', 'target': 'tests.apps.startup:answer', "
                         "'warmup': 'tests.apps.startup:broken_warmup'}}")
    proc, main = _start_on_terminal(app, tmp_path)
    try:
        text = _read_until(main, proc, r"puma: error: .*", timeout_s=90)
        proc.wait(30)
    finally:
        _finish(proc, main)
    assert proc.returncode == 1 and "warm-up 'tests.apps.startup:broken_warmup' failed" in text, text
    # The held records come before the error: the Envoy that started, and stopped again.
    story = text.split("what the start did before it failed:")[-1].split("puma: error:")[0]
    assert re.search(r"puma\.proxy INFO envoy started", story) and "INFO envoy stopped" in story, text
