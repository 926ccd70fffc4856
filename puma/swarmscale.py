"""PUMA's autoscaler driving a Docker Swarm stack: ``puma autoscale APP.py --backend swarm --stack NAME``.

Swarm has no autoscaler; this is `puma run`'s, unchanged: the same policy
(`puma.autoscale.Autoscaler`, each service's bounds from its config by `puma.control.bounds`) on
the same signal, in-flight requests (active + pending) per cluster at the front Envoy. The
signal is read from the stack's front Envoy admin, which listens on its task's loopback only, by
running a one-line reader in that task through the engine (Docker SDK `exec_run`); a decision
sets the service's replica count through the SDK (`Service.scale`), and is logged as `puma run`
logs it: ``agent 1 -> 3 (in-flight 9.0 > 2 x 1 instance for 0.5 s)``.

Errors: `PumaError` naming the stack when it has no front Envoy or no service of the config.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import wakeups
from .admin import in_flight_in
from .autoscale import Autoscaler, Decision
from .config import PumaConfig
from .control import bounds
from .errors import PumaError

log = logging.getLogger(__name__)

TICK_S = 1.0  # each look runs a reader in the Envoy task: ~0.1-1 s of a busy node's CPU
STACK_LABEL = "com.docker.stack.namespace"
SERVICE_LABEL = "com.docker.swarm.service.name"
# The in-flight gauges of every cluster, from the admin on the front task's loopback (port 9901).
READER = ("import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:9901/stats?usedonly&type=Gauges"
          "&filter=%5Ecluster%5C.%5B%5E.%5D%2B%5C.upstream_rq_(active%7Cpending_active)%24', timeout=5).read().decode())")


@dataclass(frozen=True)
class Scaled:
    """One decision carried out: `service` went from `before` to `after` replicas, for `reason`."""

    service: str
    before: int
    after: int
    reason: str


class SwarmScaler:
    """The autoscaled services of `config` in stack `stack`, scaled by PUMA's policy.

    `client` is a `docker.DockerClient`; `clock` gives monotonic seconds (injected for tests)."""

    def __init__(self, client: Any, stack: str, config: PumaConfig,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.stack = stack
        self.clock = clock
        self.services = {name: s for name, s in config.puma_services.items() if s.autoscaled}
        now = clock()
        self.autoscalers = {name: Autoscaler(bounds(s), now) for name, s in self.services.items()}
        self._check_stack()

    def _check_stack(self) -> None:
        found = {s.name for s in self.client.services.list(filters={"label": f"{STACK_LABEL}={self.stack}"})}
        if not found:
            raise PumaError(f"no stack {self.stack!r} on this swarm (`docker stack ls` lists them); deploy it "
                            "first: docker stack deploy -c stack.yml NAME")
        missing = [name for name in self.services if f"{self.stack}_{name}" not in found]
        if missing:
            raise PumaError(f"stack {self.stack!r} has no service {', '.join(missing)} of this config; was it "
                            "rendered from the same app (`puma render --target swarm APP.py`)?")

    def read_in_flight(self) -> dict[str, int]:
        """In-flight requests per autoscaled service at the stack's front Envoy; OSError if unreadable."""
        fronts = self.client.containers.list(filters={"label": f"{SERVICE_LABEL}={self.stack}_envoy",
                                                      "status": "running"})
        if not fronts:
            raise OSError(f"stack {self.stack!r} has no running front Envoy task")
        code, out = fronts[0].exec_run(["python", "-c", READER])
        if code != 0:
            raise OSError(f"reading the front Envoy's stats failed ({code}): {out.decode(errors='replace')[-300:]}")
        return in_flight_in(out.decode(), list(self.services))

    def tick(self) -> list[Scaled]:
        """One look: each autoscaled service's decision, carried out when it changes the count."""
        if not self.services:
            return []
        loads = self.read_in_flight()
        now = self.clock()
        done = []
        for name in self.services:
            service = self.client.services.get(f"{self.stack}_{name}")
            current = int(service.attrs["Spec"]["Mode"]["Replicated"]["Replicas"])
            decision: Decision = self.autoscalers[name].observe(now, loads[name], current)
            if decision.changes(current):
                service.scale(decision.target)
                log.info("%s %d -> %d (%s)", name, current, decision.target, decision.reason)
                done.append(Scaled(name, current, decision.target, decision.reason))
        return done

    def run(self, stop: threading.Event | wakeups.SignalEvent, tick_s: float = TICK_S) -> None:
        """Look every `tick_s` until `stop` is set; a failed look is logged once, not fatal."""
        failing = False
        while not stop.is_set():
            try:
                self.tick()
                if failing:
                    log.info("reading stack %s works again", self.stack)
                failing = False
            except OSError as exc:
                if not failing:
                    log.warning("cannot read stack %s (%s); holding every replica count, trying again", self.stack, exc)
                failing = True
            stop.wait(tick_s)


def run(config: PumaConfig, stack: str, tick_s: float = TICK_S) -> None:
    """`puma autoscale --backend swarm`: scale until interrupted (Ctrl-C, SIGTERM)."""
    import signal

    import docker  # the Docker SDK: a dependency of PUMA's container targets

    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        raise PumaError(f"no Docker engine answers ({exc}); start it, or set DOCKER_HOST") from None
    scaler = SwarmScaler(client, stack, config)
    if not scaler.services:
        raise PumaError("no service of this config is autoscaled (instances.max above instances.min); "
                        "nothing to do")
    stop = wakeups.SignalEvent()  # set by a signal handler (puma.wakeups)
    # Both, explicitly: a shell starting it in the background leaves SIGINT ignored otherwise.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set_from_signal())
    log.info("autoscaling %s of stack %s every %.1f s", ", ".join(scaler.services), stack, tick_s)
    scaler.run(stop, tick_s)
    log.info("stopped autoscaling stack %s; replica counts left as they are", stack)
