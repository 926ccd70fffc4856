"""`puma bench autoscale`: a bounded load step against a CPU-bound service, two settings side by side.

Idle, then a step to many concurrent clients, then idle again. Records instances, in-flight and
latency over time; reports the time from the step to added capacity, what that time is made of,
the failed requests and whether the count ever reversed direction (oscillation).

Each run is one of two variants, alternated (ABBA over `--rounds`) so both see the same machine:
`before`, the control loop's former settings (a quiet tick of 0.25 s, `upscale_delay_s` 0.5), and
`current`, this revision's defaults. The time to capacity is split at four instants, all taken
from this process (the deployment runs in it): the scaling decision (its event), the new instance
serving (its `ready` event), and the first answer a new instance gave (each answer names its pid):

    ramp       step -> overload       the clients' first requests: more in flight than one instance's target
    detection  overload -> decision   the control loop's next tick, then its upscale window
    start      decision -> ready      fork from the zygote until the instance serves
    routing    ready -> first answer  EDS file written, Envoy's first health check, its first pick, and
                                      that request's own service time (the answer complete)
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import httpx

import puma

from .autoscale_plot import plot
from .common import percentile, run_info, write_json

SAMPLE_S = 0.1
TARGET_IN_FLIGHT = 2
# What the control loop did before this benchmark's figure was cut (main at 76933c6).
VARIANTS: dict[str, dict[str, float]] = {"before": {"quiet_tick_s": 0.25, "upscale_delay_s": 0.5}, "current": {}}


def burn(request: puma.Request) -> dict[str, int]:
    """About 10-20 ms of pure CPU per request; the answer names the instance's pid."""
    n = int(request.data.get("n", 60_000))
    total = 0
    for i in range(n):
        total += i * i % 7
    return {"total": total, "pid": os.getpid()}


def _client(url: str, go: threading.Event, until: list[float], log: list[tuple[float, float, int, int]]) -> None:
    # The client exists before the step (making one costs tens of ms of CPU): the step is sharp.
    with httpx.Client(timeout=30) as http:
        go.wait()
        while time.monotonic() < until[0]:
            started = time.monotonic()
            pid = 0
            try:
                response = http.post(url, json={"n": 60_000})
                status = response.status_code
                if status == 200:
                    pid = int(response.json().get("pid", 0))
            except (httpx.HTTPError, ValueError):
                status = 0
            log.append((started, time.monotonic() - started, status, pid))


def _sample(mesh: puma.Deployment, t0: float, until: float, samples: list[dict[str, Any]]) -> None:
    admin = mesh.envoy.admin
    assert admin is not None
    while time.monotonic() < until:
        in_flight = admin.in_flight(["burn"])["burn"]
        samples.append({"t": time.monotonic() - t0, "ready": len(mesh.instances("burn")),
                        "live": len(mesh.pools["burn"].live()), "in_flight": in_flight})
        time.sleep(SAMPLE_S)


def _load(conn: Any, url: str, clients: int) -> None:
    """The load generator, in a process of its own: its client threads never hold the interpreter
    lock the deployment's control loop needs (that runs in the bench's process). Says "ready" once
    its clients exist, receives (step at, step end) on the machine's monotonic clock, sends back
    the request log."""
    log: list[tuple[float, float, int, int]] = []
    go, until = threading.Event(), [0.0]
    threads = [threading.Thread(target=_client, args=(url, go, until, log)) for _ in range(clients)]
    for t in threads:
        t.start()
    conn.send("ready")
    go_at, until[0] = conn.recv()
    time.sleep(max(0.0, go_at - time.monotonic()))
    go.set()
    for t in threads:
        t.join()
    conn.send(log)
    conn.close()


