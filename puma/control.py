"""The deployment's control loop: autoscaling, every 0.1 s, of the services that are autoscaled.

Each tick reads one thing from Envoy: the in-flight requests (active + pending) of the autoscaled
services' clusters only, with an admin stats filter naming them (a few lines of text, however many
instances they have). A deployment with no autoscaled service reads nothing. Health is not here:
see `puma.health` (Envoy's checks and the zygotes' exit reports).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from .autoscale import Autoscaler, Bounds
from .config import Service

if TYPE_CHECKING:
    from .supervisor import Deployment

log = logging.getLogger(__name__)

TICK_S = 0.1
IDLE_TICK_S = 1.0  # with no autoscaled service: only look whether one was added


def bounds(service: Service) -> Bounds:
    a = service.autoscale_settings
    return Bounds(min_instances=service.instances.min, max_instances=service.instances.upper,
                  target_in_flight=a.target_in_flight, upscale_delay_s=a.upscale_delay_s,
                  downscale_delay_s=a.downscale_delay_s)


class ControlLoop:
    def __init__(self, deployment: Deployment) -> None:
        self.d = deployment
        self.autoscalers: dict[str, Autoscaler] = {}
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="puma-control")

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(timeout=3.0)

    def forget(self, service: str) -> None:
        self.autoscalers.pop(service, None)

    def _run(self) -> None:
        tick = TICK_S
        while not self.stopping.wait(tick):
            try:
                tick = TICK_S if self.autoscale_tick(time.monotonic()) else IDLE_TICK_S
            except Exception:  # noqa: BLE001 - one bad sample must not stop autoscaling
                log.exception("autoscaler tick failed")

    def autoscale_tick(self, now: float) -> bool:
        """One look at the autoscaled services; False if there is none."""
        pools = {n: p for n, p in list(self.d.pools.items()) if p.service.autoscaled}
        if not pools or self.d.envoy.admin is None:
            return False
        in_flight = self.d.envoy.admin.in_flight(list(pools))
        for name, pool in pools.items():
            scaler = self.autoscalers.get(name)
            if scaler is None:
                scaler = self.autoscalers[name] = Autoscaler(bounds(pool.service), now)
            live = len(pool.live())
            decision = scaler.observe(now, in_flight.get(name, 0), live)
            if decision.changes(live) and not self.stopping.is_set():
                self.d.scale(name, decision.target, reason=decision.reason)
        return True
