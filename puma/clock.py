"""How long this process has run: what a user waited since they typed the command.

Start-up times PUMA prints count from the process's start (Python starting, the app being read and
imported), not from the moment the mesh began, so they match a stopwatch held by the user.
Example: ``process_age_s()`` -> ``9.4`` in a `puma run` that printed its URL 9.4 s after Enter.
"""

from __future__ import annotations

import os
from pathlib import Path


def process_age_s() -> float | None:
    """Seconds since this process started, from /proc (10 ms steps); None where there is no /proc."""
    try:
        # Field 22 (starttime, clock ticks after boot); the name in field 2 may hold spaces: split after ")".
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime_s = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return max(0.0, uptime_s - ticks / os.sysconf("SC_CLK_TCK"))
