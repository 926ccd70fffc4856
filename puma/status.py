"""The deployment's status — services, instances, in-flight, requests/s, p50/p99, errors, scaling,
recent events — built on Envoy's admin stats and served at `/_puma/status` through Envoy itself
(and, in Prometheus' text format, at `/_puma/metrics`: see `puma.metrics`); and its readiness at
`/_puma/ready` (see `readiness`), for pages and scripts that wait for start-up.

`GET /_puma/status` answers JSON (times are epoch seconds; rates are over the interval since the
previous sample, i.e. the previous request to this endpoint from anyone):

    {"url": "http://127.0.0.1:8080", "time": 1764400000.0,
     "envoy": {"pid": 4242, "admin": "http://127.0.0.1:9901"},
     "services": {"agent": SERVICE, ...},
     "events": [EVENT, ...],                       # the last 50, oldest first
     "waiting_for": ["agent"], "not_ready": {"legacy": "instance 1: <why>"},
     "stopping": false, "started_at": 1764400000.0}  # null while it starts

`waiting_for` and `not_ready` follow one definition (`puma.states`), the same as `/_puma/ready`'s:
starting is only while the deployment starts; a service that stops serving after that is not ready.

SERVICE:
    prefix, lb_policy, min_instances, max_instances
    instances         [{id, pid, container, host, port, state, worker, healthy, requests}]
    ready             instances ready to serve (running, passing the service's readiness check, and routed
                      to by Envoy: what `/_puma/ready` counts; see `puma.readycount`)
    wanted            how many it is meant to run now
    short             ["instance 4: starting (3 s)", ...]: why ready is below wanted, when it is
    degraded          null, or why a part it needs fails every request ("the database is full: ...
                      every request for 40 s answered 507"): ready all the same (see `puma.failing`)
    not_ready         ["instance 1: <why>", ...]: running instances whose readiness check fails (what they
                      need is down): Envoy routes around them, their requests get 503 naming why
    in_flight         requests at Envoy for it: active + waiting for a connection
    requests_total    requests answered, by an instance or by Envoy itself (a failed service's
                      503, a 405/413 guard, a 429, a 504 timeout): everything its clients were
                      answered (cumulative, carried across Envoy restarts; see `puma.traffic`)
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
    refused_not_ready requests its not-ready instances refused (503 naming what is down and Retry-After:
                      its readiness check fails): what it needs is down, not a server error (not in errors_5xx)
    ready_since       when the service first had a ready instance; null while it starts
    scaling           the last 20 scaling decisions, oldest first: [{"time", "from", "to", "reason"}]

EVENT: {"time", "service", "message", "kind"}; kind "scale" (with "from", "to", "reason"),
"up" (an instance started and answers its health check; with "startup_ms"; ready once its readiness
check passes too), "not-ready" (its readiness check fails: waiting at
start, or what it needs went down), "ready-again", "died", "unhealthy", "added" or "removed".

Who asks decides how much they see. A client on this machine (Envoy passes the connection's real
peer address in `x-puma-peer`: loopback, or the very address it connected to) that also names
this deployment in its Host header (a loopback name or address, this machine's name, the listener's
address: see `names_this_deployment`), or one holding the deployment's secret (`x-puma-token`),
gets all of it (`"view": "full"`); anyone else gets the public view (`"view": "public"`): what the
dashboard draws, without pids, ports, hosts or the Envoy admin address. The Host check is what
stops DNS rebinding: a page of `attacker.example` whose name is made to resolve to 127.0.0.1 is
a local peer, but its requests carry `Host: attacker.example`.

Methods: the read paths (and `/_puma/dashboard`, this data as a page: `puma.dashboard`) answer GET and HEAD; `/_puma/workers` takes POST (register) and
`/_puma/workers/<id>` DELETE (leave); any other method on them is 405 with an `Allow` header.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from . import failing, guard, serviceready
from .config import MAX_INSTANCES
from .errors import HTTPError, PumaScaleError
from .handlers import JSONRequestHandler
from .readycount import converge, routed_addresses, serves, shortfall, told_of
from .silence import silent_line
from .states import states
from .suggest import did_you_mean
from .traffic import ServiceTraffic
from .visibility import (
    LOCATING,
    internal_names,
    public_ready,
    public_view,
    redact,
    without_internal,
)

if TYPE_CHECKING:
    from .interfaces import DeploymentView

log = logging.getLogger(__name__)
SCALING_SHOWN = 20


@dataclass
class _Sample:
    at: float
    requests: int
    answered: int
    errors: int


class StatusSampler:
    """Turns the deployment's cumulative counters (`puma.traffic`) into rates between samples."""

    def __init__(self, deployment: DeploymentView) -> None:
        from .traffic import TrafficTotals

        self.deployment = deployment
        self.lock = threading.Lock()
        self.last: dict[str, _Sample] = {}
        self.traffic = TrafficTotals(deployment)

    def routed(self, service: str) -> None:
        """Envoy routes to an instance of `service` (its health event said so), or the deployment
        finished starting: the first time, count the requests that failed for want of an instance
        so far as its start-up failures, apart; later ones are server errors."""
        self.traffic.routed(service)

    def snapshot(self) -> dict[str, Any]:
        d = self.deployment
        admin = d.envoy.admin
        clusters = admin.clusters() if admin is not None else {}
        totals = self.traffic.read() if admin is not None else {}
        now = time.monotonic()
        services = {}
        with self.lock:
            for name, pool in list(d.pools.items()):
                services[name] = self._service(name, pool, clusters.get(name), totals.get(name), now)
        # One definition of starting and not ready (puma.states), as /_puma/ready says them.
        waiting, not_ready = states(d, {n: s["ready"] for n, s in services.items()})
        return {"url": d.url, "time": time.time(), "logs": str(d.run_dir / "logs"),
                "envoy": {"pid": d.envoy.proc.pid if d.envoy.proc else None,
                "admin": admin.base if admin else None}, "services": services, "events": list(d.events)[-50:],
                "waiting_for": waiting, "not_ready": not_ready, "stopping": d.stopping,
                "started_at": getattr(d, "started_at", None), "supervisor_failing": guard.outages()}

    def _service(self, name: str, pool: Any, stat: Any, traffic: Any, now: float) -> dict[str, Any]:
        # Every answer a client got counts (Envoy's own replies too), carried across Envoy restarts.
        t = traffic if traffic is not None else ServiceTraffic({})
        sample = _Sample(now, t.requests, t.requests, t.server_errors)
        before = self.last.get(name, sample)
        self.last[name] = sample
        seconds, answered = sample.at - before.at, max(0, sample.answered - before.answered)
        new_errors = max(0, t.server_errors - before.errors)
        return {
            **_service_status(self.deployment, name, pool, stat),
            "requests_total": t.requests,
            "requests_per_s": round(answered / seconds, 2) if seconds > 0 else 0.0,
            "errors_5xx": t.server_errors, "errors_4xx": t.client_errors,
            "error_rate": round(min(1.0, new_errors / answered), 4) if answered > 0 else None,
            "errors_per_s": round(new_errors / seconds, 2) if seconds > 0 else 0.0,
            "startup_failures": t.startup_failures, "unavailable": t.unavailable,
            "refused_not_ready": t.refused_not_ready,
            "replies_cut_off": t.cut,
            "ready_since": pool.first_ready_at,
            "scaling": scaling(self.deployment, name)[-SCALING_SHOWN:],
        }


