"""The deployment's control loop: autoscaling of the services that are autoscaled.

Each tick reads one thing from Envoy: the in-flight requests (active + pending) of the autoscaled
services' clusters only, with an admin stats filter naming them (a few lines of text, however many
instances they have). It ticks every 0.1 s while any of them has requests in flight, and every
0.25 s once none has had any for `QUIET_AFTER_S` (a load step is then seen up to 0.15 s later,
before the policy's own `upscale_delay_s`); a deployment with no autoscaled service reads nothing.
Health is not here: see `puma.health` (Envoy's checks and the zygotes' exit reports).
"""

from __future__ import annotations

import http.client
import logging
import threading
import time
from typing import TYPE_CHECKING

from . import failing, guard
from .admin import cut_replies
from .autoscale import Autoscaler, Bounds
from .busy import STUCK_GRACE_S
from .defaults import READY_KEY
from .lonefaults import LoneFaultWatch
from .services import Service

if TYPE_CHECKING:
    from .interfaces import DeploymentView

log = logging.getLogger(__name__)

TICK_S = 0.1
QUIET_TICK_S = 0.25  # no request in flight at any autoscaled service for QUIET_AFTER_S
QUIET_AFTER_S = 2.0
IDLE_TICK_S = 1.0
CUT_CHECK_S = 1.0  # how often Envoy's counters are read for replies cut off by their timeout  # with no autoscaled service: only look whether one was added


def bounds(service: Service) -> Bounds:
    a = service.autoscale_settings
    return Bounds(min_instances=service.instances.min, max_instances=service.instances.upper,
                  target_in_flight=a.target_in_flight, upscale_delay_s=a.upscale_delay_s,
                  downscale_delay_s=a.downscale_delay_s)


class Outage(guard.Outage):
    """A tick's failures, logged once per outage; Envoy unreachable (restarting) is one failure
    however each read words it (refused, not running) and needs no traceback."""

    def __init__(self, what: str) -> None:
        super().__init__(what, expected=(OSError, http.client.HTTPException), expected_kind="Envoy unreachable",
                         unit="ticks")


