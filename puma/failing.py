"""A part a service needs failing its requests (a full disk, a read-only or unreachable database):
seen by the instance, shown by `puma status`, `/_puma/status` and the dashboard as *degraded*.

Such an instance answers every request a precise 507 or 503 (`puma.serving`), and its readiness
check may well pass (reads work, writes fail): the operator saw "3/3" and nothing else. So each
instance counts the requests in a row that failed on a part it needs, with the service's own words
(`failed`); a request that succeeds (2xx, 3xx: a refused 4xx says nothing of the part) ends the run
(`succeeded`). The count goes to the supervisor on
the instance's busy board (`puma.busy`, a `pwrite` into a file that already has its size: no disk
space needed). The supervisor calls a service *degraded* once `DEGRADED_AFTER` of its requests in a
row, whichever instances answered them, failed on it (`degraded`): one failure among successes is
not that, and a request any instance of it served since ends it (an instance no longer asked keeps no run).
Readiness does not change (a restart would not free the disk; Envoy keeps routing), so it never flaps.

>>> # failed(507, "the chatbot's database is full"); ... three times -> `puma status`:
>>> #   degraded: agent: the chatbot's database is full: instances 1, 2: 3 requests in a row answered 507 ...
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterable
from typing import Any

from .busy import BusyBoard, Failing, board_path, read_failing

log = logging.getLogger(__name__)

DEGRADED_AFTER = 3  # requests in a row failed on the same kind of fault (one among successes is noise)


class _Run:
    """This instance's current run of requests failed on a part it needs, published on its board."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.board: BusyBoard | None = None
        self.run = Failing()

    def failed(self, status: int, what: str) -> None:
        now = time.monotonic()
        with self.lock:
            run = self.run
            run.since = run.since if run.count else now
            run.count, run.last, run.status, run.what = run.count + 1, now, status, what
            if self.board is not None:
                self.board.failing(run)

    def succeeded(self) -> None:
        now = time.monotonic()
        if not self.run.count:  # the common case: no lock, one 8-byte write
            self.run.last_ok = now
            if self.board is not None:
                self.board.served(now)
            return
        with self.lock:
            self.run = Failing(last_ok=now)
            if self.board is not None:
                self.board.failing(self.run)


_run = _Run()


def attach(board: BusyBoard) -> None:
    """Publish this instance's failing run on `board` (set once the instance is forked)."""
    _run.board = board


def failed(status: int, what: str) -> None:
    """A request was answered `status` because a part it needs failed: `what`, the service's own words."""
    _run.failed(status, what)


def succeeded() -> None:
    """A request was served: a run of failures, if any, is over."""
    _run.succeeded()


def degraded(runs: Iterable[tuple[int, Failing]]) -> str | None:
    """Why a service is degraded, from each of its instances' `(id, run)` (`puma.busy.read_failing`),
    or None. Counted per service, as its clients see it: the failures in a row are every instance's
    failures since any instance of it last served a request (a run that began before that success
    is not all in a row, and is left out), so with 3 instances the 3rd failed request in a row makes
    it degraded, not the 9th, and the count said grows with each. Example: ``"the database is full:
    instances 1, 2: 12 requests in a row answered 507 over 40 s, the last 2 s ago"``."""
    runs = list(runs)
    served = max((run.last_ok for _i, run in runs), default=0.0)
    failing = [(i, run) for i, run in runs if run.count and run.since > served]
    count = sum(run.count for _i, run in failing)
    if count < DEGRADED_AFTER:
        return None
    worst = max((run for _i, run in failing), key=lambda run: run.count)
    since = min(run.since for _i, run in failing)
    last = max(run.last for _i, run in failing)
    ids = ", ".join(str(i) for i, _run in sorted(failing, key=lambda f: f[0]))
    now = time.monotonic()
    return (f"{worst.what}: instance{'s' if len(failing) > 1 else ''} {ids}: {count} requests in a row answered "
            f"{worst.status} over {max(0.0, last - since):.0f} s, the last {max(0.0, now - last):.0f} s ago")


def of_pool(pool: Any) -> str | None:
    """Why the service of `pool` (a `puma.instances.ServicePool`) is degraded now, or None: read
    from its own instances' busy boards (a worker host's or a container's are not read here)."""
    busy_dir = getattr(pool, "busy_dir", None)
    if busy_dir is None:
        return None
    with pool.lock:
        own = [i.id for i in pool.instances.values() if i.state == "ready" and not i.remote and not i.container]
    return degraded((i, read_failing(board_path(busy_dir, pool.name, i))) for i in own)


def gist(reason: Any) -> str:
    """A degraded reason without which instances and its figures: a count that grows is no new event."""
    return re.sub(r"\d+(?:[.:]\d+)*", "N", re.sub(r": instances? [\d, ]+:", ":", str(reason)))


def say_changes(deployment: Any, said: dict[str, str], now: dict[str, str | None]) -> None:
    """Record (once per change) that a service became degraded, or is no longer: `said` holds what
    was said last per service; `now` each service's reason or None."""
    for service, why in now.items():
        before = said.get(service)
        if why is not None and (before is None or gist(before) != gist(why)):
            said[service] = why
            log.warning("service %s: degraded: %s", service, why)
            deployment.record(service, f"degraded: {why}", kind="degraded")
        elif why is None and before is not None:
            del said[service]
            log.info("service %s: no longer degraded: its requests succeed again (was: %s)", service, before)
            deployment.record(service, "no longer degraded: its requests succeed again", kind="recovered")