def scaling(deployment: DeploymentView, service: str) -> list[dict[str, Any]]:
    """The scaling decisions of `service` still among the deployment's recent events, oldest first."""
    return [{"time": e["time"], "from": e["from"], "to": e["to"], "reason": e["reason"]}
            for e in list(deployment.events) if e.get("kind") == "scale" and e["service"] == service]


def _service_status(d: DeploymentView, name: str, pool: Any, stat: Any) -> dict[str, Any]:
    healthy = {h.address: h.healthy for h in stat.hosts} if stat else {}
    served = {h.address: h.rq_total for h in stat.hosts} if stat else {}
    active = {h.address: h.rq_active for h in stat.hosts} if stat else {}  # requests waiting for each instance
    svc = d.config.puma_services[name]
    routed = routed_addresses(stat)
    converge(getattr(d, "health", None), pool, routed)  # a health event missed: follow Envoy's routing
    # Ready is what Envoy was told and routes to, as /_puma/ready counts it (puma.readycount): an
    # instance up whose endpoints file is not written yet is "up", never "ready".
    told = d.envoy.published(name) if hasattr(d.envoy, "published") else None
    instances = [{"id": i.id, "pid": i.pid, "container": i.container, "host": i.host, "port": i.port,
                  "state": i.state if i.state != "ready" or told_of(i, told) else "up", "worker": i.worker,
                  "in_envoy": told_of(i, told),
                  "healthy": healthy.get(i.address, False) if i.state == "ready" else None,
                  "requests": served.get(i.address, 0), "rss_mib": None if i.remote else rss_mib(i.pid),
                  "not_ready": i.not_ready if i.state == "ready" else None, **_busy(pool, i)}
                 for i in sorted(pool.instances.values(), key=lambda i: i.id)]
    # Ready means requests are served: an instance whose readiness check fails (what it needs is
    # down) is running, but Envoy routes around it and its requests get 503, so it is not counted.
    not_ready = [f"instance {i['id']}: {i['not_ready']}" for i in instances if i["not_ready"]]
    wanted = (max(pool.wanted() if hasattr(pool, "wanted") else
                  sum(1 for i in instances if i["state"] in ("starting", "ready")),
                  0 if pool.instances or getattr(pool, "restarting", False) else svc.instances.min)
              if not getattr(pool, "failed", None) else svc.instances.upper)
    return {
        "prefix": svc.prefix, "lb_policy": d.config.lb_policy(name),
        "visibility": getattr(svc, "visibility", "public"),  # public: clients call it; internal: its services only
        # The bounds that apply now: a fixed count is what its config or the last `puma scale` set,
        # so the config's own count would contradict "wanted" after a scale.
        "min_instances": svc.instances.min if svc.autoscaled else wanted,
        "max_instances": svc.instances.upper if svc.autoscaled else wanted, "autoscaled": svc.autoscaled,
        "instances": instances,
        "ready": sum(1 for i in pool.instances.values() if serves(pool, i, routed, told)),
        # How many it runs now (its config's count, or what a scale or the autoscaler set): not draining
        # ones. Before its zygote has forked any (it imports, warms up), the count it will start: "0/3",
        # never "0/0", which reads as none wanted.
        # One killed and not yet replaced (failing its checks, or waiting for its zygote) still counts:
        # "1/1" of a service of 2 read as nothing missing.
        "wanted": wanted,
        # Why ready is below wanted, whatever the cause (a count short of its target always says why).
        "short": [] if getattr(pool, "failed", None) else shortfall(pool, wanted, routed, told),
        "not_ready": not_ready,
        # Counted ready (Envoy still routes to them) but answering nothing: said at once (puma.silence).
        "silent": [line for i in sorted(pool.instances.values(), key=lambda i: i.id)
                   if i.state == "ready" and (line := silent_line(pool, i, active.get(i.address, 0))) is not None],
        "degraded": failing.of_pool(pool),  # serving, but a part it needs fails every request (puma.failing)
        "in_flight": stat.in_flight if stat else 0,
        "p50_ms": stat.p50_ms if stat else None, "p99_ms": stat.p99_ms if stat else None,
        "failed": getattr(pool, "failed", None),  # why it is down for good (its zygote kept dying)
        # Requests running in its instances (Envoy forgets one it answered 504), and the instances whose
        # every thread is held past timeout_s: they serve no one until replaced.
        "busy": sum(i["busy"] for i in instances),
        "stuck": sum(1 for i in instances if i["busy"] >= svc.threads and i["held_s"] > svc.timeout_s),
        "held_s": max((i["held_s"] for i in instances), default=0.0),
    }


