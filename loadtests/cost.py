"""Server CPU per turn, per component, of both deployments — and of two code trees, A/B.

``python -m loadtests cost --out DIR [--users 32] [--seconds 20] [--rounds 2] [--baseline CHECKOUT] [--warm]``
holds ``--users`` concurrent conversations against each deployment (legacy, PUMA) for
``--seconds`` (the first quarter not measured), reads every process's CPU time from /proc
around the window, and divides each component's CPU by the turns answered in it: milliseconds
of server CPU per turn, split by component (agent, db, policy, sentiment, listener, Envoy,
supervisor; the load generator apart). With ``--baseline`` (another checkout, e.g. ``git
worktree add /tmp/base main``) the same runs happen for that tree too, the trees alternating
in ABBA order round after round, so both see the same machine; the figures to read are the
ratios of interleaved pairs. Writes ``cost.json`` (every run, the medians, the ratios, both
git revisions, the load average before each run) and ``cost.png`` (stacked bars).
Example: ``python -m loadtests cost --out bench-out/cost --baseline /tmp/base --rounds 2``.
Locust (which patches the standard library for gevent) is imported only when runs start.
"""

from __future__ import annotations

import contextlib
import logging
import os
import statistics
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from loadtests.deployments import ROOT, start
from loadtests.report import cpu_cores, step_rows
from loadtests.samplers import cpu_by_component

log = logging.getLogger(__name__)

LOAD_GENERATOR = "load generator"


@dataclass(frozen=True)
class CostProfile:
    """One bounded run per deployment and tree (times in seconds)."""

    users: int = 32
    seconds: float = 20.0
    rounds: int = 2
    think_min_s: float = 0.1
    think_max_s: float = 0.5
    idle_s: float = 5.0
    warm: bool = False  # start every deployment once, then alternate the load between them

    def load(self) -> Any:
        from loadtests import runner

        return runner.Profile(steps=(self.users,), step_s=self.seconds, settle_s=self.seconds / 4,
                              drain_s=10.0, think_min_s=self.think_min_s, think_max_s=self.think_max_s)


def per_turn(run: dict[str, Any]) -> dict[str, Any]:
    """Milliseconds of CPU per answered turn by component, and the server's total, of one run."""
    window = run["windows"][0]
    row = step_rows(run)[0]
    cores = cpu_cores(run["cpu"], window["measure_from_s"], window["end_s"])
    rate = row["turns_per_s"] or float("nan")
    ms = {label: round(1000 * c / rate, 3) for label, c in sorted(cores.items())}
    server = round(sum(v for k, v in ms.items() if k != LOAD_GENERATOR), 3)
    return {"turns": row["turns"], "turns_per_s": row["turns_per_s"], "turn_p50_ms": row["turn_p50_ms"],
            "failed_requests": row["failed_requests"], "failures": row["failures"],
            "ms_per_turn": ms, "server_ms_per_turn": server}


def idle_cores(root_pid: int, seconds: float) -> dict[str, float]:
    """Cores each component uses with no load at all (health checks, the supervisor's rounds):
    the part of the per-turn figure that falls as turns per second rise."""
    read = cpu_by_component(root_pid)
    first = {"t": 0.0, **read()}
    time.sleep(seconds)
    return cpu_cores([first, {"t": seconds, **read()}], 0.0, seconds)


