"""The deployment's status — services, instances, in-flight, requests/s, p50/p99, errors, scaling,
recent events — built on Envoy's admin stats and served at `/_puma/status` through Envoy itself
(and, in Prometheus' text format, at `/_puma/metrics`: see `puma.metrics`).

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
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from .errors import HTTPError

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


class StatusServer:
    """A loopback HTTP server answering GET /_puma/status with the snapshot as JSON."""

    def __init__(self, deployment: Deployment) -> None:
        from . import metrics, workers

        sampler = StatusSampler(deployment)
        registry = metrics.registry_for(deployment)

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # avoid the 40 ms delayed-ACK stall on keep-alive
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                if self.path.split("?")[0].rstrip("/") == "/_puma/metrics":
                    try:
                        return self._send_bytes(200, *metrics.exposition(registry, self.headers.get("accept", "")))
                    except OSError as exc:
                        return self._send(503, {"error": f"Envoy admin unreachable: {exc}"})
                if self.path.split("?")[0].rstrip("/") != "/_puma/status":
                    return self._send(404, {"error": "only /_puma/status and /_puma/metrics are served here"})
                try:
                    self._send(200, sampler.snapshot())
                except OSError as exc:
                    self._send(503, {"error": f"Envoy admin unreachable: {exc}"})

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
                    length = int(self.headers.get("content-length") or 0)
                    if length > 1 << 20:
                        raise HTTPError(413, "registration body over 1 MiB")
                    raw = self.rfile.read(length) if length else b"{}"
                    try:
                        body = json.loads(raw)
                    except ValueError:
                        raise HTTPError(400, "body is not JSON") from None
                    self._send(200, action(body if isinstance(body, dict) else {}))
                except HTTPError as exc:
                    self._send(exc.status, {"error": exc.message, "status": exc.status})

            def _send(self, status: int, body: dict[str, Any]) -> None:
                self._send_bytes(status, json.dumps(body).encode(), "application/json")

            def _send_bytes(self, status: int, data: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(data)))
                self.send_header("cache-control", "no-store")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: Any) -> None:
                pass

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
