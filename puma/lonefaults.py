"""An instance that answers 500 to every request while its peers serve theirs: taken out and replaced.

A bug only one instance hits — a file or an environment it alone sees, a cache it corrupted, a
connection it broke — passes every health check (the instance answers its liveness and readiness
checks) while every request Envoy sends it fails: with three instances, a third of the clients got
500s for as long as the deployment ran, and nothing said which instance. Envoy's own outlier
detection is no help here: it ejects on gateway errors only (`puma.envoy.cluster`), since a
service's 500 is usually its answer to that request, and ejecting on 500s would take out instances
of a service whose bug every instance hits, with nothing gained.

So each instance counts the requests in a row its service's code answered with a 5xx (an exception
it raised; not a 503 or 507, which say a part it needs is down or full: `puma.failing`) and
publishes the run on its busy board; a request served (2xx, 3xx) ends it. The supervisor looks
every second (`lone_failures`): an instance with `FAULTY_AFTER` such answers in a row while another
instance of its service served a request since that run began, and none raised the same kind of
exception meanwhile (then requests of some kind fail everywhere: no instance's fault), is faulty
*alone*. It is taken out
of Envoy at once, a replacement is started, and it drains and exits — said in the log (WARNING)
and as an event in `puma status`: `instance 2 answered 500 to its last 5 requests over 2 s
(RuntimeError: ...) while instances 1, 3 served theirs: out of Envoy, replaced, then drained`. When
every instance fails alike, nothing is replaced (a restart fixes no bug in the code).

The same holds for an instance that answers nothing in time: one whose oldest request has run past
its service's `timeout_s` (its client got Envoy's 504) and that served no request since that one
began, while a peer served one meanwhile (`slow_alone`: a lock it alone holds, a connection it alone
waits on). A service slow everywhere (a dependency down for all) has no peer serving: nothing is
replaced, and `puma status` says its threads are held (`puma.control`).

At most `MAX_REPLACED` such replacements per service in `WINDOW_S`: a fault that follows each new
instance is not one a replacement fixes; past that it is said once and left to the operator.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

from .busy import BusyBoard, Errors, board_path, read_errors, read_failing

log = logging.getLogger(__name__)

FAULTY_AFTER = 5  # 5xx answers in a row on one instance, while a peer serves
MAX_REPLACED = 3  # per service in WINDOW_S
WINDOW_S = 60.0
PART_DOWN = (503, 507)  # a part the service needs is down or full: `puma.failing` says those


# --- the instance's side ------------------------------------------------------------------------


class _Run:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.board: BusyBoard | None = None
        self.run = Errors()

    def answered(self, status: int, what: str) -> None:
        if status < 500 or status in PART_DOWN:
            return
        now = time.monotonic()
        with self.lock:
            run = self.run
            run.since = run.since if run.count else now
            run.count, run.last, run.what, run.status = run.count + 1, now, what, status
            if self.board is not None:
                self.board.errors(run)

    def served(self) -> None:
        if not self.run.count:  # the common case: nothing to write
            return
        with self.lock:
            # The run is over; its last 5xx stays: a peer's run of the same error is then no lone fault.
            self.run = Errors(last=self.run.last, what=self.run.what, status=self.run.status)
            if self.board is not None:
                self.board.errors(self.run)


_run = _Run()


def attach(board: BusyBoard) -> None:
    """Publish this instance's run of 500s on `board` (set once the instance is forked)."""
    _run.board = board


def answered(status: int, exc: BaseException) -> None:
    """The service's code raised `exc` and it was answered `status`: counted if it is a 5xx of its own."""
    first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
    _run.answered(status, f"{type(exc).__name__}: {first}" if first else type(exc).__name__)


def served() -> None:
    """A request was served (2xx, 3xx): a run of 500s, if any, is over."""
    _run.served()


# --- the supervisor's side ----------------------------------------------------------------------


