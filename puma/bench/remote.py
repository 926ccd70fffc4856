"""`puma bench remote`: the cost of a call through `puma.remote` beside today's `puma.call`.

Four ways to make the same call through the same deployment, interleaved in blocks (each way leading
in turn) so drift hits them alike, on the calling thread's pooled keep-alive connection through Envoy:

* `call -> Request handler` — `puma.call("echo_request", {...})` to a function that reads
  `request.data` (how services were written before plain functions);
* `call -> bound method` — `puma.call("echo_object", {...}, path="/echo")`: the same client, the
  method's arguments bound and converted by their type hints on the service's side;
* `remote -> bound method` — `puma.remote("echo_object", Echo).echo(text, n)`: the proxy;
* `remote cache=64 -> memory` — the same proxy made with `cache=64`, asked the same question again:
  what a remembered answer costs instead of a round trip (its key, a copy, the typed result).

Measured per call: latency (p50/p99) and the caller's CPU (its thread's CPU time per call over each
block).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import puma

from .common import run_info, summary, write_json

log = logging.getLogger(__name__)
BLOCK = 200
TEXT = "a comedy with Tom Hanks from the nineties"
WAYS = ("call -> Request handler", "call -> bound method", "remote -> bound method", "remote cache=64 -> memory")


class Echo:
    """The service: one method with two typed arguments and a small JSON result."""

    def echo(self, text: str, n: int) -> dict[str, Any]:
        return {"text": text, "n": n}


def echo_request(request: puma.Request) -> dict[str, Any]:
    data = request.data
    return {"text": data["text"], "n": data["n"]}


def measure(calls: dict[str, Callable[[], Any]], requests: int) -> dict[str, dict[str, list[float]]]:
    """Per way: latency of each call (ms) and the caller's CPU per call of each block (ms)."""
    samples: dict[str, dict[str, list[float]]] = {w: {"latency_ms": [], "cpu_ms": []} for w in calls}
    # One round: a block of each way; the ratio of their CPU within a round is paired (same minute).
    for call in calls.values():  # warm up every path (connections, interfaces, pydantic)
        for _ in range(200):
            call()
    done, ways = 0, list(calls)
    while done < requests:
        n = min(BLOCK, requests - done)
        ways = ways[1:] + ways[:1]  # each way leads in turn: none always runs after the same one
        for way in ways:
            call = calls[way]
            cpu = time.thread_time()  # this thread's: the supervisor's own threads share the process
            for _ in range(n):
                started = time.perf_counter()
                call()
                samples[way]["latency_ms"].append((time.perf_counter() - started) * 1000)
            samples[way]["cpu_ms"].append((time.thread_time() - cpu) * 1000 / n)
        done += n
    return samples


def run(out: Path, *, requests: int = 5000) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    result = run_info("remote", requests=requests, block=BLOCK)
    app = puma.App()
    app.configure({"puma_services": {"echo_request": {"threads": 8}, "echo_object": {"threads": 8}},
                   "logging": {"name": "none"}})
    app.add_services({"echo_request": echo_request, "echo_object": Echo})
    with app.start(listener={"port": 0}):
        proxy = puma.remote("echo_object", Echo)
        cached = puma.remote("echo_object", Echo, cache=64)
        payload = {"text": TEXT, "n": 3}
        calls = {WAYS[0]: lambda: puma.call("echo_request", payload),
                 WAYS[1]: lambda: puma.call("echo_object", payload, path="/echo"),
                 WAYS[2]: lambda: proxy.echo(TEXT, 3),
                 WAYS[3]: lambda: cached.echo(TEXT, 3)}
        samples = measure(calls, requests)
    result["latency_ms"] = {w: summary(s["latency_ms"]) for w, s in samples.items()}
    result["caller_cpu_ms_per_call"] = {w: summary(s["cpu_ms"]) for w, s in samples.items()}
    base, new = WAYS[0], WAYS[2]
    paired = [r / b for r, b in zip(samples[new]["cpu_ms"], samples[base]["cpu_ms"], strict=True)]
    paired_bound = [r / b for r, b in zip(samples[new]["cpu_ms"], samples[WAYS[1]]["cpu_ms"], strict=True)]
    result["ratio_remote_vs_call"] = {
        "latency_p50": result["latency_ms"][new]["p50"] / result["latency_ms"][base]["p50"],
        "caller_cpu_paired_median": statistics.median(paired),
        "caller_cpu_paired_median_same_service": statistics.median(paired_bound),
        "latency_p50_remembered_vs_round_trip": result["latency_ms"][WAYS[3]]["p50"] / result["latency_ms"][new]["p50"]}
    result["goals"] = {"remote_no_slower_than_call_p50": result["latency_ms"][new]["p50"]
                       <= result["latency_ms"][base]["p50"] * 1.02,
                       "remote_caller_cpu_no_more_than_call": result["ratio_remote_vs_call"]["caller_cpu_paired_median"] <= 1.02}
    write_json(out / "remote.json", result)
    _plot(out / "remote.png", samples, result)
    print(_report(result, out))
    return result


def _report(r: dict[str, Any], out: Path) -> str:
    lines = [f"{'way':<26}{'p50 ms':>9}{'p99 ms':>9}{'caller CPU ms/call':>20}"]
    for way in WAYS:
        lat, cpu = r["latency_ms"][way], r["caller_cpu_ms_per_call"][way]
        lines.append(f"{way:<26}{lat['p50']:>9.3f}{lat['p99']:>9.3f}{cpu['median']:>20.3f}")
    ratio = r["ratio_remote_vs_call"]
    lines.append(f"remote / call: latency p50 x{ratio['latency_p50']:.3f}, caller CPU x{ratio['caller_cpu_paired_median']:.3f} "
                 f"(paired by round; against call to the same bound method x"
                 f"{ratio['caller_cpu_paired_median_same_service']:.3f}); a remembered answer (cache=64): "
                 f"latency p50 x{ratio['latency_p50_remembered_vs_round_trip']:.3f} of a round trip")
    lines.append(f"goals: {r['goals']}\nwrote {out / 'remote.json'} and {out / 'remote.png'}")
    return "\n".join(lines)


def _plot(path: Path, samples: dict[str, dict[str, list[float]]], result: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    for way, values in samples.items():
        ordered = sorted(values["latency_ms"])
        ax1.plot(ordered, [i / len(ordered) for i in range(len(ordered))], label=way)
    ax1.set_xscale("log")
    ax1.set_xlabel("call latency through Envoy (ms, log)")
    ax1.set_ylabel("fraction of calls")
    ax1.set_title("latency CDF")
    ax1.legend(fontsize=8)
    medians = [result["caller_cpu_ms_per_call"][w]["median"] for w in WAYS]
    ax2.bar(range(len(WAYS)), medians, color=["#4c72b0", "#dd8452", "#55a868", "#8172b3"])
    ax2.set_xticks(range(len(WAYS)), [w.replace(" -> ", "\n-> ") for w in WAYS], fontsize=8)
    ax2.set_ylabel("caller CPU per call (ms, median of blocks)")
    ax2.set_title("what the caller spends")
    fig.suptitle(f"puma bench remote @ {result['git_revision']} ({result['machine']['cores']} cores)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(args: argparse.Namespace) -> None:
    run(args.out, requests=args.requests)
