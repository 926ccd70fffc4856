"""A signal sent to a process wakes its main thread, whichever thread the kernel gave it to.

A signal sent to a process (`kill PID`) goes to any one of its threads that does not block it.
CPython's C handler, on that thread, only marks the signal pending: the *Python* handler runs in
the main thread, once it next runs bytecode. An instance's main thread sleeps in waitress's
`select()` for up to `puma.worker.IDLE_LOOP_TIMEOUT_S` (30 s) when no socket stirs, so a drain
signal taken by another thread (the readiness probe's thread, which starts a thread per check:
Linux hands a pending signal to a thread that is cloning) waited until the instance's zygote
killed it at its drain timeout: `make stop` took 16-21 s on one idle instance, now and then.

`signal.set_wakeup_fd` makes the C handler also write a byte to a pipe, from whatever thread it
runs on; `wake_loop_on_signals` puts that pipe's read end in waitress's socket map, so the byte
wakes `select()` and the main thread runs the handler at once. Idle, it costs nothing: no tick.

The supervisor (`puma run`) waits on locks (an event, a thread's end), which no byte wakes: a
SIGTERM (`make stop`) or Ctrl-C another of its dozen threads took was never handled, and the run
went on serving. `wait` and `join` wake every `SIGNAL_CHECK_S` there, so one is handled within it.

A handler must not wait for a lock either: it runs on the main thread between two bytecodes, maybe
inside `Event.wait()` or `Event.set()` of the very event it sets, which hold that event's lock there,
and `Event.set()` then waits for its own thread, forever. A legacy server sent SIGTERM hung so and
kept its port; a Ctrl-C could hang `puma run` the same way. Handlers set a `SignalEvent` instead.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from waitress import wasyncore

SIGNAL_CHECK_S = 0.5  # the longest the supervisor's main thread sleeps with a signal to handle
GAP_S = 5.0  # a wake this late means the process was not running (stopped, or starved of CPU)


class _SignalWakeup(wasyncore.file_dispatcher):
    """The read end of the wakeup pipe, in waitress's map: readable when a signal came; read and dropped."""

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def handle_read(self) -> None:
        try:
            while self.recv(512):  # what was written says which signals came; the handlers know already
                pass
        except (BlockingIOError, InterruptedError):
            pass

    def handle_close(self) -> None:  # never closed by a peer; waitress's close_all closes it
        self.close()


def wake_loop_on_signals(socket_map: dict[int, Any]) -> None:
    """Wake the waitress loop of `socket_map` (in this, the main, thread) whenever a signal comes.
    Example: ``wake_loop_on_signals(server._map)`` before ``server.run()``."""
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)  # set_wakeup_fd requires it: a full pipe drops the byte, never blocks
    # waitress takes a file descriptor too (its stubs say a file); it keeps its own copy (file_wrapper dups it).
    _SignalWakeup(read_end, map=socket_map)  # type: ignore[arg-type]
    os.close(read_end)
    signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)


class Waitable(Protocol):
    def wait(self, timeout: float | None = None) -> bool: ...


class SignalEvent:
    """A `threading.Event` that a signal handler may set too, with `set_from_signal()`, which never
    waits for the event's lock (see the module's doc). Example, in a handler: ``stop.set_from_signal()``."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._flag = False

    def is_set(self) -> bool:
        return self._flag

    def set(self) -> None:
        """From a thread (not a signal handler): wakes every waiter at once."""
        with self._cond:
            self._flag = True
            self._cond.notify_all()

    def set_from_signal(self) -> None:
        """From a signal handler: the flag at once; the waiters woken now if the lock is free, else
        (the interrupted thread holds it) at their next check, within `SIGNAL_CHECK_S`."""
        self._flag = True  # a plain store: no lock
        if self._cond.acquire(blocking=False):
            try:
                self._cond.notify_all()
            finally:
                self._cond.release()

    def clear(self) -> None:
        with self._cond:
            self._flag = False

    def wait(self, timeout: float | None = None) -> bool:
        """As `threading.Event.wait`; it looks at the flag every `SIGNAL_CHECK_S` at least, so a
        `set_from_signal` that found the lock taken is seen then."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._flag:
                left = SIGNAL_CHECK_S if deadline is None else min(SIGNAL_CHECK_S, deadline - time.monotonic())
                if left <= 0:
                    break
                self._cond.wait(left)
            return self._flag


def wait(event: Waitable, on_gap: Callable[[float], None] | None = None) -> None:
    """`event.wait()` that handles signals meanwhile, whichever thread took them (see the module's doc).
    `on_gap(seconds)`: called when a wake came `GAP_S` or more late — this process did not run for
    that long (stopped by SIGSTOP, or starved of CPU), so what it sees next may be old news."""
    last = time.monotonic()
    while not event.wait(SIGNAL_CHECK_S):
        now = time.monotonic()
        if on_gap is not None and now - last >= SIGNAL_CHECK_S + GAP_S:
            on_gap(now - last - SIGNAL_CHECK_S)
        last = now


def join(thread: threading.Thread) -> None:
    """`thread.join()` that handles signals meanwhile, whichever thread took them (see the module's doc)."""
    while thread.is_alive():
        thread.join(SIGNAL_CHECK_S)
