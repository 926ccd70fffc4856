"""An instance's request counts: in flight, served, and what each running request is.

The drain waits on them (`wait_idle`), `/healthz` shows them, and each change is published to the
supervisor's busy board (`puma.busy`), which `puma status`, the autoscaler and a stop read.
"""

from __future__ import annotations

import threading
import time

from .busy import BusyBoard


class Counters:
    """In-flight and served request counts of this instance (read by /healthz and the drain)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight = 0
        self.served = 0
        self.last_start = 0.0
        self.idle = threading.Condition(self.lock)
        self.started: dict[int, float] = {}  # thread -> when (time.monotonic(), s) its request began
        self.doing: dict[int, str] = {}  # thread -> its request ("POST /listener"): a drain says what it waits for
        self.board: BusyBoard | None = None  # where the supervisor reads the busy threads (see puma.busy)

    def enter(self, what: str = "") -> None:
        """A request (`what`: "POST /listener") starts on this thread."""
        with self.lock:
            self.in_flight += 1
            self.last_start = time.monotonic()
            self.started[threading.get_ident()] = time.monotonic()
            self.doing[threading.get_ident()] = what
            self._publish()

    def leave(self) -> None:
        with self.lock:
            self.in_flight -= 1
            self.served += 1
            self.started.pop(threading.get_ident(), None)
            self.doing.pop(threading.get_ident(), None)
            self._publish()
            if self.in_flight == 0:
                self.idle.notify_all()

    def _publish(self) -> None:
        if self.board is not None:
            oldest = min(self.started, key=self.started.__getitem__, default=None)
            if oldest is None:
                self.board.publish(0, 0.0)
            else:
                self.board.publish(len(self.started), self.started[oldest], self.doing.get(oldest, ""))

    def running(self) -> list[tuple[str, float]]:
        """The requests running now, `(what, seconds it has run)`, oldest first."""
        now = time.monotonic()
        with self.lock:
            return sorted(((self.doing.get(t, ""), now - s) for t, s in self.started.items()), key=lambda r: -r[1])

    def held_for(self) -> list[float]:
        """How long (s) each request running now has held its thread, longest first (monotonic: a
        clock step never makes a request look stuck)."""
        now = time.monotonic()
        with self.lock:
            return sorted((now - t for t in self.started.values()), reverse=True)

    def wait_idle(self, timeout_s: float, quiet_s: float = 0.1) -> bool:
        """Wait until no request is in flight and none started for `quiet_s` (one may be on its way)."""
        deadline = time.monotonic() + timeout_s
        with self.lock:
            while time.monotonic() < deadline:
                if self.in_flight == 0 and time.monotonic() - self.last_start >= quiet_s:
                    return True
                self.idle.wait(timeout=min(quiet_s, max(0.0, deadline - time.monotonic())))
            return False
