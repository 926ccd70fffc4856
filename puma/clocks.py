"""When something happened, for what the supervisor learns late: a process's exit read from its
zygote's pipe after the supervisor was stopped (SIGSTOP) or starved of CPU is said with its own time
and how late it is seen, never as if it had just happened."""

from __future__ import annotations

import time
from typing import Any

LATE_S = 3.0  # an event handled later than this after it happened is said late, with its time


def seen_late(at: Any, late_s: float = LATE_S) -> str:
    """For an event that happened at `at` (CLOCK_MONOTONIC, s) and is handled only now: when it
    happened and how late it is seen, if more than `late_s` (the supervisor was stopped or starved);
    else ''. Example: ``" at 15:12:41, seen 60 s late (...)"``."""
    if not isinstance(at, int | float):
        return ""
    late = time.monotonic() - at
    if late <= late_s:
        return ""
    when = time.strftime("%H:%M:%S", time.localtime(time.time() - late))
    return f" at {when}, seen {late:.0f} s late (the supervisor was stopped or starved of CPU meanwhile)"