def measure(out: Path, profile: CostProfile, database_url: str, baseline: Path | None,
            targets: tuple[str, ...]) -> dict[str, Any]:
    """Every (round, tree, target) run in ABBA order; the raw figures of each. With
    ``profile.warm`` every deployment starts once and stays up, and the runs alternate between
    them: a pair is seconds apart, not a start-up apart (the idle ones use ~0.003 cores)."""
    from loadtests import runner  # imports Locust, which patches the standard library for gevent

    trees = {"current": ROOT} | ({"baseline": baseline.resolve()} if baseline else {})
    logs = out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    runs: list[dict[str, Any]] = []
    with contextlib.ExitStack() as stack:
        started: dict[tuple[str, str], Any] = {}
        if profile.warm:
            for tree in trees:
                for target in targets:
                    started[(tree, target)] = stack.enter_context(
                        start(target, database_url, logs, trees[tree], f"{target}-{tree}.log"))
        for round_no in range(profile.rounds):
            order = list(trees) if round_no % 2 == 0 else list(reversed(trees))
            for tree in order:
                for target in targets:
                    load_before = os.getloadavg()
                    with contextlib.ExitStack() as one:
                        dep = started.get((tree, target)) or one.enter_context(
                            start(target, database_url, logs, trees[tree], f"{target}-{tree}-{round_no}.log"))
                        idle = idle_cores(dep.proc.pid, profile.idle_s)
                        raw = runner.drive(dep, profile.load())
                    figures = per_turn(raw) | {"idle_cores": idle}
                    log.info("round %d %s %s: %.2f ms server CPU per turn (%s turns/s)", round_no, tree,
                             target, figures["server_ms_per_turn"], figures["turns_per_s"])
                    runs.append({"round": round_no, "tree": tree, "target": target,
                                 "load_average_before": load_before, **figures})
    return {"trees": {name: {"path": str(path), "git_revision": _revision(path)} for name, path in trees.items()},
            "runs": runs}


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians per (tree, target) and component; ratios of interleaved pairs."""
    medians: dict[str, dict[str, Any]] = {}
    for key in sorted({(r["tree"], r["target"]) for r in runs}):
        mine = [r for r in runs if (r["tree"], r["target"]) == key]
        labels = sorted({label for r in mine for label in r["ms_per_turn"]})
        medians[f"{key[0]}/{key[1]}"] = {
            "server_ms_per_turn": round(statistics.median(r["server_ms_per_turn"] for r in mine), 3),
            "turns_per_s": round(statistics.median(r["turns_per_s"] for r in mine), 2),
            "ms_per_turn": {label: round(statistics.median(r["ms_per_turn"].get(label, 0.0) for r in mine), 3)
                            for label in labels},
            "idle_server_cores": round(statistics.median(
                sum(v for k, v in r["idle_cores"].items() if k != LOAD_GENERATOR) for r in mine), 4)}
    return {"medians": medians, "ratios": _ratios(runs)}


def _ratios(runs: list[dict[str, Any]]) -> dict[str, list[float]]:
    """Per round: PUMA / legacy within a tree, and current / baseline within a target."""
    ratios: dict[str, list[float]] = {}
    by = {(r["round"], r["tree"], r["target"]): r["server_ms_per_turn"] for r in runs}
    for (round_no, tree, target), value in sorted(by.items()):
        if target == "puma" and (round_no, tree, "legacy") in by:
            ratios.setdefault(f"{tree}: puma/legacy", []).append(round(value / by[(round_no, tree, "legacy")], 3))
        if tree == "current" and (round_no, "baseline", target) in by:
            ratios.setdefault(f"{target}: current/baseline", []).append(
                round(value / by[(round_no, "baseline", target)], 3))
    return ratios


def main(out: Path, profile: CostProfile, database_url: str | None, baseline: Path | None,
         targets: tuple[str, ...]) -> dict[str, Any]:
    from loadtests import runner
    from puma.bench.common import run_info, write_json

    (out / "logs").mkdir(parents=True, exist_ok=True)
    url = database_url or runner.prepared_db(out, out / "logs")
    result = run_info("loadtests.cost", **asdict(profile), targets=list(targets))
    result["load_average_before"] = os.getloadavg()
    result |= measure(out, profile, url, baseline, targets)
    result["load_average_after"] = os.getloadavg()
    result |= summarise(result["runs"])
    write_json(out / "cost.json", result)
    _plot(out / "cost.png", result)
    return result


def markdown(result: dict[str, Any]) -> str:
    """The medians as a table: one row per tree/target, one column per component."""
    labels = _shown_labels(result["medians"])
    lines = ["| run | server ms/turn | turns/s | idle server cores | " + " | ".join(labels) + " |",
             "|---|---:|---:|---:|" + "---:|" * len(labels)]
    for key, m in result["medians"].items():
        cells = " | ".join(f"{m['ms_per_turn'].get(label, 0.0):.2f}" for label in labels)
        lines.append(f"| {key} | {m['server_ms_per_turn']:.2f} | {m['turns_per_s']:.1f} | "
                     f"{m['idle_server_cores']:.3f} | {cells} |")
    lines += [f"- {name}: {values}" for name, values in result["ratios"].items()]
    return "\n".join(lines)


def _shown_labels(medians: dict[str, Any]) -> list[str]:
    """The server's components that used any CPU (processes a deployment does not have left out)."""
    return sorted({label for m in medians.values() for label, ms in m["ms_per_turn"].items()
                   if ms >= 0.005} - {LOAD_GENERATOR})


def _plot(path: Path, result: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    medians = result["medians"]
    labels = _shown_labels(medians)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    bottoms = [0.0] * len(medians)
    for label in labels:
        heights = [m["ms_per_turn"].get(label, 0.0) for m in medians.values()]
        ax.bar(list(medians), heights, bottom=bottoms, label=label)
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    ax.set_ylabel("server CPU per turn (ms)")
    ax.set_title(f"CPU per turn by component, git {result['git_revision']}, {result['machine']['cores']} cores")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _revision(path: Path) -> str:
    done = subprocess.run(["git", "-C", str(path), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True, timeout=10, check=False)
    return done.stdout.strip() or "unknown"