class ControlLoop:
    def __init__(self, deployment: DeploymentView) -> None:
        self.d = deployment
        self.autoscalers: dict[str, Autoscaler] = {}
        self._held_seen: set[tuple[str, int]] = set()  # (service, instance) reported as held past timeout_s
        self.quiet_tick_s = QUIET_TICK_S  # a benchmark sets another to compare
        self.stopping = threading.Event()
        # One decision at a time: a scale by hand restarts a service's history between ticks, never
        # while a tick decides from the old one.
        self.lock = threading.RLock()
        self.thread = guard.thread(self._run, name="puma-control", stop=self.stopping.is_set)
        self._cut_checked_at = 0.0
        self._cut_seen: dict[str, int] = {}
        self._timeouts_seen: dict[str, int] = {}  # per service, Envoy's count of requests past timeout_s
        self._degraded_said: dict[str, str] = {}  # service -> why it was last said degraded
        self._lone_faults = LoneFaultWatch(deployment)  # an instance failing every request while its peers serve
        self._ready_published: tuple[bool, object] | None = None  # (ready, the Envoy admin told)

    def _report_cut_replies(self) -> None:
        """Log (WARNING) and record each reply newly cut off by its service's `timeout_s` after it had
        started: its client got a 200 and a connection closed before the body's end. A service with
        a request newly timed out has its instances probed at once (`puma.health.HealthMonitor.suspect`)."""
        admin = self.d.envoy.admin
        if admin is None:
            return
        for name, (timeouts, answered_504) in admin.timeouts().items():
            cut = cut_replies(timeouts, answered_504)
            new = cut - self._cut_seen.get(name, 0)
            seen = self._timeouts_seen.get(name, 0)
            timed_out = timeouts - seen if timeouts >= seen else timeouts  # fewer: Envoy restarted, counting afresh
            self._cut_seen[name], self._timeouts_seen[name] = cut, timeouts
            pool = self.d.pools.get(name)
            if pool is None:
                continue
            if timed_out > 0 and (health := getattr(self.d, "health", None)) is not None:
                health.suspect(pool)
            if new > 0:
                timeout_s = pool.service.timeout_s
                message = (f"{new} repl{'y' if new == 1 else 'ies'} cut off: timeout_s ({timeout_s:g} s) passed while "
                           "still being sent, so the client got a 200 and then a closed connection; raise timeout_s "
                           "or send less")
                log.warning("service %s: %s", name, message)
                self.d.record(name, message, kind="cut_off", count=new)

    def _carry_traffic(self) -> None:
        # Read every second, so an Envoy that dies loses at most a second of its counts (puma/traffic.py).
        server = getattr(self.d, "status_server", None)
        if server is not None:
            server.sampler.traffic.read()

    def _report_held(self) -> None:
        """Log (WARNING) and record, once per episode, each instance whose every request thread is
        held past its service's `timeout_s`: its callers got 504s and it serves no one meanwhile."""
        for name, pool in list(self.d.pools.items()):
            svc = pool.service
            for instance in pool.live():
                running, held_s = pool.busy(instance)
                key = (name, instance.id)
                if running < svc.threads or held_s <= svc.timeout_s:
                    self._held_seen.discard(key)
                    continue
                if key in self._held_seen:
                    continue
                self._held_seen.add(key)
                hc = svc.health_check
                message = (f"instance {instance.id}: all {svc.threads} request threads held by handlers for "
                           f"{held_s:.0f} s, past timeout_s ({svc.timeout_s:g} s): its callers got 504s and it "
                           f"serves no one; replaced if still held past {svc.timeout_s + STUCK_GRACE_S:g} s, once its health checks "
                           f"fail (every {svc.health_check.interval_s:g} s, {hc.unhealthy_threshold} in a row): at most about "
                           f"{svc.timeout_s + STUCK_GRACE_S + hc.unhealthy_threshold * hc.interval_s:g} s")
                log.warning("service %s: %s", name, message)
                self.d.record(name, message, kind="stuck", held_s=round(held_s, 1))

    def _report_degraded(self) -> None:
        """Log and record, once per change, a service a part of which fails every request (`puma.failing`)."""
        failing.say_changes(self.d, self._degraded_said, {n: failing.of_pool(p) for n, p in list(self.d.pools.items())})

    def publish_readiness(self) -> None:
        """Tell Envoy the deployment's readiness when it changes (or Envoy was restarted, with a fresh
        runtime): what it answers `/_puma/ready` with while the supervisor cannot (`READY_KEY`)."""
        from .deploymentready import readiness

        admin = self.d.envoy.admin
        ready = readiness(self.d)[0]
        if admin is None or (self._ready_published is not None and self._ready_published[0] == ready
                             and self._ready_published[1] is admin):
            return
        admin.set_runtime(READY_KEY, "100" if ready else "0")
        self._ready_published = (ready, admin)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(timeout=3.0)
        if self.d.envoy.admin is not None:
            self.d.envoy.admin.close()

    def forget(self, service: str) -> None:
        self.autoscalers.pop(service, None)

    def scaled_by_hand(self, name: str, service: Service, now: float | None = None) -> float | None:
        """A count was set by hand: `service`'s autoscaler starts its history again, so the count
        holds at least its `downscale_delay_s` from now. The seconds it holds; None if not autoscaled."""
        if not service.autoscaled:
            return None
        now = time.monotonic() if now is None else now
        with self.lock:
            scaler = self.autoscalers.get(name)
            if scaler is None:
                scaler = self.autoscalers[name] = Autoscaler(bounds(service), now)
            scaler.restart(now)
        return service.autoscale_settings.downscale_delay_s

    def _run(self) -> None:
        tick, busy_at = TICK_S, time.monotonic()
        outage = Outage("autoscaler tick")
        while not self.stopping.wait(tick):
            now = time.monotonic()
            if self.d.envoy.admin is None:  # Envoy restarting: nothing to read; neither failed nor
                continue  # recovered (a "recovered" here split one outage into two warnings)
            try:
                in_flight = self.autoscale_tick(now)
                if now >= self._cut_checked_at + CUT_CHECK_S:
                    self._cut_checked_at = now
                    self._report_cut_replies()
                    self._carry_traffic()
                    self._report_held()
                    self._report_degraded()
                    self._lone_faults.look(now)
                    self.publish_readiness()
            except Exception as exc:  # noqa: BLE001 - one bad sample must not stop autoscaling
                outage.failed(exc)
                continue
            outage.recovered()
            if in_flight:
                busy_at = now
            tick = (IDLE_TICK_S if in_flight is None else TICK_S if now - busy_at < QUIET_AFTER_S
                    else self.quiet_tick_s)

    def autoscale_tick(self, now: float) -> float | None:
        """One look at the autoscaled services: their total in-flight requests; None if there is none."""
        pools = {n: p for n, p in list(self.d.pools.items()) if p.service.autoscaled}
        if not pools or self.d.envoy.admin is None:
            return None
        in_flight = self.d.envoy.admin.in_flight(list(pools))
        for name, pool in pools.items():
            with self.lock:
                scaler = self.autoscalers.get(name)
                if scaler is None:
                    scaler = self.autoscalers[name] = Autoscaler(bounds(pool.service), now)
                live = len(pool.live())
                # Envoy forgets a request it gave up on (504 at timeout_s); its handler may still hold a
                # thread (a dependency that does not answer): the instances' own count keeps that load.
                load = max(in_flight.get(name, 0), sum(pool.busy(i)[0] for i in pool.live()))
                decision = scaler.observe(now, load, live)
                if decision.changes(live) and not self.stopping.is_set():
                    self.d.scale(name, decision.target, reason=decision.reason, by_hand=False)
        return float(sum(in_flight.values()))
