"""Instances on other hosts: `puma worker --join URL --service NAME` and the core's registry.

A worker host runs a zygote and instances of one service, like the core does, and registers
their addresses with the core every second (`POST /_puma/workers`, authenticated with the
deployment's secret). The core admits each address to Envoy once it answers /healthz, drops
addresses a worker stopped reporting (`EXPIRE_S`), and health-checks them like its own.
"""

from __future__ import annotations

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

from .client import ENV_SERVICES, ENV_TOKEN, ENV_URL
from .config import Service
from .errors import HTTPError, PumaError

if TYPE_CHECKING:
    from .supervisor import Deployment

log = logging.getLogger(__name__)

WORKERS_PATH = "/_puma/workers"
TOKEN_HEADER = "x-puma-token"
HEARTBEAT_S = 1.0
EXPIRE_S = 3.5


# --- the core's side ---------------------------------------------------------------------


def check_token(deployment: Deployment, token: str | None) -> None:
    secret = deployment.config.secret or os.environ.get("PUMA_SECRET")
    if not secret:
        raise HTTPError(403, "this deployment accepts no workers: set 'secret' in puma_config (or $PUMA_SECRET)")
    if not token or not hmac.compare_digest(token.encode(), secret.encode()):
        raise HTTPError(401, f"missing or wrong {TOKEN_HEADER} header")


def register(deployment: Deployment, body: dict[str, Any]) -> dict[str, Any]:
    """Record a worker's instances of a service; answer with what the worker needs to run it."""
    worker, name = _name(body, "worker"), _name(body, "service")
    pool = deployment.pools.get(name)
    if pool is None:
        raise HTTPError(404, f"service: no service {name!r}; services: {sorted(deployment.pools)}")
    _apply(deployment, pool, worker, reported_instances(body.get("instances")))
    return {"service": name, "target": pool.service.target, "settings": pool.service.model_dump(mode="json"),
            "drain_timeout_s": pool.drain_timeout_s,
            "services": {n: s.prefix for n, s in deployment.config.puma_services.items()}}


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


def _apply(deployment: Deployment, pool: Any, worker: str, reported: dict[tuple[str, int], Any]) -> None:
    from .supervisor import Instance

    now = time.monotonic()
    with pool.lock:
        known = {(i.host, i.port): i for i in pool.instances.values() if i.worker == worker}
        for key, instance in known.items():
            if key in reported:
                instance.last_seen = now
            else:
                del pool.instances[instance.id]
        new = [Instance(pool.next_id(), pool.name, pid=reported[k], port=k[1], host=k[0], worker=worker)
               for k in reported if k not in known]
        for instance in new:
            pool.instances[instance.id] = instance
    for instance in new:
        threading.Thread(target=pool._admit, args=(instance,), daemon=True).start()
    if len(known) != len(set(known) & set(reported)):
        deployment.publish()


def unregister(deployment: Deployment, worker: str) -> None:
    for pool in deployment.pools.values():
        _apply(deployment, pool, worker, {})


def expire(deployment: Deployment, now: float) -> None:
    """Forget remote instances whose worker stopped reporting them."""
    changed = False
    for pool in list(deployment.pools.values()):
        with pool.lock:
            stale = [i for i in pool.instances.values() if i.remote and now - i.last_seen > EXPIRE_S]
            for instance in stale:
                log.warning("service %s: worker %s stopped reporting %s; removed", pool.name, instance.worker,
                            instance.address)
                deployment.record(pool.name, f"{instance.address} of worker {instance.worker} lost; removed",
                                  kind="died")
                del pool.instances[instance.id]
                changed = True
    if changed:
        deployment.publish()


# --- the worker host's side --------------------------------------------------------------


class WorkerHost:
    """What a `ServicePool` needs from its owner, on a worker host; `publish` reports to the core."""

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

    def child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env[ENV_URL] = self.join_url  # instances call other services through the core's Envoy
        env[ENV_TOKEN] = self.token  # ... its internal ones too (routed there for the secret's holders)
        env[ENV_SERVICES] = json.dumps(self.services)
        return env

    def record(self, service: str, message: str, **_data: Any) -> None:
        log.info("%s: %s", service, message)

    def publish(self, *, wait: bool = False) -> None:
        if self.pool is not None:
            self.report(self.pool.name, [{"host": i.host, "port": i.port, "pid": i.pid} for i in self.pool.ready()])

    def report(self, service: str, instances: list[dict[str, Any]]) -> dict[str, Any]:
        body = json.dumps({"worker": self.worker_id, "service": service, "instances": instances}).encode()
        req = urllib.request.Request(self.join_url + WORKERS_PATH, data=body, method="POST",
                                     headers={"content-type": "application/json", TOKEN_HEADER: self.token})
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:  # noqa: S310 - the core the user named
                return json.load(resp)
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
    from .supervisor import ServicePool

    token = token or os.environ.get("PUMA_SECRET")
    if not token:
        raise PumaError("joining needs the deployment's secret: pass --token or set $PUMA_SECRET")
    host_obj = WorkerHost(join_url, host, token, drain_timeout_s=5.0)
    answer = host_obj.report(service, [])
    spec = Service.model_validate(answer["settings"])
    host_obj.drain_timeout_s = float(answer.get("drain_timeout_s", 5.0))
    host_obj.services = answer.get("services", {})
    pool = host_obj.pool = ServicePool(host_obj, service, spec)  # type: ignore[arg-type]
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    pool.start_zygote()
    try:
        pool.wait_zygote(60.0)
        for _ in range(instances):
            pool.spawn()
        log.info("worker %s: %d instance(s) of %s on %s for %s", host_obj.worker_id, instances, service, host, join_url)
        while not stop.wait(HEARTBEAT_S):
            try:
                host_obj.publish()
            except (OSError, PumaError) as exc:
                log.warning("heartbeat to %s failed: %s", join_url, exc)
    finally:
        host_obj.stopping = True
        host_obj.leave()
        pool.shutdown()
        host_obj._tmp.cleanup()
