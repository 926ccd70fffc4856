"""What clients were answered, per service: the counts behind `/_puma/metrics` and `puma status`.

Envoy's cluster statistics see only what went through its router to a cluster; a request Envoy
answers itself before that (a failed service's 503, a 405 or 413 guard, the rate limit's 429, a
stream timeout's 504) has no cluster. So every listener also carries Envoy's stats access logger
(`puma.envoy.served_access_logger()`): for every response it sent, whoever produced it, one counter per
(service, status code), the service read from the route's metadata (`puma.service`, set on every
route of a service). Requests matching no service's route count nowhere (their tag is empty).

Envoy's counters restart at 0 when Envoy does (the supervisor restarts it when it dies), so
`TrafficTotals` carries them: a reading from a new Envoy process adds to what the old one had
counted at its last reading. The control loop reads every second, so an Envoy crash loses at most
a second of counts. Example::

    totals = TrafficTotals(deployment)
    totals.read()["agent"].server_errors     # 5xx answers, start-up 503s excluded
"""

from __future__ import annotations

import collections
import threading
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prometheus_client.parser import text_string_to_metric_families

from .envoy import SERVED_SCOPE

if TYPE_CHECKING:
    from .interfaces import DeploymentView

SERVED_METRIC = "envoy_puma_served_responses"
_CLUSTER_STATS = r"^cluster\.[^.]+\.(upstream_cx_none_healthy|upstream_rq_timeout|upstream_rq_504)$"


@dataclass
class ServiceTraffic:
    """One service's cumulative counts since the deployment started (Envoy restarts included)."""

    by_code: dict[int, int]
    unavailable: int = 0  # answered 503 because no instance was ready (start-up included)
    cut: int = 0  # replies cut off by timeout_s after their 200 went out
    startup_failures: int = 0

    @property
    def requests(self) -> int:
        return sum(self.by_code.values())

    def of_class(self, digit: int) -> int:
        return sum(n for code, n in self.by_code.items() if code // 100 == digit)

    @property
    def server_errors(self) -> int:
        """5xx answers once the service had been ready, and cut replies; not start-up failures."""
        return max(0, self.of_class(5) + self.cut - self.startup_failures)

    @property
    def client_errors(self) -> int:
        return self.of_class(4)


def served_counts(prometheus_text: str) -> dict[tuple[str, str], float]:
    """(service, code) -> responses, from Envoy's Prometheus output of the stats access logger."""
    found: dict[tuple[str, str], float] = collections.defaultdict(float)
    for family in text_string_to_metric_families(prometheus_text):
        for sample in family.samples:
            if sample.name in (SERVED_METRIC, SERVED_METRIC + "_total"):
                found[(sample.labels.get("service", ""), sample.labels.get("code", ""))] += sample.value
    return found


class TrafficTotals:
    """Envoy's counters of each service, carried across Envoy restarts (see the module's doc)."""

    def __init__(self, deployment: DeploymentView) -> None:
        self.deployment = deployment
        self.lock = threading.Lock()
        self._envoy_pid: int | None = None
        self._base: collections.Counter[tuple[str, str]] = collections.Counter()
        self._last: dict[tuple[str, str], float] = {}
        self.startup_failures: dict[str, int] = {}  # no-instance 503s before the first ready instance

    def read(self) -> dict[str, ServiceTraffic]:
        """Every service's totals now. OSError when Envoy's admin API cannot be read."""
        d = self.deployment
        admin = d.envoy.admin
        if admin is None:
            raise OSError("Envoy is not running")
        pid = d.envoy.proc.pid if d.envoy.proc else None
        reading = dict(served_counts(admin.get(
            f"/stats/prometheus?usedonly&filter={urllib.parse.quote('^' + SERVED_SCOPE + '[.]')}")))
        for line in admin.get("/stats?usedonly&type=Counters&filter=" + urllib.parse.quote(_CLUSTER_STATS)).splitlines():
            key, _, value = line.partition(": ")
            parts = key.split(".")
            if len(parts) == 3 and value.strip().isdigit():
                reading[(parts[1], parts[2])] = float(value)
        with self.lock:
            if pid != self._envoy_pid:  # a new Envoy counts from 0: keep what the old one had counted
                self._base.update({k: int(v) for k, v in self._last.items()})
                self._envoy_pid = pid
            self._last = reading
            totals = collections.Counter(self._base)
            totals.update({k: int(v) for k, v in reading.items()})
        return {name: self._service(name, totals) for name in list(d.pools)}

    def routed(self, service: str) -> None:
        """`service` is routed to for the first time: its no-instance 503s so far were start-up failures."""
        if service in self.startup_failures:
            return
        try:
            unavailable = self.read()[service].unavailable if service in self.deployment.pools else 0
        except OSError:
            return
        with self.lock:
            self.startup_failures.setdefault(service, unavailable)

    def _service(self, name: str, totals: collections.Counter[tuple[str, str]]) -> ServiceTraffic:
        by_code = {int(code): n for (service, code), n in totals.items() if service == name and code.isdigit()}
        unavailable = totals[(name, "upstream_cx_none_healthy")]
        cut = max(0, totals[(name, "upstream_rq_timeout")] - totals[(name, "upstream_rq_504")])
        # Until the first instance is routed to, every no-instance 503 is a start-up failure.
        startup = self.startup_failures.get(name, unavailable)
        return ServiceTraffic(by_code, unavailable=unavailable, cut=cut, startup_failures=startup)
