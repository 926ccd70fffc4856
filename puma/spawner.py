"""Children that die with this process, whichever thread asks for them.

Linux's `PR_SET_PDEATHSIG` (a child gets SIGKILL when its parent dies, even by `kill -9`) fires when
the *thread* that forked the child ends, not the process. Envoy is started from the main thread
but restarted from the thread that watches it (`puma.envoywatch`), and a deployment may be started
from any thread of a program that embeds PUMA: such an Envoy either had no death signal (a `kill
-9` of `puma run` left a restarted Envoy holding the port, serving 503s for a deployment that no
longer existed) or would die with a thread that ended early. So every such child is forked by one
thread that lives as long as the process (`spawn`): its death signal fires only when the process
dies.

>>> proc = spawn(lambda: subprocess.Popen(["sleep", "1"], preexec_fn=death_signal()))  # doctest: +SKIP
"""

from __future__ import annotations

import ctypes
import os
import queue
import signal
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from . import guard

T = TypeVar("T")
_PR_SET_PDEATHSIG = 1


class _Spawner:
    """One daemon thread, started on first use, running the callables handed to it in turn."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0  # the process that started the thread: a forked child has no such thread

    def run(self, job: Callable[[], T]) -> T:
        if self.current():
            return job()
        self._ensure_thread()
        future: Future[T] = Future()
        self._jobs.put((job, future))
        return future.result()

    def current(self) -> bool:
        return threading.current_thread() is self._thread and self._pid == os.getpid()

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
                return
            self._jobs = queue.SimpleQueue()
            self._pid = os.getpid()
            # Never ends (daemon): the children it forks are killed when the process ends, and only then.
            self._thread = guard.thread(self._serve, name="puma-spawner")
            self._thread.start()

    def _serve(self) -> None:
        jobs = self._jobs
        while True:
            job, future = jobs.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(job())
            except BaseException as exc:  # noqa: BLE001 - handed to the caller, who raises it
                future.set_exception(exc)


_SPAWNER = _Spawner()


def spawn(job: Callable[[], T]) -> T:
    """Run `job` (which starts a child process) on the process-lifetime spawner thread; its result."""
    return _SPAWNER.run(job)


def death_signal() -> Callable[[], None] | None:
    """A `preexec_fn` giving the child SIGKILL when this process dies, for a child forked by `spawn`
    (None elsewhere, or off Linux: a death signal tied to a passing thread would kill it early)."""
    if not sys.platform.startswith("linux") or not _SPAWNER.current():
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)  # loaded here: a forked child should not load libraries
    except OSError:
        return None
    parent = os.getpid()

    def preexec() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the death signal was set
            os._exit(1)
    return preexec
