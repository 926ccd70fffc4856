"""Services that write a lot to their log: by `logging` and by `print` (the log-cap tests)."""

from __future__ import annotations

import logging

import puma

log = logging.getLogger("chatty")


def noisy(request: puma.Request) -> dict:
    """Logs `kb` KiB as WARNING lines of about 1 KiB, numbered from `start`."""
    kb, start = int(request.data.get("kb", 1)), int(request.data.get("start", 0))
    for n in range(start, start + kb):
        log.warning("line %08d %s", n, "n" * 1000)
    return {"logged_kib": kb}


def printer(request: puma.Request) -> dict:
    """Prints `kb` KiB in lines of about 1 KiB."""
    kb = int(request.data.get("kb", 1))
    for n in range(kb):
        print(f"print {n:08d} {'p' * 1000}", flush=True)
    return {"printed_kib": kb}
