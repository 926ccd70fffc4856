"""`kill -9` of `puma run` while a service warms up ends its zygote and the fork server at once.
Before, a zygote reads its commands (whose pipe closing tells it the supervisor is gone) only once
ready: one warming up ran on after the kill, with its fork server, until its warm-up ended, and for
good when it never did (a lock never released). Real `puma run`, free ports."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.helpers import free_port, process_alive, wait_for

ROOT = Path(__file__).resolve().parents[1]
APP = """import puma
from tests.apps import flagged

puma.puma_config({"puma_services": {"work": {"prefix": "/work", "warmup": "tests.apps.flagged:warm_forever"}}})
puma.puma_service({"work": flagged.work})
"""


def _of_run(port: int) -> list[int]:
    """Processes of the deployment on `port`: PUMA names each `... [puma :PORT]` (`puma.titles`)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if f"[puma :{port}]" in (entry / "cmdline").read_bytes().decode(errors="replace") \
                        and process_alive(int(entry.name)):
                    found.append(int(entry.name))
    return found


def test_lifeline_a_zygote_warming_up_exits_when_puma_run_is_killed(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "puma.cli", "run", str(tmp_path / "app.py"), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT,
                            start_new_session=True)
    left: list[int] = []
    try:
        out = proc.stdout
        assert out is not None
        wait_for(lambda: "warming up" in out.readline(), timeout_s=60, message="the warm-up running")
        left = [pid for pid in _of_run(port) if pid != proc.pid]
        assert left, "a zygote and its fork server"
        proc.kill()
        proc.wait()
        wait_for(lambda: not any(process_alive(pid) for pid in left), timeout_s=10,
                 message="the zygote and the fork server gone with puma run")
    finally:
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
