"""A liveness check on a service's zygote: a `ping` it must answer with a `pong` in time.

The zygote forks every instance of its service. Stopped (SIGSTOP, a debugger) or hung (a deadlock
in code it imported), it forks nothing: an instance that dies is "replaced" by a spawn command
nobody reads, and the service stays down. Its instances' health checks cannot tell, and neither
can its exit (it has not exited). So the supervisor sends the ready zygote `{"op": "ping", "n": N}`
after every command it sends it (spawn, stop, kill: when it is needed) and every `period_s` (the
service's `health_check.interval_s`, as for its instances); a zygote that has not answered
`{"event": "pong", "n": N}` within `TIMEOUT_S` is killed (SIGKILL ends a stopped process too; its
instances serve on: `puma.orphans`), and its exit brings it back like any zygote's death, under the
same restart budget. The event log says why: "its zygote (pid 4242) did not answer a liveness check
within 5 s (stopped or hung); killed; started again; 2 serving instances kept serving".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from . import guard

log = logging.getLogger(__name__)

TIMEOUT_S = 5.0  # generous: a zygote answers from its select loop in microseconds, but a loaded
# 2-core machine can leave a process without a CPU for a second or two


class ZygoteWatch:
    """Pings a service's zygote while it is ready (after each command, and every `period_s`);
    `kill(pid, reason)` when a ping goes unanswered for `timeout_s`."""

    def __init__(self, name: str, send: Callable[[dict[str, Any]], bool], live: Callable[[], int | None],
                 kill: Callable[[int, str], None], *, period_s: float, timeout_s: float = TIMEOUT_S) -> None:
        self.name, self._send, self._live, self._kill = name, send, live, kill
        self.period_s, self.timeout_s = period_s, timeout_s
        self._answered = threading.Condition()
        self._last_pong = 0
        self._n = 0
        self._stop = threading.Event()
        self._nudged = threading.Event()
        self._thread = guard.thread(self._run, name=f"puma-{name}-zygote-watch", stop=self._stop.is_set)

    def start(self) -> None:
        self._thread.start()

    def nudge(self) -> None:
        """A command was just sent: check now that the zygote reads its commands."""
        self._nudged.set()

    def stop(self) -> None:
        self._stop.set()
        self._nudged.set()
        with self._answered:
            self._answered.notify_all()

    def pong(self, event: dict[str, Any]) -> None:
        """The zygote answered ping `event["n"]`."""
        with self._answered:
            self._last_pong = max(self._last_pong, int(event.get("n") or 0))
            self._answered.notify_all()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._nudged.wait(self.period_s)
            self._nudged.clear()
            if self._stop.is_set():
                return
            pid = self._live()  # the zygote's pid while it is ready and not being restarted
            if pid is not None and not self._answers(pid):
                self._kill(pid, f"its zygote (pid {pid}) did not answer a liveness check within "
                                f"{self.timeout_s:g} s (stopped or hung)")

    def _answers(self, pid: int) -> bool:
        """Whether the zygote answered a ping in time (or there is nothing to judge any more)."""
        self._n += 1
        n = self._n
        if not self._send({"op": "ping", "n": n}):
            return True  # gone: its exit is being handled
        with self._answered:
            answered = self._answered.wait_for(lambda: self._last_pong >= n or self._stop.is_set(), self.timeout_s)
        return answered or self._stop.is_set() or self._live() != pid
