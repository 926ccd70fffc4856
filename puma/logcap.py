"""A size cap on each service's log, so one chatty service cannot fill the disk.

A service's instances write their log (`<run dir>/logs/<service>.log`) straight to a file
descriptor they inherited from their zygote, opened for appending: their writes never pass through
the supervisor, so `logging`'s rotating handlers cannot bound them. Instead the supervisor looks at
each log's size every `CHECK_S` and, once it passes the service's `log_max_bytes`, moves the newest
`log_max_bytes` of it (from a line's start) to `<service>.log.1`, replacing the previous one, and
empties the log (logrotate's "copytruncate": appending writers carry on at its new end). A log so
takes at most twice its cap, plus what the service writes in `CHECK_S`. A service writing faster
than its cap holds a minute of is warned about once, in the supervisor's log and `puma status`'s
events: its older lines are being dropped. While the logs' filesystem has less free than a quarter
of its size or 128 MiB, whichever is smaller (a cap larger than the disk, or another writer), every
log is rotated at 1 MiB.

>>> cap = LogCap(deployment); cap.start()   # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import logging
import os
import time
from pathlib import Path
from typing import Any, Protocol

from . import guard

log = logging.getLogger(__name__)

DEFAULT_LOG_MAX_BYTES = 32 << 20
CHECK_S = 0.5
FAST_S = 60.0  # a log that fills its cap sooner than this is written faster than the cap allows
# The logs' filesystem with less free than the smaller of these: every log is rotated at
# LOW_SPACE_KEEP_BYTES (a cap larger than the disk would otherwise fill it before rotating).
LOW_FREE_FRACTION = 0.25
LOW_FREE_BYTES = 128 << 20
LOW_SPACE_KEEP_BYTES = 1 << 20
# Space kept allocated past each log's end (fallocate KEEP_SIZE): the disk filling up (often the very
# outage to record: the service's 507s, its store's errors) must not silence the log that says so.
# Appends use it up; each check tops it up while there is space. ~1,000 lines of ~250 bytes.
RESERVE_BYTES = 256 << 10
OTHER_LOGS = ("forkserver.log",)  # the deployment's own logs under logs/, capped at the default


class LogOwner(Protocol):
    run_dir: Path
    stopping: bool
    @property
    def pools(self) -> Any:  # {name: ServicePool}: each has `log_path` and `service.log_max_bytes`
        ...

    def record(self, service: str, message: str, **data: Any) -> None: ...


def rotate(path: Path, keep_bytes: int) -> int:
    """Move the newest `keep_bytes` of the log at `path` (from the first line that starts in them)
    to `path.1`, then empty `path`; the bytes the log had. A full disk still empties it (the `.1`
    copy is dropped): freeing space matters more than the older lines.

    >>> rotate(Path("/tmp/puma-x/logs/noisy.log"), 32 << 20)   # doctest: +SKIP
    41943040
    """
    older = path.with_name(path.name + ".1")
    tmp = path.with_name(f".{path.name}.1.tmp")
    with open(path, "rb") as src:
        size = os.fstat(src.fileno()).st_size
        start = max(0, size - keep_bytes)
        if start:
            src.seek(start - 1)
            head = src.read(min(size - start + 1, 1 << 16))
            cut = head.find(b"\n")
            start += cut if cut >= 0 else 0
        try:
            with open(tmp, "wb") as dst:
                src.seek(start)
                _copy(src.fileno(), dst.fileno(), size - start)
            os.replace(tmp, older)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            log.warning("log %s: could not keep its newest lines in %s (%s); emptied anyway", path, older.name, exc)
    os.truncate(path, 0)
    return size


_FALLOC_FL_KEEP_SIZE = 1  # linux/falloc.h: allocate without changing the file's size


def reserve(path: Path, nbytes: int) -> bool:
    """Allocate `nbytes` past the end of the file at `path`, its size unchanged, so that appends of
    up to that much succeed on a full disk; whether it could (not on a full disk, nor where the
    filesystem or the platform has no `fallocate`: then nothing is reserved, nothing fails)."""
    libc = _libc()
    if libc is None:
        return False
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    except OSError:
        return False
    try:
        size = os.fstat(fd).st_size
        return bool(libc.fallocate(fd, _FALLOC_FL_KEEP_SIZE, ctypes.c_int64(size), ctypes.c_int64(nbytes)) == 0)
    finally:
        os.close(fd)


@functools.cache
def _libc() -> Any:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
        return libc
    except (OSError, AttributeError):  # not Linux, or a libc without it
        return None


def _copy(src: int, dst: int, count: int) -> None:
    while count > 0:
        moved = os.copy_file_range(src, dst, min(count, 1 << 24))
        if moved == 0:
            return
        count -= moved


class LogCap:
    """Checks the deployment's logs every `check_s` and rotates each one past its cap (`rotate`)."""

    def __init__(self, owner: LogOwner, check_s: float = CHECK_S) -> None:
        self.owner = owner
        self.check_s = check_s
        self._since: dict[Path, float] = {}  # when each log was last emptied (or the cap started)
        self._warned: set[Path] = set()
        self._low = False  # the logs' filesystem was nearly full at the last check
        self._thread = guard.thread(self._run, name="puma-log-cap", stop=lambda: owner.stopping)

    def start(self) -> None:
        self._thread.start()

    def limits(self) -> dict[Path, tuple[str, int]]:
        """Each capped log: its service (or "") and its cap in bytes."""
        found = {pool.log_path: (name, pool.service.log_max_bytes) for name, pool in list(self.owner.pools.items())}
        for other in OTHER_LOGS:
            found.setdefault(self.owner.run_dir / "logs" / other, ("", DEFAULT_LOG_MAX_BYTES))
        return found

    def _run(self) -> None:
        while not self.owner.stopping:
            time.sleep(self.check_s)
            self.check(time.monotonic())

    def check(self, now: float) -> list[Path]:
        """Rotate each log past its cap; the logs rotated."""
        rotated = []
        low = self._low_on_space()
        for path, (service, cap) in self.limits().items():
            since = self._since.setdefault(path, now)
            limit = min(cap, LOW_SPACE_KEEP_BYTES) if low else cap
            with contextlib.suppress(FileNotFoundError):
                stat = path.stat()
                if stat.st_size <= limit:
                    if stat.st_blocks * 512 - stat.st_size < RESERVE_BYTES // 2:
                        reserve(path, RESERVE_BYTES)
                    continue
                size = rotate(path, limit)
                self._since[path] = now
                rotated.append(path)
                if now - since < FAST_S and size > cap and path not in self._warned:
                    self._warned.add(path)
                    self._warn(path, service, cap, size, now - since)
        return rotated

    def _low_on_space(self) -> bool:
        """Whether the logs' filesystem is nearly full (another writer, or a cap bigger than the disk):
        said once per episode."""
        try:
            fs = os.statvfs(self.owner.run_dir / "logs")
        except OSError:
            return False
        reserve = min(LOW_FREE_FRACTION * fs.f_blocks * fs.f_frsize, LOW_FREE_BYTES)
        low = fs.f_bavail * fs.f_frsize < reserve
        if low and not self._low:
            log.warning("the filesystem holding %s is nearly full (%.1f MiB free, under %.0f MiB): every log is "
                        "rotated at %d MiB until it has more", self.owner.run_dir / "logs",
                        fs.f_bavail * fs.f_frsize / (1 << 20), reserve / (1 << 20), LOW_SPACE_KEEP_BYTES >> 20)
        self._low = low
        return low

    def _warn(self, path: Path, service: str, limit: int, size: int, took_s: float) -> None:
        key = f"puma_services.{service}.log_max_bytes" if service else "the default log cap"
        message = (f"{path.name} grew to {size / (1 << 20):.1f} MiB in {took_s:.0f} s "
                   f"({_rate(size / max(took_s, 0.1))}), faster than its cap of {limit / (1 << 20):g} MiB "
                   f"holds a minute of: older lines are dropped (the newest are in {path.name} and {path.name}.1); "
                   f"log less, or raise {key} (this is said once)")
        log.warning("%s", message)
        self.owner.record(service or "puma", message, kind="log_capped")


def _rate(bytes_per_s: float) -> str:
    """"16.0 MiB/s", or "27 KiB/s" for a small cap's rate (never "0.0 MiB/s")."""
    return f"{bytes_per_s / (1 << 20):.1f} MiB/s" if bytes_per_s >= 1 << 20 else f"{bytes_per_s / 1024:.0f} KiB/s"
