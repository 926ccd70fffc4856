"""How busy each instance's request threads are, shared with the supervisor through a tiny file.

Envoy's in-flight gauge forgets a request once Envoy gave up on it (its `timeout_s` passed), but
the handler may still hold a thread: waiting on a dependency that is down, say. An instance whose
every thread is held so serves nothing, while Envoy reports it idle and healthy. So each instance
publishes, in a 16-byte file of its own (`<run dir>/busy/<service>.<instance id>`), how many of
its threads run a request and since when the oldest has run; the instance updates it as requests
start and end (a `pwrite`), and the supervisor reads it when it looks (status, autoscaler). Nothing
polls, nothing is sent.

An instance whose threads are *all* held past its service's `timeout_s` plus `STUCK_GRACE_S` is
stuck: it fails its liveness check (see `puma.worker`), so Envoy stops routing to it and the
supervisor replaces it, as it does a hung process.
"""

from __future__ import annotations

import os
import struct
import time
from dataclasses import dataclass
from pathlib import Path

STUCK_GRACE_S = 5.0  # past the service's timeout_s: every caller has been answered 504 by then
# When the oldest request began (CLOCK_MONOTONIC, s: one clock for every process of the host, and
# never stepped, so a clock change never makes an instance look stuck; 0: none), requests running.
_LAYOUT = struct.Struct("<dI4x")
# Then what the oldest request is ("POST /listener", UTF-8, NUL-padded): a stop names what it waits for.
_WHAT = struct.Struct("112s")
# Then a part it needs failing its requests (`puma.failing`): since when and the last failure and
# the last request served (CLOCK_MONOTONIC, s), how many failed in a row, the status they were
# answered, and the service's own words (UTF-8).
_FAILING = struct.Struct("<dddIH2x352s")
_FAILING_AT = _LAYOUT.size + _WHAT.size
# Then its readiness check (`puma.readiness`): whether it has ever passed, and the last reason it
# failed, in the instance's own words (UTF-8): the supervisor's event says them, however late it asks.
_READINESS = struct.Struct("<?7x504s")
_READINESS_AT = _FAILING_AT + _FAILING.size
# Then when it last answered a liveness check (CLOCK_MONOTONIC, s; 0: never): a hung instance's
# event says how long it has really been silent, not the check's timeout.
_ANSWERED = struct.Struct("<d")
_ANSWERED_AT = _READINESS_AT + _READINESS.size
# Then its run of requests answered 500 by the service's own code (`puma.lonefaults`): since when,
# the last of them (CLOCK_MONOTONIC, s), how many in a row, the last one's status, and what was raised (UTF-8).
_ERRORS = struct.Struct("<ddIH2x232s")
_ERRORS_AT = _ANSWERED_AT + _ANSWERED.size


def board_path(busy_dir: Path | str, service: str, instance_id: int) -> Path:
    """The file instance `instance_id` of `service` publishes its busy threads in."""
    return Path(busy_dir) / f"{service}.{instance_id}"


class BusyBoard:
    """The instance's side: `publish(running, oldest_started_at, oldest_what)` after each change."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        self.publish(0, 0.0)
        self.failing(Failing())
        self.readiness(False, "")
        self.answered(0.0)
        self.errors(Errors())  # its whole size now: later writes need no new space (a full disk)

    def publish(self, running: int, oldest_started_at: float, oldest_what: str = "") -> None:
        try:
            os.pwrite(self.fd, _LAYOUT.pack(oldest_started_at, running) + _WHAT.pack(oldest_what.encode()[:_WHAT.size]), 0)
        except OSError:
            pass  # the run dir went away (a stop): nothing reads it any more

    def failing(self, run: Failing) -> None:
        """The run of requests this instance failed on a part it needs (`puma.failing`), as it is now."""
        try:
            os.pwrite(self.fd, _FAILING.pack(run.since, run.last, run.last_ok, run.count, run.status,
                                             run.what.encode()[:_FAILING.size - 32]), _FAILING_AT)
        except OSError:
            pass  # as above

    def readiness(self, passed_once: bool, last_reason: str) -> None:
        """Its readiness check has passed at least once (else it waits at start), and why it last failed."""
        try:
            os.pwrite(self.fd, _READINESS.pack(passed_once, last_reason.encode()[:_READINESS.size - 8]), _READINESS_AT)
        except OSError:
            pass  # as above

    def answered(self, at: float) -> None:
        """This instance answered a liveness check at `at` (monotonic)."""
        try:
            os.pwrite(self.fd, _ANSWERED.pack(at), _ANSWERED_AT)
        except OSError:
            pass  # as above

    def errors(self, run: Errors) -> None:
        """Its run of requests answered 500 by the service's own code (`puma.lonefaults`), as it is now."""
        try:
            os.pwrite(self.fd, _ERRORS.pack(run.since, run.last, run.count, run.status,
                                            run.what.encode()[:_ERRORS.size - 24]), _ERRORS_AT)
        except OSError:
            pass  # as above

    def served(self, at: float) -> None:
        """This instance served a request at `at` (monotonic): only that field of its failing run."""
        try:
            os.pwrite(self.fd, struct.pack("<d", at), _FAILING_AT + 16)
        except OSError:
            pass  # as above


