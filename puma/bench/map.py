"""`puma bench map`: the paper's Figure 7, side by side in one run.

(a) data sizes 100 ... 1,000,000 items of factorial(100); (b) factorial of 100, 500, 1000, 1500
over 100,000 items. Each point times, per repetition, the paper's whole task — make the data, map
the iterative factorial over it, return the sum — with six series: builtin `map`,
`multiprocessing.Pool.map` (as many processes as PUMA instances), `puma_map` (Pool-like chunks),
`puma_map` with the paper's sqrt(n) chunks, `map_reduce` (sums reduced on the workers), and
"forked sums": as many forked processes each summing an equal share over pipes, so nothing moves
but one sum each (`forked.py`) — about what any parallel map can reach on this machine at that
moment (a shared VM's two vCPUs may give far less than 2x); the series are reported against it too.
Every series must return the same sum as builtin `map`, or the run fails.

    puma bench map --out bench-out/map            # the full figure (~20 min on 2 quiet cores)
    puma bench map --out /tmp/map --quick         # small sizes, one repetition (< 1 min)
"""

from __future__ import annotations

import argparse
import csv
import logging
import multiprocessing
import operator
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ..mapping import map as puma_map
from ..mapping import map_reduce, start_local
from .common import run_info, summary, write_json
from .forked import ForkedSums
from .host import UNEVEN, cpu_times_ms, describe, probe, unevenness
from .mapfuncs import factorial

log = logging.getLogger(__name__)

FORKED = "forked sums"
SERIES = ("builtin map", "Pool.map", "puma_map", "puma_map sqrt", "map_reduce", FORKED)
PUMA_SERIES = ("puma_map", "puma_map sqrt", "map_reduce")
GOAL_CROSSOVER_ITEMS = 1_000
GOAL_VS_POOL = 0.9
GOAL_SPEEDUP = 1.8


@dataclass(frozen=True)
class Point:
    experiment: str  # "size" (Figure 7a) or "factorial" (Figure 7b)
    items: int
    factorial: int


def plan(quick: bool, sizes: list[int] | None = None, factorials: list[int] | None = None) -> list[Point]:
    """Figure 7a's data sizes of factorial(100), then 7b's factorial inputs over a fixed size."""
    sizes = sizes if sizes is not None else [100, 1_000, 10_000] if quick else [10**k for k in range(2, 7)]
    factorials = factorials if factorials is not None else [100, 500, 1000, 1500]
    over = 1_000 if quick else 100_000
    return [Point("size", n, 100) for n in sizes] + [Point("factorial", over, k) for k in factorials]


class Runners:
    """One callable per series; each returns (seconds, sum) for a point."""

    def __init__(self, pool: Any, forked: ForkedSums, deployment: Any) -> None:
        self.pool = pool
        on = {"deployment": deployment}
        # The puma series use the synchronous API, as a script would, over kept-alive connections.
        self.series: dict[str, Callable[[Point], int]] = {
            "builtin map": lambda p: sum(map(factorial, [p.factorial] * p.items)),
            "Pool.map": lambda p: sum(self.pool.map(factorial, [p.factorial] * p.items)),
            "puma_map": lambda p: sum(puma_map(factorial, [p.factorial] * p.items, **on)),
            "puma_map sqrt": lambda p: sum(puma_map(factorial, [p.factorial] * p.items, chunking="sqrt", **on)),
            "map_reduce": lambda p: map_reduce(factorial, [p.factorial] * p.items, operator.add, 0, **on),
            FORKED: lambda p: forked.sum(p.factorial, p.items),
        }

    def time(self, series: str, point: Point) -> tuple[float, int]:
        started = time.perf_counter()
        value = self.series[series](point)
        return time.perf_counter() - started, value


