"""The fault and cores steps in the report: Markdown beside the throughput table, CSV, plots.

``lines(data)`` gives the Markdown sections (none for a step that did not run); ``write(out, data)``
writes ``faults.csv`` and ``faults.png`` (answered turns per second around each kill) and
``cores.csv`` and ``cores.png`` (throughput against CPUs, measured and predicted).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

COLORS = {"legacy": "#c44e52", "agent": "#4c72b0", "db": "#55a868"}
TARGET_COLORS = {"legacy": "#c44e52", "puma": "#4c72b0"}
WHAT_IS_LOST = {
    "legacy": "the monolith's process: every conversation it held (they live in its memory)",
    "agent": "one of 3 agent instances: the turns it was computing (sessions live in the database)",
    "db": "the only db instance: the catalogue queries in flight until its replacement serves",
}


def lines(data: dict[str, Any]) -> list[str]:
    return _fault_lines(data.get("fault_step")) + _cores_lines(data.get("cores_step"))


def _fault_lines(step: dict[str, Any] | None) -> list[str]:
    if not step:
        return []
    p = step["params"]
    out = ["## Fault step", "",
           f"{p['users']} conversations for {p['step_s']:.0f} s, SIGKILL at {p['kill_at_s']:.0f} s, each fault in a "
           + ("fresh run" if p.get("fresh_deployments", True) else "run on the throughput steps' deployment, after them")
           + "; the monolith is restarted at once on its port (as `Restart=always` would). Recovered: the "
           "first 1 s answering 80% of the turns/s before the kill.", "",
           "| killed | what it held | turns/s before | turn requests failed | turns unanswered | conversations lost "
           "(of those in progress at the kill) | begun after it and failed | recovered after |",
           "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in step["runs"]:
        if "error" in r:
            out.append(f"| {r['fault']} | {r['error']} | | | | | | |")
            continue
        restart = f" (restart {r['killed']['restart_s']:.1f} s)" if "restart_s" in r.get("killed", {}) else ""
        recovered = "never in the run" if r["recovery_s"] is None else f"{r['recovery_s']:.1f} s"
        out.append(f"| {r['fault']} | {WHAT_IS_LOST[r['fault']]} | {r['turns_per_s_before']:.1f} | "
                   f"{r['turn_requests_failed']} | {r['turns_unanswered']} | {r['conversations_lost']} of "
                   f"{r['conversations_in_progress']} {_kinds(r['lost_by_kind'])} | {r['conversations_failed_after']} | "
                   f"{recovered}{restart} |")
    return out + [""]


def _kinds(kinds: dict[str, int]) -> str:
    return f"({', '.join(f'{k} {v}' for k, v in kinds.items())})" if kinds else ""


def _cores_lines(step: dict[str, Any] | None) -> list[str]:
    if not step:
        return []
    p = step["params"]
    out = ["## Cores step", "",
           f"{p['users']} conversations without think time for {p['step_s']:.0f} s (first {p['settle_s']:.0f} s not "
           "measured), each "
           + ("deployment pinned with taskset" if p.get("fresh_per_count", True) else
              "count on the throughput steps' deployment, every thread of it moved to the count's CPUs")
           + "; this machine offers "
           f"{step['machine_cpus']} CPUs.", "",
           "| target | CPUs | load generator | conversations/s | turns/s | server cores used | failed conversations |",
           "|---|---:|---|---:|---:|---:|---:|"]
    for r in step["rows"]:
        apart = f"apart (CPUs {r['load_generator_cpus']})" if r["load_generator_apart"] else "shares the CPUs"
        out.append(f"| {r['target']} | {r['cpus']} | {apart} | {r['conversations_per_s']:.2f} | {r['turns_per_s']:.1f} | "
                   f"{r['server_cores_used']:.2f} | {r['failed_conversations']} |")
    out += [f"- {s['reason']}" for s in step["skipped"]]
    for target, f in step["fits"].items():
        if f.get("per_added_core") is None:
            out.append(f"- {target}: no slope ({f.get('note')})")
            continue
        lin = ", ".join(f"{c}: {v:.1f}" for c, v in f["predicted_linear"].items())
        amd = ", ".join(f"{c}: {v:.1f}" for c, v in f["predicted_amdahl"].items() if v is not None)
        out.append(f"- {target}: **{f['per_added_core']:+.2f} conversations/s per added core**; serial fraction "
                   f"(Amdahl) {f['amdahl_serial_fraction']}; predicted conversations/s by the line {lin}; "
                   f"by Amdahl {amd or 'n/a'}")
    return out + [""]


def write(out: Path, data: dict[str, Any]) -> None:
    faults, cores = data.get("fault_step"), data.get("cores_step")
    if faults:
        _csv(out / "faults.csv", [{k: v for k, v in r.items() if k not in ("timeline", "lost_by_kind", "killed")}
                                  for r in faults["runs"]])
        _plot_faults(out / "faults.png", faults, data)
    if cores:
        _csv(out / "cores.csv", [{k: v for k, v in r.items() if k not in ("cpu_list", "load_generator_cpus")}
                                 for r in cores["rows"]])
        _plot_cores(out / "cores.png", cores, data)


def _csv(path: Path, rows: list[dict[str, Any]]) -> None:
    names = list(dict.fromkeys(k for r in rows for k in r))
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=names)
        writer.writeheader()
        writer.writerows(rows)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _plot_faults(path: Path, step: dict[str, Any], data: dict[str, Any]) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 5))
    for r in step["runs"]:
        if "timeline" not in r:
            continue
        t = [row["t_from_kill_s"] for row in r["timeline"]]
        ax.plot(t, [row["turns_per_s"] for row in r["timeline"]], color=COLORS.get(r["fault"]),
                label=f"{r['fault']} killed: {r['conversations_lost']} conversations lost, recovered "
                      f"{'never' if r['recovery_s'] is None else str(r['recovery_s']) + ' s'}")
        ax.plot(t, [row["failed_per_s"] for row in r["timeline"]], color=COLORS.get(r["fault"]), linestyle=":",
                alpha=0.7)
    ax.axvline(0, color="grey", linestyle="--")
    ax.set_xlabel("seconds from the SIGKILL")
    ax.set_ylabel("answered turns / s (dotted: failed turn requests / s)")
    ax.set_title(f"fault step @ {data['git_revision']} ({data['machine']['cores']} cores)", fontsize=10)
    _save(plt, fig, ax, path)


def _plot_cores(path: Path, step: dict[str, Any], data: dict[str, Any]) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5))
    for target, f in step["fits"].items():
        rows = [r for r in step["rows"] if r["target"] == target]
        color = TARGET_COLORS.get(target)
        ax.plot([r["cpus"] for r in rows], [r["conversations_per_s"] for r in rows], "o-", color=color,
                label=f"{target} measured")
        if f.get("per_added_core") is not None:
            last = rows[-1]
            for key, style in (("predicted_linear", "--"), ("predicted_amdahl", ":")):
                pred = [(int(c), v) for c, v in f[key].items() if v is not None]
                if pred:
                    ax.plot([last["cpus"]] + [c for c, _ in pred], [last["conversations_per_s"]] + [v for _, v in pred],
                            style, color=color, alpha=0.7, label=f"{target} {key.split('_')[1]} prediction")
    count_axis(ax, [r["cpus"] for r in step["rows"]])
    ax.set_xlabel("CPUs the deployment is pinned to")
    ax.set_ylabel("conversations / s")
    ax.set_title(f"cores step @ {data['git_revision']} ({data['machine']['cores']} cores here)", fontsize=10)
    _save(plt, fig, ax, path)


def count_axis(ax: Any, values: Sequence[float], axis: str = "x") -> None:
    """A log-2 axis of counts (users, CPUs) labelled as plain numbers at the values measured:
    1, 2, 4, 8 — never matplotlib's 2^0, 2^1 — and no minor ticks between them."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    scale = ax.xaxis if axis == "x" else ax.yaxis
    (ax.set_xscale if axis == "x" else ax.set_yscale)("log", base=2)
    scale.set_major_locator(FixedLocator(sorted({float(v) for v in values if v and v > 0})))
    scale.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:g}"))
    scale.set_minor_locator(NullLocator())


def _save(plt: Any, fig: Any, ax: Any, path: Path) -> None:
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
