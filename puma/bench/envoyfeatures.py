"""`puma bench envoy-features`: what Envoy's per-request features cost, each against itself switched off.

The rendered Envoy config (`puma.envoy.bootstrap_static`, the chatbot's six services and a `/map`
service) runs as shipped (A) and with one feature removed from the rendered dict (B), in two Envoy
processes side by side, both routing to one upstream Envoy that answers every request itself. The
features:

* `served` — the stats access logger counting every answer by service (`served_access_logger`);
  `served_not_2xx`: B is that logger with a filter skipping 2xx (which the clusters' own
  `upstream_rq_<code>` counters could give), the cheaper construct tried;
* `map_pool` — `connection_pool_per_downstream_connection` on the `/map` cluster;
* `mappers` — the 413 local-reply mappers, one per service and its browser twin (the generic one and
  its twin are kept);
* `rbac` — the request-limits filter (once RBAC, now a CEL-matched 400 abort) whose conditions tell a long URL (414) from large headers (431)
  (`puma.requestlimits`), on every listener.

In a pair the sides alternate in blocks of 100 sequential requests (A B B A ..., the next pair
starting with B), over loopback on one keep-alive connection each (or, for `map_pool_new_conn`, a
new connection per request), `requests` a side; the pair's ratio B/A of Envoy's CPU per request (`/proc/PID/task/*/schedstat`, nanoseconds) and of the
latency median is what to read on a shared machine. The config's own cost (`mappers` grew it) is
timed the same way: `envoy --mode validate` of each side, CPU from `wait4`. The switches exist in
this benchmark only. Writes envoy-features.json, .csv and .png.
"""

from __future__ import annotations

import argparse
import copy
import csv
import os
import random
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .. import envoy, requestlimits
from ..config import PumaConfig, parse_config
from ..mapping.protocol import MAP_TARGET
from ..proxy import find_envoy
from .common import run_info, write_json
from .procs import cpu_ns

SERVICES = ("agent", "db", "listener", "policy", "sentiment", "sessions")
FEATURES = ("served", "served_not_2xx", "map_pool", "mappers", "rbac", "same")  # "same": a second Envoy as shipped, the null case
DEADLINE_S = 600.0  # the whole run, whatever the arguments
BLOCK = 100  # requests per side before the other side's turn
BODY = b'{"state": {"turn": 1, "text": "something like Alien"}}'


def bench_config() -> PumaConfig:
    services: dict[str, Any] = {name: {"prefix": f"/{name}"} for name in SERVICES}
    services["agent"]["visibility"] = "public"
    services["map"] = {"prefix": "/map", "target": MAP_TARGET}
    return parse_config({"puma_services": services, "logging": {"name": "none"}})


NOT_2XX = {"or_filter": {"filters": [
    {"status_code_filter": {"comparison": {"op": op, "value": {"default_value": code, "runtime_key": key}}}}
    for op, code, key in (("GE", 300, "bench_from"), ("LE", 199, "bench_below"))]}}


