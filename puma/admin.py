"""Reading Envoy's admin API: readiness, hosts per cluster, request and latency statistics."""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

_HIST = re.compile(r"P(\d+(?:\.\d+)?)\(([^,]+),([^)]+)\)")


@dataclass
class HostStat:
    address: str
    healthy: bool
    rq_active: int = 0
    rq_total: int = 0
    checked: bool = True  # Envoy's health check has answered it at least once (not pending)


@dataclass
class ClusterStat:
    name: str
    hosts: list[HostStat] = field(default_factory=list)
    rq_active: int = 0
    rq_pending: int = 0
    rq_total: int = 0  # requests forwarded to an instance
    rq_error: int = 0  # answered 5xx, by an instance or by Envoy (no instance ready, timeout...)
    rq_4xx: int = 0
    rq_completed: int = 0  # requests answered, by an instance or by Envoy itself
    rq_timeout: int = 0  # timed out (timeout_s): answered 504, or cut off in the middle of the reply
    rq_504: int = 0
    none_healthy: int = 0  # answered 503 by Envoy because no instance was ready
    p50_ms: float | None = None
    p99_ms: float | None = None

    @property
    def in_flight(self) -> int:
        return self.rq_active + self.rq_pending

    @property
    def rq_cut(self) -> int:
        """Replies cut off: `timeout_s` passed after the instance's 200 (its headers) had gone out, so
        the client got a status of success and then a connection closed before the body's end."""
        return cut_replies(self.rq_timeout, self.rq_504)


def cut_replies(timeouts: int, answered_504: int) -> int:
    """Of a cluster's timed-out requests, those not answered 504 (Envoy charges a 504 only before the
    reply started): cut off mid-reply. A service's own 504s make this an undercount, never more."""
    return max(0, timeouts - answered_504)


def per_cluster(text: str) -> dict[str, int]:
    """Envoy's `/stats` text of one per-cluster stat ("cluster.<name>.<stat>: <n>" lines) as
    {name: n}; other lines are skipped."""
    found = {}
    for line in text.splitlines():
        key, _, value = line.partition(": ")
        parts = key.split(".")
        if len(parts) == 3 and value.strip().isdigit():
            found[parts[1]] = int(value)
    return found


