"""Instances on other hosts: `puma worker --join URL --service NAME` and the core's registry.

A worker host runs a zygote and instances of one service, like the core does, and reports their
addresses to the core every second (`POST /_puma/workers`, authenticated with the deployment's
secret) — in full when they changed, else only a digest of them (a few dozen bytes, however many). The core adds each new address to Envoy's endpoints (Envoy checks it before routing to
it), drops the addresses a worker stopped reporting, and forgets a worker host that has not
reported for `EXPIRE_S` — with all its instances. Envoy health-checks the workers' instances like
the core's own; one it finds hung is named in the core's answer to its worker's next report
(`"replace": [{"host", "port", "pid"}]`), and that worker kills it and starts another.

The registry's cost grows with worker hosts, not instances: one clock per worker host, checked
once a second, and only while a worker host is registered.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import signal
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import guard, wakeups
from .client import ENV_INTERNAL, ENV_SERVICES, ENV_TOKEN, ENV_URL
from .errors import HTTPError, PumaError
from .logcap import LogCap
from .services import Service
from .visibility import internal_names

if TYPE_CHECKING:
    from .forkserver import ForkServer
    from .interfaces import DeploymentView

log = logging.getLogger(__name__)

WORKERS_PATH = "/_puma/workers"
TOKEN_HEADER = "x-puma-token"
HEARTBEAT_S = 1.0
COALESCE_S = 0.05
EXPIRE_S = 3.5  # a worker host silent this long is dropped with its instances


# --- the core's side ---------------------------------------------------------------------


def check_token(deployment: DeploymentView, token: str | None) -> None:
    secret = deployment.config.secret or os.environ.get("PUMA_SECRET")
    if not secret:
        raise HTTPError(403, "this deployment accepts no workers: set 'secret' in puma_config (or $PUMA_SECRET)")
    if not token or not hmac.compare_digest(token.encode(), secret.encode()):
        raise HTTPError(401, f"missing or wrong {TOKEN_HEADER} header")


def register(deployment: DeploymentView, body: dict[str, Any]) -> dict[str, Any]:
    """Record a worker's instances of a service; answer with what the worker needs to run it."""
    worker, name = _name(body, "worker"), _name(body, "service")
    pool = deployment.pools.get(name)
    if pool is None:
        raise HTTPError(404, f"service: no service {name!r}; services: {sorted(deployment.pools)}")
    digest = body.get("digest")
    if digest is not None and (not isinstance(digest, str) or len(digest) > 200):
        raise HTTPError(400, f"digest: {str(digest)[:60]!r} is not a digest (text of up to 200 characters)")
    if "instances" not in body and digest is not None:  # "nothing changed since what you have"
        if not deployment.registry.unchanged(worker, name, digest):
            return {"service": name, "resend": True}
        return {"service": name, "replace": deployment.registry.replacements(worker)}
    replace = deployment.registry.report(worker, name, reported_instances(body.get("instances")), digest)
    return {"service": name, "target": pool.service.target, "settings": pool.service.model_dump(mode="json"),
            "drain_timeout_s": pool.drain_timeout_s, "replace": replace,
            "services": {n: s.prefix for n, s in deployment.config.puma_services.items()},
            "internal": sorted(internal_names(deployment.config))}  # a worker host's instances name them to no public client


def unregister(deployment: DeploymentView, worker: str) -> dict[str, Any]:
    """Forget a worker host and its instances; the answer to its `DELETE`: `{"left": worker}`."""
    deployment.registry.forget(worker)
    return {"left": worker}