@dataclass
class Failing:
    """An instance's run of requests failed on a part it needs (times: CLOCK_MONOTONIC, s; 0: never)."""

    count: int = 0  # failed in a row; 0: none fails
    since: float = 0.0  # the first of them
    last: float = 0.0  # the latest of them
    last_ok: float = 0.0  # the latest request it served
    status: int = 0  # what they were answered (507, 503)
    what: str = ""  # the service's own words: "the database is full"


@dataclass
class Errors:
    """An instance's run of requests its service's code answered 500 (CLOCK_MONOTONIC, s; 0: never)."""

    count: int = 0  # in a row; 0: its last request was served
    since: float = 0.0  # the first of them
    last: float = 0.0  # the latest of them (kept once a request is served again: when it last answered one)
    what: str = ""  # what was raised last: "RuntimeError: a bug only this instance hits"
    status: int = 0  # what the last was answered: 500 (a bug), 504 (its deadline passed)...


def read_errors(path: Path) -> Errors:
    """An instance's run of 500s as it published it; an empty one if unknown."""
    try:
        with open(path, "rb") as f:
            f.seek(_ERRORS_AT)
            since, last, count, status, what = _ERRORS.unpack(f.read(_ERRORS.size))
    except (OSError, struct.error):
        return Errors()
    return Errors(count, since, last, bytes(what).rstrip(b"\0").decode(errors="replace"), status)


def read_failing(path: Path) -> Failing:
    """An instance's run of failed requests as it published it; an empty one if unknown.
    Example: ``read_failing(p).count`` -> 12."""
    try:
        with open(path, "rb") as f:
            f.seek(_FAILING_AT)
            since, last, last_ok, count, status, what = _FAILING.unpack(f.read(_FAILING.size))
    except (OSError, struct.error):
        return Failing()
    return Failing(count, since, last, last_ok, status, bytes(what).rstrip(b"\0").decode(errors="replace"))


def read_readiness(path: Path) -> tuple[bool, str] | None:
    """`(passed once, the last reason it failed)` of an instance's readiness check; None if unknown
    (no such board). Example: ``read_readiness(p)`` -> ``(True, "the database is unreachable: ...")``."""
    try:
        with open(path, "rb") as f:
            f.seek(_READINESS_AT)
            passed, reason = _READINESS.unpack(f.read(_READINESS.size))
    except (OSError, struct.error):
        return None
    return bool(passed), bytes(reason).rstrip(b"\0").decode(errors="replace")


def last_answered(path: Path) -> float | None:
    """When the instance last answered a liveness check (monotonic, s); None if never or unknown."""
    try:
        with open(path, "rb") as f:
            f.seek(_ANSWERED_AT)
            (at,) = _ANSWERED.unpack(f.read(_ANSWERED.size))
    except (OSError, struct.error):
        return None
    return at if at > 0 else None


def read(path: Path) -> tuple[int, float]:
    """`(requests running, seconds the oldest has run)` of an instance; `(0, 0.0)` if unknown.
    Example: ``read(board_path(run_dir / "busy", "slow", 1))`` -> ``(2, 61.5)``."""
    try:
        with open(path, "rb") as f:
            oldest, running = _LAYOUT.unpack(f.read(_LAYOUT.size))
    except (OSError, struct.error):
        return 0, 0.0
    return running, (max(0.0, time.monotonic() - oldest) if running and oldest else 0.0)


def oldest_request(path: Path) -> str:
    """What the oldest request running in an instance is ("POST /listener"); '' if none or unknown."""
    try:
        with open(path, "rb") as f:
            f.seek(_LAYOUT.size)
            (what,) = _WHAT.unpack(f.read(_WHAT.size))
    except (OSError, struct.error):
        return ""
    return bytes(what).rstrip(b"\0").decode(errors="replace")
