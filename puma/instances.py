"""A service's processes: its zygote, the instances it forked, and what happens when they die (its
restart policy: Kubernetes' `restartPolicy: Always` with its crash-loop back-off).

A `ServicePool` learns everything from its zygote's events (see `puma.zygote`) — no probing: an
instance joins Envoy's endpoints the moment it reports that it serves, and a death is seen the
moment the zygote reaps it. The pool is built in layers, each a module:

- `puma.zygotes.ServiceZygote`: the zygote process itself, its commands and events;
- `puma.lifecycle.InstanceLifecycle`: its instances from spawn to exit (admitted to Envoy, retired,
  evicted: a hung instance is found by Envoy's active health checks, see `puma.health`);
- `ServicePool`, here: a replacement for a dead instance, spawned on its socket (at once, or after
  a pause when the service restarts too often; the socket stays open meanwhile); a zygote that
  died started again while its instances serve on (as orphans); a service past its restart
  budget failed, until `revive`.

The pool belongs to an owner (`PoolOwner`): the core's `Deployment`, or a worker host's
`WorkerHost`; it needs nothing else from either.
"""

from __future__ import annotations

import collections
import logging
import math
import signal
import subprocess
import time

from . import guard
from .forkserver import ForkedZygote, exit_text
from .instancestate import Instance as Instance  # re-exported: tests import it from here
from .lifecycle import InstanceLifecycle
from .orphans import dying
from .services import Service
from .zygote import DRAIN_SIGNAL
from .zygotes import INSTANCE_HOST, PoolOwner
from .zygotes import CommandWriter as CommandWriter  # re-exported: tests import it from here

log = logging.getLogger(__name__)

# The restart budgets (tests shorten them here, on this module).
RESTART_WINDOW_S = 10.0
MAX_RESTARTS_IN_WINDOW = 5
RESTART_BACKOFF_S = 2.0  # before replacing an instance that died past MAX_RESTARTS_IN_WINDOW
# A zygote that dies (killed, or out of memory) is started again with its instances, at most this
# often: past it, the service is reported failed (`ServicePool.failed`) and left down.
ZYGOTE_RESTART_WINDOW_S = 60.0
MAX_ZYGOTE_RESTARTS_IN_WINDOW = 3
ZYGOTE_RESTART_PAUSE_S = 1.0  # before each restart after the first in a window
ZYGOTE_START_GIVE_UP_S = 60.0  # a zygote that cannot be started again for this long: the service failed
# `kill -9 ZYGOTE INSTANCE` is one command, yet the supervisor may see the zygote's death before the
# instance is even sent its signal (on a loaded machine, long before it runs): an instance that dies
# within this long of its zygote died with it, and is not said to have been "kept serving".
KILLED_TOGETHER_S = 0.5
# A zygote whose start took this long or more: while it starts again with no instance left, its 503s
# say so in Retry-After (a quicker one is back within the 1 s they say anyway).
SLOW_WARMUP_S = 2.0
# What those 503s say at most: a client told to wait longer would wait past a warm-up that went
# quicker this time (a cold disk cache, a model download, on the first start only), and a figure
# measured wrong must not keep clients away for minutes. (A stopping deployment says 45 s.)
MAX_WARMING_RETRY_AFTER_S = 30


class ServicePool(InstanceLifecycle):
    """The zygote of one service and the instances it forked (and, on the core, workers' instances),
    with its restart policy: what happens when an instance or the zygote dies."""

    def __init__(self, owner: PoolOwner, name: str, service: Service, host: str = INSTANCE_HOST) -> None:
        super().__init__(owner, name, service, host)
        self._restarts: collections.deque[float] = collections.deque()
        self._warming_said = False  # Envoy's routes say its warm-up in Retry-After (`warming_s`)

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

    def _serving_again(self) -> None:
        if self._warming_said:  # it serves again: its routes say no Retry-After any more
            self._say_warming(False)

    def warming_s(self) -> int | None:
        """Seconds until it serves again, roughly, while it has no instance and its zygote warms up
        again (its last start-up took `warmup_s`): what its 503s say in Retry-After. None otherwise."""
        if not self._warming_said or self.warmup_s is None or self.routable():
            return None
        left_s = self.warmup_s - (time.monotonic() - self.zygote_started_at) if self.restarting or \
            not self.zygote_ready() else 0.0
        return min(MAX_WARMING_RETRY_AFTER_S, max(1, math.ceil(left_s + 0.5)))  # and a fork: well under a second

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


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'' if n == 1 else 's'}"