class Registry:
    """The core's worker hosts: when each last reported, and which of its instances to replace."""

    def __init__(self, deployment: DeploymentView) -> None:
        self.d = deployment
        self.lock = threading.Lock()
        self.last_seen: dict[str, float] = {}  # worker -> monotonic time of its last report
        self.services: dict[str, set[str]] = {}  # worker -> services it reported
        self.replacing: dict[str, set[tuple[str, int, Any]]] = {}  # worker -> (host, port, pid) to replace
        self.digests: dict[tuple[str, str], str] = {}  # (worker, service) -> digest of its last full report
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.thread = guard.thread(self._run, name="puma-workers", stop=self._stop.is_set)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self.thread.is_alive():
            self.thread.join(timeout=2.0)

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self.last_seen:  # no worker host: nothing to expire, sleep until one reports
                self._wake.wait()
                self._wake.clear()
            elif not self._stop.wait(HEARTBEAT_S):
                self.expire(time.monotonic())

    def report(self, worker: str, service: str, reported: dict[tuple[str, int], Any],
               digest: str | None = None) -> list[dict[str, Any]]:
        """Apply a worker's full report (`digest` names it); return the instances it must replace."""
        with self.lock:
            self.last_seen[worker] = time.monotonic()
            self.services.setdefault(worker, set()).add(service)
            replacing = self.replacing.setdefault(worker, set())
            replacing &= {(h, p, pid) for (h, p), pid in reported.items()}  # gone ones are done
            keep = {key: pid for key, pid in reported.items() if (*key, pid) not in replacing}
            if digest is not None:
                self.digests[(worker, service)] = digest
        self._wake.set()
        _apply(self.d, self.d.pools[service], worker, keep)
        return self.replacements(worker)

    def unchanged(self, worker: str, service: str, digest: str) -> bool:
        """A report of nothing new: True (and the worker is seen) if `digest` is what it last sent."""
        with self.lock:
            if worker not in self.last_seen or self.digests.get((worker, service)) != digest:
                return False
            self.last_seen[worker] = time.monotonic()
            return True

    def replacements(self, worker: str) -> list[dict[str, Any]]:
        with self.lock:
            replacing = sorted(self.replacing.get(worker, set()), key=str)
        return [{"host": h, "port": p, "pid": pid} for h, p, pid in replacing]

    def replace(self, instance: Any) -> None:
        """Ask `instance`'s worker host to replace it (Envoy found it hung)."""
        with self.lock:
            self.replacing.setdefault(instance.worker, set()).add((instance.host, instance.port, instance.pid))

    def forget(self, worker: str) -> None:
        with self.lock:
            self.last_seen.pop(worker, None)
            services = self.services.pop(worker, set())
            self.replacing.pop(worker, None)
            for name in services:
                self.digests.pop((worker, name), None)
        for name in services:
            pool = self.d.pools.get(name)
            if pool is not None:
                _apply(self.d, pool, worker, {})

    def expire(self, now: float) -> None:
        """Forget the worker hosts that stopped reporting, and their instances."""
        with self.lock:
            lost = [w for w, seen in self.last_seen.items() if now - seen > EXPIRE_S]
        for worker in lost:
            log.warning("worker %s stopped reporting; its instances are removed", worker)
            for name in self.services.get(worker, set()):
                self.d.record(name, f"worker {worker} lost; its instances removed", kind="died")
            self.forget(worker)


_SHAPE = "{'worker': str, 'service': str, 'instances': [{'host': str, 'port': int, 'pid': int}]}"
_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?)+$|^[0-9A-Fa-f:.]+$")


def _name(body: dict[str, Any], field: str) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value.strip() or len(value) > 200 or not value.isprintable():
        raise HTTPError(400, f"{field}: {str(value)[:60]!r} is not a name (printable text, 1-200 "
                             f"characters); the body is {_SHAPE}")
    return value


