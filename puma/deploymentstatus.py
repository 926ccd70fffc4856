"""The deployment's status (as Kubernetes keeps a Deployment's `.status`): services, instances,
in-flight, requests/s, p50/p99, errors, scaling, recent events — built on Envoy's admin stats and
the deployment's cumulative counters (`puma.traffic`); served by `puma.status` at `/_puma/status`.

`GET /_puma/status` answers it as JSON (times are epoch seconds; rates are over the interval since
the previous sample, i.e. the previous request to this endpoint from anyone):

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
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import failing, guard
from .readycount import converge, routed_addresses, serves, shortfall, told_of
from .silence import silent_line
from .states import states, verdict
from .traffic import ServiceTraffic

if TYPE_CHECKING:
    from .interfaces import DeploymentView

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
        snapshot = {"url": d.url, "time": time.time(), "logs": str(d.run_dir / "logs"),
                    "envoy": {"pid": d.envoy.proc.pid if d.envoy.proc else None,
                    "admin": admin.base if admin else None}, "services": services, "events": list(d.events)[-50:],
                    "waiting_for": waiting, "not_ready": not_ready, "stopping": d.stopping,
                    "started_at": getattr(d, "started_at", None), "supervisor_failing": guard.outages()}
        snapshot["state"] = verdict(snapshot)  # as /_puma/ready says it
        return snapshot

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
