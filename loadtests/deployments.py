"""Starting and stopping the two deployments under test, each a process tree on loopback.

- ``legacy``: ``python -m legacy_socket_server --port 0`` (ready once it logs ``listening on``);
- ``puma``: ``python -m puma run chatbot/puma_app.py --port 0`` (ready once it prints
  ``PUMA is serving at URL``, or ``PUMA answers at URL`` while a public service is not ready yet).

Each runs in its own session (process group) with its output in a log file; ``stop`` sends
SIGTERM (both drain and exit), waits, then SIGKILLs whatever is left of the group. Example::

    with start("legacy", database_url, logs_dir) as deployment:
        deployment.host      # 'tcp://127.0.0.1:40123'
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 30.0
SAY_EVERY_S = 5.0  # a deployment still starting is said this often (the load test is never silent long)
HEARTBEAT_S = 10.0  # a long step logs that it is still running this often
_READY = {
    "legacy": re.compile(r"listening on (?P<host>[\d.]+):(?P<port>\d+)"),
    "puma": re.compile(r"PUMA (?:is serving|answers) at (?P<url>http://\S+)"),
}


class DeploymentError(RuntimeError):
    """A deployment did not start; the message carries the end of its log."""


@dataclass
class Deployment:
    name: str
    proc: subprocess.Popen[bytes]
    host: str
    log_path: Path


def prepare_db(database_url: str, logs_dir: Path) -> None:
    """Migrate and load the chatbot database (both steps are idempotent; ~10 s the first time)."""
    env = {**os.environ, "DATABASE_URL": database_url}
    steps = {"upgrade": "migrations", "load": "loading the catalogue and the ratings"}
    with open(logs_dir / "db.log", "ab") as out:
        for i, step in enumerate((["upgrade"], ["load", "--no-progress"]), 1):
            cmd = [sys.executable, "-m", "chatbot", "db", *step]
            log.info("database step %d of 2: %s", i, steps[step[0]])
            code = _run_with_heartbeat(cmd, env, out, f"database step {i} of 2 ({steps[step[0]]})")
            if code != 0:
                raise DeploymentError(f"{' '.join(cmd[1:])} failed ({code}); see {logs_dir / 'db.log'}")


def _run_with_heartbeat(cmd: list[str], env: dict[str, str], out: Any, what: str, timeout_s: float = 600.0,
                        every_s: float = HEARTBEAT_S) -> int:
    """Run `cmd` to completion (killed after `timeout_s`), logging `what` every `every_s` seconds."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    while True:
        try:
            return proc.wait(timeout=every_s)
        except subprocess.TimeoutExpired:
            elapsed = time.monotonic() - started
            if elapsed > timeout_s:
                proc.kill()
                proc.wait()
                raise DeploymentError(f"{' '.join(cmd[1:])}: no end after {timeout_s:.0f} s") from None
            log.info("%s: still running (%.0f s)", what, elapsed)


def command(name: str, database_url: str, root: Path = ROOT, port: int = 0) -> list[str]:
    """The command that starts deployment `name` on `port` (0: a free one the OS picks)."""
    if name == "legacy":
        return [sys.executable, "-m", "legacy_socket_server", "--port", str(port),
                "--database-url", database_url]
    if name == "puma":
        return [sys.executable, "-m", "puma", "--log-level", "info", "run",
                str(root / "chatbot" / "puma_app.py"), "--port", str(port)]
    raise ValueError(f"deployment: {name!r} is not one of {sorted(_READY)}")


def environment(name: str, database_url: str, root: Path = ROOT) -> dict[str, str]:
    """The environment deployment `name` runs in: this one, with the database and, for another
    checkout's code, its tree first on ``PYTHONPATH``."""
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    if name == "puma":
        # Its PUMA deployment is the load test's: `puma status` says so and prefers the user's own
        # (`make run`) in this checkout, whose legacy bridge is the one to read.
        env["PUMA_HARNESS"] = "the load test"
    if root != ROOT:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    return env


@contextlib.contextmanager
def start(name: str, database_url: str, logs_dir: Path, root: Path = ROOT,
          log_name: str | None = None, cpus: list[int] | None = None, port: int = 0) -> Iterator[Deployment]:
    """Start deployment ``name`` from the code tree ``root`` (this checkout by default; another
    checkout's code comes first on its ``PYTHONPATH``), wait until it serves, yield it, then
    stop it. Its output goes to ``logs_dir / (log_name or name + ".log")``. With ``cpus``, it
    runs under ``taskset`` on those CPUs only (every process and thread it starts inherits them). It
    listens on ``port``, or on a free port the OS picks (0)."""
    log_path = logs_dir / (log_name or f"{name}.log")
    env = environment(name, database_url, root)
    with open(log_path, "wb") as out:
        pinned = ["taskset", "--cpu-list", ",".join(map(str, cpus))] if cpus else []
        proc = subprocess.Popen(pinned + command(name, database_url, root, port), cwd=root, env=env, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    log.info("starting %s (pid %d, its log in %s)", name, proc.pid, log_path)
    try:
        started = time.monotonic()
        host = wait_ready(name, proc, log_path)
        log.info("%s is serving at %s (pid %d, %.1f s to start)", name, host, proc.pid,
                 time.monotonic() - started)
        yield Deployment(name, proc, host, log_path)
    finally:
        stop(proc, name)


def wait_ready(name: str, proc: subprocess.Popen[bytes], log_path: Path) -> str:
    """Until the log says it serves; says every SAY_EVERY_S how long it has waited and the log's
    last line (start-up takes 15-60 s: never a silent wait)."""
    started = time.monotonic()
    deadline, said = started + START_TIMEOUT_S, started
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace")
        found = _READY[name].search(text)
        if time.monotonic() - said >= SAY_EVERY_S and not found:
            said = time.monotonic()
            last = next((line.strip() for line in reversed(text.splitlines()) if line.strip()), "(nothing logged yet)")
            # Its log prints a long line in full once, then "... (in full above)": above in the log, not here.
            last = last.replace("(in full above)", f"(in full in {log_path})")
            log.info("%s still starting (%.0f s): %s", name, said - started, last[:160 + len(str(log_path))])
        if found:
            return found["url"] if name == "puma" else f"tcp://{found['host']}:{found['port']}"
        if proc.poll() is not None:
            raise DeploymentError(f"{name} exited with {proc.returncode} before serving; "
                                  f"end of {log_path}:\n{_tail(log_path)}")
        time.sleep(0.1)
    raise DeploymentError(f"{name} not serving within {START_TIMEOUT_S:.0f} s; end of {log_path}:\n"
                          f"{_tail(log_path)}")


def stop(proc: subprocess.Popen[bytes], name: str) -> None:
    """SIGTERM, wait up to ``STOP_TIMEOUT_S``, then SIGKILL the whole process group."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop within %.0f s of SIGTERM; killing it", name, STOP_TIMEOUT_S)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # anything of the group left behind
    proc.wait()
    log.info("%s stopped (exit %s)", name, proc.returncode)


def _tail(path: Path, lines: int = 25) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
