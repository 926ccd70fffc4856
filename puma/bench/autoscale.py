"""`puma bench autoscale`: a bounded load step against a CPU-bound service.

Idle, then a step to many concurrent clients, then idle again. Records instances, in-flight and
latency over time; reports the time from the step to added capacity and the failed requests.
"""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path
from typing import Any

import httpx

import puma

from .common import percentile, run_info, write_json

SAMPLE_S = 0.25


def burn(request: puma.Request) -> dict[str, int]:
    """About 10-20 ms of pure CPU per request."""
    n = int(request.data.get("n", 60_000))
    total = 0
    for i in range(n):
        total += i * i % 7
    return {"total": total}


def _client(url: str, until: float, log: list[tuple[float, float, int]]) -> None:
    with httpx.Client(timeout=30) as http:
        while time.monotonic() < until:
            started = time.monotonic()
            try:
                status = http.post(url, json={"n": 60_000}).status_code
            except httpx.HTTPError:
                status = 0
            log.append((started, time.monotonic() - started, status))


def _sample(mesh: puma.Deployment, t0: float, until: float, samples: list[dict[str, Any]]) -> None:
    admin = mesh.envoy.admin
    assert admin is not None
    while time.monotonic() < until:
        in_flight = admin.in_flight(["burn"])["burn"]
        samples.append({"t": time.monotonic() - t0, "ready": len(mesh.instances("burn")),
                        "live": len(mesh.pools["burn"].live()), "in_flight": in_flight})
        time.sleep(SAMPLE_S)


def _drive(mesh: puma.Deployment, clients: int, idle_s: float, step_s: float, tail_s: float) -> dict[str, Any]:
    """Closed-loop client threads (bounded by time) and a sampler thread."""
    samples: list[dict[str, Any]] = []
    log: list[tuple[float, float, int]] = []
    t0 = time.monotonic()
    step_at, step_end, end = t0 + idle_s, t0 + idle_s + step_s, t0 + idle_s + step_s + tail_s
    sampler = threading.Thread(target=_sample, args=(mesh, t0, end, samples))
    sampler.start()
    time.sleep(idle_s)
    threads = [threading.Thread(target=_client, args=(mesh.url + "/burn", step_end, log)) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sampler.join()
    return {"t0": t0, "step_at_s": step_at - t0, "step_end_s": step_end - t0, "samples": samples,
            "requests": [(s - t0, d, code) for s, d, code in log]}


def _per_second(requests: list[tuple[float, float, int]]) -> list[dict[str, Any]]:
    buckets: dict[int, list[float]] = {}
    for start, duration, code in requests:
        if code == 200:
            buckets.setdefault(int(start), []).append(duration * 1000)
    return [{"second": s, "requests": len(v), "p50_ms": percentile(v, 50), "p99_ms": percentile(v, 99)}
            for s, v in sorted(buckets.items())]


def run(out: Path, *, quick: bool = False) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    clients, idle_s, step_s, tail_s = (16, 2.0, 8.0, 10.0) if quick else (32, 3.0, 20.0, 20.0)
    max_instances = 4
    result = run_info("autoscale", clients=clients, idle_s=idle_s, step_s=step_s, tail_s=tail_s,
                      max_instances=max_instances)
    app = puma.App()
    app.configure({"logging": {"name": "none"}, "puma_services": {"burn": {
        "prefix": "/burn", "instances": {"min": 1, "max": max_instances}, "idempotent": True, "timeout_s": 30,
        "autoscale": {"target_in_flight": 2, "upscale_delay_s": 0.5, "downscale_delay_s": 5}}}})
    app.add_services({"burn": burn})
    with app.start(listener={"port": 0}) as mesh:
        run_data = _drive(mesh, clients, idle_s, step_s, tail_s)
        events = [e for e in mesh.status()["events"] if e["service"] == "burn"]
    samples, requests = run_data["samples"], run_data["requests"]
    step_at = run_data["step_at_s"]
    added = next((s["t"] for s in samples if s["t"] >= step_at and s["ready"] > 1), None)
    result.update({
        "samples": samples, "per_second": _per_second(requests), "events": events,
        "requests_total": len(requests), "failed_requests": sum(1 for r in requests if r[2] != 200),
        "time_to_added_capacity_s": None if added is None else round(added - step_at, 3),
        "instance_start_ms": [e["startup_ms"] for e in events if "startup_ms" in e],
        "max_ready_instances": max(s["ready"] for s in samples),
        "final_ready_instances": samples[-1]["ready"], "step_at_s": step_at, "step_end_s": run_data["step_end_s"],
    })
    result["goals"] = {"capacity_within_2s": added is not None and added - step_at <= 2.0,
                       "instance_start_le_500ms": all(ms <= 500 for ms in result["instance_start_ms"]),
                       "zero_failures": result["failed_requests"] == 0}
    write_json(out / "autoscale.json", result)
    _plot(out / "autoscale.png", result)
    print(f"step at {step_at:.1f} s: capacity added after {result['time_to_added_capacity_s']} s "
          f"(max {result['max_ready_instances']} instances, back to {result['final_ready_instances']}); "
          f"{result['requests_total']} requests, {result['failed_requests']} failed; instance start to healthy "
          f"{result['instance_start_ms']} ms\n"
          f"goals: {result['goals']}\nwrote {out / 'autoscale.json'} and {out / 'autoscale.png'}")
    return result


def _plot(path: Path, r: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = [s["t"] for s in r["samples"]]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
    ax1.step(t, [s["ready"] for s in r["samples"]], where="post", label="ready instances", color="#4c72b0")
    ax1.plot(t, [s["in_flight"] for s in r["samples"]], label="in-flight (Envoy)", color="#dd8452", alpha=0.8)
    ax1.axvspan(r["step_at_s"], r["step_end_s"], color="grey", alpha=0.12, label=f"{r['params']['clients']} clients")
    ax1.set_ylabel("count")
    ax1.legend(loc="upper right")
    ax1.set_title(f"capacity added {r['time_to_added_capacity_s']} s after the step; "
                  f"{r['failed_requests']} failed of {r['requests_total']}")
    sec = r["per_second"]
    ax2.plot([s["second"] for s in sec], [s["p50_ms"] for s in sec], label="p50 latency")
    ax2.plot([s["second"] for s in sec], [s["p99_ms"] for s in sec], label="p99 latency")
    ax2.set_ylabel("ms")
    ax2.set_xlabel("seconds")
    ax2.legend(loc="upper right")
    fig.suptitle(f"puma bench autoscale @ {r['git_revision']} ({r['machine']['cores']} cores)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(args: argparse.Namespace) -> None:
    run(args.out, quick=args.quick)