def in_flight_in(stats: str, names: list[str]) -> dict[str, int]:
    """Envoy's `/stats` gauge lines ("cluster.<name>.upstream_rq_active: <n>", and
    `upstream_rq_pending_active`) summed per cluster in `names` (0 when absent): the autoscaling
    signal, wherever the stats were read from (this admin, or a container's).

    >>> in_flight_in("cluster.agent.upstream_rq_active: 3\\ncluster.agent.upstream_rq_pending_active: 2\\n", ["agent", "db"])
    {'agent': 5, 'db': 0}
    """
    result = dict.fromkeys(names, 0)
    for line in stats.splitlines():
        key, _, value = line.partition(": ")
        parts = key.split(".")
        if len(parts) == 3 and parts[1] in result and value.strip().isdigit():
            result[parts[1]] += int(value)
    return result


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class Admin:
    """A small client of one Envoy's admin interface: a Unix socket (`socket_path`, what the
    process backend uses) or a loopback port. `base` says where, for people: "unix:/run/x.sock"."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1", *, socket_path: str | None = None) -> None:
        self.socket_path = socket_path
        self.base = f"unix:{socket_path}" if socket_path else f"http://{host}:{port}"
        self.host, self.port = host, port
        self._kept: http.client.HTTPConnection | None = None  # for the autoscaler's frequent reads
        self._kept_lock = threading.Lock()

    def get(self, path: str, timeout_s: float = 2.0) -> str:
        """GET `path` of the admin interface; OSError if it cannot be read."""
        if self.socket_path is None:
            with urllib.request.urlopen(self.base + path, timeout=timeout_s) as resp:  # noqa: S310 - loopback admin URL
                data: bytes = resp.read()
                return data.decode()
        conn = _UnixConnection(self.socket_path, timeout_s)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read().decode()
        except http.client.HTTPException as exc:
            raise OSError(f"Envoy admin at {self.base}: {exc}") from exc
        finally:
            conn.close()
        if resp.status >= 400:
            raise OSError(f"Envoy admin at {self.base} answered {resp.status} to {path}: {body[:200]}")
        return body

    def set_runtime(self, key: str, value: str, timeout_s: float = 2.0) -> None:
        """Set a runtime value in Envoy's admin layer (`POST /runtime_modify`); OSError on failure."""
        query = urllib.parse.urlencode({key: value})
        if self.socket_path is None:
            request = urllib.request.Request(f"{self.base}/runtime_modify?{query}", data=b"", method="POST")
            with urllib.request.urlopen(request, timeout=timeout_s):  # noqa: S310 - loopback admin URL
                return
        conn = _UnixConnection(self.socket_path, timeout_s)
        try:
            conn.request("POST", f"/runtime_modify?{query}")
            resp = conn.getresponse()
            resp.read()
        except http.client.HTTPException as exc:
            raise OSError(f"Envoy admin at {self.base}: {exc}") from exc
        finally:
            conn.close()
        if resp.status >= 400:
            raise OSError(f"Envoy admin at {self.base} answered {resp.status} to runtime_modify")

    def get_kept(self, path: str, timeout_s: float = 1.0) -> str:
        """`get` over one kept-alive connection (a quarter of urllib's CPU); OSError on failure."""
        with self._kept_lock:
            for attempt in (1, 2):  # a kept connection Envoy closed meanwhile: once more on a new one
                if self._kept is None:
                    self._kept = (_UnixConnection(self.socket_path, timeout_s) if self.socket_path
                                  else http.client.HTTPConnection(self.host, self.port, timeout=timeout_s))
                try:
                    self._kept.request("GET", path)
                    resp = self._kept.getresponse()
                    body = resp.read()
                    if resp.status != 200:
                        raise OSError(f"Envoy admin {path}: HTTP {resp.status}")
                    return body.decode()
                except (OSError, http.client.HTTPException) as exc:
                    self._kept.close()
                    self._kept = None
                    if attempt == 2:
                        raise OSError(f"Envoy admin {path}: {exc}") from exc
            raise AssertionError("unreachable")

    def close(self) -> None:
        with self._kept_lock:
            if self._kept is not None:
                self._kept.close()
                self._kept = None

    def ready(self) -> bool:
        try:
            return self.get("/ready", timeout_s=0.5).strip() == "LIVE"
        except (OSError, urllib.error.URLError):
            return False

    def listener_port(self, name: str) -> int | None:
        data = json.loads(self.get("/listeners?format=json"))
        for item in data.get("listener_statuses", []):
            if item.get("name") == name:
                return int(item["local_address"]["socket_address"]["port_value"])
        return None

    def in_flight(self, names: list[str]) -> dict[str, int]:
        """Active + pending upstream requests per cluster: the autoscaling signal.

        Read ten times a second, so read cheaply: gauges only, and only those ever set (`usedonly`:
        one never set is 0). Envoy still walks its gauges to filter them (~0.5 ms at 50 services,
        against ~5 ms for a plain filter, which builds the name of every stat)."""
        if not names:
            return {}
        alternatives = "|".join(names)
        text = self.get_kept(f"/stats?usedonly&type=Gauges&filter=^cluster%5C.({alternatives})%5C."
                             "upstream_rq_(active|pending_active)$")
        return in_flight_in(text, names)

    def counter(self, cluster: str, name: str) -> int:
        """One counter of one cluster, e.g. `counter("agent", "upstream_cx_none_healthy")`; 0 if absent."""
        text = self.get(f"/stats?usedonly&type=Counters&filter=^cluster%5C.{cluster}%5C.{name}$", timeout_s=1.0)
        key, _, value = text.strip().partition(": ")
        return int(value) if key == f"cluster.{cluster}.{name}" and value.isdigit() else 0

    def cut_replies(self) -> dict[str, int]:
        """Replies cut off by `timeout_s` after they started, per cluster (see `ClusterStat.rq_cut`)."""
        return {name: cut for name, (n, answered) in self.timeouts().items() if (cut := cut_replies(n, answered))}

    def timeouts(self) -> dict[str, tuple[int, int]]:
        """Per cluster, `(requests that ran out of timeout_s, of which answered 504)`: one read for both."""
        text = self.get("/stats?usedonly&type=Counters&filter=^cluster%5C.[^.]+%5C.upstream_rq_(timeout|504)$",
                        timeout_s=1.0)
        timeouts = per_cluster("\n".join(line for line in text.splitlines() if line.split(": ")[0].endswith("_timeout")))
        answered = per_cluster("\n".join(line for line in text.splitlines() if line.split(": ")[0].endswith("_504")))
        return {name: (n, answered.get(name, 0)) for name, n in timeouts.items()}

    def prometheus(self, pattern: str) -> str:
        """Envoy's own stats in Prometheus text format, those whose name matches `pattern` (a regex)."""
        return self.get(f"/stats/prometheus?usedonly&filter={urllib.parse.quote(pattern)}")

    def gauges(self, stat: str, names: list[str] | None = None) -> dict[str, int]:
        """One per-cluster gauge by cluster, e.g. `gauges("membership_healthy")` (absent: never set,
        so 0): its cost grows with the clusters, not their hosts."""
        clusters = "|".join(names) if names else "[^.]+"
        text = self.get(f"/stats?usedonly&type=Gauges&filter=^cluster%5C.({clusters})%5C.{stat}$", timeout_s=1.0)
        return per_cluster(text)

    def clusters(self, *, stats: bool = True) -> dict[str, ClusterStat]:
        """Hosts of every cluster; with `stats`, its counters and p50/p99 of upstream request time."""
        data = json.loads(self.get("/clusters?format=json"))
        result = {c["name"]: _cluster(c) for c in data.get("cluster_statuses", [])}
        if not stats:
            return result
        stats_text = self.get("/stats?usedonly&filter=^cluster%5C.[^.]+%5C."
                              "(upstream_rq_(active|pending_active|total|completed|4xx|5xx|504|timeout|time)|upstream_cx_none_healthy)$")
        _apply_stats(result, stats_text)
        return result


