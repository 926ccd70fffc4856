"""An instance asking to be replaced, because work it took can never finish.

A thread cannot be stopped in Python: a `puma_map` item that never returns (a socket read with no
timeout, a lock never released, an endless loop) holds its thread, and the map instance, which
computes one chunk at a time, would hold every later chunk behind it. Once such work is past its
deadline, its caller has been answered; the instance then asks to be replaced: `request(why)` logs
why at ERROR, and sends the instance itself the zygote's drain signal (as a stop by PUMA does: not
SIGTERM, which asks the supervisor to take it out of Envoy first and waits), which drains what it still has (requests that are
not the hung work finish or are refused at once) and exits with `RECYCLE_EXIT_CODE`. The zygote
reports that exit; the supervisor starts a replacement on the same socket and records
"instance N recycled" in the deployment's events (`puma status`).

Outside an instance (`puma serve`, a test calling a service in process), `request` only logs.

>>> reason() is None
True
"""

from __future__ import annotations

import logging
import os

from .zygote import DRAIN_SIGNAL

log = logging.getLogger(__name__)

RECYCLE_EXIT_CODE = 75  # EX_TEMPFAIL: the instance exited to be replaced, not by a crash
_state: dict[str, str | bool | None] = {"reason": None, "enabled": False}


def enable() -> None:
    """Called by an instance once its drain signal drains and exits (see `puma.worker.serve`)."""
    _state["enabled"] = True


def reason() -> str | None:
    """Why this instance asked to be replaced, or None."""
    why = _state["reason"]
    return why if isinstance(why, str) else None


def request(why: str) -> bool:
    """Ask for this instance to be replaced (once; later calls add nothing); True if it will be."""
    if _state["reason"] is not None:
        return bool(_state["enabled"])
    _state["reason"] = why
    enabled = bool(_state["enabled"])
    log.error("instance pid %d %s: %s", os.getpid(),
              "exits to be replaced" if enabled else "would be replaced (not a PUMA instance)", why)
    if enabled:
        os.kill(os.getpid(), DRAIN_SIGNAL)
    return enabled


def exit_code() -> int:
    """The code an instance exits with: RECYCLE_EXIT_CODE once it asked to be replaced, else 0."""
    return RECYCLE_EXIT_CODE if _state["reason"] is not None else 0
