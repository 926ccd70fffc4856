"""Running a deployment: Envoy, one zygote per service, its instances, restarts and shutdown.

All process IO of PUMA lives here and in `proxy.py`; `config`, `envoy` and `autoscale` stay pure.
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from . import client
from .config import PumaConfig, Service
from .control import ControlLoop
from .dynamo import ENV_DYNAMODB_ENDPOINT, ENV_DYNAMODB_REGION, LocalDynamo
from .errors import PumaStartError
from .forkserver import ForkedZygote, ForkServer
from .logs import log_tail
from .proxy import EnvoyProcess, check_port_free
from .status import StatusServer

log = logging.getLogger(__name__)

INSTANCE_HOST = "127.0.0.1"
ENV_SUPERVISOR_PID = "PUMA_SUPERVISOR_PID"
HEALTH_TIMEOUT_S = 10.0
RESTART_WINDOW_S = 10.0
MAX_RESTARTS_IN_WINDOW = 5


@dataclass
class Instance:
    id: int
    service: str
    pid: int | None = None
    port: int | None = None
    state: str = "starting"  # starting -> ready -> draining -> stopped (or unhealthy)
    started_at: float = field(default_factory=time.monotonic)
    ready_at: float | None = None
    host: str = INSTANCE_HOST
    worker: str | None = None  # the worker host that registered it; None for this host's own
    last_seen: float = field(default_factory=time.monotonic)
    # A replacement started on the socket of the service's last instance, which died: Envoy keeps
    # routing to that address while it starts, and requests wait in the socket's backlog.
    standin: bool = False

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def remote(self) -> bool:
        return self.worker is not None


class ServicePool:
    """The zygote of one service and the instances it forked."""

    def __init__(self, deployment: Deployment, name: str, service: Service) -> None:
        self.deployment = deployment
        self.name = name
        self.service = service
        self.instances: dict[int, Instance] = {}
        self.lock = threading.RLock()
        self.zygote: subprocess.Popen[str] | ForkedZygote | None = None
        self._reader: threading.Thread | None = None
        self._ids = iter(range(1, 1 << 30))
        self._ready = threading.Event()
        self._zygote_error: str | None = None
        self.progress: str | None = None  # what its warm-up said it is doing (`puma.progress`)
        self.progress_at = 0.0  # when it said so (monotonic)
        self.first_ready_at: float | None = None  # epoch seconds of its first ready instance
        self._restarts: collections.deque[float] = collections.deque()
        self.log_path = deployment.run_dir / "logs" / f"{name}.log"
        self.host = getattr(deployment, "instance_host", INSTANCE_HOST)

    # --- zygote ---------------------------------------------------------------------------
    def start_zygote(self) -> None:
        assert self.service.target is not None
        cmd = [sys.executable, "-m", "puma.worker", "--service", self.name, "--target", self.service.target,
               "--host", self.host, "--threads", str(self.service.threads),
               "--max-body-bytes", str(self.service.max_body_bytes),
               "--content-types", ",".join(self.service.content_types),
               "--drain-timeout-s", str(self.drain_timeout_s)]
        if self.service.warmup:
            cmd += ["--warmup", self.service.warmup]
        if self.service.cpu_bound:
            cmd.append("--cpu-bound")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        server = getattr(self.deployment, "fork_server", None)
        with open(self.log_path, "ab") as log_file:
            if server is not None and server.alive():  # forked from a process that imported puma.worker
                self.zygote = server.spawn(cmd[3:], self.deployment.child_env(), log_file)
            else:
                self.zygote = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log_file,
                                               text=True, bufsize=1, env=self.deployment.child_env())
        self._reader = threading.Thread(target=self._read_events, args=(self.zygote.stdout,), daemon=True,
                                        name=f"puma-{self.name}-events")
        self._reader.start()

    @property
    def drain_timeout_s(self) -> float:
        """How long a stopping instance may finish its requests: the drain timeout, or the
        service's own request timeout if longer (a request it accepted may legitimately take that)."""
        return max(self.deployment.drain_timeout_s, self.service.timeout_s)

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
            self.deployment.keep_logs = True
            raise PumaStartError(f"service {self.name!r} ({self.service.target}) did not start: {detail}\n"
                                 + log_tail(self.log_path))

    def _send(self, command: dict[str, Any]) -> None:
        assert self.zygote is not None and self.zygote.stdin is not None
        try:
            self.zygote.stdin.write(json.dumps(command) + "\n")
            self.zygote.stdin.flush()
        except (BrokenPipeError, ValueError):
            log.warning("service %s: zygote is gone, command %s dropped", self.name, command.get("op"))

    def _read_events(self, stream: IO[str]) -> None:
        for line in stream:
            event = json.loads(line)
            kind = event.get("event")
            if kind == "ready":
                self._ready.set()
            elif kind == "progress":
                self.progress, self.progress_at = str(event.get("message", "")), time.monotonic()
            elif kind == "error":
                self._zygote_error = event["message"]
                self._ready.set()
            elif kind == "spawned":
                self._on_spawned(event)
            elif kind == "exit":
                self._on_exit(event)
        stream.close()
        if not self._ready.is_set():
            self._zygote_error = "its zygote exited during start-up"
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
        self._send({"op": "spawn", "id": instance.id, **({"reuse": reuse.id} if reuse is not None else {})})
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
            return
        threading.Thread(target=self._admit, args=(instance,), daemon=True).start()

    def _admit(self, instance: Instance) -> None:
        # Only a healthy instance joins Envoy's endpoints.
        if not _wait_healthy(instance.address, HEALTH_TIMEOUT_S):
            log.warning("service %s: instance %d (pid %s) failed its health check; stopping it",
                        self.name, instance.id, instance.pid)
            self._send({"op": "kill", "pid": instance.pid})
            return
        with self.lock:
            if instance.state != "starting":
                return
            instance.state, instance.ready_at, instance.standin = "ready", time.monotonic(), False
            first, self.first_ready_at = self.first_ready_at is None, self.first_ready_at or time.time()
        startup_ms = 1000 * (instance.ready_at - instance.started_at)
        log.info("service %s: instance %d ready at %s (pid %s) in %.0f ms", self.name, instance.id,
                 instance.address, instance.pid, startup_ms)
        self.deployment.record(self.name, f"instance {instance.id} ready at {instance.address} in {startup_ms:.0f} ms",
                               kind="ready", startup_ms=round(startup_ms, 1))
        self.deployment.publish()
        if first and hasattr(self.deployment, "status_server"):  # its start-up failures, counted apart
            self.deployment.status_server.sampler.mark_ready(self.name, instance.address)

    def _on_exit(self, event: dict[str, Any]) -> None:
        with self.lock:
            instance = next((i for i in self.instances.values() if i.pid == event["pid"] and not i.remote), None)
            if instance is None:
                return
            expected = instance.state in ("draining", "stopped")
            instance.state = "stopped"
            del self.instances[instance.id]
        if expected or self.deployment.stopping:
            return
        log.warning("service %s: instance %d (pid %d) exited with code %s; replacing it",
                    self.name, instance.id, event["pid"], event["code"])
        self.deployment.record(self.name, f"instance {instance.id} died (code {event['code']}); replaced", kind="died")
        replacement = self._replace(instance)
        self.deployment.publish()  # after: a stand-in keeps the dead instance's address in Envoy
        if replacement is None:
            self._send({"op": "release", "id": instance.id})

    def _replace(self, dead: Instance) -> Instance | None:
        """A new instance on `dead`'s socket; None when restarting too often (one follows in 2 s)."""
        now = time.monotonic()
        while self._restarts and now - self._restarts[0] > RESTART_WINDOW_S:
            self._restarts.popleft()
        self._restarts.append(now)
        if len(self._restarts) > MAX_RESTARTS_IN_WINDOW:
            log.error("service %s: %d restarts in %.0f s; backing off 2 s", self.name,
                      len(self._restarts), RESTART_WINDOW_S)
            threading.Timer(2.0, self.spawn).start()
            return None
        return self.spawn(reuse=dead)

    def ready(self) -> list[Instance]:
        with self.lock:
            return [i for i in self.instances.values() if i.state == "ready"]

    def routable(self) -> list[Instance]:
        """The instances Envoy routes to: the ready ones, and a stand-in for the last one."""
        with self.lock:
            return [i for i in self.instances.values() if i.state == "ready" or (i.standin and i.state == "starting")]

    def live(self) -> list[Instance]:
        """This host's starting and ready instances (the ones `scale` and the autoscaler manage)."""
        with self.lock:
            return [i for i in self.instances.values() if i.state in ("starting", "ready") and not i.remote]

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
            self.deployment.publish(wait=True)
        finally:
            if pid is not None:
                self._send({"op": "stop", "pid": pid})

    def evict(self, instance: Instance) -> None:
        """Take a failing instance out of Envoy at once and kill it; its exit brings a replacement."""
        with self.lock:
            if instance.state != "ready":
                return
            instance.state = "unhealthy"
            if instance.remote:  # not ours to kill: forget it; its worker must re-register it healthy
                self.instances.pop(instance.id, None)
        self.deployment.publish()
        if not instance.remote:
            self._send({"op": "kill", "pid": instance.pid})

    def shutdown(self) -> None:
        if self.zygote is None:
            return
        with contextlib.suppress(BrokenPipeError, OSError, ValueError):
            self.zygote.stdin.close()  # the zygote SIGTERMs its instances, which drain and exit
        try:
            self.zygote.wait(self.drain_timeout_s + 3.0)
        except subprocess.TimeoutExpired:
            self.zygote.kill()
            self.zygote.wait()
        if self._reader is not None:
            self._reader.join(timeout=2.0)


