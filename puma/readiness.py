"""An instance's readiness: is what it needs (its database, a remote API) reachable now?

Liveness (is the process running, is its interpreter free) and readiness are different questions
(Kubernetes asks them with two probes): a store that is down makes an instance *unready*, and
restarting it would not bring the store back; it only throws away warm caches, and a store that
flaps would restart every instance. So a service's `readiness` check is run on a thread of each
instance (`Probe`), every `period_s` and never longer than `timeout_s` (a check stuck on a dead
host answers "did not answer within 1 s"); its last result is cached, so Envoy's health check and
every request read it without waiting. A not-ready instance:

- answers Envoy's health check 503 (`puma.worker`): Envoy routes around it; the health monitor
  sees it *answered* (failure type ACTIVE) and never kills it for that (`puma.health`);
- answers a request 503 + Retry-After naming the service and the reason, before the service runs
  (`refusal`), with `x-puma-not-ready: true`, on which Envoy re-sends the request to another
  instance (it was not acted on). When every instance is unready (Envoy then routes to all of
  them), the client gets that JSON 503 at once, never a hang.

>>> probe = Probe(lambda: None, period_s=2.0, timeout_s=1.0)
>>> probe.refresh()
>>> probe.state()
(True, '')
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from .unavailable import clip, name_databases_if_loaded, unavailable

log = logging.getLogger(__name__)

NOT_READY_HEADER = "x-puma-not-ready"  # on a refusal of a not-ready instance: safe to send elsewhere


FIRST_CHECK_TIMEOUT_S = 30.0  # the first run may build what it checks (imports, a connection pool)


class Probe:
    """Runs `check()` every `period_s` (each run bounded by `timeout_s`) and caches whether it passed.

    `check` returns None or True (ready), False (not ready), or raises (not ready; the exception is
    the reason). `state()` never blocks: `(ready, reason)` as of the last run; before the first run
    ends, the instance counts as ready (a check that takes a while must not hold back start-up —
    the first run starts with the instance, see `start`). That first run often builds what it
    checks (imports, a store's engine), which on a busy machine takes longer than `timeout_s`: it
    gets `first_timeout_s` (default 30 s) before it counts as "did not answer", so a slow start is
    not reported as an outage (the survey's store check at every `make run` was). A later run that
    does not answer within `timeout_s` counts only once `failure_threshold` runs in a row have not
    (Kubernetes' failureThreshold): on a loaded machine a healthy store's check is late on every
    instance at once, and one late check must not take a whole service out. A check that *answers*
    "not ready" counts at once, unless it failed by a timeout of its own (a `TimeoutError`, or an
    exception raised from one): that is lateness too, and counts as a run that did not answer.
    """

    def __init__(self, check: Callable[[], Any], *, period_s: float, timeout_s: float,
                 first_timeout_s: float | None = None, failure_threshold: int = 1, name: str = "") -> None:
        self.check, self.period_s, self.timeout_s = check, period_s, timeout_s
        self.failure_threshold = max(1, failure_threshold)
        self.name = name  # its import path, said in every reason: what was slow, or what failed
        self._misses = 0  # later runs in a row that did not answer within timeout_s
        self.first_timeout_s = max(timeout_s, FIRST_CHECK_TIMEOUT_S if first_timeout_s is None else first_timeout_s)
        self._ready, self._reason = True, ""
        self._finished_once = False  # a run has answered (the first may build what it checks)
        self._running: threading.Thread | None = None  # the run in progress (may be stuck past its timeout)
        self._running_since = 0.0
        self._stop = threading.Event()
        self.checked_at = 0.0  # monotonic time of the last finished (or timed-out) run
        self.passed_once = False  # a run has passed: before, a failing check is a wait, not an outage
        self.last_reason = ""  # why it last failed, kept once it passes again (the supervisor's event says it)
        self.board: Any = None  # the instance's busy board (`puma.busy`), set once forked: where both are published

    def start(self) -> None:
        """Run the check now (waiting at most `timeout_s` for it, so the first answer Envoy gets
        is already the check's: a service whose dependency is down at start is seen *waiting*, not
        as ready and then lost), then every `period_s` on a daemon thread (call it in the
        instance, after the fork: threads do not survive one)."""
        self.refresh()
        threading.Thread(target=self._loop, daemon=True, name="puma-readiness").start()

    def stop(self) -> None:
        self._stop.set()

    def state(self) -> tuple[bool, str]:
        """`(ready, reason)` from the last run; reason is '' when ready."""
        return self._ready, self._reason

    def refresh(self) -> None:
        """Run the check once (at most `timeout_s`) and cache its verdict."""
        if self._running is not None and self._running.is_alive():
            # The last run is still going: don't pile up threads.
            self._not_answered()
            return
        outcome: list[tuple[bool, str, bool]] = []
        runner = threading.Thread(target=lambda: outcome.append(self._run_once()), daemon=True,
                                  name="puma-readiness-check")
        self._running, self._running_since = runner, time.monotonic()
        runner.start()
        runner.join(self.timeout_s)
        if not outcome:
            self._not_answered()
            return
        self._finished_once = True
        ready, reason, late = outcome[0]
        if not late:
            self._misses = 0
            self._set(ready, reason)
            return
        # The check answered that what it checks was too slow (a timeout of its own): as a check
        # that did not answer, on a loaded machine it is late once on every instance, not down.
        self._misses += 1
        if self._misses < self.failure_threshold:
            log.info("the readiness check%s timed out (%d of %d in a row before not ready): %s",
                     self._named(), self._misses, self.failure_threshold, reason)
            return
        self._set(False, reason + (f" ({self._misses} times in a row)" if self._misses > 1 else ""))

    def _not_answered(self) -> None:
        """The run in progress has not answered: the first may take `first_timeout_s` (the state
        stays as it is meanwhile), any later one `timeout_s`."""
        first = not self._finished_once
        if first and time.monotonic() - self._running_since < self.first_timeout_s:
            return
        if not first:
            self._misses += 1
            if self._misses < self.failure_threshold:
                log.info("the readiness check%s did not answer within %g s (%d of %d in a row before not ready)",
                         self._named(), self.timeout_s, self._misses, self.failure_threshold)
                return
        times = f", {self._misses} times in a row" if not first and self._misses > 1 else ""
        self._set(False, f"the readiness check{self._named()} did not answer within "
                         f"{self.first_timeout_s if first else self.timeout_s:g} s{times}")

    def _named(self) -> str:
        return f" {self.name}" if self.name else ""

    def _run_once(self) -> tuple[bool, str, bool]:
        """`(ready, reason, late)`: late when the check failed by a timeout of its own."""
        try:
            name_databases_if_loaded()  # a database that fails the check is named (the check may load SQLAlchemy)
            result = self.check()
        except BaseException as exc:  # noqa: BLE001 - any failure (even SystemExit) is why it is not ready
            why = describe(exc)
            reason = why if unavailable(exc) is not None or not self.name else f"{why} (readiness check {self.name})"
            return False, reason, timed_out(exc)
        if result is False:
            return False, f"its readiness check{self._named()} returned False", False
        return True, "", False

    def _set(self, ready: bool, reason: str) -> None:
        reason = clip(reason)  # before comparing: a long reason is the same one every check
        changed = ready != self._ready or reason != self._reason
        if changed:
            self._say(ready, reason)
        first_pass = ready and not self.passed_once
        self._ready, self._reason = ready, reason
        self.passed_once = self.passed_once or ready
        self.last_reason = reason or self.last_reason
        self.checked_at = time.monotonic()
        if (changed or first_pass) and self.board is not None:
            self.board.readiness(self.passed_once, self.last_reason)

    def _say(self, ready: bool, reason: str) -> None:
        # Before its first pass the instance waits (start-up: what it needs is being prepared); only
        # one that was ready is "not ready" (WARNING) and, after, "ready again".
        if ready:
            (log.warning if self.passed_once else log.info)(
                "ready again" if self.passed_once else "ready: its readiness check passes")
        elif self.passed_once:
            log.warning("not ready: %s", reason)
        else:
            log.info("waiting for its readiness check to pass: %s", reason)

    def _loop(self) -> None:
        while not self._stop.wait(self.period_s):  # `start` ran the first
            try:
                self.refresh()
            except Exception:  # noqa: BLE001 - the loop must outlive any one failure
                log.exception("readiness check loop")


def timed_out(exc: BaseException) -> bool:
    """Whether `exc` is, or was raised from, a `TimeoutError` (a socket's or a client's timeout):
    slow, not refused. A check that wraps one keeps it as the cause (`raise Down(...) from error`)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, TimeoutError):
            return True
        seen.add(id(current))
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return False


def describe(exc: BaseException) -> str:
    """A failed check's reason: the store it names and why (`puma.unavailable`), else the exception."""
    down = unavailable(exc)
    if down is not None:
        store, why, _retry = down
        return f"{store} is unreachable: {why}"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def refusal(service: str, reason: str, retry_after_s: float) -> tuple[int, dict[str, Any]]:
    """The 503 a not-ready instance answers a request with: `(status, body)`."""
    return 503, {"error": f"service {service!r} is not ready: {reason}; retry after the time in Retry-After",
                 "status": 503, "service": service, "reason": reason, "retry_after_s": retry_after_s}
