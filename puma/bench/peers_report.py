"""What `puma bench peers` concludes and writes: ratios, goals, CSV, the PNG and the text report."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

GOAL_RATIO = 5.0
MAP_PEERS = ("ray Pool.map", "dask bag", "dask client.map")


def _by_system(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["system"]: r for r in rows}


def serve_ratios(serve: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Each Ray Serve mode's figure divided by PUMA's (above 1: PUMA better)."""
    steady = _by_system(serve["steady"])
    puma = steady["puma"]
    out = {}
    for system, r in steady.items():
        if system == "puma":
            continue
        out[system] = {
            "latency_p50": r["latency_ms"]["p50"] / puma["latency_ms"]["p50"],
            "latency_p99": r["latency_ms"]["p99"] / puma["latency_ms"]["p99"],
            "cpu_per_request_sequential": r["cpu_ms_per_request_sequential"] / puma["cpu_ms_per_request_sequential"],
            "cpu_per_request_concurrent": r["cpu_ms_per_request_concurrent"] / puma["cpu_ms_per_request_concurrent"],
            "throughput_puma_over_peer": puma["throughput_rps"] / r["throughput_rps"],
            "startup": r["startup_s"] / puma["startup_s"],
        }
    return out


def _faster_to_capacity(puma: dict[str, Any], peer: dict[str, Any]) -> bool:
    if puma["first_added_s"] is None:
        return False
    return peer["first_added_s"] is None or puma["first_added_s"] < peer["first_added_s"]


def serve_goals(serve: dict[str, Any], ratios: dict[str, dict[str, float]]) -> dict[str, bool]:
    steps = _by_system(serve["load_step"])
    goals = {}
    for system, r in ratios.items():
        goals[f"latency p50 and p99 >= {GOAL_RATIO:g}x better than {system}"] = (
            min(r["latency_p50"], r["latency_p99"]) >= GOAL_RATIO)
        goals[f"CPU per request >= {GOAL_RATIO:g}x lower than {system}"] = (
            min(r["cpu_per_request_sequential"], r["cpu_per_request_concurrent"]) >= GOAL_RATIO)
        if system in steps:
            goals[f"faster to added capacity than {system}"] = _faster_to_capacity(steps["puma"], steps[system])
    return goals


def map_goals(points: list[dict[str, Any]]) -> dict[str, Any]:
    """Whether `puma_map`'s median beats each peer's at every size both measured."""
    med = {(p["series"], p["items"]): p["median"] for p in points}
    sizes = sorted({n for s, n in med if s == "puma_map"})
    goals: dict[str, Any] = {}
    for peer in MAP_PEERS:
        shared = [n for n in sizes if (peer, n) in med]
        if shared:
            goals[f"puma_map ahead of {peer} at every size"] = all(med["puma_map", n] < med[peer, n] for n in shared)
    return goals


def write_csvs(out: Path, serve: dict[str, Any] | None, map_rows: list[dict[str, Any]]) -> list[Path]:
    written = []
    if serve:
        path = out / "peers_serve.csv"
        steps = _by_system(serve["load_step"])
        with path.open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["system", "startup_s", "latency_p50_ms", "latency_p99_ms", "throughput_rps", "clients",
                             "cpu_ms_per_request_sequential", "cpu_ms_per_request_concurrent",
                             "step_first_added_s", "step_all_added_s", "step_replicas_max", "step_answered_per_s",
                             "step_failed"])
            for r in serve["steady"]:
                s = steps.get(r["system"], {})
                writer.writerow([r["system"], f"{r['startup_s']:.3f}", f"{r['latency_ms']['p50']:.3f}",
                                 f"{r['latency_ms']['p99']:.3f}", f"{r['throughput_rps']:.1f}", r["clients"],
                                 f"{r['cpu_ms_per_request_sequential']:.3f}", f"{r['cpu_ms_per_request_concurrent']:.3f}",
                                 s.get("first_added_s"), s.get("all_added_s"), s.get("replicas_max"),
                                 f"{s.get('answered_per_s', 0):.1f}", s.get("failed")])
        written.append(path)
    if map_rows:
        path = out / "peers_map.csv"
        with path.open("w", newline="") as f:
            map_writer = csv.DictWriter(f, fieldnames=["system", "series", "items", "repeat", "seconds", "startup_s"])
            map_writer.writeheader()
            map_writer.writerows(map_rows)
        written.append(path)
    return written


