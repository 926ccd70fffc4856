"""Which instances are hung, learnt from Envoy's own active health checks — PUMA probes nothing.

Envoy checks each instance every `health_check.interval_s` (default 10 s) by asking for its
liveness answer, which an instance serves on a thread of its own (`puma.liveness`):
a busy instance answers at once, a hung one (stopped, or stuck in a call that holds the
interpreter) does not. After `unhealthy_threshold` failures in a row Envoy stops routing to it
and writes an event, as a JSON line, to a named pipe (the health checks' `event_logger`); this
module reads that pipe on one thread that sleeps until a line comes, and evicts a hung instance
(see below): killed, so its exit brings a replacement — or, on a worker host, replaced by that host when it
next reports (see `puma.workers`).

What the rest of health costs nothing while idle either: a process exit is reported by its zygote
the moment it happens (`puma.zygote`), an instance joins Envoy when it says it serves, and a
worker host that stops reporting is dropped after `puma.workers.EXPIRE_S`.

Busy is not hung. An instance that fails its checks is out of Envoy's routing at once (ejected),
but it is killed only when it is *hung*: it made no CPU progress between two failed checks
(stopped, deadlocked, waiting forever), as its backend counts CPU (`puma.activity`: `utime + stime`
in `/proc/<pid>/stat` for a process, its cgroup's CPU accounting for a container). One that
computes (a C call holding the interpreter, say 20 s of regex backtracking) is *busy*: it is kept,
still checked every second, routed to again when it answers, and killed only once it has failed for
longer than its service's `timeout_s` (its callers have given up by then). A worker host's
instance (nothing of it to read here) is replaced as soon as it fails `unhealthy_threshold` checks.

Envoy's first check of a new instance, made as soon as it joins, passes in a few milliseconds;
its `add_healthy_event` tells the status sampler when a service was first routed to. An instance
Envoy never found healthy is never ejected (it never joined): its failed checks are counted from
their events instead, and it is replaced after `unhealthy_threshold` of them in a row.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import guard, silence
from .activity import PROCESSES, Progress
from .busy import STUCK_GRACE_S, board_path, last_answered, read_readiness
from .config import LIVENESS_PATH

log = logging.getLogger(__name__)

_STOP = b'{"puma": "stop"}\n'
BUSY_CPU_FRACTION = 0.05  # of the time between two failed checks: below it, the instance is hung
# The shortest span CPU progress is judged over: a live process starved by a loaded machine (load 16
# on 2 cores) still gets ~1/8 of a CPU a second, far above BUSY_CPU_FRACTION; over a shorter span a
# burst of events (Envoy's checks and the supervisor's own probes, puma.silence) could catch it unlucky.
MIN_LOOK_S = 1.0


@dataclass
class Failing:
    """An instance failing its checks in a row: since when, and its CPU time at the last failure."""

    since: float  # the last check it answered (its board says), else when the first missed one was sent
    count: int = 0
    missed: float = 0.0  # when the first check it missed was sent: the silence measured
    cpu_s: float | None = None
    cpu_at: float = 0.0
    busy: bool = False  # computing at the last look (kept, not killed)


class EventPipe:
    """A named pipe Envoy writes health events to, read line by line on a thread of its own.

    Opened for reading *and* writing, so it never reads end-of-file (Envoy may open and close
    it) and `stop()` can wake the reader with a line of its own.
    """

    def __init__(self, path: Path, on_event: Callable[[dict[str, Any]], None]) -> None:
        self.path = path
        self.on_event = on_event
        self.fd = -1
        self.thread = guard.thread(self._read, name="puma-health-events", stop=lambda: self.fd < 0)

    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.unlink(missing_ok=True)
        os.mkfifo(self.path, 0o600)
        self.fd = os.open(self.path, os.O_RDWR)
        self.thread.start()

    def stop(self) -> None:
        if self.fd < 0:
            return
        if self.thread.is_alive():
            os.write(self.fd, _STOP)
            self.thread.join(timeout=2.0)
        os.close(self.fd)
        self.fd = -1

    def _read(self) -> None:
        pending = b""
        while True:
            *lines, pending = (pending + os.read(self.fd, 65536)).split(b"\n")
            for line in lines:
                if line + b"\n" == _STOP:
                    return
                try:
                    event = json.loads(line)
                except ValueError:
                    log.warning("unreadable health event from Envoy: %r", line[:200])
                    continue
                try:
                    self.on_event(event)
                except Exception:  # noqa: BLE001 - one bad event must not stop the reader
                    log.exception("health event %r failed", event)


def event_address(event: dict[str, Any]) -> str | None:
    """'host:port' of the instance an Envoy health event is about."""
    socket_address = (event.get("host") or {}).get("socket_address") or {}
    if "address" not in socket_address:
        return None
    return f"{socket_address['address']}:{socket_address.get('port_value', 0)}"


def stuck(pool: Any, instance: Any) -> str | None:
    """Why `instance` is stuck (every request thread held past timeout_s + grace: see `puma.busy`), or None."""
    if instance is None or not hasattr(pool, "busy"):
        return None
    running, held_s = pool.busy(instance)
    svc = pool.service
    if running < svc.threads or held_s <= svc.timeout_s + STUCK_GRACE_S:
        return None
    return (f"stuck: all {svc.threads} request threads held by handlers for {held_s:.0f} s, past timeout_s "
            f"{svc.timeout_s:g} s + {STUCK_GRACE_S:g} s")


class HealthMonitor:
    """Acts on Envoy's health events for a deployment: evicts what Envoy found hung."""

    def __init__(self, deployment: Any, path: Path) -> None:
        self.d = deployment
        self.pipe = EventPipe(path, self.on_event)
        self.path = path
        self.failing: dict[str, Failing] = {}  # address -> its failed checks in a row
        self.unready: dict[str, str] = {}  # address of an instance answering "not ready" -> the gist last said
        self.lock = threading.RLock()  # Envoy's events and the supervisor's own probes (puma.silence) both judge
        self.watch = True  # probe a silent instance (puma.silence); off in unit tests of events alone
        self.watched: set[str] = set()  # addresses probed now, one thread each

    def start(self) -> None:
        self.pipe.start()

    def stop(self) -> None:
        self.pipe.stop()

    def on_event(self, event: dict[str, Any]) -> None:
        service, address = event.get("cluster_name"), event_address(event)
        pool = self.d.pools.get(service) if isinstance(service, str) else None
        if pool is None or address is None:
            return
        if "add_healthy_event" in event:
            self.unready.pop(address, None)
            self.answered(pool, address)
            self.ready_again(pool, address)
            self.d.status_server.sampler.routed(pool.name)
        elif "eject_unhealthy_event" in event or "health_check_failure_event" in event:
            detail = event.get("eject_unhealthy_event") or event.get("health_check_failure_event") or {}
            if (detail.get("failure_type") == "ACTIVE" and pool.service.readiness is not None
                    and stuck(pool, pool.find(address)) is None):
                # It answered, with "not ready" (puma.readiness): alive. Envoy routes around it; a
                # restart would not bring back what it waits for, so it is kept (readiness != liveness).
                self.not_ready(pool, address)
                return
            # Ejected: Envoy routes to it no more. Every later failure is an event too (about one a
            # second), so a busy instance kept here is looked at again until it answers or is killed.
            self.failed(pool, address, ejected="eject_unhealthy_event" in event)

    def not_ready(self, pool: Any, address: str) -> None:
        """An instance answered its health check "not ready": note why (asked of the instance, on
        each failed check, so a changed reason shows), and say so once per change of state. One
        whose check never passed yet is *waiting* (start-up: what it needs is being prepared)."""
        self.failing.pop(address, None)  # answering is progress: no hung-instance count runs on
        instance = pool.find(address)
        own = own_readiness(pool, instance)
        # Its own words: as it published them (cheap, and there even if it passes again by now or is
        # too loaded to answer), else asked of it (a worker host's), else only what Envoy saw.
        reason = (own[1] if own else "") or not_ready_reason(address) or "its readiness check fails"
        waiting = instance is not None and (not own[0] if own else not instance.ever_ready)
        if instance is not None:
            instance.silent_since = None
            if instance.not_ready is None:
                instance.not_ready_since = time.monotonic()
            instance.not_ready = reason
            # Envoy's first check, made before the instance's own first run ended, found it healthy:
            # its check never passed all the same, so it is still waiting (and "ready", not "again", next).
            instance.ever_ready = instance.ever_ready and not waiting
        which = f"instance {instance.id}" if instance is not None else "an instance"
        said = self.unready.get(address)
        if said == _gist(reason):
            return
        self.unready[address] = _gist(reason)
        if said is not None:  # still not ready, for another reason (a stopping server is now gone): said once more
            (log.info if waiting else log.warning)("service %s: %s at %s is still %s, now: %s", pool.name, which,
                                                   address, "waiting to be ready" if waiting else "not ready", reason)
            self.d.record(pool.name, f"{which} still {'waiting to be ready' if waiting else 'not ready'}, now: {reason}",
                          kind="not-ready")
            return
        if waiting:
            log.info("service %s: %s at %s is waiting for its readiness check to pass: %s; Envoy routes to it "
                     "once it does", pool.name, which, address, reason)
            self.d.record(pool.name, f"{which} waiting to be ready: {reason}", kind="not-ready")
            return
        log.warning("service %s: %s at %s is not ready: %s; Envoy routes around it, and it is kept (a restart "
                    "would not bring back what it needs)", pool.name, which, address, reason)
        self.d.record(pool.name, f"{which} not ready: {reason}; routed around, not restarted", kind="not-ready")

    def ready_again(self, pool: Any, address: str) -> None:
        """Envoy found an instance healthy: if it had been not ready, say once that it is ready now."""
        instance = pool.find(address)
        if instance is None:
            return
        was, since = instance.not_ready, instance.not_ready_since
        first = not instance.ever_ready
        instance.not_ready, instance.not_ready_since, instance.ever_ready = None, None, True
        if was is None:
            return
        took = f"{time.monotonic() - since:.1f} s" if since is not None else "a while"
        which = f"instance {instance.id}"
        if first:
            log.info("service %s: %s at %s is ready (its readiness check passes after waiting %s)",
                     pool.name, which, address, took)
            self.d.record(pool.name, f"{which} ready after waiting {took}", kind="ready-again")
        else:
            log.info("service %s: %s at %s is ready again after %s not ready (was: %s)",
                     pool.name, which, address, took, was)
            self.d.record(pool.name, f"{which} ready again after {took}", kind="ready-again")

    def answered(self, pool: Any, address: str) -> None:
        """The instance at `address` answered a check again: its silence, if any, is over."""
        with self.lock:
            failing = self.failing.pop(address, None)
            instance = pool.find(address)
            if instance is not None:
                instance.silent_since = None
        if failing is not None:
            log.info("service %s: instance at %s answers its health checks again after %.1f s", pool.name, address,
                     time.monotonic() - failing.since)

    def failed(self, pool: Any, address: str, *, ejected: bool = False, now: float | None = None) -> None:
        with self.lock:
            now = time.monotonic() if now is None else now
            instance = pool.find(address)
            if instance is None:
                self.failing.pop(address, None)
                return
            # Silent since the last check it answered (its board says when); without that, since the
            # failed check was sent, its timeout ago.
            first = address not in self.failing
            sent = now - _check_timeout_s(pool.service)
            failing = self.failing.setdefault(address, Failing(since=sent, missed=sent))
            if first and (answered := _last_answered(pool, instance)) is not None and answered < failing.since:
                failing.since = answered
            instance.silent_since = failing.since if instance.silent_since is None else instance.silent_since
            threshold = pool.service.health_check.unhealthy_threshold
            failing.count = max(failing.count + 1, threshold if ejected else 0)
            verdict = stuck(pool, instance) or self.verdict(instance, failing, pool.service.timeout_s, now,
                                                                 getattr(pool, "activity", PROCESSES))
            if verdict is not None and (failing.count >= threshold or verdict.startswith("hung: stopped")):
                self.failing.pop(address, None)
                self.unhealthy(pool, address, verdict)
            elif first and self.watch and not instance.remote and (instance.pid is not None or instance.container):
                self._watch(pool, address)

    def suspect(self, pool: Any) -> None:
        """A request to `pool`'s service ran out of its `timeout_s`: probe each of its instances now,
        not at Envoy's next check (`health_check.interval_s`, 10 s, away), so a stopped or hung one
        is judged within a probe (`puma.silence`) while requests wait on it. One that does not answer
        is a failed check, as Envoy's would be; a slow one answers (its liveness has a thread of its
        own) and is left alone. Costs nothing while no request times out."""
        if not self.watch or self.d.stopping:
            return
        for instance in pool.ready():
            address = instance.address
            if instance.remote or (instance.pid is None and not instance.container) or address in self.failing \
                    or address in self.watched:
                continue
            self.watched.add(address)

            def probe(address: str = address) -> None:
                answered = False
                try:
                    answered = silence.answers(address)
                finally:
                    self.watched.discard(address)  # before `failed`: a silent instance's own watch takes over
                if not answered:
                    self.failed(pool, address)

            guard.thread(probe, name=f"puma-suspect-{pool.name}", retry=False).start()

    def _watch(self, pool: Any, address: str) -> None:
        """Probe a silent instance ourselves until it answers or is replaced (see `puma.silence`)."""
        def is_silent() -> bool:
            return address in self.failing and not self.d.stopping

        def probe() -> None:
            try:
                silence.watch(is_silent, lambda: self.failed(pool, address), lambda: self.answered(pool, address),
                              lambda: silence.answers(address))
            finally:
                self.watched.discard(address)

        if address not in self.watched:
            self.watched.add(address)
            guard.thread(probe, name=f"puma-silent-{pool.name}", retry=False).start()

    def verdict(self, instance: Any, failing: Failing, timeout_s: float, now: float,
                progress: Progress = PROCESSES) -> str | None:
        """Why to replace a failing instance now (hung; busy for longer than `timeout_s`), or None
        to keep it (busy within its service's timeout, or not yet known). `progress`: where its
        backend keeps its CPU time and stopped state (`puma.activity`: a process's /proc, a container's cgroup)."""
        if instance.remote or (instance.pid is None and not instance.container):
            return "failed its health checks"
        cpu_s = progress.cpu_seconds(instance)
        if cpu_s is None:
            return f"failed its health checks (its {progress.what} is gone)"
        silent = _silent_words(failing, now)
        if (stopped := progress.stopped(instance)) is not None:  # answers nothing until resumed: no need to look twice
            return f"hung: {stopped}, {silent}"
        before, before_at = failing.cpu_s, failing.cpu_at
        if before is None or now - before_at < MIN_LOOK_S:
            # Events come in bursts (Envoy flushes its event file every 0.1 s): measure over a
            # longer span; the next failed check (within a second) tells.
            if before is None:
                failing.cpu_s, failing.cpu_at = cpu_s, now
            return None
        failing.cpu_s, failing.cpu_at = cpu_s, now
        if cpu_s - before < BUSY_CPU_FRACTION * (now - before_at):
            return f"hung: {silent}, with no CPU progress in the last {now - before_at:.1f} s"
        if now - failing.since > timeout_s:
            return f"busy for {now - failing.since:.0f} s, past its service's timeout_s {timeout_s:g}"
        if not failing.busy:
            failing.busy = True
            log.warning("service %s: instance %d at %s fails its health checks while computing; Envoy routes "
                        "around it, and it is kept up to timeout_s %g s", instance.service, instance.id,
                        instance.address, timeout_s)
            self.d.record(instance.service, f"instance {instance.id} busy: not routed to until it answers",
                          kind="busy")
        return None

    def unhealthy(self, pool: Any, address: str, why: str = "failed its health checks") -> None:
        instance = pool.find(address)
        if instance is None or self.d.stopping:
            return
        log.warning("service %s: instance %d at %s %s; replacing it", pool.name, instance.id, address, why)
        self.d.record(pool.name, f"instance {instance.id} unhealthy ({why}); replacing it", kind="unhealthy")
        if instance.remote:
            self.d.registry.replace(instance)
        pool.evict(instance)


