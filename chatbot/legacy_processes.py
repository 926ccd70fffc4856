"""Whether a legacy socket server is starting or stopping on a port, so a refused connection says
"starting (pid N, loading since 05:21:36)" rather than advice that starts a second server, and
"stopping (pid N, sent SIGTERM)" rather than "loading" for one that is on its way out.

The legacy server binds its port at once, then loads its catalogue before it listens (30-60 s; a
first start also prepares the database, minutes): meanwhile every connection is refused, exactly
as when nothing runs. What tells the two apart is a live process whose command line says it is a
legacy server on that port (Linux /proc; this user's processes, and another user's command lines
where /proc shows them). The server appends its phase to its command line
(``[phase: loading]``, ``[phase: serving]``, ``[phase: stopping SIGTERM]``: see
`legacy_socket_server.running.show_phase`); one without a phase counts as loading.

>>> starting(1) is None  # no legacy server runs on port 1
True
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")


_PHASE = re.compile(r"\[phase: (?P<phase>[a-z]+)(?: (?P<signal>SIG[A-Z0-9]+))?\]")


@dataclass(frozen=True)
class Starting:
    """A live legacy server process on the port: its pid, when it started (epoch seconds), and the
    phase it says it is in (``loading``, ``serving``, ``stopping``; ``signal``: what stops it)."""

    pid: int
    started_at_s: float
    phase: str = "loading"
    signal: str = ""
    state: str = "S"  # its /proc state: "T" stopped (SIGSTOP, Ctrl-Z), "t" held by a debugger

    @property
    def paused(self) -> bool:
        return self.state in ("T", "t")

    @property
    def stopping(self) -> bool:
        return self.phase == "stopping"

    def words(self) -> str:
        """`starting (pid 4242, loading since 05:21:36)`, in local time, or `stopping (pid 4242,
        sent SIGTERM)`. No running count of seconds: the line stays the same while it loads (`puma
        run` appends its own age to a phase that lasts, and prints a new line only when a phase changes)."""
        if self.stopping:
            return f"stopping (pid {self.pid}, sent {self.signal or 'a stop signal'})"
        if self.phase == "serving":
            return f"running (pid {self.pid}) but refusing connections"
        since = time.strftime("%H:%M:%S", time.localtime(self.started_at_s))
        return f"starting (pid {self.pid}, loading since {since})"


def starting(port: int) -> Starting | None:
    """The oldest live process whose command line is `... legacy_socket_server ... --port PORT`
    (or `--port=PORT`), or None (none, or no /proc)."""
    pattern = re.compile(rf"legacy_socket_server\b.*--port[ =]{port}(?!\d)")
    found = [s for pid in _pids() if (s := _legacy(pid, pattern)) is not None]
    # One on its way out counts only when no other is there (a restarted one may be loading already).
    return min(found, key=lambda s: (s.stopping, s.started_at_s)) if found else None


def _pids() -> list[int]:
    try:
        return [int(name) for name in os.listdir(_PROC) if name.isdigit()]
    except OSError:
        return []


def _legacy(pid: int, pattern: re.Pattern[str]) -> Starting | None:
    try:
        line = (_PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        if not pattern.search(line):
            return None
        fields = (_PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    if fields[0] == "Z":  # a zombie is gone (its parent has not reaped it)
        return None
    phase = _PHASE.search(line)
    return Starting(pid, _boot_time_s() + int(fields[19]) / os.sysconf("SC_CLK_TCK"),
                    phase=phase["phase"] if phase else "loading", signal=(phase["signal"] or "") if phase else "",
                    state=fields[0])


def _boot_time_s() -> float:
    for line in (_PROC / "stat").read_text().splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    return 0.0
