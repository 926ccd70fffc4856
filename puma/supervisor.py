"""Running a deployment: Envoy, one zygote per service, its instances, restarts and shutdown.

The parts, each in its own module: `instances` (a service's instances and their restarts) on
`lifecycle` (an instance from spawn to exit) on `zygotes` (its zygote process), `proxy` (the Envoy
process and the files it watches), `envoypublisher` (those files kept in step with the instances),
`envoywatch` (Envoy restarted when it dies), `health` (Envoy's health events), `control` (the
autoscaler), `workers` (worker hosts), `status` (the status server: status, readiness, scale and
metrics), `logs` (what makes a run's logs worth keeping), `childenv` (what every process of it
inherits), `rundirs` (its run directory). This module starts and stops them in order.
`config` (with `services`, `fields`), `envoy` and `autoscale` stay pure.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import admin, childenv, client, edge, guard, logs, rundirs, sharedcache, wakeups, workers
from .config import PumaConfig
from .configproblems import unstartable_problems
from .containers import CONTAINER_STARTUP_TIMEOUT_S, ContainerSpec, DockerBackend
from .control import ControlLoop
from .dynamo import LocalDynamo
from .envoypublisher import EnvoyPublisher
from .envoywatch import EnvoyWatch
from .errors import PumaScaleError, PumaStartError
from .forkserver import ForkServer
from .health import HealthMonitor
from .instances import Instance, ServicePool
from .logcap import LogCap
from .logs import log_tail
from .proxy import EnvoyProcess, check_ports_free, kill_when_stopped
from .services import Service, check_scale
from .status import StatusServer
from .zygotes import dump_stacks, stuck_message

log = logging.getLogger(__name__)


class Deployment:
    """A running PUMA deployment. Use as a context manager, or `start()` / `stop()`.

    >>> with Deployment(parse_config(conf)) as mesh:          # doctest: +SKIP
    ...     httpx.post(mesh.url + "/agent", json={"chatText": "hi"})
    """

    def __init__(self, config: PumaConfig, *, run_dir: Path | str | None = None,
                 drain_timeout_s: float | None = None, startup_timeout_s: float = 60.0,
                 import_paths: tuple[str, ...] = (), containers: ContainerSpec | None = None) -> None:
        """`import_paths`: directories every process of the deployment also imports from (an app
        script's own directory, as `python app.py` has it: its sibling modules are importable).
        `containers` (`puma run --backend docker`): Envoy and every instance run in containers."""
        _check_startable(config)
        self.import_paths = import_paths
        self.config = config = childenv.with_secret(config)
        self._own_run_dir = run_dir is None  # a temporary one: removed on stop, unless keep_logs
        if run_dir is None:
            rundirs.remove_stale_saying_so()
        self.run_dir = Path(run_dir).resolve() if run_dir is not None else rundirs.new_run_dir()
        self.keep_logs = False  # set when start-up fails: the logs explain why, so they stay
        self.drain_timeout_s = drain_timeout_s if drain_timeout_s is not None else config.http_connection_manager.drain_timeout
        self.startup_timeout_s = startup_timeout_s
        self.envoy = EnvoyProcess(self.run_dir, self.child_env())
        # With `containers` (puma run --backend docker), Envoy and every instance run in containers.
        self.backend = DockerBackend(self.run_dir, containers) if containers is not None else None
        self.pools = {name: self._pool(name, svc) for name, svc in config.puma_services.items()}
        self.status_server = StatusServer(self)
        self.health = HealthMonitor(self, self.run_dir / "health-events")
        self.envoy.health_events = self.health.path
        self.registry = workers.Registry(self)
        self.log_cap = LogCap(self)
        self.stopping = False
        self.uploads_cut = 0  # requests still uploading their body when the stop ended (cut unanswered)
        self.events: collections.deque[dict[str, Any]] = collections.deque(maxlen=200)
        self.publisher = EnvoyPublisher(self, self.status_server.port)
        self._started = False
        self.started_at: float | None = None  # epoch seconds start-up finished: "starting" ends (puma.states)
        self._began = False  # anything started (a refused port starts nothing: nothing to say stopped)
        self.control = ControlLoop(self)
        self.local_dynamo: LocalDynamo | None = None
        self.fork_server: ForkServer | None = None
        self.decisions: collections.Counter[tuple[str, str]] = collections.Counter()  # (service, up|down)
        self.failure: str | None = None  # why the deployment can no longer serve (see `fail`)
        self.on_failure: Callable[[str], None] | None = None  # told once, with the reason
        self._envoy_killed_why: str | None = None  # PUMA killed Envoy (stopped): its restart says why
        self.on_listening: Callable[[], None] | None = None  # called once Envoy listens, before instances start
        self._envoy_watch = EnvoyWatch(lambda: self.envoy.proc, self._restart_envoy, self.fail,
                                       lambda: self.stopping, lambda: self.envoy.log_path)

    # --- lifecycle ------------------------------------------------------------------------
    def __enter__(self) -> Deployment:
        return self if self._started else self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def start(self) -> Deployment:
        started = time.monotonic()
        with contextlib.ExitStack() as undo:
            undo.callback(self.stop)
            # Before starting anything (a container backend's internal address is known once it started).
            check_ports_free(self.config, None if self.backend is not None else self.envoy.internal_host)
            self._began = True
            undo.push(self._keep_logs_if_failed)
            sharedcache.forget(self.run_dir)  # a run dir given again holds a previous deployment's answers
            if self.backend is None:
                self.fork_server = ForkServer(self.child_env(), self.run_dir / "logs" / "forkserver.log",
                                              record=lambda said: self.record("forkserver", said, kind="forkserver_died"))
            else:
                self.envoy.internal_host = self.backend.start()
                self.envoy.launcher = self.backend.envoy_command
            self.status_server.start()
            self._start_dynamodb()
            self.health.start()  # its pipe exists before Envoy opens it
            self.log_cap.start()
            self.publish_config()
            self.publisher.start()
            self.envoy.start(self.config)
            if self.on_listening is not None:  # `puma run` records its run file: `puma status` finds it now
                self.on_listening()
            for pool in self.pools.values():
                pool.start_zygote()
            self._spawn_as_zygotes_ready(time.monotonic())
            self.wait_ready(max(map(self._startup_timeout_s, self.pools.values()), default=self.startup_timeout_s))
            undo.pop_all()
        self._started = True
        self.started_at = time.time()
        for name in self.pools:  # started: a 503 for want of an instance is a server error from now on
            self.status_server.sampler.routed(name)
        self._envoy_watch.start()
        guard.thread(functools.partial(kill_when_stopped, killed=self._envoy_killed), lambda: self.envoy.proc,
                     lambda: self.stopping, name="puma-envoy-stopped", stop=lambda: self.stopping).start()
        with contextlib.suppress(OSError):  # Envoy answers /_puma/ready from it from now on (else: next tick)
            self.control.publish_readiness()
        self.control.start()
        self.registry.start()
        self._use_mesh()
        # "running", not "ready": a service may still fail its readiness check (what `puma run`
        # prints next counts the ready ones, with the one start-up time a user reads: a second
        # figure here, timed from elsewhere, left them asking which was the start time).
        count = len(self.pools)
        log.info("PUMA deployment started at %s: Envoy and %d service%s running (how many are ready follows)",
                 self.url, count, "" if count == 1 else "s")
        log.debug("the mesh's start took %.2f s (from Deployment.start)", time.monotonic() - started)
        return self

    def _pool(self, name: str, service: Service) -> ServicePool:
        return self.backend.pool(self, name, service) if self.backend is not None else ServicePool(self, name, service)

    def _spawn_as_zygotes_ready(self, started: float) -> None:
        # Each service starts its instances as soon as its own zygote is ready, so a service whose
        # warm-up calls another (through the mesh) does not wait for services listed after it.
        waiting = dict(self.pools)
        while waiting:
            for name, pool in list(waiting.items()):
                if pool.zygote_ready():
                    pool.wait_zygote(0)  # raises if it reported an error
                    for _ in range(pool.service.instances.min):
                        pool.spawn()
                    del waiting[name]
            # A warm-up that reports progress (`puma.progress`) is working, not stuck: the timeout
            # counts from its last report (a first start may prepare data for minutes).
            self._raise_if_a_service_failed()
            now = time.monotonic()
            stuck = [p for p in waiting.values() if now > max(started, p.progress_at) + self._startup_timeout_s(p)]
            if stuck:
                dump_stacks(stuck)
                raise PumaStartError(stuck_message(stuck, self.startup_timeout_s, self._startup_timeout_s))
            time.sleep(0.005)

    def _startup_timeout_s(self, pool: ServicePool) -> float:
        """How long `pool`'s zygote may go without progress while starting: its config's, else the deployment's."""
        own = pool.service.startup_timeout_s
        if own is not None:
            return own
        return self.startup_timeout_s if self.backend is None else max(self.startup_timeout_s, CONTAINER_STARTUP_TIMEOUT_S)

    def _raise_if_a_service_failed(self) -> None:
        # A service that failed while starting (its zygote's error, or its restart budget spent)
        # will not come: stop now, not when the services waiting for it time out.
        for pool in self.pools.values():
            if pool.zygote_ready() and pool.zygote_error:
                pool.wait_zygote(0)  # raises, naming it, with its log's tail
            if pool.failed or pool.spawn_error:
                self.keep_logs = True
                raise PumaStartError(f"service {pool.name!r} failed while starting: {pool.failed or pool.spawn_error}\n"
                                     + log_tail(pool.log_path))

    def wait_ready(self, timeout_s: float = 30.0) -> None:
        """Wait until every service has its minimum of healthy instances, known to Envoy."""
        deadline = time.monotonic() + timeout_s
        next_look = 0.0
        while True:
            short = {n: len(p.ready()) for n, p in self.pools.items() if len(p.ready()) < p.service.instances.min}
            if not short:
                break
            self._raise_if_a_service_failed()
            if time.monotonic() >= next_look:  # instances are ready once Envoy checks them: a refused cluster never does
                next_look = time.monotonic() + 0.25
                if refused := self.envoy.rejected_config():
                    raise PumaStartError(refused)
            if time.monotonic() > deadline:
                raise PumaStartError(f"services not started within {timeout_s:.0f} s: {short} instances up\n"
                                     + "".join(log_tail(self.pools[n].log_path) for n in short))
            time.sleep(0.01)
        # This host's instances, each routed to; worker hosts' may join and leave meanwhile.
        expected = {n: {i.address for i in p.ready() if not i.remote} for n, p in self.pools.items()}
        # A service with a readiness check is started once Envoy has checked its instances, ready or not:
        # one whose store is down serves 503s naming why (and /_puma/ready says so), not a start that hangs.
        with_readiness = frozenset(n for n, p in self.pools.items() if p.service.readiness is not None)
        self.envoy.wait_hosts(expected, timeout_s=max(1.0, deadline - time.monotonic()), exact=False,
                              checked=with_readiness, refusal=True)
        refused = self.envoy.rejected_config()  # routes refused leave the clusters healthy and every path 404
        if refused:
            raise PumaStartError(refused)

    def stop(self) -> None:
        """Stop routing, let in-flight requests finish, stop instances, then Envoy. Idempotent."""
        if self.stopping:
            return
        self.stopping = True
        self.publisher.stop()
        self.control.stop()
        self.registry.stop()
        if self.envoy.admin is not None:  # a request no instance takes now is told "stopping", not "starting"
            with contextlib.suppress(OSError):
                self.envoy.admin.set_runtime(edge.STOPPING_KEY, "100")
        for pool in self.pools.values():
            with pool.lock:
                for instance in pool.instances.values():
                    instance.state = "draining"
        with contextlib.suppress(Exception):
            self.publish(wait=True)
        served_5xx = self._server_errors()  # while Envoy still runs: its counters go with it
        threads = [guard.thread(p.shutdown, name="puma-shutdown", retry=False, daemon=False) for p in self.pools.values()]
        for t in threads:
            t.start()
        for t in threads:
            wakeups.join(t)  # a second Ctrl-C (force) is handled meanwhile, whichever thread took it
        if self.fork_server is not None:
            self.fork_server.stop()
        if self.envoy.admin is not None:  # requests still uploading get the "stopping" 503, not a cut
            self.uploads_cut = admin.wait_for_uploads(self.envoy.admin, self.config.http_connection_manager.drain_timeout)
        self.envoy.stop()
        if self.backend is not None:
            self.backend.stop()
        self.health.stop()
        if self.local_dynamo is not None:
            self.local_dynamo.stop()
        self.status_server.stop()
        client.use_mesh(None, {})
        self._keep_or_remove_run_dir(served_5xx)
        if self._began:
            log.info("PUMA deployment stopped")

    def _keep_or_remove_run_dir(self, served_5xx: int) -> None:
        """A temporary run dir is removed, unless start-up failed or the run had errors: then it stays, said so."""
        errors = self._errors_seen(served_5xx) if self._own_run_dir else None
        sharedcache.forget(self.run_dir)  # kept logs or not: remembered answers never outlive the deployment
        if errors and not self.keep_logs:
            self.keep_logs = True  # the ERROR lines and tracebacks name files under it: they stay
        if self._own_run_dir and not self.keep_logs:
            shutil.rmtree(self.run_dir, ignore_errors=True)
        elif self.keep_logs:
            log.warning("logs kept in %s%s", self.run_dir, f" (the run had errors: {errors})" if errors else "")

    def _server_errors(self) -> int:
        """How many 5xx answers the deployment gave so far (0 if Envoy cannot tell)."""
        try:
            return sum(int(s.get("errors_5xx") or 0) for s in self.status().get("services", {}).values())
        except Exception:  # noqa: BLE001 - Envoy gone or never started: nothing to count
            return 0

    def _errors_seen(self, served_5xx: int) -> str | None:
        """What makes this run's logs worth keeping: a failed service, 5xx answers, or a log with a
        traceback or an ERROR line (a 500, a crash); None for a clean run."""
        found = [f"service {name} failed" for name, pool in self.pools.items() if pool.failed]
        if served_5xx:
            found.append(f"{served_5xx} server error{'' if served_5xx == 1 else 's'} (5xx) answered")
        found += logs.problems(self.run_dir / "logs")
        return "; ".join(found) or None

    def fail(self, reason: str) -> None:
        """The deployment can no longer serve: say why once (`failure`, the log, `on_failure`)."""
        if self.failure is not None or self.stopping:
            return
        self.failure = reason
        self.keep_logs = True
        log.error("PUMA deployment failed: %s", reason)
        if self.on_failure is not None:
            self.on_failure(reason)

    # --- Envoy's death -------------------------------------------------------------------------
    def _envoy_killed(self, why: str) -> None:
        self._envoy_killed_why = why  # the restart that follows says it
    def _restart_envoy(self, code: int) -> None:
        # On the ports it had: the files may say 0 (any free port), which would move the deployment.
        log.error("envoy (pid %s) exited with code %s; starting it again from %s", self.envoy.proc and
                  self.envoy.proc.pid, code, self.envoy.bootstrap_path)
        why, self._envoy_killed_why = self._envoy_killed_why, None
        self.record("envoy", f"envoy exited (code {code}{': ' + why if why else ''}); restarted", kind="envoy_restarted")
        listener = self.config.listener.model_copy(update={"port": self.envoy.port,
                                                           "internal_port": self.envoy.internal_port})
        with self.publisher.lock:
            self.config = self.config.model_copy(update={"listener": listener})
        self.publish_config()
        self.envoy.restart(self.config)
        log.info("envoy restarted (pid %s): routes and %d endpoints from its files", self.envoy.proc and self.envoy.proc.pid,
                 sum(len(e) for e in self.endpoints().values()))

    def _keep_logs_if_failed(self, exc_type: type[BaseException] | None, *_exc: object) -> bool:
        # Runs only when start() raised (on success the stack is popped); Ctrl-C is no failure.
        if exc_type is not None and not issubclass(exc_type, KeyboardInterrupt) and logs.any_written(self.run_dir):
            self.keep_logs = True
        return False

    # --- state and reconfiguration --------------------------------------------------------
    def child_env(self) -> dict[str, str]:
        """What every process of the deployment inherits (`puma.childenv.child_env`)."""
        internal = self.internal_url if getattr(self, "envoy", None) is not None and self.envoy.internal_port else None
        return childenv.child_env(self.config, self.import_paths, internal)

    def _start_dynamodb(self) -> None:
        dyn = self.config.dynamodb
        if dyn is None or not dyn.start_local:
            return
        self.local_dynamo = LocalDynamo(self.run_dir / "moto.log", self.child_env())
        self.local_dynamo.start()
        self.config = self.config.model_copy(update={"dynamodb": dyn.model_copy(update={"endpoint": self.local_dynamo.endpoint})})

    def _use_mesh(self) -> None:
        dyn = self.config.dynamodb
        client.use_mesh(self.internal_url, {n: s.prefix for n, s in self.config.puma_services.items()},
                        dynamodb=dyn.endpoint if dyn else None, dynamodb_region=dyn.region if dyn else None)

    # Envoy's routes and endpoints, written by `puma.envoypublisher` (the pools call these: `PoolOwner`).
    def endpoints(self) -> dict[str, list[tuple[str, int]]]:
        return self.publisher.endpoints()

    def publish_config(self) -> None:
        self.publisher.publish_config()

    def publish(self, *, wait: bool = False) -> None:
        self.publisher.publish(wait=wait)

    def status(self) -> dict[str, Any]:
        """What `puma status` shows: per service instances, in-flight, requests/s, p50/p99; events."""
        return self.status_server.sampler.snapshot()

    def record(self, service: str, message: str, **data: Any) -> None:
        self.events.append({"time": time.time(), "service": service, "message": message, **data})

    @property
    def url(self) -> str:
        host = self.config.listener.host
        return f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{self.envoy.port}"

    @property
    def internal_url(self) -> str:
        """The loopback listener services (and `puma.call` in this process) reach each other by,
        internal services included; clients use `url`."""
        return f"http://127.0.0.1:{self.envoy.internal_port}"

    @property
    def admin_url(self) -> str:
        assert self.envoy.admin is not None
        return self.envoy.admin.base

    def instances(self, service: str) -> list[Instance]:
        """The ready instances of `service`."""
        return self.pools[service].ready()

    def scale(self, service: str, count: int, *, reason: str = "requested", by_hand: bool = True) -> None:
        """Set the number of instances of `service`. New ones join Envoy once healthy; removed ones
        leave Envoy first, finish their requests (bounded by the drain timeout), then stop. A count
        set by hand on an autoscaled service holds at least its `downscale_delay_s` (`ControlLoop.scaled_by_hand`).
        `PumaScaleError` for a count the service cannot have (see `services.check_scale`)."""
        pool = self.pools.get(service)
        if pool is None:
            raise PumaScaleError(service, count, f"no service {service!r}; services: {sorted(self.pools)}")
        count = check_scale(service, pool.service, count)
        if pool.failed:  # no zygote to fork from: the autoscaler leaves it; by hand, it is started again
            if not by_hand:
                return
            try:
                pool.revive(count)
            except Exception as exc:  # noqa: BLE001 - named to the operator with the log, as a refusal
                raise PumaScaleError(service, count, f"{service} could not be started again ({exc}); its log: "
                                     f"{pool.log_path}; fix the cause, then scale it again") from exc
            self.control.scaled_by_hand(service, pool.service)
            return
        if pool.restarting:  # its zygote died: it starts the instances it had again, then takes counts
            if not by_hand:
                return
            raise PumaScaleError(service, count, f"{service} is restarting (its zygote exited; see {pool.log_path}); "
                                 "try again once `puma status` shows it ready")
        if by_hand:
            self.control.scaled_by_hand(service, pool.service)
        live = pool.live()
        if count == len(live):
            return
        log.info("%s %d -> %d (%s)", service, len(live), count, reason)
        self.record(service, f"{len(live)} -> {count} ({reason})", kind="scale",
                    **{"from": len(live), "to": count, "reason": reason})
        self.decisions[(service, "up" if count > len(live) else "down")] += 1
        for _ in range(count - len(live)):
            pool.spawn()
        for instance in sorted(live, key=lambda i: i.id, reverse=True)[: max(0, len(live) - count)]:
            guard.thread(pool.retire, instance, name=f"puma-{service}-retire", retry=False).start()

    def service_changed(self, name: str, service: Service) -> None:
        """A service's settings learnt from its zygote (its `@idempotent` methods): Envoy's routes
        are written again at once (its zygote is ready before any instance is routed to)."""
        with self.publisher.lock:
            if name not in self.config.puma_services:
                return
            self.config = self.config.replace_service(name, service)
        self.publish_config()

    # --- live reconfiguration -----------------------------------------------------------------
    def add_service(self, name: str, service: Service | dict[str, Any] | str) -> None:
        """Add (or replace) a service while running; Envoy picks it up without a restart."""
        from .config import parse_config

        if name in self.pools:
            self.remove_service(name)
        config = parse_config({**self.config.model_dump(exclude_unset=True),
                               "puma_services": {**self.config.model_dump(exclude_unset=True)["puma_services"], name: service}})
        pool = self._pool(name, config.puma_services[name])
        pool.start_zygote()
        pool.wait_zygote(self.startup_timeout_s)
        self.config = config.replace_service(name, pool.service)  # with what its zygote marked idempotent
        self.pools[name] = pool
        self.publish_config()  # its cluster and route, with no instance yet
        for _ in range(pool.service.instances.min):
            pool.spawn()
        deadline = time.monotonic() + self.startup_timeout_s
        while len(pool.ready()) < pool.service.instances.min and time.monotonic() < deadline:
            time.sleep(0.01)
        self.publish(wait=True)
        self._use_mesh()
        self.record(name, f"service added at {pool.service.prefix}", kind="added")

    def remove_service(self, name: str) -> None:
        """Stop routing to a service, drain and stop its instances; Envoy keeps running."""
        pool = self.pools.pop(name)
        self.config = self.config.replace_service(name, None)
        self.control.forget(name)
        with pool.lock:
            for instance in pool.instances.values():
                instance.state = "draining"
        self.publish_config()
        self.publish(wait=True)
        pool.shutdown()
        self._use_mesh()
        self.record(name, "service removed", kind="removed")


def _check_startable(config: PumaConfig) -> None:
    """`PumaConfigError` for what this process backend cannot run (`configproblems.unstartable_problems`)."""
    from .errors import PumaConfigError

    problems = unstartable_problems(config.puma_services)
    if problems:
        raise PumaConfigError(problems)
