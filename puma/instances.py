"""A service's processes: its zygote, the instances it forked, and what happens to them.

A `ServicePool` learns everything from its zygote's events (see `puma.zygote`) — no probing:
an instance joins Envoy's endpoints the moment it reports that it serves, and a death is seen the
moment the zygote reaps it (a replacement is spawned on the dead one's socket: at once, or after a
pause when the service restarts too often; the socket stays open meanwhile). A hung
instance is found by Envoy's active health checks (see `puma.health`), which `evict` acts on.

The pool belongs to an owner (`PoolOwner`): the core's `Deployment`, or a worker host's
`WorkerHost`; it needs nothing else from either.
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from . import busy, guard
from .config import Service
from .errors import PumaStartError
from .forkserver import ForkedZygote, ForkServer, exit_text
from .logs import log_tail
from .recycling import RECYCLE_EXIT_CODE
from .zygotewatch import ZygoteWatch

log = logging.getLogger(__name__)

INSTANCE_HOST = "127.0.0.1"
RESTART_WINDOW_S = 10.0
MAX_RESTARTS_IN_WINDOW = 5
LEAVE_REPLACEMENT_WAIT_S = 6.0  # an instance sent SIGTERM stays routed this long at most, for its replacement
RESTART_BACKOFF_S = 2.0  # before replacing an instance that died past MAX_RESTARTS_IN_WINDOW
# A zygote that dies (killed, or out of memory) is started again with its instances, at most this
# often: past it, the service is reported failed (`ServicePool.failed`) and left down.
ZYGOTE_RESTART_WINDOW_S = 60.0
MAX_ZYGOTE_RESTARTS_IN_WINDOW = 3
ZYGOTE_RESTART_PAUSE_S = 1.0  # before each restart after the first in a window
ZYGOTE_START_GIVE_UP_S = 60.0  # a zygote that cannot be started again for this long: the service failed


@dataclass
class Instance:
    id: int
    service: str
    pid: int | None = None
    port: int | None = None
    state: str = "starting"  # starting -> ready [-> leaving: sent SIGTERM, routed until replaced] -> draining -> stopped
    started_at: float = field(default_factory=time.monotonic)
    ready_at: float | None = None
    host: str = INSTANCE_HOST
    worker: str | None = None  # the worker host that registered it; None for this host's own
    last_seen: float = field(default_factory=time.monotonic)
    # A replacement started on the socket of the service's last instance, which died: Envoy keeps
    # routing to that address while it starts, and requests wait in the socket's backlog.
    standin: bool = False
    container: str | None = None  # the container's short id, with the Docker backend (no pid of ours)
    # Why its readiness check fails (what it needs is down), as the instance says; None while it
    # passes. Set and cleared from Envoy's health events (`puma.health`); `puma status` shows it.
    not_ready: str | None = None
    not_ready_since: float | None = None  # monotonic; when it was first seen not ready
    ever_ready: bool = False  # its readiness check has passed at least once (else it is waiting at start)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def remote(self) -> bool:
        return self.worker is not None


class CommandWriter:
    """Commands to one zygote, written by a thread of their own.

    The zygote writes events while it reads commands, and the supervisor's event reader sends
    commands in answer (a stop for an instance retired before its pid came). Written by the reader
    itself, each side could block on a full pipe to the other: with ~1,000 instances starting while
    the deployment stops, both did, forever. Here `send` never blocks, so events are always read.
    """

    def __init__(self, stream: IO[str], name: str) -> None:
        self.stream = stream
        self.gone = False  # the zygote closed its stdin (it exited): later commands are dropped
        self._queue: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._thread = guard.thread(self._write, name=f"puma-{name}-commands")
        self._thread.start()

    def send(self, command: dict[str, Any]) -> bool:
        """Queue `command`; False if the zygote is known to be gone."""
        if self.gone:
            return False
        self._queue.put(json.dumps(command) + "\n")
        return True

    def close(self) -> None:
        """Close the zygote's stdin once what is queued is written (the zygote then stops)."""
        self._queue.put(None)

    def _write(self) -> None:
        while (line := self._queue.get()) is not None:
            try:
                self.stream.write(line)
                self.stream.flush()
            except (OSError, ValueError):  # BrokenPipeError: the zygote exited
                self.gone = True
        self.gone = True
        with contextlib.suppress(OSError, ValueError):
            self.stream.close()


