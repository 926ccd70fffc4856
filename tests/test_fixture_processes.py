"""A server a fixture starts in a session of its own does not outlive a pytest process that is
killed (a CI timeout, a second Ctrl-C, kill -9): a legacy server was found serving 45 minutes after
the run that started it had ended."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.helpers import process_alive as _alive
from tests.helpers import wait_for

ROOT = Path(__file__).parents[1]

# Stands in for pytest: starts a "server" as the web fixtures do, prints its pid, then waits.
PARENT = """\
import subprocess, sys, time
from tests.helpers import ends_with_pytest
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True,
                         preexec_fn=ends_with_pytest)
print(child.pid, flush=True)
time.sleep(120)
"""


def test_fixture_server_ends_when_the_pytest_process_is_killed() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    try:
        assert _alive(child)
        parent.send_signal(signal.SIGKILL)  # no teardown runs: what a killed pytest does
        parent.wait(timeout=10)
        wait_for(lambda: not _alive(child), timeout_s=10, message="the fixture's server to end with its pytest")
    finally:
        if _alive(child):
            os.kill(child, signal.SIGKILL)
        parent.stdout.close()
