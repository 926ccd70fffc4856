"""Supervisor threads that never die of an exception.

A supervisor thread that dies takes a duty with it for good, silently: with its run directory's
disk full (ENOSPC), the endpoint publisher died on its first write, then a service's event reader
died in the handler that published a dead instance, so the zygote's next death was never seen and
the service stayed down while clients were told to retry. So every supervisor thread runs its body
under `persist` (start it with `thread`): an exception is logged once per outage (the first of a
kind with its traceback, a reminder every `REMIND_S`, and the recovery with how long it lasted),
then the body runs again after a back-off that doubles from `FIRST_WAIT_S` to `MAX_WAIT_S`. A
body is written so that running it again carries on (a loop re-entered; a step that failed is
still due). `outages()` lists what is failing now, for `puma status`.

>>> t = thread(lambda: None, name="puma-example")   # doctest: +SKIP
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

FIRST_WAIT_S = 0.1
MAX_WAIT_S = 2.0
STALE_S = 3 * MAX_WAIT_S  # an outage with no failure for this long is over (see `outages`)
REMIND_S = 60.0  # a failure that lasts is logged again this often (with how many times it failed)

_lock = threading.Lock()
_current: dict[int, Outage] = {}  # the outages in progress, by id: what `outages` reports


class Outage:
    """Logs a loop's failures once per outage, not once per try: the first failure of a kind with
    its traceback (none for an `expected` type: `expected_kind` names it), a different one when it
    changes, a reminder every `REMIND_S`, and on recovery how many tries failed for how long
    (Envoy restarting made the autoscaler log 224 tracebacks in 27 s)."""

    def __init__(self, what: str, *, expected: tuple[type[BaseException], ...] = (),
                 expected_kind: str | None = None, unit: str = "tries") -> None:
        self.what, self.unit = what, unit
        self.expected, self.expected_kind = expected, expected_kind
        self.kind: str | None = None  # the failure being repeated: its type and message
        self.message = ""
        self.count = 0
        self.since = self.last = 0.0
        self._reminded = 0.0

    def failed(self, exc: BaseException) -> None:
        message = f"{type(exc).__name__}: {exc}"
        expected = isinstance(exc, self.expected)
        kind = self.expected_kind if expected and self.expected_kind else message
        now = time.monotonic()
        if self.count and now - self.last >= STALE_S:  # quiet that long: that outage was over
            self.recovered()
        if self.count == 0:
            self.since = self._reminded = now
            with _lock:
                _current[id(self)] = self
        self.count += 1
        self.message, self.last = message, now
        if kind != self.kind:
            self.kind = kind
            log.warning("%s failed (logged once until it recovers): %s", self.what, message,
                        exc_info=None if expected or isinstance(exc, OSError) else exc)
        elif now - self._reminded >= REMIND_S:
            self._reminded = now
            log.warning("%s still failing: %d %s in %.0f s; last: %s", self.what, self.count, self.unit,
                        now - self.since, message)

    def recovered(self) -> None:
        if self.count:
            log.warning("%s recovered after %d failed %s in %.1f s", self.what, self.count, self.unit,
                        time.monotonic() - self.since)
            self.kind, self.count = None, 0
            with _lock:
                _current.pop(id(self), None)


def outages() -> list[dict[str, Any]]:
    """What supervisor threads are failing now (failed within `STALE_S`: a thread whose whole loop
    was run again cannot say it recovered): ``[{"what", "error", "tries", "since_s"}]``."""
    now = time.monotonic()
    with _lock:
        current = [o for o in _current.values() if now - o.last < STALE_S]
    return [{"what": o.what, "error": o.message, "tries": o.count, "since_s": round(now - o.since, 1)}
            for o in current]


def _expected_failures() -> tuple[type[BaseException], ...]:
    # http.client (and the email package under it, ~0.2 s) is loaded by the supervisor's duties
    # that use it, not by every process that imports the mesh client.
    import http.client

    return (OSError, http.client.HTTPException)


def persist(what: str, body: Callable[..., T], *args: Any, stop: Callable[[], bool] = lambda: False,
            first_wait_s: float = FIRST_WAIT_S, max_wait_s: float = MAX_WAIT_S,
            give_up_after_s: float | None = None) -> T | None:
    """`body(*args)`'s result, running it again after each exception (logged by an `Outage`) with a
    back-off from `first_wait_s` doubling to `max_wait_s`; None once `stop()` is true after a failure.
    With `give_up_after_s`, a failure that late is raised (the service is failed: down until an operator restarts it).

    >>> persist("write endpoints", write, stop=lambda: deployment.stopping)   # doctest: +SKIP
    """
    outage = Outage(what, expected=_expected_failures())
    wait_s = first_wait_s
    started = time.monotonic()
    while True:
        try:
            result = body(*args)
        except Exception as exc:  # noqa: BLE001 - the point: a supervisor duty must not end here
            outage.failed(exc)
            if give_up_after_s is not None and time.monotonic() - started >= give_up_after_s:
                outage.recovered()  # over: the caller reports it for good
                raise
            if stop():
                outage.recovered()
                return None
            time.sleep(wait_s)
            wait_s = min(wait_s * 2, max_wait_s)
            if stop():
                outage.recovered()
                return None
            continue
        outage.recovered()
        return result


def thread(target: Callable[..., object], *args: Any, name: str, stop: Callable[[], bool] = lambda: False,
           retry: bool = True, loop: bool = False, daemon: bool = True) -> threading.Thread:
    """A (not yet started) thread running `target(*args)` under `persist` (`retry`), or once with
    any exception logged (not `retry`: a one-shot task that must not run twice). With `loop`,
    `target` is one step, run again and again until `stop()`: a step that succeeds after failures
    ends the outage (logged, and gone from `outages`)."""
    if loop:
        return threading.Thread(target=_steps, args=(name, target, stop, *args), daemon=daemon, name=name)
    if retry:
        return threading.Thread(target=persist, args=(name, target, *args), kwargs={"stop": stop},
                                daemon=daemon, name=name)
    return threading.Thread(target=_once, args=(name, target, *args), daemon=daemon, name=name)


def later(delay_s: float, target: Callable[..., object], *args: Any, name: str) -> threading.Timer:
    """A started daemon timer running `target(*args)` once after `delay_s`, any exception logged."""
    timer = threading.Timer(delay_s, _once, args=(name, target, *args))
    timer.daemon = True
    timer.name = name
    timer.start()
    return timer


def _once(name: str, target: Callable[..., object], *args: Any) -> None:
    try:
        target(*args)
    except Exception:  # noqa: BLE001 - logged: an uncaught one would only print to stderr
        log.exception("%s failed", name)


def _steps(name: str, step: Callable[..., object], stop: Callable[[], bool], *args: Any) -> None:
    outage = Outage(name, expected=_expected_failures())
    wait_s = FIRST_WAIT_S
    while not stop():
        try:
            step(*args)
        except Exception as exc:  # noqa: BLE001 - the point: a supervisor duty must not end here
            outage.failed(exc)
            time.sleep(wait_s)
            wait_s = min(wait_s * 2, MAX_WAIT_S)
            continue
        outage.recovered()
        wait_s = FIRST_WAIT_S
    outage.recovered()