def reported_instances(instances: Any) -> dict[tuple[str, int], int | None]:
    """A worker's `instances` as {(host, port): pid}; HTTPError 400 naming the first bad field,
    e.g. `instances[0].port: 70000 is not a port (1-65535)`."""
    if not isinstance(instances, list):
        raise HTTPError(400, f"instances: {str(instances)[:60]!r} is not a list; send [] for none; "
                             f"the body is {_SHAPE}")
    reported: dict[tuple[str, int], int | None] = {}
    for n, item in enumerate(instances):
        where = f"instances[{n}]"
        if not isinstance(item, dict):
            raise HTTPError(400, f"{where}: {str(item)[:60]!r} is not an object {{'host', 'port', 'pid'}}")
        host, port, pid = item.get("host"), item.get("port"), item.get("pid")
        if not isinstance(host, str) or not 0 < len(host) <= 253 or not _HOST.match(host):
            raise HTTPError(400, f"{where}.host: {str(host)[:60]!r} is not a host name or IP address")
        if type(port) is not int or not 0 < port < 65536:
            raise HTTPError(400, f"{where}.port: {str(port)[:20]!r} is not a port (a whole number 1-65535)")
        if pid is not None and (type(pid) is not int or pid < 1):
            raise HTTPError(400, f"{where}.pid: {str(pid)[:20]!r} is not a process id (a whole number from 1)")
        reported[(host, port)] = pid
    return reported


def _apply(deployment: DeploymentView, pool: Any, worker: str, reported: dict[tuple[str, int], Any]) -> None:
    from .instances import Instance

    now = time.monotonic()
    with pool.lock:
        known = {(i.host, i.port): i for i in pool.instances.values() if i.worker == worker}
        for key, instance in known.items():
            if key in reported and instance.pid == reported[key]:
                instance.last_seen = now
            else:
                del pool.instances[instance.id]
        new = [Instance(pool.next_id(), pool.name, pid=reported[k], port=k[1], host=k[0], worker=worker)
               for k in reported if k not in known or known[k].pid != reported[k]]
        for instance in new:
            pool.instances[instance.id] = instance
    gone = [k for k, i in known.items() if k not in reported or i.pid != reported[k]]
    if new:
        pool.admit(*new)  # publishes: Envoy checks each before routing to it
    elif gone:
        deployment.publish()


# --- the worker host's side --------------------------------------------------------------


class WorkerHost:
    """A worker host's `PoolOwner`: its pool's changes are reported to the core, coalesced."""

    fork_server: ForkServer | None = None  # one service per worker host: its zygote starts as a process of its own
    keep_logs = False

    def __init__(self, join_url: str, host: str, token: str, drain_timeout_s: float) -> None:
        self.join_url = join_url.rstrip("/")
        self.instance_host = host
        self.token = token
        self.drain_timeout_s = drain_timeout_s
        self.worker_id = f"{socket.gethostname()}-{os.getpid()}-{host}"
        self._tmp = tempfile.TemporaryDirectory(prefix="puma-worker-")
        self.run_dir = Path(self._tmp.name)
        self.stopping = False
        self.pool: Any = None
        self.services: dict[str, str] = {}
        self.internal: list[str] = []
        self.changed = wakeups.SignalEvent()  # set by the stop signals' handler too
        self.acked: str | None = None  # digest of the instances the core last took

    @property
    def pools(self) -> dict[str, Any]:
        """Its one service's pool by name, as `puma.logcap` reads a deployment's."""
        return {self.pool.name: self.pool} if self.pool is not None else {}

    def child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env[ENV_URL] = self.join_url  # instances call other services through the core's Envoy
        env[ENV_TOKEN] = self.token  # ... its internal ones too (routed there for the secret's holders)
        env[ENV_SERVICES] = json.dumps(self.services)
        env[ENV_INTERNAL] = json.dumps(self.internal)
        return env

    def record(self, service: str, message: str, **_data: Any) -> None:
        log.info("%s: %s", service, message)

    def publish(self, *, wait: bool = False) -> None:
        self.changed.set()  # the heartbeat loop reports at once (a burst of changes in one report)

    def publish_config(self) -> None:
        """A failed service: the core's Envoy routes are the core's; this host reports no instance."""
        self.publish()

    def heartbeat(self) -> None:
        """Report this host's ready instances — only a digest when they have not changed since the
        core last took them; replace the ones the core says Envoy found hung."""
        pool = self.pool
        instances = [{"host": i.host, "port": i.port, "pid": i.pid} for i in pool.ready()]
        digest = hashlib.sha1(json.dumps(instances, sort_keys=True).encode()).hexdigest()[:16]
        answer: dict[str, Any] = self.report(pool.name, None, digest) if digest == self.acked else {"resend": True}
        if answer.get("resend"):
            answer = self.report(pool.name, instances, digest)
        self.acked = digest
        for item in answer.get("replace", []):
            instance = next((i for i in pool.ready() if i.pid == item.get("pid") and i.port == item.get("port")), None)
            if instance is not None:
                log.warning("%s: the core found instance %d (pid %s) hung; replacing it", pool.name, instance.id,
                            instance.pid)
                pool.evict(instance)

    def report(self, service: str, instances: list[dict[str, Any]] | None, digest: str | None = None) -> dict[str, Any]:
        """POST a report to the core: the instances (None: only the digest of the last ones)."""
        report: dict[str, Any] = {"worker": self.worker_id, "service": service, "digest": digest}
        if instances is not None:
            report["instances"] = instances
        body = json.dumps(report).encode()
        req = urllib.request.Request(self.join_url + WORKERS_PATH, data=body, method="POST",
                                     headers={"content-type": "application/json", TOKEN_HEADER: self.token})
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:  # noqa: S310 - the core the user named
                answer: dict[str, Any] = json.load(resp)
                return answer
        except urllib.error.HTTPError as exc:
            raise PumaError(f"the core at {self.join_url} refused the worker: HTTP {exc.code} "
                            f"{exc.read().decode(errors='replace')}") from None

    def leave(self) -> None:
        req = urllib.request.Request(f"{self.join_url}{WORKERS_PATH}/{self.worker_id}", method="DELETE",
                                     headers={TOKEN_HEADER: self.token})
        try:
            urllib.request.urlopen(req, timeout=5).close()  # noqa: S310
        except OSError as exc:
            log.warning("could not tell the core we are leaving: %s", exc)


