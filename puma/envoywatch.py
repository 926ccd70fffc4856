"""Envoy's death while a deployment runs: `EnvoyWatch` sleeps until the Envoy process exits and,
unless the deployment is stopping, has it started again, at most MAX_ENVOY_RESTARTS_IN_WINDOW
times in ENVOY_RESTART_WINDOW_S; past that the deployment fails, naming Envoy's log.
"""

from __future__ import annotations

import collections
import logging
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from . import guard
from .errors import PumaStartError

log = logging.getLogger(__name__)

# Envoy exiting while the deployment runs is started again from its files, at most this often:
# past it, the deployment fails (`Deployment.failure`; `puma run` stops with exit code 1).
ENVOY_RESTART_WINDOW_S = 60.0
MAX_ENVOY_RESTARTS_IN_WINDOW = 3
ENVOY_RESTART_PAUSE_S = 1.0  # before each restart after the first in a window


class EnvoyWatch:
    """A thread restarting Envoy when it exits (`restart(code)`), within a budget; past it, `fail(reason)`.

    >>> watch = EnvoyWatch(lambda: proc, deployment.restart_envoy, deployment.fail,   # doctest: +SKIP
    ...                    lambda: deployment.stopping, lambda: envoy.log_path)
    >>> watch.start()                                                                 # doctest: +SKIP
    """

    def __init__(self, proc: Callable[[], subprocess.Popen[bytes] | None], restart: Callable[[int], None],
                 fail: Callable[[str], None], stopping: Callable[[], bool], log_path: Callable[[], Path]) -> None:
        self._proc, self._restart, self._fail, self._stopping, self._log_path = proc, restart, fail, stopping, log_path
        self._restarts: collections.deque[float] = collections.deque()
        self._thread = guard.thread(self._watch, name="puma-envoy-watch", stop=stopping)

    def start(self) -> None:
        self._thread.start()

    def _watch(self) -> None:
        """Sleep until Envoy exits; unless stopping, start it again from the same files."""
        while not self._stopping():
            proc = self._proc()
            assert proc is not None
            code = proc.wait()
            if self._stopping() or not self._may_restart(code):
                return
            try:
                self._restart(code)
            except PumaStartError as exc:
                log.error("envoy did not start again: %s", exc)

    def _may_restart(self, code: int) -> bool:
        now = time.monotonic()
        while self._restarts and now - self._restarts[0] > ENVOY_RESTART_WINDOW_S:
            self._restarts.popleft()
        if len(self._restarts) >= MAX_ENVOY_RESTARTS_IN_WINDOW:
            self._fail(f"Envoy exited {len(self._restarts) + 1} times in {ENVOY_RESTART_WINDOW_S:.0f} s "
                      f"(last exit code {code}); not restarted again; its log: {self._log_path()}")
            return False
        if self._restarts:  # died again soon after a restart: not in a tight loop
            time.sleep(ENVOY_RESTART_PAUSE_S)
        self._restarts.append(now)
        return not self._stopping()