def _busy(pool: Any, instance: Any) -> dict[str, Any]:
    """An instance's requests running now and how long (s) the oldest has held its thread."""
    running, held_s = pool.busy(instance) if hasattr(pool, "busy") else (0, 0.0)
    return {"busy": running, "held_s": round(held_s, 1)}


_PAGE_MIB = os.sysconf("SC_PAGE_SIZE") / (1 << 20)


def rss_mib(pid: int | None) -> float | None:
    """The resident memory of process `pid` on this host in MiB (Linux /proc), or None if unknown.
    Example: ``rss_mib(os.getpid())`` -> 41.2."""
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return round(int(statm.read().split()[1]) * _PAGE_MIB, 1)
    except (OSError, IndexError, ValueError):
        return None


def readiness(deployment: DeploymentView) -> tuple[bool, dict[str, Any]]:
    """Whether a request to every service would be served now, and why not.

    A service is ready when Envoy routes to at least one healthy instance of it; a public service
    scaled to 0 holds readiness back (its requests get 503), an internal one only if its min is above 0.
    Returns ``(ready, body)``; body: ``{"ready": bool, "waiting_for": [names still starting],
    "not_ready": {name: why}, "services": {name: {"ready": int, "starting": int}}}`` — no pids or
    ports. `not_ready`: services whose instances run but fail their readiness check (what they
    need is down, or still being prepared): not ready, but not start-up either. Example::

        readiness(mesh)[1]   # {"ready": False, "waiting_for": ["agent"], "services": {...}}
    """
    d = deployment
    admin = d.envoy.admin
    try:  # one line per service from Envoy, not one per instance
        routed = admin.gauges("membership_healthy", list(d.pools)) if admin is not None and d.pools else {}
    except OSError:
        routed = {}
    services: dict[str, dict[str, int]] = {}
    for name, pool in list(d.pools.items()):
        with pool.lock:
            starting = sum(1 for i in pool.instances.values() if i.state == "starting")
        services[name] = {"ready": routed.get(name, 0), "starting": starting}
    # One definition of starting and not ready (puma.states), as /_puma/status says them.
    waiting, why = states(d, routed)
    not_ready = {name: LOCATING.sub("(hidden)", text) for name, text in why.items()}
    body = {"ready": not waiting and not not_ready and not d.stopping, "waiting_for": waiting,
            "not_ready": not_ready, "services": services}
    if d.stopping:
        body["stopping"] = True
    degraded = {name: LOCATING.sub("(hidden)", said) for name, pool in list(d.pools.items())
                if (said := failing.of_pool(pool))}
    if degraded:  # ready all the same (a restart would not free a disk): said, not flapped
        body["degraded"] = degraded
    return bool(body["ready"]), body


