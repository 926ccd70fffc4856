"""A deployment's temporary run directory (`/tmp/puma-*`: Envoy's config, sockets, logs), and the
removal of those left behind by deployments that are gone (a `kill -9`, a failed start whose logs
were kept): at the next start, once they are older than `STALE_AFTER_S`, so a failed start's logs
stay readable for a while. Only directories this module made (they hold `OWNER_FILE`: the pid and
start time of the process that made them) are ever removed, and only when that process is gone.
Example::

    run_dir = new_run_dir()                # /tmp/puma-k2x8.../ with its owner file
    removed = remove_stale()               # [Path('/tmp/puma-old1...'), ...]
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from .errors import PumaStartError

log = logging.getLogger("puma.supervisor")  # said as a deployment starts: under its name, as before

PREFIX = "puma-"
OWNER_FILE = ".owner"
STALE_AFTER_S = 3600.0


def _start_time(pid: int) -> str | None:
    """The start time of process `pid` (clock ticks since boot, /proc), or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return None


def check_tmpdir(environ: dict[str, str] | os._Environ[str] = os.environ) -> None:
    """Raise `PumaStartError` if `$TMPDIR` is set but cannot hold a run directory. Python's `tempfile`
    then falls back to /tmp without a word: a user who pointed TMPDIR at a disk with room (what the
    disk-full hint says to do) and mistyped it would fill /tmp again, unawares."""
    given = environ.get("TMPDIR")
    if not given:
        return
    path = Path(given)
    if not path.is_dir():
        problem = "is not a directory" if path.exists() else "does not exist"
    elif not os.access(path, os.W_OK | os.X_OK):
        problem = "is not writable by this user"
    else:
        return
    raise PumaStartError(f"TMPDIR={given} {problem}: PUMA writes its run directory there (logs, Envoy's files); "
                         f"create it (mkdir -p {given}) or unset TMPDIR to use {tempfile.gettempdir()}")


def new_run_dir() -> Path:
    """A new run directory under the temporary directory, recording this process as its owner.
    `PumaStartError` if `$TMPDIR` names no usable directory (see `check_tmpdir`)."""
    check_tmpdir()
    path = Path(tempfile.mkdtemp(prefix=PREFIX)).resolve()
    (path / OWNER_FILE).write_text(f"{os.getpid()} {_start_time(os.getpid()) or ''}\n")
    return path


def _owner_gone(path: Path) -> bool:
    try:
        pid_text, _, started = (path / OWNER_FILE).read_text().strip().partition(" ")
        pid = int(pid_text)
    except (OSError, ValueError):
        return False  # not one of ours (or unreadable): never removed
    now = _start_time(pid)
    return now is None or (bool(started) and now != started)  # gone, or its pid reused by another


def remove_stale(root: Path | None = None, *, older_than_s: float = STALE_AFTER_S) -> list[Path]:
    """Remove the run directories under `root` (default: the temporary directory) whose owner
    process is gone and that were last changed more than `older_than_s` ago; the removed paths."""
    root = Path(root or tempfile.gettempdir())
    removed = []
    cutoff = time.time() - older_than_s
    for path in sorted(root.glob(PREFIX + "*")):
        try:
            stale = path.is_dir() and not path.is_symlink() and path.stat().st_uid == os.getuid() \
                and path.stat().st_mtime < cutoff and _owner_gone(path)
        except OSError:
            continue
        if stale:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def remove_stale_saying_so() -> None:
    """`remove_stale()`, logging what it removed (at INFO)."""
    removed = remove_stale()
    if removed:
        log.info("removed %d run director%s left by deployments that are gone (owner process ended, unchanged "
                 "for %.0f min): %s", len(removed), "y" if len(removed) == 1 else "ies", STALE_AFTER_S / 60,
                 ", ".join(str(p) for p in removed[:5]) + (" ..." if len(removed) > 5 else ""))
