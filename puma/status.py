"""The deployment's status — services, instances, in-flight, requests/s, p50/p99, errors, scaling,
recent events — built on Envoy's admin stats and served at `/_puma/status` through Envoy itself
(and, in Prometheus' text format, at `/_puma/metrics`: see `puma.metrics`); and its readiness at
`/_puma/ready` (see `readiness`), for pages and scripts that wait for start-up.

`GET /_puma/status` answers JSON (times are epoch seconds; rates are over the interval since the
previous sample, i.e. the previous request to this endpoint from anyone):

    {"url": "http://127.0.0.1:8080", "time": 1764400000.0,
     "envoy": {"pid": 4242, "admin": "http://127.0.0.1:9901"},
     "services": {"agent": SERVICE, ...},
     "events": [EVENT, ...]}                       # the last 50, oldest first

SERVICE:
    prefix, lb_policy, min_instances, max_instances
    instances         [{id, pid, host, port, state, worker, healthy, requests}]
    ready             instances ready
    in_flight         requests at Envoy for it: active + waiting for a connection
    requests_total    requests forwarded to an instance (cumulative)
    requests_per_s    the same per second
    p50_ms, p99_ms    upstream request time; null until Envoy's first histogram flush (~5 s)
    errors_5xx        answers with a 5xx status once the service had been ready: server errors
                      (the service's own, timeouts, no instance left during an outage). Start-up
                      failures are not in it.
    errors_4xx        answers with a 4xx status (the client's errors)
    error_rate        share of the answers in the interval that were server errors (errors_5xx),
                      0..1; null when nothing was answered in it
    errors_per_s      server errors per second in the interval
    startup_failures  requests answered 503 "no healthy upstream" before the service had its
                      first ready instance: start-up, not server errors (counted apart)
    unavailable       every request answered 503 because no instance was ready, start-up included
    ready_since       when the service first had a ready instance; null while it starts
    scaling           the last 20 scaling decisions, oldest first: [{"time", "from", "to", "reason"}]

EVENT: {"time", "service", "message", "kind"}; kind "scale" (with "from", "to", "reason"),
"ready" (an instance joined; with "startup_ms"), "died", "unhealthy", "added" or "removed".

Who asks decides how much they see. A client on this machine (Envoy passes the connection's real
peer address in `x-puma-peer`: loopback, or the very address it connected to) or one holding the
deployment's secret (`x-puma-token`) gets all of it (`"view": "full"`); anyone else gets the
public view (`"view": "public"`): what the dashboard draws, without pids, ports, hosts or the
Envoy admin address.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from .errors import HTTPError
from .handlers import JSONRequestHandler

if TYPE_CHECKING:
    from .supervisor import Deployment

SCALING_SHOWN = 20
READY_WAIT_S = 2.0


@dataclass
class _Sample:
    at: float
    requests: int
    answered: int
    errors: int


class StatusSampler:
    """Turns Envoy's cumulative counters into rates between successive samples."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.lock = threading.Lock()
        self.last: dict[str, _Sample] = {}
        self.startup_failures: dict[str, int] = {}  # no-instance 503s before the first ready one

    def mark_ready(self, service: str, address: str) -> None:
        """Called once the service's first instance is ready: count its start-up failures apart.

        Waits (bounded) until Envoy routes to `address`, since requests until then still fail."""
        admin = self.deployment.envoy.admin
        if admin is None:
            return
        deadline = time.monotonic() + READY_WAIT_S
        try:
            while time.monotonic() < deadline:
                stat = admin.clusters().get(service)
                if stat and any(h.address == address and h.healthy for h in stat.hosts):
                    break
                time.sleep(0.01)
            failed = admin.counter(service, "upstream_cx_none_healthy")
        except OSError:
            return
        with self.lock:
            self.startup_failures.setdefault(service, failed)

    def snapshot(self) -> dict[str, Any]:
        d = self.deployment
        admin = d.envoy.admin
        clusters = admin.clusters() if admin is not None else {}
        now = time.monotonic()
        services = {}
        with self.lock:
            for name, pool in list(d.pools.items()):
                services[name] = self._service(name, pool, clusters.get(name), now)
        return {"url": d.url, "time": time.time(), "envoy": {"pid": d.envoy.proc.pid if d.envoy.proc else None,
                "admin": admin.base if admin else None}, "services": services, "events": list(d.events)[-50:]}

    def _service(self, name: str, pool: Any, stat: Any, now: float) -> dict[str, Any]:
        failures = self.startup_failures.get(name)
        if failures is None:  # starting (or its first instance just joined): every 503 so far is one
            failures = stat.none_healthy if stat else 0
        errors = max(0, stat.rq_error - failures) if stat else 0
        sample = _Sample(now, stat.rq_total if stat else 0, stat.rq_completed if stat else 0, errors)
        before = self.last.get(name, sample)
        self.last[name] = sample
        seconds, answered = sample.at - before.at, sample.answered - before.answered
        return {
            **_service_status(self.deployment, name, pool, stat),
            "requests_per_s": round((sample.requests - before.requests) / seconds, 2) if seconds > 0 else 0.0,
            "errors_5xx": errors, "errors_4xx": stat.rq_4xx if stat else 0,
            "error_rate": round(max(0, errors - before.errors) / answered, 4) if answered > 0 else None,
            "errors_per_s": round(max(0, errors - before.errors) / seconds, 2) if seconds > 0 else 0.0,
            "startup_failures": failures, "unavailable": stat.none_healthy if stat else 0,
            "ready_since": pool.first_ready_at,
            "scaling": scaling(self.deployment, name)[-SCALING_SHOWN:],
        }