def _silent_words(failing: Failing, now: float) -> str:
    """How long it has been silent: since the last check it answered (its board says when: the figure
    and the time said agree), and when the first check it missed was sent (it may have been fine until
    just before that one, up to an `interval_s` later); without its board, since that missed check."""
    if failing.missed and failing.since < failing.missed - 0.5:
        # One figure, from the time said: "for 2.0 s, the last it answered at" a time 12 s back read
        # as two clocks. The check it last answered may have come up to an interval before it stopped.
        last = time.time() - (time.monotonic() - failing.since)
        return (f"answered no health check for {now - failing.since:.1f} s, since "
                f"{time.strftime('%H:%M:%S', time.localtime(last))}; the first it missed was sent "
                f"{now - failing.missed:.1f} s ago")
    return f"answered no health check for {now - (failing.missed or failing.since):.1f} s"


def _last_answered(pool: Any, instance: Any) -> float | None:
    busy_dir = getattr(pool, "busy_dir", None)
    if busy_dir is None or instance.remote or instance.container:
        return None
    return last_answered(board_path(busy_dir, pool.name, instance.id))


def _check_timeout_s(service: Any) -> float:
    """How long Envoy waits for an answer to one check (as `puma.envoy` renders it)."""
    hc = service.health_check
    interval_s = min(hc.interval_s, service.readiness.period_s) if service.readiness else hc.interval_s
    return float(min(hc.timeout_s, interval_s))


def own_readiness(pool: Any, instance: Any) -> tuple[bool, str] | None:
    """`(passed once, why it last failed)` as the instance published them on its busy board (read
    when the event is: the instance may already pass again, or be too loaded to answer), or None."""
    busy_dir = getattr(pool, "busy_dir", None)
    if instance is None or busy_dir is None or instance.remote:
        return None
    return read_readiness(board_path(busy_dir, pool.name, instance.id))


def not_ready_reason(address: str, timeout_s: float = 1.0) -> str | None:
    """Why the instance at 'host:port' says it is not ready (its liveness answer's `reason`,
    served on its network thread: ~1 ms), or None if it does not say."""
    host, _, port = address.rpartition(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout_s)
    try:
        conn.request("GET", LIVENESS_PATH)
        body = json.loads(conn.getresponse().read(4096) or b"{}")
    except (OSError, ValueError, http.client.HTTPException):
        return None
    finally:
        conn.close()
    reason = body.get("reason") if isinstance(body, dict) else None
    return reason if isinstance(reason, str) and reason else None


def _gist(reason: str) -> str:
    """A not-ready reason without its figures, so a count or a time that changes is no new reason."""
    return re.sub(r"\d+(?:[.:]\d+)*", "N", reason)
