"""The deployment's metrics in Prometheus' text format, at `GET /_puma/metrics` (front listener).

Built on each scrape from Envoy's statistics (every response a service's clients got, Envoy's own
replies included, counted by its stats access logger and carried across Envoy restarts: see
`puma.traffic`; latency and in-flight from each service's cluster) and from the supervisor,
with `prometheus_client` (its exposition format; its parser reads Envoy's own). One label,
`service`, on every series; counters are cumulative since the deployment started:

| metric | type | meaning |
|---|---|---|
| `puma_requests_total` | counter | requests answered: by an instance, or by Envoy itself (no instance, a failed service's 503, timeout 504, rate limit 429, 405, 413) |
| `puma_responses_total{code_class}` | counter | the same by status class: `2xx`, `3xx`, `4xx`, `5xx` |
| `puma_errors_total{class}` | counter | failed requests: `server` (5xx once the service had been ready), `client` (4xx), `startup` (503 before its first ready instance; not server errors), `not_ready` (503 refusals of its not-ready instances: what it needs is down; not server errors) |
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

from .traffic import ServiceTraffic

if TYPE_CHECKING:
    from .interfaces import DeploymentView
    from .traffic import TrafficTotals

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4  # the text format every Prometheus version reads
STATES = ("starting", "ready", "not_ready", "leaving", "draining", "unhealthy")
CODE_CLASSES = ("2", "3", "4", "5")
_ENVOY_STATS = r"^cluster\.[^.]+\.upstream_rq_(time|active|pending_active)$"


def exposition(registry: CollectorRegistry, accept: str = "") -> tuple[bytes, str]:
    """(body, content type) of a scrape of `registry`: OpenMetrics if the `accept` header asks for
    it, else Prometheus' text format 0.0.4. OSError when Envoy's admin API cannot be read."""
    if "application/openmetrics-text" in accept:
        return openmetrics.generate_latest(registry), openmetrics.CONTENT_TYPE_LATEST
    return generate_latest(registry), CONTENT_TYPE


def registry_for(deployment: DeploymentView, traffic: TrafficTotals,
                 hidden: frozenset[str] = frozenset()) -> CollectorRegistry:
    """A registry holding only this deployment's metrics (not the process's own); `traffic` (what
    each service's clients were answered, carried across Envoy restarts) is read at each scrape.
    `hidden`: services left out (internal ones, for a public client: `puma.visibility`)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DeploymentCollector(deployment, traffic, hidden))
    return registry


class DeploymentCollector:
    """A `prometheus_client` collector: every metric is read afresh at each scrape."""

    def __init__(self, deployment: DeploymentView, traffic: TrafficTotals,
                 hidden: frozenset[str] = frozenset()) -> None:
        self.deployment = deployment
        self.traffic = traffic
        self.hidden = hidden

    def collect(self) -> Iterator[Metric]:
        d = self.deployment
        names = [n for n in d.pools if n not in self.hidden]
        envoy = _envoy_samples(d, names)
        yield from _traffic(envoy, names, self.traffic.read())
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


def _traffic(envoy: dict[tuple[str, str, str], float], names: list[str],
             totals: Mapping[str, ServiceTraffic]) -> Iterator[Metric]:
    requests = CounterMetricFamily("puma_requests", "Requests answered, by an instance or by Envoy.",
                                   labels=["service"])
    responses = CounterMetricFamily("puma_responses", "Requests answered, by status class.",
                                    labels=["service", "code_class"])
    errors = CounterMetricFamily("puma_errors", "Failed requests: server (5xx once the service had been "
                                 "ready), client (4xx), startup (503 before its first ready instance), "
                                 "not_ready (503 refusals of not-ready instances).",
                                 labels=["service", "class"])
    in_flight = GaugeMetricFamily("puma_in_flight_requests", "Requests at Envoy: active and waiting.",
                                  labels=["service"])
    for name in names:
        t = totals.get(name) or ServiceTraffic({})
        requests.add_metric([name], t.requests)
        for code in CODE_CLASSES:
            responses.add_metric([name, f"{code}xx"], t.of_class(int(code)))
        errors.add_metric([name, "server"], t.server_errors)
        errors.add_metric([name, "client"], t.client_errors)
        errors.add_metric([name, "startup"], t.startup_failures)
        errors.add_metric([name, "not_ready"], t.refused_not_ready)
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
