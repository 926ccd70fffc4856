"""A service's processes: its zygote, the instances it forked, and what happens to them.

A `ServicePool` learns everything from its zygote's events (see `puma.zygote`; the zygote process
itself, its commands and events, is `puma.zygotes.ServiceZygote`, which the pool extends) — no probing:
an instance joins Envoy's endpoints the moment it reports that it serves, and a death is seen the
moment the zygote reaps it (a replacement is spawned on the dead one's socket: at once, or after a
pause when the service restarts too often; the socket stays open meanwhile). A hung
instance is found by Envoy's active health checks (see `puma.health`), which `evict` acts on.

The pool belongs to an owner (`PoolOwner`): the core's `Deployment`, or a worker host's
`WorkerHost`; it needs nothing else from either.
"""

from __future__ import annotations

import collections
import logging
import math
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

from . import busy, guard
from .clocks import seen_late
from .forkserver import ForkedZygote, exit_text
from .instancestate import Instance as Instance  # re-exported: tests import it from here
from .orphans import Orphans, dying, start_ticks
from .recycling import RECYCLE_EXIT_CODE
from .services import Service
from .zygote import DRAIN_SIGNAL
from .zygotes import INSTANCE_HOST, Event, PoolOwner, ServiceZygote
from .zygotes import CommandWriter as CommandWriter  # re-exported: tests import it from here

log = logging.getLogger(__name__)

RESTART_WINDOW_S = 10.0
MAX_RESTARTS_IN_WINDOW = 5
LEAVE_REPLACEMENT_WAIT_S = 6.0  # an instance sent SIGTERM stays routed this long at most, for its replacement
RESTART_BACKOFF_S = 2.0  # before replacing an instance that died past MAX_RESTARTS_IN_WINDOW
# A zygote that dies (killed, or out of memory) is started again with its instances, at most this
# often: past it, the service is reported failed (`ServicePool.failed`) and left down.
ZYGOTE_RESTART_WINDOW_S = 60.0
MAX_ZYGOTE_RESTARTS_IN_WINDOW = 3
ZYGOTE_RESTART_PAUSE_S = 1.0  # before each restart after the first in a window
ZYGOTE_START_GIVE_UP_S = 60.0
# A zygote whose start took this long or more: while it starts again with no instance left, its 503s
# say so in Retry-After (a quicker one is back within the 1 s they say anyway).
# `kill -9 ZYGOTE INSTANCE` is one command, yet the supervisor may see the zygote's death before the
# instance is even sent its signal (on a loaded machine, long before it runs): an instance that dies
# within this long of its zygote died with it, and is not said to have been "kept serving".
KILLED_TOGETHER_S = 0.5
SLOW_WARMUP_S = 2.0  # a zygote that cannot be started again for this long: the service failed


