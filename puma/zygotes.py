"""A service's zygote process: started (forked by the fork server, or as `python -m puma.worker`),
sent commands, its events read and dispatched, its liveness watched, and stopped.
`puma.lifecycle.InstanceLifecycle` builds on it with the instances the zygote forks (their
bookkeeping), and `puma.instances.ServicePool` on that with their replacement, and decides whether
a zygote that died is started again (its restart budget).
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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, Protocol, TypeVar

from . import guard, sharedcache, stalls
from .errors import PumaStartError
from .forkserver import ForkedZygote, ForkServer
from .logs import log_tail
from .services import Service
from .zygotewatch import ZygoteWatch

log = logging.getLogger(__name__)

INSTANCE_HOST = "127.0.0.1"
Event = dict[str, Any]
Z = TypeVar("Z", bound="ServiceZygote")


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


class ServiceZygote:
    """The zygote of one service: its process, commands, events and restarts (the instances it
    forks are `ServicePool`'s, which supplies their event handlers and restarts them with it)."""

    def __init__(self, owner: PoolOwner, name: str, service: Service, host: str = INSTANCE_HOST) -> None:
        self.owner = owner
        self.name = name
        self.service = service
        self.host = host
        self.zygote: subprocess.Popen[str] | ForkedZygote | None = None
        self._reader: threading.Thread | None = None
        self.commands: CommandWriter | None = None
        self._ready = threading.Event()
        self._zygote_error: str | None = None
        self.progress: str | None = None  # what its warm-up said it is doing (`puma.progress`)
        self.progress_at = 0.0  # when it said so (monotonic)
        self._zygote_restarts: collections.deque[float] = collections.deque()
        self._closing = False  # shutdown() began: a zygote exit is expected
        self.failed: str | None = None  # why the service is down for good (its zygote kept dying)
        self.restarting = False  # its zygote died and is being started again: no scaling meanwhile
        self.log_path = owner.run_dir / "logs" / f"{name}.log"
        self.busy_dir = owner.run_dir / "busy"  # each instance's busy threads (see puma.busy)
        self.watch: ZygoteWatch | None = None  # its liveness check, once a zygote has started
        self._unresponsive: str | None = None  # why the watch killed the zygote (it did not answer)
        self.zygote_started_at = 0.0  # when its zygote was last started (monotonic)
        self.warmup_s: float | None = None  # how long its zygote's last start took, to ready (import, warm-up)

    def _instance_events(self) -> dict[str, Callable[[Event], None]]:
        """Handlers of the zygote's events about instances ("spawned", "exit"...), by event name."""
        return {}

    def _restart_zygote(self, zygote: subprocess.Popen[str] | ForkedZygote) -> None:
        """Start the service again after its zygote died (its instances with it), if its budget allows."""
        raise NotImplementedError

    def start_zygote(self) -> None:
        assert self.service.target is not None
        args = ["--service", self.name, "--target", self.service.target,
                "--prefix", self.service.prefix, "--host", self.host, "--threads", str(self.service.threads),
                "--max-body-bytes", str(self.service.max_body_bytes),
                "--content-types", ",".join(self.service.content_types),
                "--drain-timeout-s", str(self.drain_timeout_s), "--timeout-s", str(self.service.timeout_s),
                "--busy-dir", str(self.busy_dir), "--answers-dir", str(sharedcache.answers_dir(self.owner.run_dir)),
                # Its instances stop when this process exits, not with the zygote (see `puma.orphans`).
                "--supervisor-pid", str(os.getpid())]
        if self.service.warmup:
            args += ["--warmup", self.service.warmup]
        if self.service.idempotent_methods:  # checked against the methods the service has, once loaded
            args += ["--idempotent", ",".join(self.service.idempotent_methods)]
        if self.service.retries_all:
            args.append("--idempotent-all")
        if self.service.cpu_bound:
            args.append("--cpu-bound")
        if self.service.takes_get:
            args.append("--get")
        if self.service.readiness is not None:
            r = self.service.readiness
            args += ["--readiness", r.check, "--readiness-period-s", str(r.period_s),
                     "--readiness-timeout-s", str(r.timeout_s),
                     "--readiness-failure-threshold", str(r.failure_threshold)]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._ready, self._zygote_error = threading.Event(), None
        stalls.watch()  # the supervisor's own stalls meanwhile are no warm-up (`_on_ready`)
        self.zygote_started_at = time.monotonic()
        server = self.owner.fork_server
        with open(self.log_path, "ab") as log_file:
            if server is not None and self._fork_server_usable(server):  # forked from a process that imported puma.worker
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

    def _fork_server_usable(self, server: ForkServer) -> bool:
        """Whether to ask `server` for the zygote: not when it is gone, nor when it is stopped (a
        zygote asked of a stopped server never starts: the service answered 503 for as long as the
        server stayed stopped). Then the zygote is started directly, as without a fork server."""
        if not server.alive():
            return False
        if not server.stopped():
            return True
        pid = server.proc.pid
        log.warning("service %s: the fork server (pid %d) is stopped (SIGSTOP or Ctrl-Z); starting the zygote "
                    "without it (a little more CPU: it imports PUMA itself). `kill -CONT %d` resumes the server",
                    self.name, pid, pid)
        self.owner.record(self.name, f"the fork server (pid {pid}) is stopped; zygote started without it "
                          f"(kill -CONT {pid} resumes it)", kind="forkserver_stopped")
        return False

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
        log.error("service %s: %s; killing it, then starting it again (its instances serve on meanwhile)",
                  self.name, why)
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
        handlers = {"pong": self._on_pong, "progress": self._on_progress, "error": self._on_error,
                    "ready": self._on_ready, **self._instance_events()}
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

    def _zygote_exited(self, zygote: subprocess.Popen[str] | ForkedZygote) -> None:
        """The zygote's events ended: unless stopping, it died. Reap it and start it again; its
        instances serve on meanwhile (they stop with the supervisor, not with it: `puma.orphans`)."""
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

    def _on_pong(self, event: dict[str, Any]) -> None:
        if self.watch is not None:
            self.watch.pong(event)

    def _on_ready(self, event: dict[str, Any]) -> None:
        self._mark_idempotent(event.get("idempotent") or [])
        self._mark_methods(event.get("methods") or [])
        self.warmup_s = self._measured_warmup_s(event.get("at"))
        self._ready.set()

    def _measured_warmup_s(self, ready_at: object) -> float:
        """How long its zygote took to get ready: from its start to the moment it said so, by its own
        clock (the same monotonic clock on this host), not to when the supervisor read it — the
        supervisor may have been stopped meanwhile. Without that moment, less the supervisor's own
        stalls (`puma.stalls`): a supervisor stopped during start-up is no warm-up either way."""
        now = time.monotonic()
        began = self.zygote_started_at
        if isinstance(ready_at, (int, float)) and began <= ready_at <= now:
            return float(ready_at) - began
        paused_s = stalls.watch().paused_within(began, now)
        if paused_s >= 1.0:
            log.info("service %s: its zygote took %.1f s to get ready, of which the supervisor did not run for "
                     "%.1f s (stopped or starved): not counted as its warm-up", self.name, now - began, paused_s)
        return max(0.0, now - began - paused_s)

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
        if self._reader is not None and self._reader.ident is not None:  # a Ctrl-C may land before it starts
            self._reader.join(timeout=2.0)


def dump_stacks(pools: Sequence[ServiceZygote]) -> None:
    """Have each stuck zygote write its threads' stacks to its log (SIGUSR1: `puma.worker`), so
    the tail shown says where its import or warm-up hangs."""
    sizes = {}
    for pool in pools:
        with contextlib.suppress(OSError):
            sizes[pool.name] = pool.log_path.stat().st_size
            if pool.zygote is not None and pool.zygote.pid is not None:
                os.kill(pool.zygote.pid, signal.SIGUSR1)  # puma.worker's STACK_DUMP_SIGNAL
    deadline = time.monotonic() + 2.0  # the dump is written at once, by the signal handler's C code
    while time.monotonic() < deadline and any(
            p.log_path.stat().st_size == sizes[p.name] for p in pools if p.name in sizes):
        time.sleep(0.02)


def stuck_message(stuck: Sequence[Z], default_s: float, timeout_s: Callable[[Z], float]) -> str:
    """Why the start failed for services whose zygotes went `timeout_s(pool)` without progress: each
    with what it last said, the fixes (a warm-up, progress reports, a longer `startup_timeout_s`)
    and the tail of its log (where it is stuck: `dump_stacks` wrote every thread's stack there)."""
    names = sorted(p.name for p in stuck)
    limits = sorted({timeout_s(p) for p in stuck})
    within = " or ".join(f"{s:.0f} s" for s in limits)
    doing = "; ".join(f"{p.name} was {p.progress or 'importing'}" for p in sorted(stuck, key=lambda p: p.name))
    longer = json.dumps({"puma_services": {names[0]: {"startup_timeout_s": max(300, int(max(limits)) * 5)}}})
    fixes = ("  fix: move slow loading (a model, a table) out of the module's import into a warm-up -- a function "
             "named by the service's \"warmup\" key, run once in its zygote; report what it is doing as it goes "
             "(puma.progress(\"loading ...\") or a log line at INFO: the timeout counts from the last report); "
             f"or give it longer: puma_config({longer}) (default {default_s:.0f} s)\n")
    return (f"services {names} did not start within {within} of their last progress (importing or warming up: "
            f"{doing})\n" + fixes + "".join(log_tail(p.log_path, lines=40) for p in stuck))
