"""What ties an instance's life to the supervisor's, not to its zygote's (`puma.orphans` watches
instances whose zygote died)."""

from __future__ import annotations

import ctypes
import logging
import os
import select
import signal
import threading
from collections.abc import Callable

from .zygote import DRAIN_SIGNAL

log = logging.getLogger("puma.worker")

_PR_SET_PDEATHSIG = 1


def supervisor_pidfd(pid: int | None) -> int | None:
    """A pidfd of the supervisor (readable once it exits), or None (not given, or no pidfds here)."""
    if pid is None:
        return None
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def stop_with_supervisor(lifeline: int | None) -> None:
    """Tie this instance to the supervisor, not to its zygote: a zygote is needed only to fork, and
    its death (kill -9, or killed by its liveness check) must not stop instances that serve (the
    supervisor watches them itself then: `puma.orphans`). When the supervisor goes, the instance
    drains and exits, as its zygote would have told it to. Without a pidfd, it dies with its zygote."""
    if lifeline is None:
        _die_with_parent()
        return

    def wait_then_drain() -> None:
        select.select([lifeline], [], [])
        log.warning("the supervisor exited: draining, then exiting")
        os.kill(os.getpid(), DRAIN_SIGNAL)

    threading.Thread(target=wait_then_drain, name="puma-lifeline", daemon=True).start()


def exit_while_starting(pid: int | None) -> Callable[[], None]:
    """Exit this zygote at once if the supervisor dies before it is ready; call the returned
    function once it is (its commands' pipe closing is the signal from then on: `puma.zygote`).
    Its imports and warm-up (seconds, minutes, or forever if one hangs) read no command: before,
    a zygote warming up when `puma run` was killed (`kill -9`) ran on, and its fork server with it,
    until its warm-up ended — for good, if it never did."""
    pidfd = supervisor_pidfd(pid)
    if pidfd is None:
        return lambda: None
    ready_r, ready_w = os.pipe()

    def watch() -> None:
        readable, _, _ = select.select([pidfd, ready_r], [], [])
        if pidfd in readable and ready_r not in readable:
            log.warning("the supervisor exited while this service was starting: exiting")
            os._exit(1)
        for fd in (pidfd, ready_r):
            os.close(fd)

    threading.Thread(target=watch, name="puma-starting-lifeline", daemon=True).start()

    def ready() -> None:
        os.write(ready_w, b"r")
        os.close(ready_w)
    return ready


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