class ServicePool(ServiceZygote):
    """The zygote of one service and the instances it forked (and, on the core, workers' instances)."""

    def __init__(self, owner: PoolOwner, name: str, service: Service, host: str = INSTANCE_HOST) -> None:
        super().__init__(owner, name, service, host)
        self.instances: dict[int, Instance] = {}
        self.lock = threading.RLock()
        self._ids = iter(range(1, 1 << 30))
        self.first_ready_at: float | None = None  # epoch seconds of its first ready instance
        self._restarts: collections.deque[float] = collections.deque()
        self.spawn_error: str | None = None  # why an instance could not start while the service started
        self.orphans = Orphans(name, self._on_orphan_exit)  # instances that outlived their zygote
        self._zygote_down = False  # its zygote died and no new one takes commands yet: replacements wait
        self._owed = 0  # replacements due but not asked of a zygote yet (backing off, or no zygote to ask)
        self._warming_said = False  # Envoy's routes say its warm-up in Retry-After (`warming_s`)

    def _instance_events(self) -> dict[str, Callable[[Event], None]]:
        return {"spawned": self._on_spawned, "serving": self._on_serving, "exit": self._on_exit,
                "leaving": self._on_leaving, "spawn_failed": self._on_spawn_failed}

    def _restart_zygote(self, zygote: subprocess.Popen[str] | ForkedZygote) -> None:
        """Start the zygote again; the instances it had forked serve on meanwhile (a zygote is needed
        only to fork: its death cost a slow-warming service its whole warm-up of 503s). Only forks
        (a replacement, a scale-up) wait for the new zygote."""
        with self.lock:
            self._zygote_down = True
            wanted = max(self.service.instances.min, self.wanted())
            kept, lost = self._keep_serving()
        for dead in lost:  # killed with it (kill -9 of both): each death named, as any other instance's
            log.warning("service %s: instance %d (pid %s) died with its zygote; replacing it once its zygote is "
                        "started again", self.name, dead.id, dead.pid)
            self.owner.record(self.name, f"instance {dead.id} died with its zygote; replacing it once its zygote "
                              "is started again", kind="died")
        self.owner.publish()
        self.zygote_started_at = time.monotonic()  # the restart begins (`start_zygote` sets it again)
        kept = self._still_serving(kept)
        self._say_warming_if_none_left()
        code = zygote.poll()
        why, self._unresponsive = self._unresponsive, None
        if not self._may_restart_zygote(code, why):
            self._stop_orphans()
            return
        serving = sum(1 for i in kept if i.state == "ready")
        # The log and the event say the same words: "none kept serving", never "its 0 ... serve on".
        kept_said = f"{_count(serving, 'serving instance')} kept serving" if serving else "none kept serving"
        log.warning("service %s: its zygote (pid %s) exited with %s; starting it again; %s meanwhile",
                    self.name, zygote.pid, exit_text(zygote, code), kept_said)
        try:
            guard.persist(f"service {self.name}: starting its zygote again", self.start_zygote,
                          stop=lambda: self._closing or self.owner.stopping, give_up_after_s=ZYGOTE_START_GIVE_UP_S)
        except Exception as exc:  # noqa: BLE001 - tried for a minute: down for good, said so
            self._fail(f"its zygote could not be started again for {ZYGOTE_START_GIVE_UP_S:.0f} s "
                       f"({type(exc).__name__}: {exc})")
            self._stop_orphans()
            return
        with self.lock:  # from here on, an instance that dies is replaced at once (`_on_exit`)
            self._zygote_down = False
            self._owed = 0  # counted in `wanted`, and what died since was counted there as alive
            short = max(0, wanted - len(self.live()))
        died = f"{why}; killed" if why else f"zygote died ({exit_text(zygote, code)})"
        self.owner.record(self.name, f"{died}; started again; {kept_said}"
                          + (f", {short} more starting" if short else ""), kind="zygote_restarted", kept=serving)
        for _ in range(short):
            self.spawn()

    def _keep_serving(self) -> tuple[list[Instance], list[Instance]]:
        """Under the lock, as the zygote died: keep its instances that serve (or drain) as orphans,
        watched by the supervisor; kill and drop those that were starting or failing their checks.
        Returns those kept, and those found dead (gone with their zygote, not draining)."""
        kept, lost = [], []
        for instance in [i for i in self.instances.values() if not i.remote]:
            alive = instance.pid is not None and self.orphans.adopt(instance.pid, instance.start_ticks)
            if alive and instance.state in ("ready", "leaving", "draining"):
                instance.orphan = True
                kept.append(instance)
                continue
            if alive:  # starting (it could never say it serves: that pipe was its zygote's) or unhealthy
                instance.state = "stopped"  # before the kill: its exit is expected
                assert instance.pid is not None
                self.orphans.signal(instance.pid, signal.SIGKILL)
            elif instance.state in ("starting", "ready", "unhealthy"):
                lost.append(instance)
            instance.state = "stopped"
            del self.instances[instance.id]
        return kept, lost

    def _still_serving(self, kept: list[Instance]) -> list[Instance]:
        """Those of `kept` still alive, and not on their way out, `KILLED_TOGETHER_S` after their
        zygote's death (an exit seen meanwhile is named by `_on_exit`, as any orphan's)."""
        deadline = time.monotonic() + KILLED_TOGETHER_S
        while kept and time.monotonic() < deadline:
            time.sleep(0.05)
        with self.lock:
            return [i for i in kept if self.instances.get(i.id) is i and i.pid is not None and not dying(i.pid)]

    def _stop_orphans(self) -> None:
        """The service failed (or stops): its orphans drain and exit."""
        with self.lock:
            for instance in self.instances.values():
                if instance.orphan and instance.state in ("ready", "leaving"):
                    instance.state = "draining"
        self.owner.publish()
        for pid in self.orphans.pids():
            self.orphans.signal(pid, DRAIN_SIGNAL)

    def _say_warming(self, warming: bool) -> None:
        """Have Envoy's routes say (or stop saying) its warm-up in Retry-After: best effort (on a full
        disk the routes cannot be written; the supervisor reports that, and 503s say 1 s)."""
        self._warming_said = warming
        try:
            self.owner.publish_config()
        except OSError as exc:
            log.warning("service %s: its routes could not say its warm-up in Retry-After: %s", self.name, exc)

    def _say_warming_if_none_left(self) -> None:
        """While its zygote starts again: once no instance is left to route to (none kept serving, or
        the last one kept died after), a slow-warming service's 503s say how long (`warming_s`)."""
        if not self._warming_said and not self.routable() and (self.warmup_s or 0.0) >= SLOW_WARMUP_S:
            self._say_warming(True)

    def warming_s(self) -> int | None:
        """Seconds until it serves again, roughly, while it has no instance and its zygote warms up
        again (its last start-up took `warmup_s`): what its 503s say in Retry-After. None otherwise."""
        if not self._warming_said or self.warmup_s is None or self.routable():
            return None
        left_s = self.warmup_s - (time.monotonic() - self.zygote_started_at) if self.restarting or \
            not self.zygote_ready() else 0.0
        return max(1, math.ceil(left_s + 0.5))  # and a fork: well under a second

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

    def shutdown(self) -> None:
        orphans = self.orphans.pids()
        if orphans:
            self._stop_orphans()
        super().shutdown()
        deadline = time.monotonic() + self.drain_timeout_s + 3.0
        while len(self.orphans) and time.monotonic() < deadline:
            time.sleep(0.05)
        for pid in self.orphans.pids():
            self.orphans.signal(pid, signal.SIGKILL)
        self.orphans.close()

    def _fail(self, reason: str) -> None:
        """Down for good (`failed`): clients are told it is down until an operator restarts it (no Retry-After)."""
        self.failed = reason
        log.error("service %s failed: %s; its log: %s", self.name, reason, self.log_path)
        self.owner.record(self.name, f"failed: {reason}", kind="failed")
        guard.persist(f"service {self.name}: routing it as failed", self.owner.publish_config,
                      stop=lambda: self.owner.stopping)

    def revive(self, count: int) -> None:
        """Start a failed service again by hand (`puma scale`, once its cause is fixed): a new zygote
        and `count` instances, its restart budget afresh, the rest of the deployment untouched.
        (Kubernetes restarts a crash-looping pod with back-off; a service past PUMA's budget waits for
        this, or a restart of the deployment.) Raises what starting the zygote raised."""
        why, self.failed = self.failed, None
        log.warning("service %s: started again by hand with %d instance(s); it had failed: %s", self.name, count, why)
        self.owner.record(self.name, f"started again by hand with {count} instance{'' if count == 1 else 's'} "
                          f"(it had failed: {why})", kind="revived")
        self._zygote_restarts.clear()
        self._restarts.clear()
        self.restarting = True
        try:
            self.start_zygote()
        except Exception as exc:
            self._fail(f"it could not be started again by hand ({type(exc).__name__}: {exc})")
            raise
        finally:
            self.restarting = False
        self.owner.publish_config()  # its routes no longer answer "failed"
        for _ in range(count):
            self.spawn()

    def next_id(self) -> int:
        return next(self._ids)

    def spawn(self, *, reuse: Instance | None = None) -> Instance:
        """Start an instance; with `reuse`, in place of that dead instance, on its socket (its port)
        unless it outlived its zygote (the zygote that held its socket is gone: a new port then)."""
        with self.lock:
            instance = Instance(next(self._ids), self.name, host=self.host)
            instance.replaces = reuse.id if reuse is not None else None
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

    def _may_restart_zygote(self, code: int | None, why: str | None = None) -> bool:
        now = time.monotonic()
        while self._zygote_restarts and now - self._zygote_restarts[0] > ZYGOTE_RESTART_WINDOW_S:
            self._zygote_restarts.popleft()
        if len(self._zygote_restarts) >= MAX_ZYGOTE_RESTARTS_IN_WINDOW:
            self.failed = (f"its zygote exited {len(self._zygote_restarts) + 1} times in "
                           f"{ZYGOTE_RESTART_WINDOW_S:.0f} s (last code {code}"
                           + (f": {why or self._zygote_error}" if why or self._zygote_error else "")
                           + "); not restarted again")
            log.error("service %s failed: %s; its log: %s", self.name, self.failed, self.log_path)
            self.owner.record(self.name, f"failed: {self.failed}", kind="failed")
            self.owner.publish_config()  # Envoy answers its requests "failed", not "starting, retry"
            return False
        if self._zygote_restarts:  # died again soon after a restart: not in a tight loop
            time.sleep(ZYGOTE_RESTART_PAUSE_S)
        self._zygote_restarts.append(now)
        return not (self._closing or self.owner.stopping)

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
            if self._warming_said:  # it serves again: its routes say no Retry-After any more
                self._say_warming(False)

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

    def _replace(self, dead: Instance) -> None:
        """A new instance on `dead`'s socket: at once, or RESTART_BACKOFF_S later when restarting too often.

        The socket stays open meanwhile, never closed: Envoy sends to the dead instance's address until
        the endpoint update reaches it (milliseconds after a caller already had its 503), and those
        requests wait in the socket's backlog for the replacement. Closed, it would reset them, and
        Envoy would answer "its instance closed the connection ... may have taken effect" for requests
        no instance ever read (`puma_map` took that for a death under an item that never ran).
        """
        now = time.monotonic()
        while self._restarts and now - self._restarts[0] > RESTART_WINDOW_S:
            self._restarts.popleft()
        self._restarts.append(now)
        if len(self._restarts) > MAX_RESTARTS_IN_WINDOW:
            log.error("service %s: %d restarts in %.0f s; backing off %g s", self.name,
                      len(self._restarts), RESTART_WINDOW_S, RESTART_BACKOFF_S)
            with self.lock:
                self._owed += 1
            guard.later(RESTART_BACKOFF_S, self._replace_later, dead, name=f"puma-{self.name}-replace")
            return
        self.spawn(reuse=dead)

    def _replace_later(self, dead: Instance) -> None:
        with self.lock:
            if self._owed == 0:  # a zygote restart meanwhile started it
                return
            self._owed -= 1
        if not (self._closing or self.owner.stopping):
            self.spawn(reuse=dead)

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


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'' if n == 1 else 's'}"
