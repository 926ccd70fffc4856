"""The deployment's metrics in Prometheus' text format, at `GET /_puma/metrics` (front listener).

Built on each scrape from Envoy's statistics of each service's cluster and from the supervisor,
with `prometheus_client` (its exposition format; its parser reads Envoy's own). One label,
`service`, on every series; counters are cumulative since the deployment started:

| metric | type | meaning |
|---|---|---|
| `puma_requests_total` | counter | requests answered (by an instance, or by Envoy when it could not forward) |
| `puma_responses_total{code_class}` | counter | the same by status class: `2xx`, `3xx`, `4xx`, `5xx` |
| `puma_errors_total{class}` | counter | failed requests: `server` (5xx once the service had been ready), `client` (4xx), `startup` (503 before its first ready instance; not server errors) |
| `puma_request_duration_seconds` | histogram | time to an instance's answer, as Envoy measures it (buckets 0.5 ms to 1 h; Envoy publishes them every ~5 s) |
| `puma_in_flight_requests` | gauge | requests at Envoy now: active + waiting for a connection |
| `puma_instances{state}` | gauge | instances by state: `starting`, `ready`, `not_ready` (running, but its readiness check fails: routed around), `draining`, `unhealthy` |
| `puma_instances_min`, `puma_instances_max` | gauge | the service's bounds |
| `puma_scaling_decisions_total{direction}` | counter | scaling decisions, `up` or `down` (autoscaler and `scale()`) |

Example scrape config (Prometheus)::

    scrape_configs:
      - job_name: puma
        metrics_path: /_puma/metrics
        static_configs: [{targets: ["127.0.0.1:8080"]}]
"""

from __future__ import annotations

import collections
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.openmetrics import exposition as openmetrics
from prometheus_client.parser import text_string_to_metric_families

if TYPE_CHECKING:
    from .interfaces import DeploymentView

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4  # the text format every Prometheus version reads
STATES = ("starting", "ready", "not_ready", "draining", "unhealthy")
CODE_CLASSES = ("2", "3", "4", "5")
_ENVOY_STATS = r"^cluster\.[^.]+\.(upstream_rq_(\dxx|time|completed|active|pending_active)|upstream_cx_none_healthy)$"


def exposition(registry: CollectorRegistry, accept: str = "") -> tuple[bytes, str]:
    """(body, content type) of a scrape of `registry`: OpenMetrics if the `accept` header asks for
    it, else Prometheus' text format 0.0.4. OSError when Envoy's admin API cannot be read."""
    if "application/openmetrics-text" in accept:
        return openmetrics.generate_latest(registry), openmetrics.CONTENT_TYPE_LATEST
    return generate_latest(registry), CONTENT_TYPE


def registry_for(deployment: DeploymentView, startup_failures: Mapping[str, int]) -> CollectorRegistry:
    """A registry holding only this deployment's metrics (not the process's own);
    `startup_failures` (service -> 503s before its first instance) is read at each scrape."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DeploymentCollector(deployment, startup_failures))
    return registry


class DeploymentCollector:
    """A `prometheus_client` collector: every metric is read afresh at each scrape."""

    def __init__(self, deployment: DeploymentView, startup_failures: Mapping[str, int]) -> None:
        self.deployment = deployment
        self.startup_failures = startup_failures

    def collect(self) -> Iterator[Metric]:
        d = self.deployment
        names = list(d.pools)
        envoy = _envoy_samples(d, names)
        yield from _traffic(envoy, names, self.startup_failures)
        yield _histogram(envoy, names)
        yield from _instances(d, names)


def _envoy_samples(d: DeploymentView, names: list[str]) -> dict[tuple[str, str, str], float]:
    """(metric, service, extra label) -> value, from Envoy's own Prometheus output."""
    found: dict[tuple[str, str, str], float] = collections.defaultdict(float)
    if d.envoy.admin is None:
        raise OSError("Envoy is not running")  # no zeros for counters: the scrape fails instead
    text = d.envoy.admin.prometheus(_ENVOY_STATS)
    wanted = set(names)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            service = sample.labels.get("envoy_cluster_name")
            if service in wanted:
                # A counter's samples are named with "_total" by the parser; a histogram's by part.
                name = sample.name if family.type == "histogram" else family.name
                extra = sample.labels.get("envoy_response_code_class") or sample.labels.get("le", "")
                found[(name, service, extra)] += sample.value
    return found