def _hcms(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for lst in doc["static_resources"]["listeners"]:
        for chain in lst["filter_chains"]:
            for f in chain["filters"]:
                yield f["typed_config"]


def without(doc: dict[str, Any], feature: str) -> dict[str, Any]:
    """`doc` (a rendered bootstrap) with `feature` removed; '' or "same" leaves it as it is."""
    doc = copy.deepcopy(doc)
    for hcm in _hcms(doc):
        if feature == "served":
            hcm["access_log"] = [a for a in hcm["access_log"] if a["name"] != "envoy.access_loggers.stats"]
        if feature == "served_not_2xx":  # the lever tried: the logger skips 2xx (the clusters count them)
            for a in hcm["access_log"]:
                if a["name"] == "envoy.access_loggers.stats":
                    a["filter"] = NOT_2XX
        if feature == "rbac":
            hcm["http_filters"] = [f for f in hcm["http_filters"] if f["name"] != requestlimits.FILTER_NAME]
        if feature == "mappers":
            mappers = hcm["local_reply_config"]["mappers"]
            # a service's own 413 (and its browser twin) matches its path; the generic one does not
            hcm["local_reply_config"]["mappers"] = [m for m in mappers if "413" not in str(m.get("filter"))
                                                    or "':path'" not in str(m["filter"])]
    if feature == "map_pool":
        for c in doc["static_resources"]["clusters"]:
            c.pop("connection_pool_per_downstream_connection", None)
    return doc


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _upstream(port: int, admin: int) -> dict[str, Any]:
    route = {"match": {"prefix": "/"}, "direct_response": {"status": 200, "body": {"inline_string": '{"ok": true}'}}}
    # The buffer filter first: a direct response sent before the request's body is read closes the
    # connection, and the front Envoy would then open a new upstream connection for every request.
    buffer = {"name": "envoy.filters.http.buffer", "typed_config": {
        "@type": envoy._T + "envoy.extensions.filters.http.buffer.v3.Buffer", "max_request_bytes": 65536}}
    hcm = {"@type": envoy.HCM_TYPE, "stat_prefix": "up", "http_filters": [buffer, {
        "name": "envoy.filters.http.router", "typed_config": {"@type": envoy._T + "envoy.extensions.filters.http.router.v3.Router"}}],
        "route_config": {"virtual_hosts": [{"name": "up", "domains": ["*"], "routes": [route]}]}}
    return {"admin": {"address": envoy.socket_address("127.0.0.1", admin)}, "static_resources": {"listeners": [{
        "name": "up", "address": envoy.socket_address("127.0.0.1", port),
        "filter_chains": [{"filters": [{"name": "envoy.filters.network.http_connection_manager", "typed_config": hcm}]}]}]}}


@contextmanager
def _envoy(doc: dict[str, Any], workdir: Path, name: str) -> Iterator[subprocess.Popen[bytes]]:
    path = workdir / f"{name}.yaml"
    path.write_text(envoy.to_yaml(doc))
    proc = subprocess.Popen([find_envoy(), "-c", str(path), "--disable-hot-restart", "--concurrency", "1",
                             "--log-level", "error"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _request(path: str, method: str = "POST") -> bytes:
    return (f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(BODY)}\r\n\r\n"
            ).encode() + BODY


def _connect(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def _exchange(s: socket.socket, request: bytes) -> int:
    """Send one request, read its whole response; its status code."""
    s.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed before a response")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed mid-body")
        body += chunk
    return int(head.split(b" ", 2)[1])


def _wait_ready(port: int, path: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with _connect(port) as s:
                if _exchange(s, _request(path)) == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"Envoy on port {port} did not answer 200 on {path}")


class Side:
    """One Envoy under load: its process, its port, one kept-alive connection (or a new one each request)."""

    def __init__(self, pid: int, port: int, case: str) -> None:
        _, method, path, self.new_conn, self.status = CASES[case]
        self.pid, self.port = pid, port
        self.request = _request(path, method)
        self.conn = None if self.new_conn else _connect(port)
        self.cpu_ns = 0
        self.latencies_us: list[float] = []

    def block(self, requests: int, *, counted: bool = True) -> None:
        """`requests` sequential requests; Envoy's CPU over them and each one's latency are added."""
        cpu0 = cpu_ns(self.pid)
        latencies = []
        for _ in range(requests):
            t0 = time.perf_counter_ns()
            conn = _connect(self.port) if self.new_conn else self.conn
            assert conn is not None
            if (status := _exchange(conn, self.request)) != self.status:
                raise RuntimeError(f"Envoy on port {self.port}: {status}, not {self.status}")
            if self.new_conn:
                conn.close()
            latencies.append((time.perf_counter_ns() - t0) / 1000)
        if counted:
            self.cpu_ns += cpu_ns(self.pid) - cpu0
            self.latencies_us.extend(latencies)

    def figures(self) -> dict[str, float]:
        """Envoy's CPU per request and the latency median and p99, in microseconds."""
        ordered = sorted(self.latencies_us)
        return {"cpu_us": self.cpu_ns / len(ordered) / 1000, "p50_us": statistics.median(ordered),
                "p99_us": ordered[int(0.99 * (len(ordered) - 1))]}

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def validate_cpu(doc: dict[str, Any], workdir: Path, name: str) -> float:
    """CPU seconds of `envoy --mode validate` on `doc` (its parse and build of the whole config)."""
    path = workdir / f"validate-{name}.yaml"
    path.write_text(envoy.to_yaml(doc))
    proc = subprocess.Popen([find_envoy(), "--mode", "validate", "-c", str(path), "--disable-hot-restart",
                             "--log-level", "critical"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"envoy --mode validate rejected {path}")
    return usage.ru_utime + usage.ru_stime


# case -> (feature switched off on side B, method, path, a new connection per request, status expected).
# Local-reply mappers run only on Envoy's own replies: `mappers_405` is one (a method the service
# does not take), which walks past every service's 413 mapper to its own.
CASES: dict[str, tuple[str, str, str, bool, int]] = {
    "same": ("same", "POST", "/agent", False, 200),  # two Envoys as shipped: the ratios noise alone gives
    "served": ("served", "POST", "/agent", False, 200),
    "served_not_2xx": ("served_not_2xx", "POST", "/agent", False, 200),
    "mappers": ("mappers", "POST", "/agent", False, 200),
    "mappers_405": ("mappers", "PROPFIND", "/agent", False, 405),
    "rbac": ("rbac", "POST", "/agent", False, 200),
    "map_pool": ("map_pool", "POST", "/map", False, 200), "map_pool_new_conn": ("map_pool", "POST", "/map", True, 200)}


def run(out: Path, *, pairs: int = 6, requests: int = 3000, cases: tuple[str, ...] = tuple(CASES)) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    result = run_info("envoy-features", pairs=pairs, requests=requests, cases=list(cases), loadavg=os.getloadavg())
    cfg = bench_config()
    deadline = time.monotonic() + DEADLINE_S
    up_port, up_admin, *ports = _free_ports(2 + 2 * (1 + len(FEATURES)))
    endpoints = {name: [("127.0.0.1", up_port)] for name in cfg.puma_services}
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="puma-envoy-features-") as tmp, \
            _envoy(_upstream(up_port, up_admin), Path(tmp), "upstream"):
        work = Path(tmp)
        sides = _sides(cfg, endpoints, ports)
        result["config_lines"] = {k: len(envoy.to_yaml(v).splitlines()) for k, v in sides.items()}
        with _all_envoys(sides, work) as procs:
            for _doc, port, _pid in procs.values():
                _wait_ready(port, "/agent", deadline)
            for i in range(pairs):
                for case in cases:
                    rows.extend(_pair(procs, case, i, requests, deadline))
        result["validate"] = _validate_pairs(sides, work, pairs)
    result["rows"] = rows
    result["features"] = summarise(rows)
    result["loadavg_end"] = os.getloadavg()
    write_json(out / "envoy-features.json", result)
    _write_csv(out / "envoy-features.csv", rows, result["git_revision"])
    _plot(out / "envoy-features.png", result)
    return result


def _sides(cfg: PumaConfig, endpoints: dict[str, Any], ports: list[int]) -> dict[str, dict[str, Any]]:
    sides = {}
    for i, feature in enumerate(("", *FEATURES)):
        doc = envoy.bootstrap_static(cfg, endpoints, admin_port=ports[2 * i])
        for lst in doc["static_resources"]["listeners"]:
            if lst["name"] == envoy.LISTENER_NAME:
                lst["address"] = envoy.socket_address("127.0.0.1", ports[2 * i + 1])
            else:
                lst["address"] = envoy.socket_address("127.0.0.1", _free_ports(1)[0])
        sides[feature or "shipped"] = without(doc, feature)
    return sides


@contextmanager
def _all_envoys(sides: dict[str, dict[str, Any]], work: Path) -> Iterator[dict[str, tuple[dict[str, Any], int, int]]]:
    from contextlib import ExitStack

    with ExitStack() as stack:
        procs = {}
        for key, doc in sides.items():
            proc = stack.enter_context(_envoy(doc, work, key))
            public = next(lst for lst in doc["static_resources"]["listeners"] if lst["name"] == envoy.LISTENER_NAME)
            procs[key] = (doc, public["address"]["socket_address"]["port_value"], proc.pid)
        yield procs


def _pair(procs: dict[str, tuple[dict[str, Any], int, int]], case: str, i: int, requests: int,
          deadline: float) -> list[dict[str, Any]]:
    """One pair: the two sides in short blocks, alternating A B B A ..., so drift hits both alike."""
    if time.monotonic() > deadline:
        raise TimeoutError(f"the run's bound of {DEADLINE_S:.0f} s was reached")
    feature, method, path, new_conn, _ = CASES[case]
    n = requests // 4 if new_conn else requests
    block = max(1, min(BLOCK, n))
    sides = {key: Side(procs[key][2], procs[key][1], case) for key in ("shipped", feature)}
    try:
        for side in sides.values():
            side.block(50, counted=False)  # warm the connection and the path
        order = ["shipped", feature] if i % 2 == 0 else [feature, "shipped"]
        for _ in range(n // block):
            for key in order:
                sides[key].block(block)
            order.reverse()
    finally:
        for side in sides.values():
            side.close()
    return [{"pair": i, "case": case, "feature": feature, "side": "A" if key == "shipped" else "B",
             "requests": len(side.latencies_us), "method": method, "path": path, "new_connection": new_conn, **side.figures()}
            for key, side in sides.items()]


def _validate_pairs(sides: dict[str, dict[str, Any]], work: Path, pairs: int) -> dict[str, Any]:
    a: list[float] = []
    b: list[float] = []
    for i in range(pairs):
        order = ((a, "shipped"), (b, "mappers")) if i % 2 == 0 else ((b, "mappers"), (a, "shipped"))
        for bucket, key in order:
            bucket.append(validate_cpu(sides[key], work, key))
    return {"shipped_cpu_s": a, "without_mappers_cpu_s": b, "ratios_a_over_b": [x / y for x, y in zip(a, b, strict=True)]}


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per feature: each pair's ratio A/B (shipped over without) of CPU per request and of latency."""
    found: dict[str, Any] = {}
    for case in dict.fromkeys(r["case"] for r in rows):  # the cases in the order they ran
        by_pair: dict[int, dict[str, dict[str, Any]]] = {}
        for r in rows:
            if r["case"] == case:
                by_pair.setdefault(r["pair"], {})[r["side"]] = r
        pairs = [p for p in by_pair.values() if len(p) == 2]
        entry: dict[str, Any] = {}
        for metric in ("cpu_us", "p50_us", "p99_us"):
            ratios = sorted(p["A"][metric] / p["B"][metric] for p in pairs)
            entry[metric] = {"A_median": statistics.median(p["A"][metric] for p in pairs),
                             "B_median": statistics.median(p["B"][metric] for p in pairs),
                             "ratios": ratios, "ratio_median": statistics.median(ratios),
                             "ratio_ci95": bootstrap_ci(ratios), "pairs_A_over_B": sum(r > 1 for r in ratios),
                             "ratio_min": ratios[0], "ratio_max": ratios[-1]}
        found[case] = entry
    return found


def bootstrap_ci(values: list[float], resamples: int = 4000) -> tuple[float, float]:
    """95% bootstrap interval of the median of `values` (seeded: the same values, the same interval)."""
    rng = random.Random(0)
    medians = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(resamples))
    return medians[int(0.025 * resamples)], medians[int(0.975 * resamples) - 1]


def _write_csv(path: Path, rows: list[dict[str, Any]], rev: str) -> None:
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["git_revision", *rows[0]])
        w.writeheader()
        for r in rows:
            w.writerow({"git_revision": rev, **r})


def _plot(path: Path, result: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, metric, label in ((axes[0], "cpu_us", "Envoy CPU per request"), (axes[1], "p50_us", "latency p50")):
        cases = list(result["features"])
        for x, case in enumerate(cases):
            ratios = result["features"][case][metric]["ratios"]
            ax.scatter([x] * len(ratios), ratios, alpha=0.7)
            ax.hlines(statistics.median(ratios), x - 0.2, x + 0.2, colors="k")
        ax.axhline(1.0, color="grey", lw=0.8, ls="--")
        ax.set_xticks(range(len(cases)), [c.replace("_new", "\nnew").replace("_not", "\nnot") for c in cases],
                      fontsize=8)
        ax.set_ylabel("feature on / off")
        ax.set_title(f"{label}: ratio per pair")
    fig.suptitle(f"PUMA Envoy features, rev {result['git_revision']}, load {result['params']['loadavg'][0]:.1f}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def report(result: dict[str, Any]) -> str:
    lines = [f"rev {result['git_revision']}, pairs {result['params']['pairs']}, config lines {result['config_lines']}"]
    for feature, entry in result["features"].items():
        parts = [f"{m} A {e['A_median']:.1f} / B {e['B_median']:.1f} ×{e['ratio_median']:.3f} "
                 f"[95% {e['ratio_ci95'][0]:.3f}, {e['ratio_ci95'][1]:.3f}] A>B {e['pairs_A_over_B']}/{len(e['ratios'])}"
                 for m, e in entry.items() if m != "p99_us"]
        lines.append(f"{feature}: " + "; ".join(parts))
    v = result["validate"]["ratios_a_over_b"]
    lines.append(f"validate CPU shipped / without mappers: ×{statistics.median(v):.3f} ({min(v):.3f}–{max(v):.3f})")
    return "\n".join(lines)


def main(args: argparse.Namespace) -> None:
    result = run(args.out, pairs=args.pairs, requests=args.requests, cases=args.cases or tuple(CASES))
    print(report(result))