def probe(address: str, timeout_s: float = 1.0) -> bool:
    """One GET /healthz of an instance at 'host:port': True if it answered 200."""
    try:
        with urllib.request.urlopen(f"http://{address}/healthz", timeout=timeout_s) as resp:  # noqa: S310
            return resp.status == 200
    except OSError:
        return False


def _wait_healthy(address: str, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if probe(address):
            return True
        time.sleep(0.005)
    return False


class Deployment:
    """A running PUMA deployment. Use as a context manager, or `start()` / `stop()`.

    >>> with Deployment(parse_config(conf)) as mesh:          # doctest: +SKIP
    ...     httpx.post(mesh.url + "/agent", json={"chatText": "hi"})
    """

    def __init__(self, config: PumaConfig, *, run_dir: Path | str | None = None,
                 drain_timeout_s: float | None = None, startup_timeout_s: float = 60.0) -> None:
        missing = [name for name, svc in config.puma_services.items() if svc.target is None]
        if missing:
            from .errors import PumaConfigError

            raise PumaConfigError([(f"puma_services.{n}", "no function registered; pass it to "
                                    "puma_service({...}) or set 'target': 'module:function'") for n in missing])
        self.config = config
        self._own_run_dir = run_dir is None  # a temporary one: removed on stop, unless keep_logs
        self.run_dir = Path(run_dir or tempfile.mkdtemp(prefix="puma-")).resolve()
        self.keep_logs = False  # set when start-up fails: the logs explain why, so they stay
        self.drain_timeout_s = drain_timeout_s if drain_timeout_s is not None else config.http_connection_manager.drain_timeout
        self.startup_timeout_s = startup_timeout_s
        self.envoy = EnvoyProcess(self.run_dir, self.child_env())
        self.pools = {name: ServicePool(self, name, svc) for name, svc in config.puma_services.items()}
        self.status_server = StatusServer(self)
        self.stopping = False
        self.events: collections.deque[dict[str, Any]] = collections.deque(maxlen=200)
        self._publish_lock = threading.Lock()
        self._started = False
        self._began = False  # anything started (a refused port starts nothing: nothing to say stopped)
        self.control = ControlLoop(self)
        self.local_dynamo: LocalDynamo | None = None
        self.fork_server: ForkServer | None = None
        self.decisions: collections.Counter[tuple[str, str]] = collections.Counter()  # (service, up|down)

    # --- lifecycle ------------------------------------------------------------------------
    def __enter__(self) -> Deployment:
        return self if self._started else self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def start(self) -> Deployment:
        started = time.monotonic()
        with contextlib.ExitStack() as undo:
            undo.callback(self.stop)
            check_port_free(self.config.listener.host, self.config.listener.port)  # before starting anything
            self._began = True
            undo.push(self._keep_logs_if_failed)
            self.fork_server = ForkServer(self.child_env(), self.run_dir / "logs" / "forkserver.log")
            self.status_server.start()
            self._start_dynamodb()
            self.publish()
            self.envoy.start(self.config)
            for pool in self.pools.values():
                pool.start_zygote()
            self._spawn_as_zygotes_ready(time.monotonic() + self.startup_timeout_s)
            self.wait_ready(self.startup_timeout_s)
            undo.pop_all()
        self._started = True
        self.control.start()
        self._use_mesh()
        log.info("PUMA deployment ready at %s in %.2f s (%d services)", self.url,
                 time.monotonic() - started, len(self.pools))
        return self

    def _spawn_as_zygotes_ready(self, deadline: float) -> None:
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
            stuck = [p for p in waiting.values() if time.monotonic() > max(deadline, p.progress_at + self.startup_timeout_s)]
            if stuck:
                raise PumaStartError(f"services {sorted(p.name for p in stuck)} did not start within "
                                     f"{self.startup_timeout_s:.0f} s of their last progress (importing or warming up)\n"
                                     + "".join(log_tail(p.log_path) for p in stuck))
            time.sleep(0.005)

    def wait_ready(self, timeout_s: float = 30.0) -> None:
        """Wait until every service has its minimum of healthy instances, known to Envoy."""
        deadline = time.monotonic() + timeout_s
        while True:
            short = {n: len(p.ready()) for n, p in self.pools.items() if len(p.ready()) < p.service.instances.min}
            if not short:
                break
            if time.monotonic() > deadline:
                raise PumaStartError(f"services not ready within {timeout_s:.0f} s: {short} instances ready\n"
                                     + "".join(log_tail(self.pools[n].log_path) for n in short))
            time.sleep(0.01)
        expected = {n: {i.address for i in p.ready()} for n, p in self.pools.items()}
        self.envoy.wait_hosts(expected, timeout_s=max(1.0, deadline - time.monotonic()))

    def stop(self) -> None:
        """Stop routing, let in-flight requests finish, stop instances, then Envoy. Idempotent."""
        if self.stopping:
            return
        self.stopping = True
        self.control.stop()
        for pool in self.pools.values():
            with pool.lock:
                for instance in pool.instances.values():
                    instance.state = "draining"
        with contextlib.suppress(Exception):
            self.publish(wait=True)
        threads = [threading.Thread(target=p.shutdown) for p in self.pools.values()]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if self.fork_server is not None:
            self.fork_server.stop()
        self.envoy.stop()
        if self.local_dynamo is not None:
            self.local_dynamo.stop()
        self.status_server.stop()
        client.use_mesh(None, {})
        if self._own_run_dir and not self.keep_logs:
            shutil.rmtree(self.run_dir, ignore_errors=True)
        elif self.keep_logs:
            log.warning("logs kept in %s", self.run_dir)
        if self._began:
            log.info("PUMA deployment stopped")

    def _keep_logs_if_failed(self, exc_type: type[BaseException] | None, *_exc: object) -> bool:
        # Runs only when start() raised (on success the stack is popped); Ctrl-C is no failure.
        if exc_type is not None and not issubclass(exc_type, KeyboardInterrupt):
            self.keep_logs = True
        return False

    # --- state and reconfiguration --------------------------------------------------------
    def child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env[ENV_SUPERVISOR_PID] = str(os.getpid())
        env["PYTHONPATH"] = os.pathsep.join(p for p in [os.getcwd(), *sys.path] if p)
        env.setdefault("OMP_NUM_THREADS", "1")
        env.setdefault("OPENBLAS_NUM_THREADS", "1")
        env.setdefault("MKL_NUM_THREADS", "1")
        if self.config.secret:
            env["PUMA_SECRET"] = self.config.secret
        if getattr(self, "envoy", None) is not None and self.envoy.port:
            env[client.ENV_URL] = self.url
        env[client.ENV_SERVICES] = json.dumps({n: s.prefix for n, s in self.config.puma_services.items()})
        if self.config.dynamodb is not None and self.config.dynamodb.endpoint:
            env[ENV_DYNAMODB_ENDPOINT] = self.config.dynamodb.endpoint
            env[ENV_DYNAMODB_REGION] = self.config.dynamodb.region
        return env

    def _start_dynamodb(self) -> None:
        dyn = self.config.dynamodb
        if dyn is None or not dyn.start_local:
            return
        self.local_dynamo = LocalDynamo(self.run_dir / "moto.log", self.child_env())
        self.local_dynamo.start()
        self.config = self.config.model_copy(update={"dynamodb": dyn.model_copy(update={"endpoint": self.local_dynamo.endpoint})})

    def _use_mesh(self) -> None:
        dyn = self.config.dynamodb
        client.use_mesh(self.url, {n: s.prefix for n, s in self.config.puma_services.items()},
                        dynamodb=dyn.endpoint if dyn else None, dynamodb_region=dyn.region if dyn else None)

    def endpoints(self) -> dict[str, list[tuple[str, int]]]:
        return {name: sorted((i.host, i.port) for i in pool.routable() if i.port)
                for name, pool in self.pools.items()}

    def publish(self, *, wait: bool = False) -> None:
        """Write Envoy's files from the current instances; with `wait`, until Envoy has applied them."""
        with self._publish_lock:
            endpoints = self.endpoints()
            self.envoy.publish(self.config, endpoints, status_port=self.status_server.port)
        if wait and self.envoy.admin is not None:
            expected = {n: {f"{h}:{p}" for h, p in eps} for n, eps in endpoints.items()}
            self.envoy.wait_hosts(expected)

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
    def admin_url(self) -> str:
        assert self.envoy.admin is not None
        return self.envoy.admin.base

    def instances(self, service: str) -> list[Instance]:
        """The ready instances of `service`."""
        return self.pools[service].ready()

    def scale(self, service: str, count: int, *, reason: str = "requested") -> None:
        """Set the number of instances of `service`. New ones join Envoy once healthy; removed ones
        leave Envoy first, finish their requests (bounded by the drain timeout), then stop."""
        pool = self.pools[service]
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
            threading.Thread(target=pool.retire, args=(instance,), daemon=True).start()

    # --- live reconfiguration -----------------------------------------------------------------
    def add_service(self, name: str, service: Service | dict[str, Any] | str) -> None:
        """Add (or replace) a service while running; Envoy picks it up without a restart."""
        from .config import parse_config

        if name in self.pools:
            self.remove_service(name)
        config = parse_config({**self.config.model_dump(exclude_unset=True),
                               "puma_services": {**self.config.model_dump(exclude_unset=True)["puma_services"], name: service}})
        pool = ServicePool(self, name, config.puma_services[name])
        pool.start_zygote()
        pool.wait_zygote(self.startup_timeout_s)
        self.config = config
        self.pools[name] = pool
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
        self.publish(wait=True)
        pool.shutdown()
        self._use_mesh()
        self.record(name, "service removed", kind="removed")

