"""Instances that outlive their zygote: still serving, watched by the supervisor itself.

A zygote is needed only to fork. When it dies (kill -9, out of memory) or is killed for not
answering its liveness check, the instances it had forked keep serving: each stops only when the
*supervisor* goes (see `puma.worker`'s lifeline), not with its zygote. Their zygote used to reap
them, report their exits and relay the supervisor's stops; for these "orphans" (reparented to init)
the supervisor does it directly: a pidfd per orphan, readable when it exits (one thread per service
waits on them all, asleep otherwise), and `pidfd_send_signal` for a drain or a kill, so a pid the
system gave to another process since is never signalled. Their exit status went to init: it is
reported as unknown (None).

Where pidfds are missing (not Linux >= 5.3), `/proc/<pid>` is polled every `FALLBACK_POLL_S`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import signal
import threading
from collections.abc import Callable
from pathlib import Path

from . import guard

log = logging.getLogger(__name__)

FALLBACK_POLL_S = 0.2


def start_ticks(pid: int) -> int | None:
    """When `pid` started, in clock ticks since boot (`/proc/<pid>/stat` field 22): with the pid, it
    names one process, so a pid the system handed to another process since is never taken for it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2:].split()  # the command name may hold spaces and parentheses
    try:
        return int(fields[19]) if fields[0] != "Z" else None  # a zombie has exited already
    except (IndexError, ValueError):
        return None


PF_EXITING = 0x4  # /proc/<pid>/stat field 9: the process is in its exit already
SIGKILL_BIT = 1 << (signal.SIGKILL - 1)


def dying(pid: int) -> bool:
    """Whether `pid` is gone or on its way out though its pid still answers: a zombie, a process
    tearing itself down (a large one takes a while on a loaded machine), or one sent SIGKILL that has
    not run since (`kill -9 INSTANCE ZYGOTE`: the instance may not have run when its zygote's death
    is seen). Such an instance does not "keep serving"."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    fields = stat[stat.rfind(")") + 2:].split()
    try:
        if fields[0] in ("Z", "X", "x") or int(fields[6]) & PF_EXITING:
            return True
    except (IndexError, ValueError):
        return True
    for line in status.splitlines():
        if line.startswith(("SigPnd:", "ShdPnd:")) and int(line.split()[1], 16) & SIGKILL_BIT:
            return True
    return False


class Orphans:
    """A service's instances whose zygote is gone: `adopt` them, `signal` them, learn their exits
    (`on_exit(pid)`, from a thread of their own)."""

    def __init__(self, name: str, on_exit: Callable[[int], None]) -> None:
        self.name, self.on_exit = name, on_exit
        self._fds: dict[int, int | None] = {}  # pid -> its pidfd (None: polled through /proc)
        self._lock = threading.Lock()
        self._sel = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        self._sel.register(self._wake_r, selectors.EVENT_READ, None)
        self._thread: threading.Thread | None = None
        self._closed = False

    def __contains__(self, pid: object) -> bool:
        with self._lock:
            return pid in self._fds

    def __len__(self) -> int:
        with self._lock:
            return len(self._fds)

    def pids(self) -> list[int]:
        with self._lock:
            return list(self._fds)

    def adopt(self, pid: int, ticks: int | None) -> bool:
        """Watch `pid` (started at `ticks`, see `start_ticks`) from now on; False if it is gone already."""
        try:
            fd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:
            return False
        except (AttributeError, OSError):  # no pidfds here: /proc is polled
            fd = None
        if ticks is None or start_ticks(pid) != ticks or dying(pid):  # exited (a zombie, reaped, its pid
            # reused) or exiting: killed with its zygote, it is reported dead, never kept serving
            if fd is not None:
                os.close(fd)
            return False
        with self._lock:
            if self._closed:
                if fd is not None:
                    os.close(fd)
                return False
            self._fds[pid] = fd
            if fd is not None:
                self._sel.register(fd, selectors.EVENT_READ, pid)
            if self._thread is None:
                self._thread = guard.thread(self._run, name=f"puma-{self.name}-orphans", stop=lambda: self._closed)
                self._thread.start()
        os.write(self._wake_w, b"x")
        return True

    def signal(self, pid: int, sig: int) -> bool:
        """Send `sig` to orphan `pid` (through its pidfd: never to a process that took its pid since)."""
        with self._lock:
            if pid not in self._fds:
                return False
            fd = self._fds[pid]
            try:
                if fd is not None:
                    signal.pidfd_send_signal(fd, sig)
                else:
                    os.kill(pid, sig)
            except ProcessLookupError:
                pass
        return True

    def close(self) -> None:
        """Stop watching (the deployment stops); the orphans' pidfds are closed."""
        with self._lock:
            self._closed = True
            for fd in self._fds.values():
                if fd is not None:
                    with contextlib.suppress(KeyError, ValueError):
                        self._sel.unregister(fd)
                    os.close(fd)
            self._fds.clear()
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")

    def _run(self) -> None:
        while not self._closed:
            with self._lock:
                polling = any(fd is None for fd in self._fds.values())
            for key, _ in self._sel.select(FALLBACK_POLL_S if polling else None):
                if key.data is None:
                    os.read(self._wake_r, 4096)
                else:
                    self._gone(key.data)
            if polling:
                for pid in [p for p in self.pids() if start_ticks(p) is None]:
                    self._gone(pid)

    def _gone(self, pid: int) -> None:
        with self._lock:
            if pid not in self._fds:
                return
            fd = self._fds.pop(pid)
            if fd is not None:
                self._sel.unregister(fd)
                os.close(fd)
        log.info("service %s: instance pid %d (its zygote gone) exited", self.name, pid)
        self.on_exit(pid)