def plot(path: Path, result: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    serve = result.get("serve")
    if serve:
        _plot_steady(axes[0][0], axes[0][1], serve["steady"])
        _plot_step(axes[1][0], serve["load_step"])
    else:
        for ax in (axes[0][0], axes[0][1], axes[1][0]):
            ax.set_axis_off()
    if result.get("map"):
        _plot_map(axes[1][1], result["map"]["points"])
    else:
        axes[1][1].set_axis_off()
    load = result["load_average"]
    fig.suptitle(f"puma bench peers @ {result['git_revision']} ({result['machine']['cores']} cores, "
                 f"load average {load['start'][0]:.1f} -> {load['end'][0]:.1f}, shared machine)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _plot_steady(ax1: Any, ax2: Any, steady: list[dict[str, Any]]) -> None:
    names = [r["system"] for r in steady]
    x = range(len(names))
    ax1.bar([i - 0.2 for i in x], [r["latency_ms"]["p50"] for r in steady], 0.4, label="p50")
    ax1.bar([i + 0.2 for i in x], [r["latency_ms"]["p99"] for r in steady], 0.4, label="p99")
    ax1.set_xticks(list(x), names)
    ax1.set_yscale("log")
    ax1.set_ylabel("sequential latency (ms, log)")
    ax1.set_title("latency of a trivial JSON POST, one keep-alive client")
    ax1.legend()
    ax2.bar([i - 0.2 for i in x], [r["cpu_ms_per_request_sequential"] for r in steady], 0.4, label="sequential")
    ax2.bar([i + 0.2 for i in x], [r["cpu_ms_per_request_concurrent"] for r in steady], 0.4,
            label=f"{steady[0]['clients']} clients")
    ax2.set_xticks(list(x), names)
    ax2.set_yscale("log")
    ax2.set_ylabel("server CPU per request (ms, log)")
    ax2.set_title("CPU of every server process per request")
    ax2.legend()


def _plot_step(ax: Any, steps: list[dict[str, Any]]) -> None:
    for r in steps:
        t = [s[0] for s in r["samples"]]
        ax.step(t, [s[1] for s in r["samples"]], where="post",
                label=f"{r['system']} (first added {_s(r['first_added_s'])})")
    if steps:
        ax.axvspan(0, steps[0]["step_s"], color="grey", alpha=0.12, label=f"{steps[0]['clients']} clients")
    ax.set_xlabel("seconds from the load step")
    ax.set_ylabel("ready replicas")
    ax.set_title("load step, autoscaled 1..4 replicas")
    ax.legend(loc="lower right")


def _s(value: float | None) -> str:
    return "never" if value is None else f"{value:.2f} s"


def _plot_map(ax: Any, points: list[dict[str, Any]]) -> None:
    for series in sorted({p["series"] for p in points}):
        rows = sorted((p for p in points if p["series"] == series), key=lambda p: p["items"])
        ax.plot([p["items"] for p in rows], [p["median"] for p in rows], marker="o", label=series,
                linestyle="--" if series == "builtin map" else "-")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("items of factorial(100)")
    ax.set_ylabel("seconds (median)")
    ax.set_title("distributed map, equal worker counts")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)


def report(result: dict[str, Any]) -> str:
    lines = [f"load average at start {result['load_average']['start']}, at end {result['load_average']['end']}"]
    serve = result.get("serve")
    if serve:
        for r in serve["steady"]:
            lines.append(f"{r['system']:>12}: start-up {r['startup_s']:.2f} s, p50 {r['latency_ms']['p50']:.2f} ms, "
                         f"p99 {r['latency_ms']['p99']:.2f} ms, {r['throughput_rps']:.0f} req/s at {r['clients']} "
                         f"clients, CPU/request {r['cpu_ms_per_request_sequential']:.2f} ms sequential, "
                         f"{r['cpu_ms_per_request_concurrent']:.2f} ms concurrent")
        for r in serve["load_step"]:
            lines.append(f"{r['system']:>12}: load step: first replica added {_s(r['first_added_s'])}, "
                         f"{r['replicas_max']} replicas at {_s(r['all_added_s'])}, {r['answered_per_s']:.0f} answers/s, "
                         f"{r['failed']} failed")
        for system, r in serve["ratios"].items():
            lines.append(f"{system} / puma: " + ", ".join(f"{k} {v:.1f}x" for k, v in r.items()))
    if result.get("map"):
        for p in result["map"]["points"]:
            lines.append(f"map {p['series']:>16} {p['items']:>9,} items: median {p['median']:.3f} s")
    lines += [f"goal {goal}: {'met' if ok else 'MISSED'}" for goal, ok in result["goals"].items()]
    return "\n".join(lines)
