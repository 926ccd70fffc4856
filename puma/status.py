"""The deployment's status — services, instances, in-flight, requests/s, p50/p99, recent events —
built on Envoy's admin stats and served at `/_puma/status` through Envoy itself; and its
readiness at `/_puma/ready` (see `readiness`), for pages and scripts that wait for start-up.

Per service, beside the instances and rates, cumulative counts since start (a client takes the
difference of two snapshots for a rate, e.g. the error rate of an interval): ``requests_total``
(forwarded to an instance), ``errors_5xx`` (server errors: 5xx answers, start-up failures not
included), ``startup_failures`` (503s Envoy answered itself because no instance was ready yet).
Events (``events``) carry ``time`` (epoch s), ``service`` and ``message``; a scaling decision
also ``kind: "scale"``, ``from``, ``to`` and ``reason``. (The same names as the fuller status of
issue 19's branch, which counts start-up failures only until the first ready instance.)

Who asks decides how much they see. A client on this machine (Envoy passes the connection's real
peer address in `x-puma-peer`: loopback, or the very address it connected to) or one holding the
deployment's secret (`x-puma-token`) gets all of it; anyone else gets the public view: what the
dashboard draws, without pids, ports, hosts or the Envoy admin address.
"""

from __future__ import annotations

import ipaddress
import re
import threading
import time
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from .errors import HTTPError
from .handlers import JSONRequestHandler

if TYPE_CHECKING:
    from .supervisor import Deployment


class StatusSampler:
    """Turns Envoy's cumulative counters into rates between successive samples."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.lock = threading.Lock()
        self.last: dict[str, tuple[float, int]] = {}

    def snapshot(self) -> dict[str, Any]:
        d = self.deployment
        admin = d.envoy.admin
        clusters = admin.clusters() if admin is not None else {}
        now = time.monotonic()
        services = {}
        with self.lock:
            for name, pool in d.pools.items():
                stat = clusters.get(name)
                total = stat.rq_total if stat else 0
                then, before = self.last.get(name, (now, total))
                rps = (total - before) / (now - then) if now > then else 0.0
                self.last[name] = (now, total)
                services[name] = _service_status(d, name, pool, stat, rps)
        return {"url": d.url, "time": time.time(), "envoy": {"pid": d.envoy.proc.pid if d.envoy.proc else None,
                "admin": admin.base if admin else None}, "services": services, "events": list(d.events)[-50:]}


def _service_status(d: Deployment, name: str, pool: Any, stat: Any, rps: float) -> dict[str, Any]:
    healthy = {h.address: h.healthy for h in stat.hosts} if stat else {}
    served = {h.address: h.rq_total for h in stat.hosts} if stat else {}
    svc = d.config.puma_services[name]
    instances = [{"id": i.id, "pid": i.pid, "host": i.host, "port": i.port, "state": i.state, "worker": i.worker,
                  "healthy": healthy.get(i.address, False) if i.state == "ready" else None,
                  "requests": served.get(i.address, 0)}
                 for i in sorted(pool.instances.values(), key=lambda i: i.id)]
    return {
        "prefix": svc.prefix, "lb_policy": d.config.lb_policy(name),
        "min_instances": svc.instances.min, "max_instances": svc.instances.upper,
        "instances": instances, "ready": sum(1 for i in instances if i["state"] == "ready"),
        "in_flight": stat.in_flight if stat else 0, "requests_total": stat.rq_total if stat else 0,
        "requests_per_s": round(rps, 2),
        "p50_ms": stat.p50_ms if stat else None, "p99_ms": stat.p99_ms if stat else None,
        **_error_causes(stat),
    }


def _error_causes(stat: Any) -> dict[str, int]:
    """5xx split by cause: Envoy's own 503s for want of a ready instance, and the rest."""
    startup = stat.none_healthy if stat else 0
    return {"startup_failures": startup, "errors_5xx": max(0, (stat.rq_error if stat else 0) - startup)}


