"""`puma bench clients`: the mesh client of this checkout beside a baseline revision's, in pairs.

One deployment (this checkout's: Envoy, an `echo` service, a 2-instance `/map` service) serves
both. Each phase runs in a fresh client process per side (`clients_child.py`, with the side's
`puma` first on PYTHONPATH), the two sides alternating and each leading every other pair, so
drift on a shared machine hits them alike. Measured per phase: the client process's CPU per
request (or per map), latency, and the CPU the deployment's Envoy and instances spent meanwhile
(`/proc`, after the client's warm-up), so "where a chunk's time goes" is read per process.

Phases: `call` and `acall` (a small JSON POST to `echo`), `map-small` (2-chunk maps of trivial
work: the cost of a chunk), `map-large` (maps of `--large-items` factorial(100) results: the
big-reply path).

    puma bench clients --out docs/bench --baseline b671a0c --pairs 5
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import secrets
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from .common import run_info, summary, write_json
from .procs import component, cpu_ns, tree
from .remote import echo_request
from .scale import ROOT, exported

PHASES = ("call", "acall", "map-small", "map-large")
CHILD = Path(__file__).with_name("clients_child.py")


def _deployment_cpu_ns(supervisor: int) -> dict[str, int]:
    pids = tree([supervisor])
    totals = {"envoy": 0, "instances": 0}
    for pid in pids:
        role = component(pid, {supervisor}, set(), pids)
        if role in totals:
            totals[role] += cpu_ns(pid)
    return totals


def one(side: str, checkout: Path, spec: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    """Run one phase in a fresh client process with `checkout`'s puma; its figures and the deployment's CPU."""
    child_env = {**env, "PYTHONPATH": str(checkout)}
    with subprocess.Popen([sys.executable, str(CHILD), json.dumps(spec)], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True, env=child_env, cwd=checkout) as child:
        assert child.stdin is not None and child.stdout is not None
        if child.stdout.readline().strip() != "warm":
            raise RuntimeError(f"{side} {spec['phase']}: the client process failed (exit {child.wait()})")
        before = _deployment_cpu_ns(os.getpid())
        child.stdin.write("go\n")
        child.stdin.flush()
        result: dict[str, Any] = json.loads(child.stdout.readline())
        after = _deployment_cpu_ns(os.getpid())
    result.update(side=side, **{f"{k}_cpu_s": (after[k] - before[k]) / 1e9 for k in after})
    return result


def run(out: Path, baseline: str, pairs: int, calls: int, maps: int, large_items: int, large_maps: int) -> dict[str, Any]:
    import puma
    import puma.mapping

    out.mkdir(parents=True, exist_ok=True)
    info = run_info("clients", baseline=baseline, pairs=pairs, calls=calls, maps=maps, large_items=large_items,
                    large_maps=large_maps)
    secret = secrets.token_hex(16)
    app = puma.App()
    app.configure({"secret": secret, "logging": {"name": "none"},
                   "puma_services": {"echo": {"threads": 8}, "map": puma.mapping.service_config(2)}})
    app.add_services({"echo": echo_request})
    rows: list[dict[str, Any]] = []
    with contextlib.ExitStack() as stack:
        checkouts = {"baseline": stack.enter_context(exported(baseline)), "current": ROOT}
        deployment = stack.enter_context(app.start(listener={"port": 0}))
        env = {**os.environ, "PUMA_URL": deployment.url,
               "PUMA_SERVICES": json.dumps({n: s.prefix for n, s in deployment.config.puma_services.items()})}
        spec = {"map_url": deployment.url + "/map", "secret": secret, "calls": calls, "maps": maps,
                "large_items": large_items, "large_maps": large_maps}
        for pair in range(pairs):
            for phase in PHASES:
                order = ("baseline", "current") if pair % 2 == 0 else ("current", "baseline")
                for side in order:
                    row = one(side, checkouts[side], {**spec, "phase": phase}, env)
                    rows.append({**row, "pair": pair})
                    print(f"pair {pair} {phase:9} {side:8} client CPU {row['cpu_s'] * 1e3:8.1f} ms "
                          f"wall {row['wall_s']:6.2f} s", flush=True)
    result = {**info, "summary": summarise(rows), "rows": [{k: v for k, v in r.items() if k != "latency_ms"} for r in rows]}
    write_json(out / "clients.json", result)
    _write_csv(out / "clients.csv", rows)
    _plot(out / "clients.png", result)
    print(report(result))
    return result


def _per(row: dict[str, Any], key: str) -> float:
    """`key`'s CPU in ms per request (per map for map-large)."""
    return float(row[key]) * 1e3 / float(row["requests"] or row["operations"])


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per phase and side: medians; per phase: the paired ratios current / baseline."""
    out: dict[str, Any] = {}
    for phase in PHASES:
        mine = [r for r in rows if r["phase"] == phase]
        sides = {side: [r for r in mine if r["side"] == side] for side in ("baseline", "current")}
        entry: dict[str, Any] = {"unit": "per map" if phase == "map-large" else "per request"}
        for side, runs in sides.items():
            entry[side] = {"client_cpu_ms": statistics.median(_per(r, "cpu_s") for r in runs),
                           "envoy_cpu_ms": statistics.median(_per(r, "envoy_cpu_s") for r in runs),
                           "instances_cpu_ms": statistics.median(_per(r, "instances_cpu_s") for r in runs),
                           "latency_ms": summary([x for r in runs for x in r["latency_ms"]])}
        by_pair = {(r["pair"], r["side"]): r for r in mine}
        pairs = sorted({r["pair"] for r in mine})
        entry["client_cpu_ratio_pairs"] = [_per(by_pair[p, "current"], "cpu_s") / _per(by_pair[p, "baseline"], "cpu_s")
                                           for p in pairs]
        entry["client_cpu_ratio_median"] = statistics.median(entry["client_cpu_ratio_pairs"])
        entry["wall_ratio_pairs"] = [by_pair[p, "current"]["wall_s"] / by_pair[p, "baseline"]["wall_s"] for p in pairs]
        entry["wall_ratio_median"] = statistics.median(entry["wall_ratio_pairs"])
        out[phase] = entry
    return out


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    fields = ["pair", "phase", "side", "operations", "requests", "cpu_s", "wall_s", "envoy_cpu_s", "instances_cpu_s"]
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def report(result: dict[str, Any]) -> str:
    lines = [f"current {result['git_revision']} against baseline {result['params']['baseline']}, "
             f"{result['params']['pairs']} pairs; CPU in ms (median of runs), ratio current/baseline (median of pairs)"]
    for phase, s in result["summary"].items():
        b, c = s["baseline"], s["current"]
        lines.append(f"{phase:9} {s['unit']:11} client {b['client_cpu_ms']:.3f} -> {c['client_cpu_ms']:.3f} "
                     f"(x{s['client_cpu_ratio_median']:.3f}; pairs {', '.join(f'{x:.2f}' for x in s['client_cpu_ratio_pairs'])}), "
                     f"Envoy {b['envoy_cpu_ms']:.3f} / {c['envoy_cpu_ms']:.3f}, instances {b['instances_cpu_ms']:.3f} / "
                     f"{c['instances_cpu_ms']:.3f}, p50 {b['latency_ms']['p50']:.3f} / {c['latency_ms']['p50']:.3f} ms, "
                     f"wall x{s['wall_ratio_median']:.3f}")
    return "\n".join(lines)


def _plot(path: Path, result: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(PHASES), figsize=(14, 4))
    for ax, (phase, s) in zip(axes, result["summary"].items(), strict=True):
        parts = ("client_cpu_ms", "envoy_cpu_ms", "instances_cpu_ms")
        for k, side in enumerate(("baseline", "current")):
            bottom = 0.0
            for part, color in zip(parts, ("#4c72b0", "#dd8452", "#55a868"), strict=True):
                value = s[side][part]
                ax.bar(k, value, bottom=bottom, color=color, label=part.replace("_cpu_ms", "") if k == 0 else None)
                bottom += value
        ax.set_xticks([0, 1], [f"baseline\n{result['params']['baseline']}", f"current\n{result['git_revision']}"])
        ax.set_title(f"{phase}: client x{s['client_cpu_ratio_median']:.2f}", fontsize=10)
        ax.set_ylabel(f"CPU ms {s['unit']}")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"puma bench clients: {result['params']['pairs']} pairs, alternating ({result['machine']['cores']} cores)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(args: argparse.Namespace) -> None:
    run(Path(args.out), args.baseline, args.pairs, args.calls, args.maps, args.large_items, args.large_maps)