def _traffic(envoy: dict[tuple[str, str, str], float], names: list[str], startup: Mapping[str, int]) -> Iterator[Metric]:
    requests = CounterMetricFamily("puma_requests", "Requests answered, by an instance or by Envoy.",
                                   labels=["service"])
    responses = CounterMetricFamily("puma_responses", "Requests answered, by status class.",
                                    labels=["service", "code_class"])
    errors = CounterMetricFamily("puma_errors", "Failed requests: server (5xx once the service had been "
                                 "ready), client (4xx), startup (503 before its first ready instance).",
                                 labels=["service", "class"])
    in_flight = GaugeMetricFamily("puma_in_flight_requests", "Requests at Envoy: active and waiting.",
                                  labels=["service"])
    for name in names:
        requests.add_metric([name], envoy[("envoy_cluster_upstream_rq_completed", name, "")])
        for code in CODE_CLASSES:
            responses.add_metric([name, f"{code}xx"], envoy[("envoy_cluster_upstream_rq_xx", name, code)])
        # Until the first instance's start-up failures are recorded, every no-instance 503 is one.
        failed_at_start = float(startup.get(name, envoy[("envoy_cluster_upstream_cx_none_healthy", name, "")]))
        server = envoy[("envoy_cluster_upstream_rq_xx", name, "5")] - failed_at_start
        errors.add_metric([name, "server"], max(0.0, server))
        errors.add_metric([name, "client"], envoy[("envoy_cluster_upstream_rq_xx", name, "4")])
        errors.add_metric([name, "startup"], failed_at_start)
        in_flight.add_metric([name], envoy[("envoy_cluster_upstream_rq_active", name, "")]
                             + envoy[("envoy_cluster_upstream_rq_pending_active", name, "")])
    yield from (requests, responses, errors, in_flight)


def _histogram(envoy: dict[tuple[str, str, str], float], names: list[str]) -> Metric:
    family = HistogramMetricFamily("puma_request_duration_seconds",
                                   "Time to an instance's answer, as Envoy measures it.", labels=["service"])
    for name in names:
        bounds = sorted((_le(key[2]), value) for key, value in envoy.items()
                        if key[0] == "envoy_cluster_upstream_rq_time_bucket" and key[1] == name)
        if not bounds:
            bounds = [(float("inf"), 0.0)]
        buckets = [(_seconds_label(le), count) for le, count in bounds]
        family.add_metric([name], buckets, sum_value=envoy[("envoy_cluster_upstream_rq_time_sum", name, "")] / 1000)
    return family


def _le(text: str) -> float:
    return float("inf") if text in ("+Inf", "inf") else float(text)


def _seconds_label(le_ms: float) -> str:
    return "+Inf" if le_ms == float("inf") else repr(le_ms / 1000)


def _instances(d: DeploymentView, names: list[str]) -> Iterator[Metric]:
    instances = GaugeMetricFamily("puma_instances", "Instances by state.", labels=["service", "state"])
    low = GaugeMetricFamily("puma_instances_min", "The service's minimum of instances.", labels=["service"])
    high = GaugeMetricFamily("puma_instances_max", "The service's maximum of instances.", labels=["service"])
    decisions = CounterMetricFamily("puma_scaling_decisions", "Scaling decisions by direction.",
                                    labels=["service", "direction"])
    for name in names:
        pool: Any = d.pools.get(name)
        if pool is None:
            continue
        with pool.lock:
            # Running is not ready: one whose readiness check fails is counted apart (its requests get 503).
            states = collections.Counter("not_ready" if i.state == "ready" and i.not_ready else i.state
                                         for i in pool.instances.values())
        for state in STATES:
            instances.add_metric([name, state], states.get(state, 0))
        low.add_metric([name], pool.service.instances.min)
        high.add_metric([name], pool.service.instances.upper)
        for direction in ("up", "down"):
            decisions.add_metric([name, direction], d.decisions[(name, direction)])
    yield from (instances, low, high, decisions)
