"""`puma bench backends`: the process backend beside the Docker backend, in one run.

The same small app runs on each backend in turn, alternating ABBA over `--rounds` so both see the
same machine. Per run:

* start-up: `Deployment.start()` until every service has its instances ready and routed (s);
* sequential requests through Envoy to a trivial service: latency p50/p99 (ms) and the server's
  CPU per request (ms): Envoy and the instance, from /proc for processes and from the containers'
  cgroup accounting (the engine's stats) for containers — the client's own CPU apart;
* autoscaling reaction: 6 clients start at once on a service whose requests each hold 0.2 s (its
  `target_in_flight` 1, one instance): the time from the step to the first answer given by a
  second instance (s), and the instances reached.

Writes backends.json and backends.png; prints the figures and the ratios docker / process.
Needs a Docker engine and an image with PUMA (`--image`, default puma-chatbot:latest).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from ..containers import ContainerSpec
from ..supervisor import Deployment
from .common import run_info, summary, write_json

APP = """import os, socket, time
from puma import puma_config, puma_service

def echo(request):
    return {"ok": True}

def hold(request):
    time.sleep(0.2)
    return {"who": f"{socket.gethostname()}-{os.getpid()}"}

puma_config({"puma_services": {
    "echo": {"prefix": "/echo", "threads": 4},
    "hold": {"prefix": "/hold", "instances": {"min": 1, "max": 4}, "idempotent": True,
             "autoscale": {"target_in_flight": 1, "downscale_delay_s": 30}}}})