def _drive(mesh: puma.Deployment, clients: int, idle_s: float, step_s: float, tail_s: float) -> dict[str, Any]:
    """Closed-loop clients in a child process (bounded by time) and a sampler thread here."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    conn, child_conn = ctx.Pipe()
    loader = ctx.Process(target=_load, args=(child_conn, mesh.url + "/burn", clients), daemon=True)
    loader.start()
    try:
        if not conn.poll(120) or conn.recv() != "ready":
            raise RuntimeError("bench autoscale: the load generator did not start within 120 s")
        samples: list[dict[str, Any]] = []
        t0 = time.monotonic()
        epoch_offset = time.time() - t0
        step_at, step_end, end = t0 + idle_s, t0 + idle_s + step_s, t0 + idle_s + step_s + tail_s
        conn.send((step_at, step_end))
        sampler = threading.Thread(target=_sample, args=(mesh, t0, end, samples))
        sampler.start()
        log = conn.recv() if conn.poll(idle_s + step_s + 60) else []
        sampler.join()
    finally:
        loader.join(timeout=10)
        if loader.is_alive():
            loader.kill()
            loader.join()
    return {"t0": t0, "epoch_t0": epoch_offset + t0, "step_at_s": step_at - t0, "step_end_s": step_end - t0,
            "samples": samples, "requests": [(s - t0, d, code, pid) for s, d, code, pid in log]}


def breakdown(step_at: float, events: list[dict[str, Any]], requests: list[tuple[float, float, int, int]],
              first_pids: set[int], target_in_flight: int) -> dict[str, float | None]:
    """Seconds from the step to each part's end: more requests in flight than one instance's target
    (the clients' own ramp), the decision, the new instance serving, its first answer.

    `events` carry `t` (seconds from the run's start); `requests` are (start, duration, status, pid).
    """
    starts = sorted(s for s, *_ in requests if s >= step_at)
    overloaded = starts[target_in_flight] if len(starts) > target_in_flight else None
    decision = next((e["t"] for e in events if e.get("kind") == "scale" and e["to"] > e["from"]
                     and e["t"] >= step_at), None)
    ready = next((e["t"] for e in events if e.get("kind") == "up" and decision is not None
                  and e["t"] >= decision), None)
    # When its first answer was complete: a request sent earlier may still reach it (a retry), so the
    # start of the first request it served bounds nothing.
    answered = min((s + d for s, d, code, pid in requests if code == 200 and pid and pid not in first_pids),
                   default=None)
    return {"ramp_s": _span(step_at, overloaded), "detection_s": _span(overloaded, decision),
            "start_s": _span(decision, ready), "routing_s": _span(ready, answered),
            "time_to_capacity_s": _span(step_at, answered)}


def _span(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(b - a, 3)


def reversals(samples: list[dict[str, Any]]) -> int:
    """How many times the live count changed direction (up then down then up is two)."""
    counts = [s["live"] for s in samples]
    moves = [1 if b > a else -1 for a, b in zip(counts, counts[1:], strict=False) if a != b]
    return sum(1 for a, b in zip(moves, moves[1:], strict=False) if a != b)


def _one_run(variant: str, params: dict[str, Any]) -> dict[str, Any]:
    settings = VARIANTS[variant]
    autoscale: dict[str, Any] = {"target_in_flight": TARGET_IN_FLIGHT, "downscale_delay_s": params["downscale_delay_s"]}
    if "upscale_delay_s" in settings:
        autoscale["upscale_delay_s"] = settings["upscale_delay_s"]
    app = puma.App()
    app.configure({"logging": {"name": "none"}, "puma_services": {"burn": {
        "prefix": "/burn", "instances": {"min": 1, "max": params["max_instances"]}, "idempotent": True,
        "timeout_s": 30, "autoscale": autoscale}}})
    app.add_services({"burn": burn})
    with app.start(listener={"port": 0}) as mesh:
        if "quiet_tick_s" in settings:
            mesh.control.quiet_tick_s = settings["quiet_tick_s"]
        used = {"quiet_tick_s": mesh.control.quiet_tick_s,
                "upscale_delay_s": mesh.config.puma_services["burn"].autoscale_settings.upscale_delay_s}
        first_pids = {i.pid for i in mesh.pools["burn"].live() if i.pid}
        data = _drive(mesh, params["clients"], params["idle_s"], params["step_s"], params["tail_s"])
        events = [{**e, "t": round(e["time"] - data["epoch_t0"], 4)} for e in mesh.status()["events"]
                  if e["service"] == "burn"]
    samples, requests, step_at = data["samples"], data["requests"], data["step_at_s"]
    added = next((s["t"] for s in samples if s["t"] >= step_at and s["ready"] > 1), None)
    return {"variant": variant, "settings": used, "samples": samples, "events": events,
            "per_second": _per_second(requests), "requests_total": len(requests),
            "failed_requests": sum(1 for r in requests if r[2] != 200),
            "breakdown": breakdown(step_at, events, requests, first_pids, TARGET_IN_FLIGHT),
            "ready_sampled_s": None if added is None else round(added - step_at, 3),
            "instance_start_ms": [e["startup_ms"] for e in events if "startup_ms" in e][1:],
            "max_ready_instances": max(s["ready"] for s in samples), "final_ready_instances": samples[-1]["ready"],
            "reversals": reversals(samples), "step_at_s": step_at, "step_end_s": data["step_end_s"]}


def _per_second(requests: list[tuple[float, float, int, int]]) -> list[dict[str, Any]]:
    buckets: dict[int, list[float]] = {}
    for start, duration, code, _pid in requests:
        if code == 200:
            buckets.setdefault(int(start), []).append(duration * 1000)
    return [{"second": s, "requests": len(v), "p50_ms": percentile(v, 50), "p99_ms": percentile(v, 99)}
            for s, v in sorted(buckets.items())]


def summarise(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per variant: the median of each part of the breakdown over its runs, failures, reversals."""
    out: dict[str, dict[str, Any]] = {}
    for variant in VARIANTS:
        mine = [r for r in runs if r["variant"] == variant]
        if not mine:
            continue
        medians = {}
        for key in ("ramp_s", "detection_s", "start_s", "routing_s", "time_to_capacity_s"):
            values = [r["breakdown"][key] for r in mine if r["breakdown"][key] is not None]
            medians[key] = round(statistics.median(values), 3) if values else None
        out[variant] = {"runs": len(mine), **medians, "settings": mine[0]["settings"],
                        "each_time_to_capacity_s": [r["breakdown"]["time_to_capacity_s"] for r in mine],
                        "failed_requests": sum(r["failed_requests"] for r in mine),
                        "requests_total": sum(r["requests_total"] for r in mine),
                        "max_reversals": max(r["reversals"] for r in mine)}
    return out


def run(out: Path, *, quick: bool = False, rounds: int | None = None) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    # Quick: the step still outlasts the time to capacity on a starved machine (2.3 s at load 30), and
    # the tail the downscale delay, so the scale-down is still seen.
    params: dict[str, Any] = {"clients": 16, "idle_s": 1.0, "step_s": 4.0, "tail_s": 6.0} if quick else \
        {"clients": 32, "idle_s": 3.0, "step_s": 15.0, "tail_s": 10.0}
    params.update(max_instances=4, downscale_delay_s=5.0, rounds=rounds or (1 if quick else 2))
    result = run_info("autoscale", **params)
    result["load_average_before"] = os.getloadavg()
    order = [v for i in range(params["rounds"]) for v in (("before", "current") if i % 2 == 0 else ("current", "before"))]
    result["runs"] = [_one_run(variant, params) for variant in order]
    result["load_average_after"] = os.getloadavg()
    result["variants"] = summary = summarise(result["runs"])
    now, then = summary["current"]["time_to_capacity_s"], summary["before"]["time_to_capacity_s"]
    result["ratio_before_over_current"] = round(then / now, 2) if now and then else None
    result["goals"] = {"capacity_within_1s": now is not None and now <= 1.0,
                       "zero_failures": all(v["failed_requests"] == 0 for v in summary.values()),
                       "no_oscillation": all(v["max_reversals"] <= 1 for v in summary.values())}
    write_json(out / "autoscale.json", result)
    plot(out / "autoscale.png", result)
    _print(out, result)
    return result


def _print(out: Path, result: dict[str, Any]) -> None:
    for name, v in result["variants"].items():
        print(f"{name:8} {v['settings']}: capacity after {v['time_to_capacity_s']} s (each run "
              f"{v['each_time_to_capacity_s']}) = clients' ramp {v['ramp_s']} + detection {v['detection_s']} + start {v['start_s']} + routing "
              f"{v['routing_s']}; {v['failed_requests']} failed of {v['requests_total']}; direction changes per run at most {v['max_reversals']}")
    print(f"before / current: {result['ratio_before_over_current']}x; load average "
          f"{result['load_average_before'][0]:.2f} -> {result['load_average_after'][0]:.2f}\n"
          f"goals: {result['goals']}\nwrote {out / 'autoscale.json'} and {out / 'autoscale.png'}")


def main(args: argparse.Namespace) -> None:
    run(args.out, quick=args.quick, rounds=getattr(args, "rounds", None))