def _cluster(raw: dict[str, Any]) -> ClusterStat:
    hosts = []
    for h in raw.get("host_statuses", []):
        addr = h["address"]["socket_address"]
        stats = {s["name"]: int(s.get("value", 0)) for s in h.get("stats", []) if "value" in s}
        health = h.get("health_status", {})
        # Taken out by outlier detection or a failed check, or not yet checked at all (just added).
        failed = any(health.get(flag) for flag in ("failed_outlier_check", "failed_active_health_check",
                                                   "pending_active_hc"))
        hosts.append(HostStat(f"{addr['address']}:{addr['port_value']}", not failed,
                              stats.get("rq_active", 0), stats.get("rq_total", 0),
                              checked=not health.get("pending_active_hc")))
    return ClusterStat(raw["name"], hosts)


_COUNTERS = {"upstream_rq_active": "rq_active", "upstream_rq_pending_active": "rq_pending",
             "upstream_rq_total": "rq_total", "upstream_rq_5xx": "rq_error", "upstream_rq_4xx": "rq_4xx",
             "upstream_rq_completed": "rq_completed", "upstream_cx_none_healthy": "none_healthy",
             "upstream_rq_timeout": "rq_timeout", "upstream_rq_504": "rq_504"}


def _apply_stats(clusters: dict[str, ClusterStat], text: str) -> None:
    for line in text.splitlines():
        key, _, value = line.partition(": ")
        parts = key.split(".")
        if len(parts) != 3 or parts[1] not in clusters:
            continue
        stat, metric = clusters[parts[1]], parts[2]
        if metric == "upstream_rq_time":
            stat.p50_ms, stat.p99_ms = _percentiles(value)
        elif value.strip().isdigit():
            attr = _COUNTERS.get(metric)
            if attr:
                setattr(stat, attr, int(value))


def _percentiles(value: str) -> tuple[float | None, float | None]:
    # "P0(nan,0) P25(nan,1.0) P50(nan,1.05) ..." -> (interval, cumulative); use cumulative.
    found = {q: cum for q, _interval, cum in _HIST.findall(value)}
    return _num(found.get("50")), _num(found.get("99"))


def _num(text: str | None) -> float | None:
    if text is None or text == "nan":
        return None
    return float(text)


UPLOAD_POLL_S = 0.05


def wait_for_uploads(admin: Admin, limit_s: float) -> int:
    """Before Envoy stops: wait up to `limit_s` while its public listener still holds requests.

    Those are requests still uploading their body: Envoy buffers a body whole before it routes the
    request (its buffer filter), so no instance ever had them and the drain did not wait for them.
    Once whole, they are routed and answered the "deployment is stopping" 503 every new request gets;
    stopping Envoy under them cut them with no HTTP answer. Returns how many were still uploading
    at `limit_s` (cut then). Example: ``wait_for_uploads(deployment.envoy.admin, 5.0)`` -> 0."""
    deadline = time.monotonic() + limit_s
    while True:
        try:
            text = admin.get("/stats?usedonly&filter=^http%5C.puma%5C.downstream_rq_active$", timeout_s=1.0)
        except OSError:
            return 0  # Envoy is gone or not answering: nothing to wait for
        _key, _, value = text.strip().partition(": ")
        active = int(value) if value.strip().isdigit() else 0
        if active == 0 or time.monotonic() >= deadline:
            return active
        time.sleep(UPLOAD_POLL_S)
