"""When the supervisor itself did not run: stopped (SIGSTOP, a terminal's Ctrl-Z, a debugger), a
suspended laptop, or starved of CPU. Measured, not guessed: a thread ticks every `TICK_S`, and a
tick that comes `STALL_S` or more late marks a span the process did not run.

What uses it: a service's warm-up is the time its zygote took to get ready *less* the supervisor's
stalls meanwhile (a 45 s SIGSTOP during start-up is no 46 s warm-up, which its 503s would say in
`Retry-After`), and `puma status` says for how long a silent supervisor has not answered, from the
run file this thread touches at each tick (`beat`).

>>> watch = Stalls(now=0.0)
>>> watch.tick(0.25), watch.tick(45.5)   # a tick 45 s late: it did not run for 45 s
(None, 45.0)
>>> watch.paused_within(0.0, 50.0)
45.0
"""

from __future__ import annotations

import collections
import os
import threading
import time
from pathlib import Path

from . import guard

TICK_S = 0.25
STALL_S = 1.0  # a tick this much late: the process did not run (a busy machine delays a tick far less)


class Stalls:
    """The spans (start, end) of monotonic time this process did not run, the last 64 of them."""

    def __init__(self, now: float | None = None) -> None:
        self.last = time.monotonic() if now is None else now
        self.spans: collections.deque[tuple[float, float]] = collections.deque(maxlen=64)
        self.lock = threading.Lock()

    def tick(self, now: float) -> float | None:
        """Record a tick at `now`; the seconds the process did not run before it, if it stalled."""
        with self.lock:
            late = now - self.last - TICK_S
            self.last = now
            if late < STALL_S:
                return None
            self.spans.append((now - late, now))
            return late

    def paused_within(self, start: float, end: float) -> float:
        """Seconds of [start, end] (monotonic) this process did not run."""
        with self.lock:
            return sum(max(0.0, min(end, b) - max(start, a)) for a, b in self.spans)


_watch = Stalls()
_beat: dict[str, Path | None] = {"path": None}
_started = threading.Lock()
_thread: list[threading.Thread] = []


def watch() -> Stalls:
    """This process's stalls, its watching thread started on first use."""
    with _started:
        if not _thread:
            _thread.append(guard.thread(_run, name="puma-stall-watch"))
            _thread[0].start()
    return _watch


def beat(path: Path | None) -> None:
    """Touch `path` (the run file) at every tick from now on (None: stop): its modification time is
    when this process last ran, which `puma status` reads when it does not answer."""
    _beat["path"] = path
    watch()


def _run() -> None:
    while True:
        time.sleep(TICK_S)
        _watch.tick(time.monotonic())
        path = _beat["path"]
        if path is not None:
            try:
                os.utime(path)  # no space needed: works on a full disk too
            except OSError:
                pass