SCALE_PATH = "/_puma/scale"


def check_control_token(expected: str, given: str | None) -> None:
    """`HTTPError` 401 unless `given` is the deployment's control token (constant-time compare)."""
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPError(401, "missing or wrong x-puma-token header: give the deployment's secret "
                             "($PUMA_SECRET), or run `puma scale` as the user who started it")


def scale(deployment: DeploymentView, body: dict[str, Any]) -> dict[str, Any]:
    """Set a service's instances: ``{"service": "agent", "instances": 3}``; answers
    ``{"service", "from", "to", "autoscaled", "min_instances", "max_instances", "held_s", "at"}``
    (``at``: the deployment's clock at the scale, Unix seconds).

    An autoscaled service takes a count within its bounds; the autoscaler starts its history again
    then, so the count holds at least `held_s` (its `downscale_delay_s`; more load may raise it
    sooner), and it follows the load after that; another service takes 1 to `MAX_INSTANCES` (32; `held_s` null). 400 for a bad count,
    404 for an unknown service. Example: ``scale(mesh, {"service": "agent", "instances": 3})``.
    """
    name, count = body.get("service"), body.get("instances")
    pool = deployment.pools.get(name) if isinstance(name, str) else None
    if pool is None or not isinstance(name, str):
        raise HTTPError(404, f"service: no service {name!r}{did_you_mean(str(name), list(deployment.pools))}; "
                             f"services: {', '.join(sorted(deployment.pools))}")
    svc = pool.service
    low, high = (svc.instances.min, svc.instances.upper) if svc.autoscaled else (1, MAX_INSTANCES)
    if isinstance(count, bool) or not isinstance(count, int) or not low <= count <= high:
        why = (f"{name} is autoscaled between {low} and {high}; give a count in that range (or change "
               "instances in its config)") if svc.autoscaled else f"give a whole number from {low} to {high}"
        raise HTTPError(400, f"instances: {count!r} is not a count for {name}: {why}")
    before, at = len(pool.live()), time.time()
    try:
        deployment.scale(name, count, reason="puma scale")
    except PumaScaleError as exc:  # the service cannot take a count now (it failed, or is restarting)
        raise HTTPError(409, str(exc)) from None
    held_s = svc.autoscale_settings.downscale_delay_s if svc.autoscaled else None
    return {"service": name, "from": before, "to": count, "autoscaled": svc.autoscaled,
            "min_instances": svc.instances.min, "max_instances": svc.instances.upper, "held_s": held_s,
            "at": at}


