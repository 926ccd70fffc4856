"""Fail any test that leaves a process behind.

Every process a test starts inherits PUMA_TEST_SESSION; after each test module (whose fixtures
may share one deployment between its tests) no process but pytest itself may carry it.
Leftovers are killed (so one leak does not cascade) and the module's last test errors.
"""

from __future__ import annotations

import os
import signal
import uuid
from pathlib import Path

import pytest

from tests.helpers import wait_for

# Tests start `make run`, servers and Ctrl-C's as a terminal would: a test run started in the
# background by a non-interactive shell (CI, nohup) inherits SIGINT ignored, and so would every
# process a test starts (a make that ignores SIGINT ends differently: scripts/say.sh, end_said).
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

MARKER = f"PUMA_TEST_SESSION={uuid.uuid4().hex}"
os.environ["PUMA_TEST_SESSION"] = MARKER.split("=", 1)[1]


def marked_processes() -> list[tuple[int, str]]:
    """(pid, command line) of every process but this one that carries this session's marker."""
    found = []
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            environ = (entry / "environ").read_bytes()
            if MARKER.encode() not in environ.split(b"\0"):
                continue
            stat = (entry / "stat").read_text()
            if stat.rsplit(")", 1)[1].split()[0] == "Z":
                continue  # a zombie has exited; its parent reaps it
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        found.append((int(entry.name), cmdline.strip()))
    return found


@pytest.fixture(autouse=True, scope="module")
def no_leaked_processes():
    yield
    try:  # processes being stopped get a few seconds to go
        wait_for(lambda: not marked_processes(), timeout_s=5.0, interval_s=0.05, message="no leftover process")
    except AssertionError:
        pass
    left = marked_processes()
    for pid, _ in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert not left, f"test left {len(left)} process(es) running: {left}"


@pytest.fixture(autouse=True, scope="session")
def own_runs_dir(tmp_path_factory: pytest.TempPathFactory):
    """`puma run` records its deployments (puma.runs) under the session's temp dir, not the user's,
    so `puma status` in a test finds only what the test started."""
    os.environ["PUMA_RUNS_DIR"] = str(tmp_path_factory.mktemp("puma-runs"))
    yield
