"""An instance's end: it drains (lets its requests finish, writes their replies out), then exits.

`Once` makes a drain asked twice (DRAIN_SIGNAL, then SIGTERM) drain once; `ask_to_leave` is what a
SIGTERM from outside PUMA does (a replacement first, as a scale-down); `drain_then_exit` waits for
the requests in flight (saying which in the log once that takes over `DRAIN_REPORT_AFTER_S`) and
for their replies to be sent, then exits with the code that tells the zygote why.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from . import recycling, wakeups
from .counters import Counters

log = logging.getLogger("puma.worker")  # the instance's own log lines, under one name

RECYCLE_QUIET_S = 0.5  # a recycled instance exits once no request has come for this long
FLUSH_TIMEOUT_S = 1.0  # after the drain, at most this long to write the last replies out
DRAIN_REPORT_AFTER_S = 1.0  # a drain that waits longer says in the log which requests it waits for,
DRAIN_REPORT_EVERY_S = 5.0  # and again this often
LEAVE_WAIT_S = 10.0  # how long an instance sent SIGTERM waits for its stop (DRAIN_SIGNAL) before draining anyway


class Once:
    """`fn` run on the first call only (a drain asked twice drains once)."""

    def __init__(self, fn: Callable[[], None]) -> None:
        self.fn, self.done = fn, wakeups.SignalEvent()

    def __call__(self) -> None:  # called by signal handlers: set_from_signal (puma.wakeups)
        if not self.done.is_set():
            self.done.set_from_signal()
            self.fn()


def ask_to_leave(leave: Callable[[], None], drain: Once) -> None:
    """SIGTERM from outside PUMA (systemd, a container runtime, an operator): as a scale-down, not a
    crash. The supervisor hears it through the zygote, starts a replacement, takes this instance out
    of Envoy (whose pooled connections here close once their replies are sent), then stops it
    (DRAIN_SIGNAL): it keeps serving meanwhile. Should no stop come (the supervisor gone), it drains
    after `LEAVE_WAIT_S` anyway."""
    if drain.done.is_set():
        return
    try:
        leave()
    except OSError:  # the zygote is gone: nothing will route around this instance; drain now
        drain()
        return
    log.warning("sent SIGTERM: asked the supervisor to replace this instance and take it out of Envoy, then "
                "drain it (a second stop within %.0f s, else it drains by itself)", LEAVE_WAIT_S)
    timer = threading.Timer(LEAVE_WAIT_S, drain)
    timer.daemon = True
    timer.start()


def drain_then_exit(server: Any, counters: Counters, drain_timeout_s: float, instance_id: int) -> None:
    # Envoy stopped routing here before the SIGTERM; let requests already inside finish, and let
    # waitress write out their replies: the app is done with a request before its bytes are sent.
    def drain() -> None:
        deadline = time.monotonic() + drain_timeout_s + FLUSH_TIMEOUT_S
        recycled = recycling.reason() is not None
        if recycled:  # still routed to: new connections wait in the socket's backlog for the replacement
            server.accepting = False
        wait_for_requests(counters, drain_timeout_s, instance_id)
        quiet_since = time.monotonic()
        # Recycled, it is still routed to over kept-alive connections: it answers what comes on them
        # (refusals: "send it again") and exits only once none has come for RECYCLE_QUIET_S.
        while time.monotonic() < deadline and (_unsent(server) or (
                recycled and time.monotonic() - max(quiet_since, counters.last_start) < RECYCLE_QUIET_S)):
            if _unsent(server):
                quiet_since = time.monotonic()
            time.sleep(0.01)
        os._exit(recycling.exit_code())

    threading.Thread(target=drain, daemon=True).start()


def wait_for_requests(counters: Counters, timeout_s: float, instance_id: int) -> None:
    """`counters.wait_idle(timeout_s)`, saying in the log what it waits for once that takes over
    `DRAIN_REPORT_AFTER_S` ("instance 1 draining: waiting for 1 request: POST /listener, 3.2 s")."""
    deadline = time.monotonic() + timeout_s
    wait_s = DRAIN_REPORT_AFTER_S
    while not counters.wait_idle(max(0.0, min(wait_s, deadline - time.monotonic()))):
        running = counters.running()
        late = time.monotonic() >= deadline
        if running:
            log.warning("instance %d draining: %s %d request%s: %s", instance_id,
                        "exiting past its drain timeout with" if late else "waiting for", len(running),
                        "" if len(running) == 1 else "s", "; ".join(f"{what}, {s:.1f} s" for what, s in running[:5]))
        if late:
            return
        wait_s = DRAIN_REPORT_EVERY_S


def _unsent(server: Any) -> bool:
    """Whether any connection of waitress `server` still has a request in hand or bytes to send."""
    channels = list(getattr(server, "_map", {}).values())  # waitress's connections (and its listener)
    return any(getattr(c, "requests", None) or getattr(c, "total_outbufs_len", 0) for c in channels)