def orders(series: tuple[str, ...], repeats: int) -> list[tuple[str, ...]]:
    """The series' order in each repeat: a Williams design, so no series always follows the same one.

    A map right after a map runs warm; right after other work, its instances have idled and each
    wake-up costs more (on this VM ~0.5 ms a map at 100 items). Rotating one order would put the
    same series before `puma_map` in every repeat. Here each series follows each other one once
    every len(series) repeats (2 x len(series) for an odd count).

    >>> orders(("a", "b", "c", "d"), 4)
    [('a', 'b', 'd', 'c'), ('b', 'c', 'a', 'd'), ('c', 'd', 'b', 'a'), ('d', 'a', 'c', 'b')]
    """
    n = len(series)
    first = [0] + [(k + 1) // 2 if k % 2 else n - k // 2 for k in range(1, n)]  # 0, 1, n-1, 2, n-2, ...
    rows = [[(i + shift) % n for i in first] for shift in range(n)]
    if n % 2:
        rows += [row[::-1] for row in rows]
    return [tuple(series[i] for i in rows[r % len(rows)]) for r in range(repeats)]


def measure(runners: Runners, points: list[Point], repeats: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cpus = sorted(os.sched_getaffinity(0))
    with tqdm(total=len(points) * repeats * len(SERIES), desc="bench map", unit="run") as bar:
        for point in points:
            expected = None
            for repeat, order in enumerate(orders(SERIES, repeats)):
                uneven = round(unevenness(cpu_times_ms(cpus, samples=10)), 2)  # ~50 ms: how even the host is now
                for series in order:
                    bar.set_postfix_str(f"{point.experiment} n={point.items} k={point.factorial} {series}")
                    seconds, value = runners.time(series, point)
                    expected = value if expected is None else expected  # every series must agree
                    if value != expected:
                        raise RuntimeError(f"{series} returned a wrong sum at {point}")
                    rows.append({**asdict(point), "series": series, "repeat": repeat, "seconds": seconds,
                                 "cpu_unevenness": uneven})
                    bar.update()
    return rows


def during(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """How even the CPUs were at the start of each repeat (each point's repeats are probed apart)."""
    starts = {(r["experiment"], r["items"], r["factorial"], r["repeat"]): r["cpu_unevenness"] for r in rows}
    return {"repeats": len(starts), "uneven": sum(x > UNEVEN for x in starts.values()),
            "max": max(starts.values(), default=1.0)}


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[Any, ...], list[float]] = {}
    for row in rows:
        groups.setdefault((row["experiment"], row["items"], row["factorial"], row["series"]), []).append(row["seconds"])
    return [{"experiment": e, "items": n, "factorial": k, "series": s, **summary(v), "runs": v}
            for (e, n, k, s), v in groups.items()]


def _stat(points: list[dict[str, Any]], series: str, items: int, key: str = "median") -> float:
    return float(next(p[key] for p in points
                if (p["experiment"], p["series"], p["items"], p["factorial"]) == ("size", series, items, 100)))


def crossover(points: list[dict[str, Any]], series: str, key: str = "median") -> int | None:
    """The smallest data size from which `series` beats builtin map at every larger size measured."""
    sizes = sorted({p["items"] for p in points if p["experiment"] == "size"})
    found = None
    for n in reversed(sizes):
        if _stat(points, series, n, key) >= _stat(points, "builtin map", n, key):
            break
        found = n
    return found


def ratios(points: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """Crossover, speedup over builtin map at the largest size, and throughput relative to Pool.map."""
    sizes = sorted({p["items"] for p in points if p["experiment"] == "size"})
    largest = sizes[-1]
    builtin = _stat(points, "builtin map", largest, key)
    speedup = {s: builtin / _stat(points, s, largest, key) for s in SERIES[1:]}
    return {
        "crossover_items": {s: crossover(points, s, key) for s in SERIES[1:]},
        "speedup_at_largest": {"items": largest, **speedup},
        "vs_forked_sums_at_largest": {s: speedup[s] / speedup[FORKED] for s in ("Pool.map", *PUMA_SERIES)},
        "throughput_vs_pool": {n: {s: _stat(points, "Pool.map", n, key) / _stat(points, s, n, key) for s in PUMA_SERIES}
                               for n in sizes if n >= 100_000},
    }


def headline(points: list[dict[str, Any]], instances: int) -> dict[str, Any]:
    """Figures from medians; `best_of` the same from each point's fastest run (less noise from other load)."""
    result = {**ratios(points, "median"), "instances": instances, "best_of": ratios(points, "min")}
    result["goals"] = _goals(result, result["speedup_at_largest"]["items"])
    return result


def _goals(result: dict[str, Any], largest: int) -> dict[str, Any]:
    cross = result["crossover_items"]["puma_map"]
    vs_pool = result["throughput_vs_pool"]
    return {
        f"crossover <= {GOAL_CROSSOVER_ITEMS}": cross is not None and cross <= GOAL_CROSSOVER_ITEMS,
        f"puma_map >= {GOAL_VS_POOL} x Pool.map at 1e5 and 1e6": (
            all(v["puma_map"] >= GOAL_VS_POOL for v in vs_pool.values()) if len(vs_pool) == 2 else None),
        f"speedup >= {GOAL_SPEEDUP} at 1e6": (
            result["speedup_at_largest"]["puma_map"] >= GOAL_SPEEDUP if largest == 10**6 else None),
    }


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["experiment", "items", "factorial", "series", "repeat", "seconds",
                                               "cpu_unevenness"])
        writer.writeheader()
        writer.writerows(rows)


def plot(path: Path, points: list[dict[str, Any]], instances: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(13, 5))
    for ax, experiment, xkey in ((axes[0], "size", "items"), (axes[1], "factorial", "factorial")):
        for series, marker in zip(SERIES, "osv^Dx", strict=True):
            rows = sorted((p for p in points if p["experiment"] == experiment and p["series"] == series),
                          key=lambda p: p[xkey])
            x = [p[xkey] for p in rows]
            med = [p["median"] for p in rows]
            spread = [[m - p["min"] for m, p in zip(med, rows, strict=True)],
                      [p["max"] - m for m, p in zip(med, rows, strict=True)]]
            style = {"linestyle": "--", "color": "grey"} if series == FORKED else {}
            ax.errorbar(x, med, yerr=spread, marker=marker, capsize=3, label=series, **style)
        ax.set_yscale("log")
        ax.set_ylabel("total latency (s), median and min-max")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_xscale("log")
    axes[0].set_xlabel("data size (items of factorial(100))")
    axes[0].set_title("(a) varying data size")
    n = next((p["items"] for p in points if p["experiment"] == "factorial"), 0)
    axes[1].set_xlabel(f"factorial input ({n:,} items)")
    axes[1].set_title("(b) varying factorial integer")
    axes[0].legend()
    fig.suptitle(f"Figure 7 reproduced: {instances} PUMA instances = {instances} Pool processes, local client")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def report(result: dict[str, Any]) -> str:
    lines = []
    for label, figures in (("median", result), ("best of repeats", result["best_of"])):
        speed = figures["speedup_at_largest"]
        lines.append(f"[{label}] crossover (smallest size from which it beats builtin map): {figures['crossover_items']}")
        lines.append(f"[{label}] speedup over builtin map at {speed['items']:,} items: "
                     + ", ".join(f"{s} {v:.2f}x" for s, v in speed.items() if s != "items"))
        lines.append(f"[{label}] speedup relative to forked sums' at {speed['items']:,} items: "
                     + ", ".join(f"{s} {v:.0%}" for s, v in figures["vs_forked_sums_at_largest"].items()))
        lines += [f"[{label}] throughput vs Pool.map at {n:,} items: " + ", ".join(f"{s} {v:.2f}" for s, v in r.items())
                  for n, r in figures["throughput_vs_pool"].items()]
    lines += [f"goal {goal} (medians): {'met' if ok else 'MISSED' if ok is False else 'n/a (not measured)'}"
              for goal, ok in result["goals"].items()]
    return "\n".join(lines)


def main(args: argparse.Namespace) -> None:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    repeats = 1 if args.quick else args.repeats
    points = plan(args.quick, args.sizes, args.factorials)
    if not any(p.experiment == "size" for p in points):
        raise SystemExit("puma bench map: --sizes needs at least one data size")
    info = run_info("map", instances=args.instances, repeats=repeats, quick=args.quick,
                    points=[asdict(p) for p in points])
    host = {"before": probe()}  # forks, so before the pool and the deployment start threads
    # The forked sums and the pool fork before anything starts a thread.
    with (ForkedSums(args.instances) as forked, multiprocessing.Pool(args.instances) as pool,
          start_local(args.instances) as deployment):
        runners = Runners(pool, forked, deployment)
        for series in SERIES:  # warm up: imports, connections, worker caches
            runners.time(series, Point("warmup", 64, 10))
        rows = measure(runners, points, repeats)
    host["after"] = probe()
    host["during"] = during(rows)
    points_summary = summarise(rows)
    result = headline(points_summary, args.instances)
    write_csv(out / "map.csv", rows)
    write_json(out / "map.json", {"run": {**info, "host": host}, "summary": result, "points": points_summary})
    plot(out / "figure7.png", points_summary, args.instances)
    print("\n".join(describe(when, host[when]) for when in ("before", "after")))
    print(f"host during the run: {host['during']['uneven']} of {host['during']['repeats']} repeats began with one CPU"
          f" over {UNEVEN}x slower than the other (most uneven: {host['during']['max']:.2f}x)")
    print(report(result))
    print(f"wrote {out / 'map.csv'}, {out / 'map.json'}, {out / 'figure7.png'}")