def readiness(deployment: Deployment) -> tuple[bool, dict[str, Any]]:
    """Whether a request to every service would be served now, and why not.

    A service is ready when Envoy routes to at least one healthy instance of it (a service
    whose ``instances.min`` is 0 starts on demand, so it never holds readiness back).
    Returns ``(ready, body)``; body: ``{"ready": bool, "waiting_for": [names],
    "services": {name: {"ready": int, "starting": int}}}`` — no pids or ports. Example::

        readiness(mesh)[1]   # {"ready": False, "waiting_for": ["agent"], "services": {...}}
    """
    d = deployment
    admin = d.envoy.admin
    try:
        clusters = admin.clusters() if admin is not None else {}
    except OSError:
        clusters = {}
    services: dict[str, dict[str, int]] = {}
    waiting = []
    for name, pool in list(d.pools.items()):
        routed = {h.address for h in clusters[name].hosts if h.healthy} if name in clusters else set()
        instances = list(pool.instances.values())
        ready = sum(1 for i in instances if i.state == "ready" and i.address in routed)
        services[name] = {"ready": ready, "starting": sum(1 for i in instances if i.state == "starting")}
        if ready == 0 and pool.service.instances.min > 0:
            waiting.append(name)
    body = {"ready": not waiting and not d.stopping, "waiting_for": sorted(waiting), "services": services}
    if d.stopping:
        body["stopping"] = True
    return bool(body["ready"]), body


PEER_HEADER = "x-puma-peer"  # set by Envoy's status route to the connection's peer address
LOCAL_HEADER = "x-puma-local"  # ... and to the address the peer connected to
_PUBLIC_INSTANCE = ("id", "state", "healthy", "requests")
# What in an event's message locates a process: an IPv4/IPv6 address (with its port), a worker's id.
_LOCATING = re.compile(r"(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?|\[[0-9A-Fa-f:.]+\](?::\d+)?|(?<=worker )\S+")


def public_view(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The snapshot without what locates processes: pids, hosts, ports, the admin address."""
    services = {name: {**svc, "instances": [{k: i.get(k) for k in _PUBLIC_INSTANCE} for i in svc["instances"]]}
                for name, svc in snapshot["services"].items()}
    events = [{**e, "message": _LOCATING.sub("(hidden)", str(e.get("message", "")))} for e in snapshot["events"]]
    envoy = snapshot.get("envoy") or {}
    return {"time": snapshot["time"], "view": "public", "envoy": {"up": envoy.get("pid") is not None},
            "services": services, "events": events}


def _is_local(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False


class StatusServer:
    """A loopback HTTP server answering GET /_puma/status with the snapshot as JSON."""

    def __init__(self, deployment: Deployment) -> None:
        from . import workers

        sampler = StatusSampler(deployment)

        class Handler(JSONRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                path = self.path.split("?")[0].rstrip("/")
                if path == "/_puma/ready":
                    ready, body = readiness(deployment)
                    return self._send(200 if ready else 503, body)
                if path != "/_puma/status":
                    return self._send(404, {"error": "only /_puma/status and /_puma/ready are served here",
                                            "status": 404})
                try:
                    snapshot = sampler.snapshot()
                except OSError as exc:
                    return self._send(503, {"error": f"Envoy admin unreachable: {exc}", "status": 503})
                self._send(200, {**snapshot, "view": "full"} if self._trusted() else public_view(snapshot))

            def _trusted(self) -> bool:
                """This machine (Envoy says who the peer was; direct callers are local) or the secret."""
                peer = self.headers.get(PEER_HEADER) or self.client_address[0]
                if _is_local(peer) or peer == self.headers.get(LOCAL_HEADER):  # to our own address
                    return True
                try:
                    workers.check_token(deployment, self.headers.get(workers.TOKEN_HEADER))
                except HTTPError:
                    return False
                return True

            def do_POST(self) -> None:  # noqa: N802
                self._workers(lambda body: workers.register(deployment, body))

            def do_DELETE(self) -> None:  # noqa: N802
                worker = self.path.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
                self._workers(lambda _body: workers.unregister(deployment, worker) or {"left": worker})

            def _workers(self, action: Any) -> None:
                try:
                    if not self.path.startswith(workers.WORKERS_PATH):
                        raise HTTPError(404, f"only {workers.WORKERS_PATH} accepts {self.command}")
                    workers.check_token(deployment, self.headers.get(workers.TOKEN_HEADER))
                    body = self.read_json(default={})
                    self._send(200, action(body if isinstance(body, dict) else {}))
                except HTTPError as exc:
                    self._send(exc.status, {"error": exc.message, "status": exc.status})

            def _send(self, status: int, body: dict[str, Any]) -> None:
                self.send_json(status, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.sampler = sampler
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="puma-status")

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        if self.thread.is_alive():  # shutdown() would wait forever on a server never started
            self.server.shutdown()
        self.server.server_close()