def run_worker(join_url: str, service: str, instances: int, host: str, token: str | None) -> None:
    """Serve `instances` of `service` on this host for the core at `join_url`, until SIGINT/SIGTERM."""
    from .instances import ServicePool

    token = token or os.environ.get("PUMA_SECRET")
    if not token:
        raise PumaError("joining needs the deployment's secret: pass --token or set $PUMA_SECRET")
    host_obj = WorkerHost(join_url, host, token, drain_timeout_s=5.0)
    answer = host_obj.report(service, [])
    spec = Service.model_validate(answer["settings"])
    host_obj.drain_timeout_s = float(answer.get("drain_timeout_s", 5.0))
    host_obj.services = answer.get("services", {})
    host_obj.internal = [n for n in answer.get("internal", []) if isinstance(n, str)]
    pool = host_obj.pool = ServicePool(host_obj, service, spec, host=host)
    LogCap(host_obj).start()  # its log_max_bytes here as on the core (each instance writes its log directly)
    stop = wakeups.SignalEvent()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: _stop_both(stop, host_obj.changed))
    pool.start_zygote()
    try:
        pool.wait_zygote(60.0)
        for _ in range(instances):
            pool.spawn()
        log.info("worker %s: %d instance(s) of %s on %s for %s", host_obj.worker_id, instances, service, host, join_url)
        while not stop.is_set():
            if host_obj.changed.wait(HEARTBEAT_S):
                stop.wait(COALESCE_S)  # let a burst of instances starting report together
                host_obj.changed.clear()
            if stop.is_set():
                break
            try:
                host_obj.heartbeat()
            except (OSError, PumaError) as exc:
                log.warning("heartbeat to %s failed: %s", join_url, exc)
    finally:
        host_obj.stopping = True
        host_obj.leave()
        pool.shutdown()
        host_obj._tmp.cleanup()


def _stop_both(*events: wakeups.SignalEvent) -> None:
    for event in events:  # from a signal handler: never Event.set() there (puma.wakeups)
        event.set_from_signal()