def lone_failures(runs: Iterable[tuple[int, Errors, float]], now: float) -> list[tuple[int, str]]:
    """The instances failing alone, with why, from each instance's `(id, run of 500s, when it last
    served a request)`: `FAULTY_AFTER` 5xx in a row while a peer served one since the run began."""
    runs = list(runs)
    found = []
    for iid, run, _ok in runs:
        if run.count < FAULTY_AFTER:
            continue
        if any(i != iid and other.last >= run.since and _kind(other.what) == _kind(run.what) for i, other, _ok in runs):
            continue  # a peer raised the same meanwhile: requests of some kind fail everywhere, not one instance
        peers = sorted(i for i, _run, ok in runs if i != iid and ok > run.since)
        if not peers:
            continue  # every instance fails alike (or none was asked): a bug of the code, not of one instance
        names = ", ".join(str(i) for i in peers)
        found.append((iid, f"instance {iid} answered {run.status or 500} to its last {run.count} requests over "
                           f"{max(0.0, run.last - run.since):.0f} s ({run.what}) while instance{'s' if len(peers) > 1 else ''} "
                           f"{names} served theirs"))
    return found


def _kind(what: str) -> str:
    """The exception's type in a run's words ("RuntimeError: boom" -> "RuntimeError")."""
    return what.partition(":")[0]


SLOW_GRACE_S = 1.0  # past timeout_s: Envoy has answered the client 504 by then


def slow_alone(runs: Iterable[tuple[int, int, float, float, str]], timeout_s: float, now: float) -> list[tuple[int, str]]:
    """The instances answering nothing in time while a peer serves, with why, from each instance's
    `(id, requests running, seconds the oldest has run, when it last served one, what the oldest is)`."""
    runs = list(runs)
    found = []
    for iid, running, held_s, last_ok, what in runs:
        began = now - held_s
        if not running or held_s <= timeout_s + SLOW_GRACE_S or last_ok > began:
            continue
        peers = sorted(i for i, _r, _h, ok, _w in runs if i != iid and ok > began)
        if not peers:
            continue
        names = ", ".join(str(i) for i in peers)
        found.append((iid, f"instance {iid} answered none of its requests within timeout_s ({timeout_s:g} s) for "
                           f"{held_s:.0f} s ({running} running, the oldest {what or 'a request'}) "
                           f"while instance{'s' if len(peers) > 1 else ''} {names} served theirs"))
    return found


class LoneFaultWatch:
    """Looks at every service's instances (`look`, once a second) and replaces those failing alone."""

    def __init__(self, deployment: Any) -> None:
        self.d = deployment
        self._replaced: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)
        self._over_said: set[str] = set()

    def look(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        for name, pool in list(self.d.pools.items()):
            busy_dir = getattr(pool, "busy_dir", None)
            if busy_dir is None or self.d.stopping:
                continue
            own = [i for i in pool.ready() if not i.remote and not getattr(i, "container", None)]
            if len(own) < 2:
                continue  # no peer to compare with
            served = {i.id: read_failing(board_path(busy_dir, name, i.id)).last_ok for i in own}
            runs = [(i.id, read_errors(board_path(busy_dir, name, i.id)), served[i.id]) for i in own]
            slow = [(i.id, *pool.busy(i), served[i.id], pool.oldest_request(i)) for i in own]
            found = dict(slow_alone(slow, pool.service.timeout_s, now))
            found.update(lone_failures(runs, now))
            for iid, why in found.items():
                instance = next(i for i in own if i.id == iid)
                self._replace(name, pool, instance, why, now)

    def _replace(self, name: str, pool: Any, instance: Any, why: str, now: float) -> None:
        done = self._replaced[name]
        while done and now - done[0] > WINDOW_S:
            done.popleft()
        if len(done) >= MAX_REPLACED:
            if name not in self._over_said:
                self._over_said.add(name)
                message = (f"{why}; not replaced: {len(done)} instances were replaced for this within "
                           f"{WINDOW_S:.0f} s, so new instances fail too: see the service's log for the traceback")
                log.error("service %s: %s", name, message)
                self.d.record(name, message, kind="faulty_kept")
            return
        if pool.replace_faulty(instance, why):
            done.append(now)
            self._over_said.discard(name)
