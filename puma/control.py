"""The deployment's control loop: autoscaling every 0.1 s and active health checks every second.

The health check is PUMA's own (GET /healthz of each ready instance), so an instance joins
Envoy the moment it is healthy instead of after Envoy's first check interval. An instance that
fails `UNHEALTHY_AFTER` checks in a row leaves Envoy's endpoints and is replaced.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from typing import TYPE_CHECKING

from .autoscale import Autoscaler, Bounds
from .config import Service

if TYPE_CHECKING:
    from .supervisor import Deployment, Instance

log = logging.getLogger(__name__)

TICK_S = 0.1
HEALTH_INTERVAL_S = 1.0
HEALTH_TIMEOUT_S = 2.0
UNHEALTHY_AFTER = 3


def bounds(service: Service) -> Bounds:
    a = service.autoscale_settings
    return Bounds(min_instances=service.instances.min, max_instances=service.instances.upper,
                  target_in_flight=a.target_in_flight, upscale_delay_s=a.upscale_delay_s,
                  downscale_delay_s=a.downscale_delay_s)


class ControlLoop:
    def __init__(self, deployment: Deployment) -> None:
        self.d = deployment
        self.autoscalers: dict[str, Autoscaler] = {}
        self.failures: Counter[tuple[str, int]] = Counter()
        self.last_served: dict[str, int] = {}
        self.health_interval_s = HEALTH_INTERVAL_S
        self.health_timeout_s = HEALTH_TIMEOUT_S
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="puma-control")
        self.health_thread = threading.Thread(target=self._health_run, daemon=True, name="puma-health")

    def start(self) -> None:
        self.thread.start()
        self.health_thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for t in (self.thread, self.health_thread):
            if t.is_alive():
                t.join(timeout=self.health_timeout_s + 1.0)

    def forget(self, service: str) -> None:
        self.autoscalers.pop(service, None)

    # --- autoscaling ------------------------------------------------------------------------
    def _run(self) -> None:
        while not self.stopping.wait(TICK_S):
            try:
                self.autoscale_tick(time.monotonic())
            except Exception:  # noqa: BLE001 - one bad sample must not stop autoscaling
                log.exception("autoscaler tick failed")

    def autoscale_tick(self, now: float) -> None:
        pools = {n: p for n, p in list(self.d.pools.items()) if p.service.autoscaled}
        if not pools or self.d.envoy.admin is None:
            return
        in_flight = self.d.envoy.admin.in_flight(list(pools))
        for name, pool in pools.items():
            scaler = self.autoscalers.get(name)
            if scaler is None:
                scaler = self.autoscalers[name] = Autoscaler(bounds(pool.service), now)
            live = len(pool.live())
            decision = scaler.observe(now, in_flight.get(name, 0), live)
            if decision.changes(live) and not self.stopping.is_set():
                self.d.scale(name, decision.target, reason=decision.reason)

    # --- health -----------------------------------------------------------------------------
    def _health_run(self) -> None:
        from .supervisor import probe
        from .workers import expire

        while not self.stopping.wait(self.health_interval_s):
            expire(self.d, time.monotonic())
            served = self._served_by_host()
            for name, pool in list(self.d.pools.items()):
                for instance in pool.ready():
                    progressing = self._progressing(instance, served)
                    self._check(name, instance, progressing or probe(instance.address, self.health_timeout_s))

    def _served_by_host(self) -> dict[str, int]:
        """Requests each instance has answered, by address, from Envoy's per-host counters."""
        try:
            clusters = self.d.envoy.admin.clusters() if self.d.envoy.admin else {}
        except OSError:
            return {}
        return {h.address: h.rq_total - h.rq_active for c in clusters.values() for h in c.hosts}

    def _progressing(self, instance: Instance, served: dict[str, int]) -> bool:
        # A saturated instance may be too busy to answer /healthz in time, but if it completed
        # requests since the last check it is alive: replacing it would remove capacity when
        # it is needed most.
        now, before = served.get(instance.address), self.last_served.get(instance.address)
        if now is not None:
            self.last_served[instance.address] = now
        return now is not None and before is not None and now > before

    def _check(self, name: str, instance: Instance, healthy: bool) -> None:
        key = (name, instance.id)
        if healthy:
            self.failures.pop(key, None)
            return
        self.failures[key] += 1
        if self.failures[key] >= UNHEALTHY_AFTER and not self.stopping.is_set():
            del self.failures[key]
            log.warning("service %s: instance %d failed %d health checks; replacing it", name, instance.id, UNHEALTHY_AFTER)
            self.d.record(name, f"instance {instance.id} unhealthy; replaced", kind="unhealthy")
            self.d.pools[name].evict(instance)
