"""A service's instances through their lifecycle (Kubernetes' word for a pod's phases): spawned by
its zygote, admitted to Envoy's endpoints once they report that they serve, retired (drained out of
Envoy, then stopped) or evicted (failing Envoy's active health checks: out at once, and killed),
and their exits seen the moment the zygote reaps them.

`InstanceLifecycle` keeps this bookkeeping: which instances there are, in which state
(`puma.instancestate`), and which Envoy routes to. What happens when one dies unexpectedly is the
restart policy's, in `puma.instances.ServicePool`, which builds on it: a replacement at once or
after a back-off, the zygote started again while its instances serve on, a service failed past
its budget (the hooks at the end of the class).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from . import busy, guard
from .clocks import seen_late
from .instancestate import Instance
from .orphans import Orphans, start_ticks
from .recycling import RECYCLE_EXIT_CODE
from .services import Service
from .zygote import DRAIN_SIGNAL
from .zygotes import INSTANCE_HOST, Event, PoolOwner, ServiceZygote

# Its lines are said under the name they always had (`puma run`'s log shows it): the pool's.
log = logging.getLogger("puma.instances")

LEAVE_REPLACEMENT_WAIT_S = 6.0  # an instance sent SIGTERM stays routed this long at most, for its replacement


class InstanceLifecycle(ServiceZygote):
    """The instances one service's zygote forked (and, on the core, workers' instances), from spawn to exit."""

    def __init__(self, owner: PoolOwner, name: str, service: Service, host: str = INSTANCE_HOST) -> None:
        super().__init__(owner, name, service, host)
        self.instances: dict[int, Instance] = {}
        self.lock = threading.RLock()
        self._ids = iter(range(1, 1 << 30))
        self.first_ready_at: float | None = None  # epoch seconds of its first ready instance
        self.spawn_error: str | None = None  # why an instance could not start while the service started
        self.orphans = Orphans(name, self._on_orphan_exit)  # instances that outlived their zygote
        self._zygote_down = False  # its zygote died and no new one takes commands yet: replacements wait
        self._owed = 0  # replacements due but not asked of a zygote yet (backing off, or no zygote to ask)

    def _instance_events(self) -> dict[str, Callable[[Event], None]]:
        return {"spawned": self._on_spawned, "serving": self._on_serving, "exit": self._on_exit,
                "leaving": self._on_leaving, "spawn_failed": self._on_spawn_failed}

    def wanted(self) -> int:
        """How many instances of its own it is meant to run now (what `puma status` counts ready ones
        against): those starting or ready, those failing their checks (replaced once they exit), and
        replacements due but not started yet (backing off, or waiting for a zygote)."""
        with self.lock:
            return self._owed + sum(1 for i in self.instances.values()
                                    if not i.remote and i.state in ("starting", "ready", "unhealthy"))

    def _on_orphan_exit(self, pid: int) -> None:
        self._on_exit({"pid": pid, "code": None})

    def _tell(self, op: str, pid: int) -> None:
        """Stop ("stop": drain, then exit) or "kill" instance `pid`: through its zygote, or directly
        if it outlived it."""
        if pid in self.orphans:
            self.orphans.signal(pid, DRAIN_SIGNAL if op == "stop" else signal.SIGKILL)
        else:
            self._send({"op": op, "pid": pid})

    def next_id(self) -> int:
        return next(self._ids)

    def spawn(self, *, reuse: Instance | None = None, replacing: Instance | None = None) -> Instance:
        """Start an instance; with `reuse`, in place of that dead instance, on its socket (its port)
        unless it outlived its zygote (the zygote that held its socket is gone: a new port then);
        with `replacing`, in place of that live one, on a port of its own."""
        with self.lock:
            instance = Instance(next(self._ids), self.name, host=self.host)
            instead = reuse or replacing
            instance.replaces = instead.id if instead is not None else None
            if reuse is not None and reuse.orphan:
                reuse = None
            if reuse is not None:
                instance.port = reuse.port
                # Only the last one stays in Envoy: with others ready, requests go to them meanwhile.
                instance.standin = not any(i.state == "ready" and not i.remote for i in self.instances.values())
            self.instances[instance.id] = instance
        if not self._send({"op": "spawn", "id": instance.id, **({"reuse": reuse.id} if reuse is not None else {})}):
            with self.lock:  # never started: not counted as starting, but owed (its zygote's restart starts it)
                instance.state = "stopped"
                self.instances.pop(instance.id, None)
                self._owed += 1
        return instance

    def _on_spawned(self, event: dict[str, Any]) -> None:
        with self.lock:
            instance = self.instances.get(event["id"])
            if instance is None:
                return
            instance.pid, instance.port = event["pid"], event["port"]
            instance.start_ticks = start_ticks(event["pid"])
            stop_now = instance.state == "draining"  # retired before its pid was known
        if instance.replaces is not None:  # said now that it exists, not when it was asked for
            self.owner.record(self.name, f"instance {instance.replaces} replaced by instance {instance.id} "
                              f"(pid {instance.pid})", kind="replaced", instance=instance.id, dead=instance.replaces)
        if stop_now:
            self._send({"op": "stop", "pid": instance.pid})

    def _on_spawn_failed(self, event: dict[str, Any]) -> None:
        """The zygote could not fork the instance (no process or memory left on the host)."""
        with self.lock:
            instance = self.instances.pop(event["id"], None)
            if instance is not None:
                instance.state = "stopped"
        self._send({"op": "release", "id": event["id"]})
        if instance is None or self._closing or self.owner.stopping:
            return
        why = (f"instance {instance.id} could not start: {event.get('error')} (the host is out of processes or "
               "memory: lower instances, or free some)")
        log.error("service %s: %s", self.name, why)
        self.owner.record(self.name, why, kind="spawn_failed")
        if self.first_ready_at is None:  # still starting: the start fails, naming it
            self.spawn_error = why
            return
        if len(self.live()) < self.service.instances.min:  # try again later, not in a tight loop
            guard.later(2.0, self._spawn_if_short, name=f"puma-{self.name}-spawn-again")

    def _spawn_if_short(self) -> None:
        if not (self._closing or self.owner.stopping) and len(self.live()) < self.service.instances.min:
            self.spawn()

    def _on_serving(self, event: dict[str, Any]) -> None:
        with self.lock:
            instance = self.instances.get(event["id"])
            if instance is None or instance.state != "starting":
                return
        self.admit(instance)

    def admit(self, *instances: Instance) -> None:
        """Mark `instances` ready and publish them to Envoy (which checks each once before routing to it)."""
        admitted = []
        with self.lock:
            for instance in instances:
                if instance.state == "starting":
                    instance.state, instance.ready_at, instance.standin = "ready", time.monotonic(), False
                    admitted.append(instance)
            if admitted:
                self.first_ready_at = self.first_ready_at or time.time()
        for instance in admitted:
            assert instance.ready_at is not None
            startup_ms = 1000 * (instance.ready_at - instance.started_at)
            # "up", not "ready": it answers its health check; ready is when its readiness check passes
            # (said by the health monitor: "ready after waiting ..."), which may come much later.
            # Its time counts from the fork: a long import and warm-up before it was the zygote's, said
            # beside it, or "up in 80 ms" after a minute of "loading the catalogue" reads as a mistake.
            zygote = f", forked from its zygote (import and warm-up {self.warmup_s:.1f} s)" \
                if not instance.container and (self.warmup_s or 0.0) >= 1.0 else ""
            log.info("service %s: instance %d up at %s (%s) in %.0f ms%s", self.name, instance.id, instance.address,
                     f"container {instance.container}" if instance.container else f"pid {instance.pid}", startup_ms, zygote)
            self.owner.record(self.name, f"instance {instance.id} up at {instance.address} in {startup_ms:.0f} ms{zygote}",
                              kind="up", startup_ms=round(startup_ms, 1))
        if admitted:
            self.owner.publish()
            self._serving_again()

    def _on_exit(self, event: dict[str, Any]) -> None:
        with self.lock:
            instance = next((i for i in self.instances.values() if i.pid == event["pid"] and not i.remote), None)
            if instance is None:
                return
            expected = instance.state in ("draining", "stopped", "leaving")
            evicted = instance.state == "unhealthy"  # killed by `evict`: its "replacing it" was said then
            instance.state = "stopped"
            del self.instances[instance.id]
            later = self._zygote_down  # no zygote to fork a replacement: the restart starts it (`short`)
            if later and not (expected or self.owner.stopping):
                self._owed += 1
        if expected or self.owner.stopping:
            return
        lost = "; the state it kept is lost (stateful: the replacement starts from the zygote's)" \
            if self.service.stateful else ""
        if lost:
            log.warning("service %s: instance %d was stateful%s", self.name, instance.id, lost)
        if event["code"] == RECYCLE_EXIT_CODE:  # it asked to be: work it had hung past its deadline
            log.warning("service %s: instance %d (pid %d) exited to be replaced: work it had hung past its deadline "
                        "(its log says which: %s); replacing it", self.name, instance.id, event["pid"], self.log_path)
            self.owner.record(self.name, f"instance {instance.id} recycled: work it had hung past its deadline "
                              f"(see {self.log_path.name}); replacing it{lost}", kind="recycled")
        elif evicted and not later:  # one replacement, one "replacing it" line (the unhealthy event's)
            log.info("service %s: instance %d (pid %d), killed as unhealthy, exited (code %s); its replacement "
                     "is starting", self.name, instance.id, event["pid"], event["code"])
        else:
            how = "replacing it once its zygote is started again" if later else "replacing it"
            code = event["code"] if event["code"] is not None else "unknown: its zygote had died"
            late = seen_late(event.get("at"))
            log.warning("service %s: instance %d (pid %d) exited with code %s%s; %s",
                        self.name, instance.id, event["pid"], code, late, how)
            self.owner.record(self.name, f"instance {instance.id} died (code {code}){late}; {how}{lost}", kind="died")
        if not later:
            self._replace(instance)
        self.owner.publish()  # after: a stand-in keeps the dead instance's address in Envoy
        if later or not self.zygote_ready():  # kept serving as its zygote died, and maybe the last one
            self._say_warming_if_none_left()

    def _on_leaving(self, event: dict[str, Any]) -> None:
        """An instance sent SIGTERM from outside PUMA: replaced and drained as a scale-down, not a crash."""
        with self.lock:
            leaving = next((i for i in self.instances.values() if i.pid == event["pid"] and not i.remote
                            and i.state in ("starting", "ready")), None)
            if leaving is None or self.owner.stopping:
                return
            leaving.state = "leaving"  # still routed; its exit is expected; scale counts its replacement
        log.warning("service %s: instance %d (pid %d) was sent SIGTERM; starting a replacement, then draining it "
                    "out of Envoy", self.name, leaving.id, event["pid"])
        self.owner.record(self.name, f"instance {leaving.id} sent SIGTERM: replaced, then drained", kind="leaving")
        replacement = self.spawn()
        guard.thread(self._retire_once_replaced, leaving, replacement, name=f"leaving-{self.name}-{leaving.id}",
                     retry=False).start()

    def _retire_once_replaced(self, leaving: Instance, replacement: Instance) -> None:
        # The replacement ready first (bounded: the instance drains by itself after draining.LEAVE_WAIT_S),
        # so the service never runs short; then as `retire`: out of Envoy, then stopped.
        deadline = time.monotonic() + LEAVE_REPLACEMENT_WAIT_S
        while replacement.state == "starting" and time.monotonic() < deadline and not self.owner.stopping:
            time.sleep(0.02)
        with self.lock:
            if leaving.state != "leaving":
                return
            leaving.state = "draining"
        try:
            self.owner.publish(wait=True)
        finally:
            if leaving.pid is not None:
                self._tell("stop", leaving.pid)

    def replace_faulty(self, instance: Instance, why: str) -> bool:
        """Take `instance` (one of ours, failing every request while its peers serve: `puma.lonefaults`)
        out of Envoy at once, start its replacement and drain it: its requests in flight finish."""
        with self.lock:
            if instance.state != "ready" or instance.remote or self.owner.stopping:
                return False
            instance.state = "draining"  # out of Envoy now; its exit is expected
        log.warning("service %s: %s; taking it out of Envoy, starting a replacement, then draining it",
                    self.name, why)
        self.owner.record(self.name, f"{why}: out of Envoy, replaced, then drained", kind="faulty",
                          instance=instance.id)
        self.spawn(replacing=instance)  # "instance 2 replaced by instance 4 (pid N)" once it exists
        guard.thread(self._drain_out, instance, name=f"faulty-{self.name}-{instance.id}", retry=False).start()
        return True

    def _drain_out(self, instance: Instance) -> None:
        try:
            self.owner.publish(wait=True)
        finally:
            if instance.pid is not None:
                self._tell("stop", instance.pid)

    def busy(self, instance: Instance) -> tuple[int, float]:
        """`(requests running, seconds the oldest has run)` in `instance`, as it publishes them."""
        if instance.remote:
            return 0, 0.0
        return busy.read(busy.board_path(self.busy_dir, self.name, instance.id))

    def oldest_request(self, instance: Instance) -> str:
        """What the oldest request running in `instance` is ("POST /listener"), as it publishes it; '' if unknown."""
        if instance.remote:
            return ""
        return busy.oldest_request(busy.board_path(self.busy_dir, self.name, instance.id))

    def ready(self) -> list[Instance]:
        with self.lock:
            return [i for i in self.instances.values() if i.state == "ready"]

    def routable(self) -> list[Instance]:
        """The instances Envoy routes to: the ready ones, and a stand-in for the last one."""
        with self.lock:
            return [i for i in self.instances.values()
                    if i.state in ("ready", "leaving") or (i.standin and i.state == "starting")]

    def live(self) -> list[Instance]:
        """This host's starting and ready instances (the ones `scale` and the autoscaler manage)."""
        with self.lock:
            return [i for i in self.instances.values() if i.state in ("starting", "ready") and not i.remote]

    def find(self, address: str) -> Instance | None:
        """The ready instance at 'host:port', if any."""
        with self.lock:
            return next((i for i in self.instances.values() if i.state == "ready" and i.address == address), None)

    def retire(self, instance: Instance) -> None:
        """Stop routing to `instance`, let its requests finish, then stop it.

        An instance still starting (no pid yet) is stopped as soon as the zygote reports its pid.
        """
        with self.lock:
            if instance.state not in ("starting", "ready"):
                return
            instance.state = "draining"
            pid = instance.pid
        try:
            self.owner.publish(wait=True)
        finally:
            if pid is not None:
                self._tell("stop", pid)

    def evict(self, instance: Instance) -> None:
        """Take a failing instance out of Envoy at once and kill it; its exit brings a replacement."""
        with self.lock:
            if instance.state != "ready":
                return
            instance.state = "unhealthy"
            if instance.remote:  # not ours to kill: its worker host is told to (see puma.workers)
                self.instances.pop(instance.id, None)
        self.owner.publish()
        if not instance.remote:
            assert instance.pid is not None
            self._tell("kill", instance.pid)

    # --- what happens when things die: the restart policy's (`puma.instances.ServicePool`) ---------
    def _replace(self, dead: Instance) -> None:
        """Start a new instance in place of `dead` (which was not expected to exit), now or later."""
        raise NotImplementedError

    def _say_warming_if_none_left(self) -> None:
        """Once none is left to route to while its zygote is not ready: its 503s say its warm-up."""
        raise NotImplementedError

    def _serving_again(self) -> None:
        """An instance was admitted: its 503s stop saying a warm-up, if they did."""
        raise NotImplementedError