class PoolOwner(Protocol):
    """What a `ServicePool` uses of the process that runs it."""

    run_dir: Path
    drain_timeout_s: float
    stopping: bool
    keep_logs: bool
    fork_server: ForkServer | None

    def child_env(self) -> dict[str, str]: ...

    def record(self, service: str, message: str, **data: Any) -> None: ...

    def publish(self, *, wait: bool = False) -> None: ...

    def publish_config(self) -> None: ...


class ServicePool:
    """The zygote of one service and the instances it forked (and, on the core, workers' instances)."""

    def __init__(self, owner: PoolOwner, name: str, service: Service, host: str = INSTANCE_HOST) -> None:
        self.owner = owner
        self.name = name
        self.service = service
        self.host = host
        self.instances: dict[int, Instance] = {}
        self.lock = threading.RLock()
        self.zygote: subprocess.Popen[str] | ForkedZygote | None = None
        self._reader: threading.Thread | None = None
        self.commands: CommandWriter | None = None
        self._ids = iter(range(1, 1 << 30))
        self._ready = threading.Event()
        self._zygote_error: str | None = None
        self.progress: str | None = None  # what its warm-up said it is doing (`puma.progress`)
        self.progress_at = 0.0  # when it said so (monotonic)
        self.first_ready_at: float | None = None  # epoch seconds of its first ready instance
        self._restarts: collections.deque[float] = collections.deque()
        self._zygote_restarts: collections.deque[float] = collections.deque()
        self._closing = False  # shutdown() began: a zygote exit is expected
        self.failed: str | None = None  # why the service is down for good (its zygote kept dying)
        self.spawn_error: str | None = None  # why an instance could not start while the service started
        self.restarting = False  # its zygote died and is being started again: no scaling meanwhile
        self.log_path = owner.run_dir / "logs" / f"{name}.log"
        self.busy_dir = owner.run_dir / "busy"  # each instance's busy threads (see puma.busy)
        self.watch: ZygoteWatch | None = None  # its liveness check, once a zygote has started
        self._unresponsive: str | None = None  # why the watch killed the zygote (it did not answer)

    # --- zygote ---------------------------------------------------------------------------
    def start_zygote(self) -> None:
        assert self.service.target is not None
        args = ["--service", self.name, "--target", self.service.target,
                "--prefix", self.service.prefix, "--host", self.host, "--threads", str(self.service.threads),
                "--max-body-bytes", str(self.service.max_body_bytes),
                "--content-types", ",".join(self.service.content_types),
                "--drain-timeout-s", str(self.drain_timeout_s), "--timeout-s", str(self.service.timeout_s),
                "--busy-dir", str(self.busy_dir)]
        if self.service.warmup:
            args += ["--warmup", self.service.warmup]
        if self.service.idempotent_methods:  # checked against the methods the service has, once loaded
            args += ["--idempotent", ",".join(self.service.idempotent_methods)]
        if self.service.retries_all:
            args.append("--idempotent-all")
        if self.service.cpu_bound:
            args.append("--cpu-bound")
        if self.service.readiness is not None:
            r = self.service.readiness
            args += ["--readiness", r.check, "--readiness-period-s", str(r.period_s),
                     "--readiness-timeout-s", str(r.timeout_s)]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._ready, self._zygote_error = threading.Event(), None
        server = self.owner.fork_server
        with open(self.log_path, "ab") as log_file:
            if server is not None and server.alive():  # forked from a process that imported puma.worker
                self.zygote = server.spawn(args, self.owner.child_env(), log_file)
            else:
                self.zygote = subprocess.Popen([sys.executable, "-m", "puma.worker", *args], stdin=subprocess.PIPE,
                                               stdout=subprocess.PIPE, stderr=log_file, text=True, bufsize=1,
                                               env=self.owner.child_env(), start_new_session=True)
        assert self.zygote.stdin is not None
        self.commands = CommandWriter(self.zygote.stdin, self.name)
        self._reader = guard.thread(self._read_events, self.zygote, name=f"puma-{self.name}-events",
                                    stop=lambda: self._closing or self.owner.stopping)
        self._reader.start()
        if self.watch is None:
            self.watch = ZygoteWatch(self.name, self._ping, self._watched_pid, self._kill_unresponsive,
                                     period_s=self.service.health_check.interval_s)
            self.watch.start()

    def _ping(self, command: dict[str, Any]) -> bool:
        return self.commands is not None and self.commands.send(command)

    def _watched_pid(self) -> int | None:
        """The zygote's pid while its liveness is checked: it is ready and nothing else acts on it."""
        zygote = self.zygote
        if (zygote is None or not self._ready.is_set() or self._zygote_error or self.restarting or self._closing
                or self.owner.stopping or self.failed or zygote.poll() is not None):
            return None
        return zygote.pid

    def _kill_unresponsive(self, pid: int, why: str) -> None:
        """The zygote did not answer its liveness check: kill it; its exit restarts it (`_zygote_exited`)."""
        zygote = self.zygote
        if zygote is None or zygote.pid != pid or self._closing or self.owner.stopping:
            return
        self._unresponsive = why
        log.error("service %s: %s; killing it (its instances die with it), then starting it again", self.name, why)
        zygote.kill()

    @property
    def drain_timeout_s(self) -> float:
        """How long a stopping instance may finish its requests: the drain timeout, or the
        service's own request timeout if longer (a request it accepted may legitimately take that)."""
        return max(self.owner.drain_timeout_s, self.service.timeout_s)

    def zygote_ready(self) -> bool:
        """Whether the zygote answered (ready, or with an error)."""
        return self._ready.is_set()

    @property
    def zygote_error(self) -> str | None:
        """Why the zygote failed to start (import or warm-up), if it did."""
        return self._zygote_error

    def wait_zygote(self, timeout_s: float) -> None:
        if not self._ready.wait(timeout_s) or self._zygote_error:
            detail = self._zygote_error or f"no answer within {timeout_s:.0f} s"
            self.owner.keep_logs = True
            raise PumaStartError(f"service {self.name!r} ({self.service.target}) did not start: {detail}\n"
                                 + log_tail(self.log_path))

    def _send(self, command: dict[str, Any]) -> bool:
        """Queue `command` for the zygote (never blocks); False (logged) if it is gone."""
        assert self.commands is not None
        if not self.commands.send(command):
            # While the deployment stops (Ctrl-C during start-up) a zygote gone first is expected.
            quiet = self._closing or self.owner.stopping
            (log.debug if quiet else log.warning)("service %s: zygote is gone, command %s dropped",
                                                  self.name, command.get("op"))
            return False
        if self.watch is not None:
            self.watch.nudge()  # it must read this: check that it still reads commands at all
        return True

    def _read_events(self, zygote: subprocess.Popen[str] | ForkedZygote) -> None:
        handlers = {"spawned": self._on_spawned, "serving": self._on_serving, "exit": self._on_exit,
                    "pong": self._on_pong,
                    "leaving": self._on_leaving,
                    "spawn_failed": self._on_spawn_failed,
                    "progress": self._on_progress, "error": self._on_error, "ready": self._on_ready}
        stream = zygote.stdout
        assert stream is not None
        for line in stream if not stream.closed else ():  # run again after a failure (`guard`): carries on
            event = json.loads(line)
            handler = handlers.get(event.get("event"))
            if handler is not None:
                handler(event)
        stream.close()
        restarted = bool(self._zygote_restarts)
        if not self._ready.is_set():
            self._zygote_error = "its zygote exited during start-up"
            self._ready.set()
            if not restarted:  # the first start: `wait_zygote` reports it
                return
        self._zygote_exited(zygote)

    # --- a zygote's death ---------------------------------------------------------------------
    def _zygote_exited(self, zygote: subprocess.Popen[str] | ForkedZygote) -> None:
        """The zygote's events ended: unless stopping, it died (its instances with it, by
        PR_SET_PDEATHSIG). Reap it, drop its instances from Envoy, start it and them again."""
        if self._closing or self.owner.stopping or zygote is not self.zygote:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            zygote.wait(5.0)  # reaped: no zombie (a forked one is reaped by the fork server)
        if self.commands is not None:
            self.commands.close()
        self.restarting = True
        try:
            self._restart_zygote(zygote)
        finally:
            self.restarting = False

    def _restart_zygote(self, zygote: subprocess.Popen[str] | ForkedZygote) -> None:
        with self.lock:
            lost = [i for i in self.instances.values() if not i.remote]
            wanted = max(self.service.instances.min, sum(1 for i in lost if i.state in ("starting", "ready")))
            for instance in lost:
                instance.state = "stopped"
                del self.instances[instance.id]
        self.owner.publish()
        code = zygote.poll()
        why, self._unresponsive = self._unresponsive, None
        if not self._may_restart_zygote(code, why):
            return
        log.warning("service %s: its zygote (pid %s) exited with %s, taking %d instances with it; "
                    "starting it again with %d", self.name, zygote.pid, exit_text(zygote, code), len(lost), wanted)
        died = f"{why}; killed" if why else f"zygote died ({exit_text(zygote, code)})"
        self.owner.record(self.name, f"{died}; restarted with {wanted} instances", kind="zygote_restarted")
        try:
            guard.persist(f"service {self.name}: starting its zygote again", self.start_zygote,
                          stop=lambda: self._closing or self.owner.stopping, give_up_after_s=ZYGOTE_START_GIVE_UP_S)
        except Exception as exc:  # noqa: BLE001 - tried for a minute: down for good, said so
            self._fail(f"its zygote could not be started again for {ZYGOTE_START_GIVE_UP_S:.0f} s "
                       f"({type(exc).__name__}: {exc})")
            return
        for _ in range(wanted):
            self.spawn()

    def _fail(self, reason: str) -> None:
        """Down for good (`failed`): clients are told that retrying will not help, not to retry."""
        self.failed = reason
        log.error("service %s failed: %s; its log: %s", self.name, reason, self.log_path)
        self.owner.record(self.name, f"failed: {reason}", kind="failed")
        guard.persist(f"service {self.name}: routing it as failed", self.owner.publish_config,
                      stop=lambda: self.owner.stopping)

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

    def _on_pong(self, event: dict[str, Any]) -> None:
        if self.watch is not None:
            self.watch.pong(event)

    def _on_ready(self, event: dict[str, Any]) -> None:
        self._mark_idempotent(event.get("idempotent") or [])
        self._mark_methods(event.get("methods") or [])
        self._ready.set()

    def _mark_methods(self, methods: list[str]) -> None:
        """Narrow the methods Envoy lets through to those the target takes (a function binding its
        arguments: POST), so Envoy's 405 lists only methods the service then serves."""
        narrowed = self.service.with_methods(methods)
        if narrowed is not self.service:
            self.service = narrowed
            update = getattr(self.owner, "service_changed", None)
            if update is not None:
                update(self.name, narrowed)

    def _mark_idempotent(self, methods: list[str]) -> None:
        """Add the methods the zygote found marked `@puma.idempotent` to the service's config, before
        any instance is routed to: Envoy then retries them (their own routes; "" is the service)."""
        merged = self.service.with_idempotent(methods)
        if merged is not self.service:
            log.info("service %s: idempotent by decorator: %s", self.name, ", ".join(m or "(itself)" for m in methods))
            self.service = merged
            update = getattr(self.owner, "service_changed", None)
            if update is not None:
                update(self.name, merged)

    def _on_progress(self, event: dict[str, Any]) -> None:
        self.progress, self.progress_at = str(event.get("message", "")), time.monotonic()

    def _on_error(self, event: dict[str, Any]) -> None:
        self._zygote_error = event["message"]
        self._ready.set()

    # --- instances --------------------------------------------------------------------------
    def next_id(self) -> int:
        return next(self._ids)

    def spawn(self, *, reuse: Instance | None = None) -> Instance:
        """Start an instance; with `reuse`, on the socket (the port) of that dead instance."""
        with self.lock:
            instance = Instance(next(self._ids), self.name, host=self.host)
            if reuse is not None:
                instance.port = reuse.port
                # Only the last one stays in Envoy: with others ready, requests go to them meanwhile.
                instance.standin = not any(i.state == "ready" and not i.remote for i in self.instances.values())
            self.instances[instance.id] = instance
        if not self._send({"op": "spawn", "id": instance.id, **({"reuse": reuse.id} if reuse is not None else {})}):
            with self.lock:  # never started: not counted as starting (a later restart would start it too)
                instance.state = "stopped"
                self.instances.pop(instance.id, None)
        return instance

    def _on_spawned(self, event: dict[str, Any]) -> None:
        with self.lock:
            instance = self.instances.get(event["id"])
            if instance is None:
                return
            instance.pid, instance.port = event["pid"], event["port"]
            stop_now = instance.state == "draining"  # retired before its pid was known
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
            log.info("service %s: instance %d ready at %s (%s) in %.0f ms", self.name, instance.id, instance.address,
                     f"container {instance.container}" if instance.container else f"pid {instance.pid}", startup_ms)
            self.owner.record(self.name, f"instance {instance.id} ready at {instance.address} in {startup_ms:.0f} ms",
                              kind="ready", startup_ms=round(startup_ms, 1))
        if admitted:
            self.owner.publish()

    def _on_exit(self, event: dict[str, Any]) -> None:
        with self.lock:
            instance = next((i for i in self.instances.values() if i.pid == event["pid"] and not i.remote), None)
            if instance is None:
                return
            expected = instance.state in ("draining", "stopped", "leaving")
            instance.state = "stopped"
            del self.instances[instance.id]
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
                              f"(see {self.log_path.name}); replaced{lost}", kind="recycled")
        else:
            log.warning("service %s: instance %d (pid %d) exited with code %s; replacing it",
                        self.name, instance.id, event["pid"], event["code"])
            self.owner.record(self.name, f"instance {instance.id} died (code {event['code']}); replaced{lost}",
                              kind="died")
        self._replace(instance)
        self.owner.publish()  # after: a stand-in keeps the dead instance's address in Envoy

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
        # The replacement ready first (bounded: the instance drains by itself after worker.LEAVE_WAIT_S),
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
                self._send({"op": "stop", "pid": leaving.pid})

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
            guard.later(RESTART_BACKOFF_S, self._replace_later, dead, name=f"puma-{self.name}-replace")
            return
        self.spawn(reuse=dead)

    def _replace_later(self, dead: Instance) -> None:
        if not (self._closing or self.owner.stopping):
            self.spawn(reuse=dead)

    def busy(self, instance: Instance) -> tuple[int, float]:
        """`(requests running, seconds the oldest has run)` in `instance`, as it publishes them."""
        if instance.remote or instance.container:
            return 0, 0.0
        return busy.read(busy.board_path(self.busy_dir, self.name, instance.id))

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
                self._send({"op": "stop", "pid": pid})

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
            self._send({"op": "kill", "pid": instance.pid})

    def shutdown(self) -> None:
        self._closing = True
        if self.watch is not None:
            self.watch.stop()
        if self.zygote is None:
            return
        if self.commands is not None:
            self.commands.close()  # then the zygote SIGTERMs its instances, which drain and exit
        # A zygote still importing or warming up has no instance to drain and reads no stdin until
        # it is done (minutes, for a heavy warm-up): Ctrl-C during start-up must not wait for it.
        grace_s = self.drain_timeout_s + 3.0 if self._ready.is_set() else 1.0
        if not self._ready.is_set() and self.zygote.pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.zygote.pid, signal.SIGTERM)
        try:
            self.zygote.wait(grace_s)
        except subprocess.TimeoutExpired:
            self.zygote.kill()
            self.zygote.wait()
        if self._reader is not None:
            self._reader.join(timeout=2.0)
