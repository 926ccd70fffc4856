"""Showing a process's log in an error: its last lines, under its path."""

from __future__ import annotations

from pathlib import Path


def log_tail(path: Path, lines: int = 12) -> str:
    """The last `lines` lines of the log at `path`, indented under its path (one block of text).

    >>> log_tail(Path("/tmp/puma-x/logs/db.log"))       # doctest: +SKIP
    '  last lines of /tmp/puma-x/logs/db.log (kept):\\n    Traceback ...\\n'
    """
    try:
        tail = path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        tail = []
    body = "".join(f"    {line}\n" for line in tail) or "    (empty)\n"
    return f"  last lines of {path} (kept):\n{body}"
