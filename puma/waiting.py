"""What a starting deployment is waiting for, shown by `puma run` until it serves.

`describe(deployment, elapsed_s)` is one line: the services not ready yet, each with its phase —
importing, what its warm-up said it is doing (`puma.progress`), or its instances so far:

    starting (4.2 s): db loading the catalogue; agent waiting for the db service; policy 1/2 instances

`StartupProgress` prints it while `Deployment.start()` runs: on a terminal one line rewritten in
place twice a second; otherwise (a log, a pipe) a new line only when the phases change.
"""

from __future__ import annotations

import logging
import shutil
import sys
import threading
import time
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from .instances import ServicePool
    from .supervisor import Deployment

TICK_S = 0.5


def phase(pool: ServicePool) -> str | None:
    """What `pool`'s service is doing, or None once it has its minimum of ready instances."""
    if not pool.zygote_ready():
        return pool.progress or "importing"
    if pool.zygote_error:
        return "failed"
    ready, wanted = len(pool.ready()), pool.service.instances.min
    return None if ready >= wanted else f"{ready}/{wanted} instances"


def waiting_for(deployment: Deployment) -> dict[str, str]:
    """Each service still starting -> its phase (Envoy first while it starts)."""
    found = {} if deployment.envoy.port else {"envoy": "starting"}
    for name, pool in list(deployment.pools.items()):
        now = phase(pool)
        if now is not None:
            found[name] = now
    return found


def describe(waiting: dict[str, str], elapsed_s: float) -> str:
    """The line shown for `waiting` (from `waiting_for`) after `elapsed_s` seconds."""
    if not waiting:
        return f"starting ({elapsed_s:.1f} s): every service is ready; routing to them"
    return f"starting ({elapsed_s:.1f} s): " + "; ".join(f"{n} {p}" for n, p in waiting.items())


class StartupProgress:
    """Shows `describe(...)` for `deployment` while used as a context manager."""

    def __init__(self, deployment: Deployment, out: IO[str] | None = None) -> None:
        self.deployment = deployment
        self.out = out or sys.stdout
        self.tty = bool(getattr(self.out, "isatty", lambda: False)())
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="puma-startup-progress")
        self._width = 0
        self._lock = threading.Lock()

    def __enter__(self) -> StartupProgress:
        if self.tty:  # a log line printed meanwhile first wipes the progress line, so none garbles
            for handler in logging.getLogger().handlers:
                handler.addFilter(self._wipe)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)
        for handler in logging.getLogger().handlers:
            handler.removeFilter(self._wipe)
        self._wipe()  # the URL line (or the error) takes its place

    def _wipe(self, _record: object = None) -> bool:
        with self._lock:
            if self._width:
                self.out.write("\r" + " " * self._width + "\r")
                self.out.flush()
                self._width = 0
        return True

    def _run(self) -> None:
        last: dict[str, str] | None = None
        while not self._stop.wait(TICK_S):
            waiting = waiting_for(self.deployment)
            line = describe(waiting, time.monotonic() - self.started)
            if self.tty:
                self._rewrite(line)
            elif waiting != last:
                self.out.write(line + "\n")
                self.out.flush()
            last = waiting

    def _rewrite(self, line: str) -> None:
        line = line[: shutil.get_terminal_size((120, 24)).columns - 1]
        with self._lock:
            self.out.write("\r" + line.ljust(self._width))
            self.out.flush()
            self._width = max(self._width, len(line))
