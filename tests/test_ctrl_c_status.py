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
