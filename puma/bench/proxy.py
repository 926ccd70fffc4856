"""`puma bench proxy`: what Envoy adds — a trivial service called directly vs through PUMA/Envoy.

Both paths are measured in the same run, interleaved in blocks so drift hits both alike:
latency (one keep-alive connection, sequential requests) and throughput (several clients),
plus the time from start to every service healthy through Envoy.
"""

from __future__ import annotations

import argparse
import http.client
import logging
import socket
import threading
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

import puma

from .common import run_info, summary, write_json

log = logging.getLogger(__name__)
BLOCK = 250


def ping() -> dict[str, bool]:
    return {"ok": True}


class _Conn:
    """A keep-alive HTTP/1.1 connection with Nagle off (loopback latency is otherwise ~40 ms)."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        self.conn.connect()
        self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def get(self, path: str) -> float:
        started = time.perf_counter()
        self.conn.request("GET", path)
        resp = self.conn.getresponse()
        resp.read()
        if resp.status != 200:
            raise RuntimeError(f"GET {path} answered {resp.status}")
        return time.perf_counter() - started

    def close(self) -> None:
        self.conn.close()


def measure_latency(direct_port: int, envoy_port: int, requests: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {"direct": [], "envoy": []}
    conns = {"direct": _Conn(direct_port), "envoy": _Conn(envoy_port)}
    try:
        for conn in conns.values():  # warm up both paths
            for _ in range(100):
                conn.get("/ping")
        with tqdm(total=2 * requests, desc="latency", unit="req", leave=False) as bar:
            while len(samples["envoy"]) < requests:
                for name, conn in conns.items():
                    n = min(BLOCK, requests - len(samples[name]))
                    samples[name].extend(conn.get("/ping") * 1000 for _ in range(n))
                    bar.update(n)
    finally:
        for conn in conns.values():
            conn.close()
    return samples


def measure_throughput(port: int, requests: int, concurrency: int) -> float:
    per_client = max(1, requests // concurrency)
    barrier = threading.Barrier(concurrency + 1)

    def client() -> None:
        conn = _Conn(port)
        barrier.wait()
        for _ in range(per_client):
            conn.get("/ping")
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    return per_client * concurrency / (time.perf_counter() - started)


def measure_startup(repeats: int = 3) -> list[float]:
    """Seconds from start() to every service healthy and known to Envoy (two services)."""
    times = []
    for _ in range(repeats):
        app = puma.App()
        app.configure({"puma_services": {"ping": {"prefix": "/ping", "instances": 2}, "pong": "/pong"}})
        app.add_services({"ping": ping, "pong": ping})
        started = time.perf_counter()
        with app.start(listener={"port": 0}):
            times.append(time.perf_counter() - started)
    return times


def run(out: Path, *, requests: int = 5000, concurrency: int = 8) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    result = run_info("proxy", requests=requests, concurrency=concurrency)
    app = puma.App()
    app.configure({"puma_services": {"ping": {"prefix": "/ping", "instances": 1, "threads": 8}},
                   "logging": {"name": "none"}})
    app.add_services({"ping": ping})
    with app.start(listener={"port": 0}) as mesh:
        direct_port = mesh.instances("ping")[0].port
        envoy_port = mesh.envoy.port
        assert direct_port is not None and envoy_port is not None
        lat = measure_latency(direct_port, envoy_port, requests)
        tput = {name: measure_throughput(port, requests, concurrency)
                for name, port in (("direct", direct_port), ("envoy", envoy_port))}
    result["latency_ms"] = {name: summary(values) for name, values in lat.items()}
    result["added_ms"] = {q: result["latency_ms"]["envoy"][q] - result["latency_ms"]["direct"][q] for q in ("p50", "p99")}
    result["throughput_rps"] = tput
    result["throughput_ratio_envoy_vs_direct"] = tput["envoy"] / tput["direct"]
    result["startup_s"] = summary(measure_startup())
    result["goals"] = {"added_p50_le_0.3ms": result["added_ms"]["p50"] <= 0.3,
                       "added_p99_le_1ms": result["added_ms"]["p99"] <= 1.0,
                       "startup_le_2s": result["startup_s"]["median"] <= 2.0}
    write_json(out / "proxy.json", result)
    _plot(out / "proxy.png", lat, result)
    print(_report(result, out))
    return result


def _report(r: dict[str, Any], out: Path) -> str:
    lat, add = r["latency_ms"], r["added_ms"]
    return (f"latency p50: direct {lat['direct']['p50']:.3f} ms, envoy {lat['envoy']['p50']:.3f} ms (+{add['p50']:.3f})\n"
            f"latency p99: direct {lat['direct']['p99']:.3f} ms, envoy {lat['envoy']['p99']:.3f} ms (+{add['p99']:.3f})\n"
            f"throughput: direct {r['throughput_rps']['direct']:.0f} req/s, envoy {r['throughput_rps']['envoy']:.0f} req/s "
            f"(ratio {r['throughput_ratio_envoy_vs_direct']:.2f})\n"
            f"start to all healthy through Envoy: median {r['startup_s']['median']:.2f} s\n"
            f"goals: {r['goals']}\nwrote {out / 'proxy.json'} and {out / 'proxy.png'}")


def _plot(path: Path, lat: dict[str, list[float]], result: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    for name, values in lat.items():
        ordered = sorted(values)
        ax1.plot(ordered, [i / len(ordered) for i in range(len(ordered))], label=name)
    ax1.set_xscale("log")
    ax1.set_xlabel("request latency (ms, log)")
    ax1.set_ylabel("fraction of requests")
    ax1.set_title(f"latency CDF (+{result['added_ms']['p50']:.3f} ms p50 through Envoy)")
    ax1.legend()
    names = list(result["throughput_rps"])
    ax2.bar(names, [result["throughput_rps"][n] for n in names], color=["#4c72b0", "#dd8452"])
    ax2.set_ylabel("requests/s")
    ax2.set_title(f"throughput, {result['params']['concurrency']} clients")
    fig.suptitle(f"puma bench proxy @ {result['git_revision']} ({result['machine']['cores']} cores)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(args: argparse.Namespace) -> None:
    run(args.out, requests=args.requests, concurrency=args.concurrency)