def scaling(deployment: Deployment, service: str) -> list[dict[str, Any]]:
    """The scaling decisions of `service` still among the deployment's recent events, oldest first."""
    return [{"time": e["time"], "from": e["from"], "to": e["to"], "reason": e["reason"]}
            for e in list(deployment.events) if e.get("kind") == "scale" and e["service"] == service]


def _service_status(d: Deployment, name: str, pool: Any, stat: Any) -> dict[str, Any]:
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
        "p50_ms": stat.p50_ms if stat else None, "p99_ms": stat.p99_ms if stat else None,
    }


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


SCALE_PATH = "/_puma/scale"
MANUAL_MAX_INSTANCES = 32  # a service that is not autoscaled: at most this many by hand


def check_control_token(expected: str, given: str | None) -> None:
    """`HTTPError` 401 unless `given` is the deployment's control token (constant-time compare)."""
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPError(401, "missing or wrong x-puma-token header: give the deployment's secret "
                             "($PUMA_SECRET), or run `puma scale` as the user who started it")


def scale(deployment: Deployment, body: dict[str, Any]) -> dict[str, Any]:
    """Set a service's instances: ``{"service": "agent", "instances": 3}``; answers
    ``{"service", "from", "to", "autoscaled", "min_instances", "max_instances"}``.

    An autoscaled service takes a count within its bounds, and the autoscaler goes on from there
    (it may change it again as the load changes); another takes 1 to 32. 400 for a bad count,
    404 for an unknown service. Example: ``scale(mesh, {"service": "agent", "instances": 3})``.
    """
    name, count = body.get("service"), body.get("instances")
    pool = deployment.pools.get(name) if isinstance(name, str) else None
    if pool is None:
        raise HTTPError(404, f"service: no service {name!r}; services: {', '.join(sorted(deployment.pools))}")
    svc = pool.service
    low, high = (svc.instances.min, svc.instances.upper) if svc.autoscaled else (1, MANUAL_MAX_INSTANCES)
    if isinstance(count, bool) or not isinstance(count, int) or not low <= count <= high:
        why = (f"{name} is autoscaled between {low} and {high}; give a count in that range (or change "
               "instances in its config)") if svc.autoscaled else f"give a whole number from {low} to {high}"
        raise HTTPError(400, f"instances: {count!r} is not a count for {name}: {why}")
    before = len(pool.live())
    deployment.scale(name, count, reason="puma scale")
    return {"service": name, "from": before, "to": count, "autoscaled": svc.autoscaled,
            "min_instances": svc.instances.min, "max_instances": svc.instances.upper}


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
        from . import metrics, workers

        sampler = StatusSampler(deployment)
        registry = metrics.registry_for(deployment)
        # Who may change the deployment (POST /_puma/scale): the secret, else one made for this
        # run, which `puma run` records in its run file (readable by its user only).
        token = self.token = deployment.config.secret or os.environ.get("PUMA_SECRET") or secrets.token_urlsafe(24)

        class Handler(JSONRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                path = self.path.split("?")[0].rstrip("/")
                if path == "/_puma/ready":
                    ready, body = readiness(deployment)
                    return self._send(200 if ready else 503, body)
                if path == "/_puma/metrics":
                    try:
                        return self.send_bytes(200, *metrics.exposition(registry, self.headers.get("accept", "")))
                    except OSError as exc:
                        return self._send(503, {"error": f"Envoy admin unreachable: {exc}", "status": 503})
                if path != "/_puma/status":
                    return self._send(404, {"error": "only /_puma/status, /_puma/ready and /_puma/metrics are "
                                                     "served here", "status": 404})
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
                if self.path.split("?")[0].rstrip("/") == SCALE_PATH:
                    return self._scale()
                self._workers(lambda body: workers.register(deployment, body))

            def _scale(self) -> None:
                try:
                    check_control_token(token, self.headers.get(workers.TOKEN_HEADER))
                    body = self.read_json(default={})
                    self._send(200, scale(deployment, body if isinstance(body, dict) else {}))
                except HTTPError as exc:
                    self._send(exc.status, {"error": exc.message, "status": exc.status})

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