puma_service({"echo": echo, "hold": hold})
"""
BACKENDS = ("process", "docker")
STEP_CLIENTS = 6
STEP_LIMIT_S = 60.0


def _cpu_s(deployment: Deployment) -> float:
    """Envoy's and the instances' CPU seconds so far (processes: /proc; containers: the engine's stats)."""
    backend = deployment.backend
    if backend is not None and backend.client is not None:
        total = 0
        for container in backend.client.containers.list(filters={"label": f"io.puma.run={deployment.run_dir}"}):
            total += container.stats(stream=False)["cpu_stats"]["cpu_usage"]["total_usage"]
        return total / 1e9
    pids = [deployment.envoy.proc.pid] if deployment.envoy.proc else []
    pids += [i.pid for pool in deployment.pools.values() for i in pool.instances.values() if i.pid]
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _sequential(url: str, deployment: Deployment, requests: int) -> dict[str, Any]:
    latencies = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for _ in range(50):
            client.post("/echo", json={})
        cpu = _cpu_s(deployment)
        for _ in range(requests):
            started = time.perf_counter()
            assert client.post("/echo", json={}).status_code == 200
            latencies.append((time.perf_counter() - started) * 1000)
        cpu_ms = (_cpu_s(deployment) - cpu) * 1000 / requests
    return {"latency_ms": summary(latencies), "server_cpu_ms_per_request": cpu_ms}


def _step(url: str) -> dict[str, Any]:
    """Clients start at once; the time until an answer comes from a second instance."""
    first: dict[str, float] = {}
    stop = threading.Event()
    started = time.monotonic()

    def client() -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            while not stop.is_set() and time.monotonic() - started < STEP_LIMIT_S:
                reply = http.post("/hold", json={})
                if reply.status_code == 200:
                    first.setdefault(reply.json()["who"], time.monotonic() - started)
                if len(first) >= 2:
                    stop.set()

    with concurrent.futures.ThreadPoolExecutor(STEP_CLIENTS) as pool:
        for _ in range(STEP_CLIENTS):
            pool.submit(client)
    second = sorted(first.values())[1] if len(first) >= 2 else None
    return {"to_second_instance_s": second, "instances_answering": len(first)}


def _one(backend: str, app: Path, image: str, requests: int) -> dict[str, Any]:
    from ..app import App

    config = App.load(str(app)).resolved_config(listener={"port": _free_port()}, logging={"name": "none"})
    spec = ContainerSpec(image, app) if backend == "docker" else None
    started = time.monotonic()
    deployment = Deployment(config, containers=spec, startup_timeout_s=180)
    with deployment.start():
        start_s = time.monotonic() - started
        result = {"backend": backend, "start_s": start_s, **_sequential(deployment.url, deployment, requests)}
        result["autoscale"] = _step(deployment.url)
    return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def run(out: Path, *, image: str, rounds: int = 2, requests: int = 1000) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    result = run_info("backends", image=image, rounds=rounds, requests=requests)
    workdir = Path(tempfile.mkdtemp(prefix="puma-bench-backends-"))
    workdir.chmod(0o755)
    app = workdir / "app.py"
    app.write_text(APP)
    order = [b for r in range(rounds) for b in (BACKENDS if r % 2 == 0 else BACKENDS[::-1])]  # ABBA
    runs = []
    for backend in order:
        print(f"{backend}: starting", flush=True)
        runs.append(_one(backend, app, image, requests))
        print(f"{backend}: start {runs[-1]['start_s']:.1f} s, p50 {runs[-1]['latency_ms']['p50']:.2f} ms", flush=True)
    result["runs"] = runs
    result["median"] = {b: _medians([r for r in runs if r["backend"] == b]) for b in BACKENDS}
    p, d = result["median"]["process"], result["median"]["docker"]
    result["ratio_docker_vs_process"] = {k: (d[k] / p[k] if p[k] and d[k] is not None else None) for k in p}
    write_json(out / "backends.json", result)
    _plot(out / "backends.png", result)
    print(_report(result, out))
    return result


def _medians(runs: list[dict[str, Any]]) -> dict[str, float | None]:
    seconds = [r["autoscale"]["to_second_instance_s"] for r in runs if r["autoscale"]["to_second_instance_s"]]
    return {"start_s": statistics.median(r["start_s"] for r in runs),
            "latency_p50_ms": statistics.median(r["latency_ms"]["p50"] for r in runs),
            "latency_p99_ms": statistics.median(r["latency_ms"]["p99"] for r in runs),
            "server_cpu_ms_per_request": statistics.median(r["server_cpu_ms_per_request"] for r in runs),
            "to_second_instance_s": statistics.median(seconds) if seconds else None}


def _report(r: dict[str, Any], out: Path) -> str:
    lines = [f"{'':<28}{'process':>10}{'docker':>10}{'docker/process':>16}"]
    for key, label in [("start_s", "start to ready (s)"), ("latency_p50_ms", "latency p50 (ms)"),
                       ("latency_p99_ms", "latency p99 (ms)"), ("server_cpu_ms_per_request", "server CPU/request (ms)"),
                       ("to_second_instance_s", "load step to 2nd instance (s)")]:
        p, d, ratio = r["median"]["process"][key], r["median"]["docker"][key], r["ratio_docker_vs_process"][key]
        lines.append(f"{label:<28}{_fmt(p):>10}{_fmt(d):>10}{('x' + _fmt(ratio)) if ratio else '-':>16}")
    lines.append(f"medians of {r['params']['rounds']} runs each (ABBA) @ {r['git_revision']}; "
                 f"wrote {out / 'backends.json'} and {out / 'backends.png'}")
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _plot(path: Path, result: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [("start_s", "start to ready (s)"), ("latency_p50_ms", "latency p50 (ms)"),
            ("server_cpu_ms_per_request", "server CPU per request (ms)"), ("to_second_instance_s", "load step to 2nd instance (s)")]
    fig, axes = plt.subplots(1, len(keys), figsize=(13, 3.6))
    for ax, (key, label) in zip(axes, keys, strict=True):
        for i, backend in enumerate(BACKENDS):
            values = [r[key] if key in r else r["latency_ms"]["p50"] if key == "latency_p50_ms" else r["autoscale"][key]
                      for r in result["runs"] if r["backend"] == backend]
            values = [v for v in values if v is not None]
            ax.bar(i, statistics.median(values) if values else 0, color=["#4c72b0", "#dd8452"][i],
                   hatch=["", "//"][i], label=backend)
            ax.scatter([i] * len(values), values, color="black", s=10, zorder=3)
        ax.set_xticks(range(len(BACKENDS)), BACKENDS)
        ax.set_title(label, fontsize=9)
    fig.suptitle(f"puma bench backends @ {result['git_revision']}: processes vs containers "
                 f"(bars: medians; dots: each run)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(args: argparse.Namespace) -> None:
    run(args.out, image=args.image, rounds=args.rounds, requests=args.requests)