PEER_HEADER = "x-puma-peer"  # set by Envoy's status route to the connection's peer address
LOCAL_HEADER = "x-puma-local"  # ... and to the address the peer connected to
def _is_local(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def names_this_deployment(host_header: str | None, own_addresses: set[str]) -> bool:
    """Whether a Host header names this deployment: a loopback name or address (`localhost`,
    `*.localhost`, 127.0.0.1, [::1]), this machine's name, or one of `own_addresses` (the
    listener's, the one the client connected to); any port. Example:
    ``names_this_deployment("localhost:8080", set())`` -> True; ``("rebind.example", set())`` -> False.
    """
    if not host_header:
        return False
    host = host_header.strip().lower()
    if host.startswith("["):
        host = host[1:].partition("]")[0]
    elif host.count(":") == 1:
        host = host.partition(":")[0]
    host = host.rstrip(".")
    if host == "localhost" or host.endswith(".localhost") or _is_local(host):
        return True
    return host in own_addresses or host in _machine_names()


def _machine_names() -> set[str]:
    name = socket.gethostname().lower()
    return {name, socket.getfqdn(name).lower()}


READ_PATHS = ("/_puma/ready", "/_puma/status", "/_puma/metrics", "/_puma/dashboard")  # the last: puma.dashboard


def allowed_methods(path: str) -> tuple[str, ...] | None:
    """The methods a status-server path takes; None for a path it does not serve (404)."""
    from .workers import WORKERS_PATH

    if path in READ_PATHS or serviceready.name_in(path) is not None:
        return ("GET", "HEAD")
    if path in (WORKERS_PATH, SCALE_PATH):
        return ("POST",)
    if path.startswith(WORKERS_PATH + "/"):
        return ("DELETE",)
    return None


class StatusServer:
    """A loopback HTTP server answering GET /_puma/status with the snapshot as JSON."""

    def __init__(self, deployment: DeploymentView) -> None:
        from . import dashboard, metrics, workers

        sampler = StatusSampler(deployment)
        registry = metrics.registry_for(deployment, sampler.traffic)
        hidden = internal_names(deployment.config)  # not named to a public client (puma.visibility)
        public_registry = metrics.registry_for(deployment, sampler.traffic, hidden=hidden)
        # Who may change the deployment (POST /_puma/scale): the secret, else one made for this
        # run, which `puma run` records in its run file (readable by its user only).
        listener = deployment.config.listener  # its pages linked from the dashboard: those the app named
        pages = listener.pages if "pages" in listener.model_fields_set else {}
        token = self.token = deployment.config.secret or os.environ.get("PUMA_SECRET") or secrets.token_urlsafe(24)

        class Handler(JSONRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                path = self._path()
                if serviceready.name_in(path) is not None:
                    return self._ready_of(serviceready.name_in(path) or "")
                if path not in READ_PATHS:
                    return self._refuse(path)
                trusted = self._trusted()
                if path == "/_puma/ready":
                    ready, body = readiness(deployment)
                    return self._send(200 if ready else 503, body if trusted else public_ready(body, hidden),
                                      {} if ready else {"Retry-After": "1"})
                if path == "/_puma/metrics":
                    try:
                        return self.send_bytes(200, *metrics.exposition(registry if trusted else public_registry,
                                                                        self.headers.get("accept", "")))
                    except OSError as exc:
                        return self._send(503, {"error": f"Envoy admin unreachable: {exc}", "status": 503})
                try:
                    snapshot = sampler.snapshot()
                except OSError as exc:
                    return self._send(503, {"error": f"Envoy admin unreachable: {exc}", "status": 503})
                body = {**snapshot, "view": "full"} if trusted else without_internal(public_view(snapshot), hidden)
                if path == dashboard.PATH:  # the same view, as a page
                    refresh_s = dashboard.refresh_from(self.path.partition("?")[2])
                    return self.send_bytes(200, dashboard.page(body, refresh_s, pages), "text/html; charset=utf-8",
                                           dashboard.HEADERS)
                self._send(200, body)

            do_HEAD = do_GET  # noqa: N815 - the same answer; send_bytes leaves the body out

            def _ready_of(self, name: str) -> None:
                trusted = self._trusted()
                if name not in deployment.pools or (name in hidden and not trusted):
                    known = sorted(n for n in deployment.pools if trusted or n not in hidden)
                    return self._send(404, {"error": f"no service {name[:100]!r} here; ask /_puma/ready/<service> "
                                                     f"for one of: {', '.join(known)}", "status": 404})
                ready, body = serviceready.one(readiness(deployment)[1], name)
                if not trusted:
                    body = public_ready({k: redact(v, hidden) if isinstance(v, str) else v for k, v in body.items()},
                                        hidden)
                return self._send(200 if ready else 503, body, {} if ready else {"Retry-After": "1"})

            def _trusted(self) -> bool:
                """The secret, or this machine (Envoy says who the peer was; direct callers are
                local) asking by a name of this deployment (not a rebound foreign name)."""
                try:
                    workers.check_token(deployment, self.headers.get(workers.TOKEN_HEADER))
                    return True
                except HTTPError:
                    pass
                peer = self.headers.get(PEER_HEADER) or self.client_address[0]
                local = self.headers.get(LOCAL_HEADER)
                backend = getattr(deployment, "backend", None)  # its containers: on a network of its own
                if not (_is_local(peer) or peer == local or (backend is not None and backend.holds(peer))):
                    return False
                own = {a for a in (local, deployment.config.listener.host) if a}
                return names_this_deployment(self.headers.get("host"), own)

            def do_POST(self) -> None:  # noqa: N802
                if self._path() == SCALE_PATH:
                    return self._scale()
                if self._path() != workers.WORKERS_PATH:
                    return self._refuse(self._path())
                self._workers(lambda body: workers.register(deployment, body))

            def _scale(self) -> None:
                try:
                    check_control_token(token, self.headers.get(workers.TOKEN_HEADER))
                    body = self.read_json(default={})
                    self._send(200, scale(deployment, body if isinstance(body, dict) else {}))
                except HTTPError as exc:
                    self._send(exc.status, {"error": exc.message, "status": exc.status})
                except Exception as exc:  # never a dropped connection the CLI reads as "may have taken effect"
                    log.exception("scale failed")
                    self._send(500, {"error": f"scale failed: {type(exc).__name__}: {exc}; see the deployment's "
                                              "log", "status": 500})

            def do_DELETE(self) -> None:  # noqa: N802
                path = self._path()
                if allowed_methods(path) != ("DELETE",):
                    return self._refuse(path)
                worker = path.rsplit("/", 1)[-1]
                self._workers(lambda _body: workers.unregister(deployment, worker))

            def _workers(self, action: Any) -> None:
                try:
                    workers.check_token(deployment, self.headers.get(workers.TOKEN_HEADER))
                    body = self.read_json(default={})
                    self._send(200, action(body if isinstance(body, dict) else {}))
                except HTTPError as exc:
                    self._send(exc.status, {"error": exc.message, "status": exc.status})

            def allowed(self) -> tuple[str, ...] | None:
                return allowed_methods(self._path())

            def _path(self) -> str:
                return self.path.split("?")[0].rstrip("/") or "/"

            def _refuse(self, path: str) -> None:
                allow = allowed_methods(path)
                if allow is None:
                    return self._send(404, {"error": f"nothing is served at {path[:100]} here; the status "
                                                     f"server serves {', '.join(READ_PATHS)}, /_puma/ready/<service>", "status": 404})
                self._send(405, {"error": f"method {self.command} is not allowed on {path}; use "
                                          f"{' or '.join(allow)}", "status": 405}, {"Allow": ", ".join(allow)})

            def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                self.send_json(status, body, headers)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.sampler = sampler
        self.thread = guard.thread(self.server.serve_forever, name="puma-status", retry=False)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        if self.thread.is_alive():  # shutdown() would wait forever on a server never started
            self.server.shutdown()
        self.server.server_close()
