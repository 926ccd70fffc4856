"""From the raw results of ``loadtests.runner`` to figures, files and plots.

``step_rows(run)`` is pure (one row per step: turn latency p50/p95/p99, conversations/s,
failures by kind, CPU per component); ``write(out, result)`` writes ``loadtests.json``,
``steps.csv``, ``failures.csv``, ``cpu.csv``, ``instances.csv``, ``turns.csv``,
``summary.md`` and the plots ``latency.png``, ``throughput.png`` and ``instances.png``; and, when
they ran, the fault and cores steps' files (``loadtests.steps_report``).
"""

from __future__ import annotations

import csv
import logging
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from loadtests import steps_report
from loadtests.checks import KINDS
from puma.bench.common import percentile, write_json

log = logging.getLogger(__name__)

P99_GOAL_MS = 250.0
THROUGHPUT_GOAL = 1.5
COLORS = {"legacy": "#c44e52", "puma": "#4c72b0"}
MAX_FAILURE_ROWS = 500


def step_rows(run: dict[str, Any]) -> list[dict[str, Any]]:
    """One row of figures per step of ``run`` (see the module doc)."""
    return [_row(run, w) for w in run["windows"]]


def _row(run: dict[str, Any], w: dict[str, float]) -> dict[str, Any]:
    measured_s = w["end_s"] - w["measure_from_s"]
    latencies = [ms for t, ms, ok in run["turns"] if ok and w["measure_from_s"] <= t < w["end_s"]]
    done = [c for c in run["conversations"] if w["measure_from_s"] <= c["t"] < w["end_s"]]
    in_step = [c for c in run["conversations"] if w["start_s"] <= c["t"] < w["end_s"]]
    return {
        "users": w["users"], "step_s": round(w["end_s"] - w["start_s"], 2), "measured_s": round(measured_s, 2),
        "turns": len(latencies),
        "turns_per_s": round(len(latencies) / measured_s, 2),
        **{f"turn_p{q}_ms": round(percentile(latencies, q), 2) for q in (50, 95, 99)},
        "failed_requests": sum(1 for t, _, ok in run["turns"] if not ok and w["start_s"] <= t < w["end_s"]),
        "conversations": len(done), "conversations_per_s": round(len(done) / measured_s, 3),
        "failures": failures_by_kind(in_step),
        "cpu_cores": cpu_cores(run["cpu"], w["measure_from_s"], w["end_s"]),
    } | _cpu_per_turn(run, w, len(latencies) / measured_s)


def _cpu_per_turn(run: dict[str, Any], w: dict[str, float], turns_per_s: float) -> dict[str, Any]:
    """Server CPU milliseconds per turn (the load generator left out)."""
    cores = cpu_cores(run["cpu"], w["measure_from_s"], w["end_s"])
    server = sum(v for k, v in cores.items() if k != "load generator")
    return {"server_cpu_ms_per_turn": round(1000 * server / turns_per_s, 2) if turns_per_s else None}


def failures_by_kind(conversations: list[dict[str, Any]]) -> dict[str, int]:
    counts = Counter(f["kind"] for c in conversations for f in c["failures"])
    return {kind: counts.get(kind, 0) for kind in KINDS}


def cpu_cores(samples: list[dict[str, Any]], start_s: float, end_s: float) -> dict[str, float]:
    """Average cores used per component between two times, from the per-process cumulative
    CPU seconds of the samples; a process that appears inside the window counts from zero."""
    inside = [s for s in samples if start_s <= s["t"] <= end_s]
    if len(inside) < 2:
        return {}
    first_seen: dict[str, float] = {}
    last_seen: dict[str, tuple[str, float]] = {}
    for sample in inside:
        for pid, (label, seconds) in sample["cpu_s"].items():
            first_seen.setdefault(pid, seconds if sample is inside[0] else 0.0)
            last_seen[pid] = (label, seconds)
    span = inside[-1]["t"] - inside[0]["t"]
    used: dict[str, float] = defaultdict(float)
    for pid, (label, seconds) in last_seen.items():
        used[label] += max(0.0, seconds - first_seen[pid])
    return {label: round(v / span, 3) for label, v in sorted(used.items())}


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """Per target: its step rows, totals and goals; plus the comparison of the two."""
    targets = {}
    for name, run in result["runs"].items():
        rows = step_rows(run)
        targets[name] = {
            **step_figures(rows), "failures": failures_by_kind(run["conversations"]),
            "conversations_total": len(run["conversations"]),
            "retried_turns": sum(c["retries"] for c in run["conversations"]),
            "mesh_requests_per_turn": mesh_fan_out(run["instances"]),
        }
    return {"targets": targets, "goals": _goals(targets)}


MIN_SATURATION_CONVERSATIONS = 10  # per step, at the best step and the next: fewer is noise, not a peak


def step_figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """From one target's step rows: `steps`, `max_users_p99_under_goal`, `saturation` (the best
    step), `enough_data` (the best step and the next were long enough and completed enough
    conversations to compare) and `saturated` (with enough data, a later step served no more than
    the best: else it was still rising, or the run cannot tell)."""
    at = max(range(len(rows)), key=lambda i: rows[i]["conversations_per_s"])
    best = rows[at]
    enough = all(r.get("conversations", MIN_SATURATION_CONVERSATIONS) >= MIN_SATURATION_CONVERSATIONS
                 and _step_length(r) >= SHORT_STEP_S for r in rows[at:at + 2])
    return {"steps": rows, "max_users_p99_under_goal": _max_users_under_goal(rows),
            "saturation": {"users": best["users"], "conversations_per_s": best["conversations_per_s"]},
            "enough_data": enough, "saturated": enough and best["users"] != rows[-1]["users"]}


def _step_length(row: dict[str, Any]) -> float:
    """The step's length in seconds as --step-seconds gave it (the words advise "steps of at least
    30 s", and a 30 s step measures only its last 22 s after the warm-up), to the second: the
    runner's clock ends a step a few milliseconds early. Rows without `step_s` give their measured
    window."""
    return round(row.get("step_s", row.get("measured_s", SHORT_STEP_S)))


def mesh_fan_out(samples: list[dict[str, Any]], entry: str = "agent") -> dict[str, float]:
    """Requests each service served per request to ``entry`` over the run (Envoy's counters)."""
    if len(samples) < 2:
        return {}
    first, last = samples[0]["services"], samples[-1]["services"]
    turns = last[entry]["requests_total"] - first[entry]["requests_total"]
    if turns <= 0:
        return {}
    return {name: round((s["requests_total"] - first.get(name, {}).get("requests_total", 0)) / turns, 2)
            for name, s in sorted(last.items()) if name != entry}


def under_goal(p99_ms: float) -> bool:
    """Whether a p99 is under the goal as the tables print it (0.1 ms): 249.96 prints as 250.0,
    so it is not under, and no sentence says "< 250 ms" beside a "250.0" in the table."""
    return round(p99_ms, 1) < P99_GOAL_MS


def _max_users_under_goal(rows: list[dict[str, Any]]) -> int:
    """The highest step up to which every step kept p99 turn latency under the goal."""
    best = 0
    for row in rows:
        if not under_goal(row["turn_p99_ms"]):
            break
        best = row["users"]
    return best


def _goals(targets: dict[str, Any]) -> dict[str, Any]:
    if not {"legacy", "puma"} <= set(targets):
        return {}
    legacy, puma = targets["legacy"], targets["puma"]
    ratio = puma["saturation"]["conversations_per_s"] / max(legacy["saturation"]["conversations_per_s"], 1e-9)
    # A goal is judged only from what the run measured (None: not measured): throughput at
    # saturation needs both to saturate; "p99 under the goal at a higher concurrency" needs a step
    # where at least one of them went over it.
    both_saturated = puma["saturated"] and legacy["saturated"]
    last = [t["steps"][-1]["users"] for t in (puma, legacy) if t["steps"]]
    crossed = any(t["max_users_p99_under_goal"] < n for t, n in zip((puma, legacy), last, strict=False))
    return {
        "p99_under_250ms_at_higher_concurrency":
            puma["max_users_p99_under_goal"] > legacy["max_users_p99_under_goal"] if crossed else None,
        "saturation_throughput_ratio": round(ratio, 3),
        "throughput_at_least_1_5x": ratio >= THROUGHPUT_GOAL if both_saturated else None,
        "zero_correctness_failures": not any(sum(t["failures"].values()) for t in targets.values()),
    }


def write(out: Path, result: dict[str, Any]) -> dict[str, Any]:
    """Write every file of the report into ``out``; returns the summary."""
    figures = summary(result)
    data = {k: v for k, v in result.items() if k != "runs"} | figures
    data["instances"] = {n: r["instances"] for n, r in result["runs"].items() if r["instances"]}
    data["failed_conversations"] = {n: [c for c in r["conversations"] if c["failures"]][:MAX_FAILURE_ROWS]
                                    for n, r in result["runs"].items()}
    write_json(out / "loadtests.json", data)
    _write_csvs(out, result, figures)
    (out / "summary.md").write_text(markdown(data))
    _plot(out, figures, result)
    steps_report.write(out, data)
    written = sorted(p.name for p in out.iterdir() if p.is_file() and not p.name.startswith("chatbot.sqlite3"))
    # The report's files (not the database the run used), where they are: summary.md to read first.
    log.info("wrote %s into %s (read %s first)", ", ".join(written), out.resolve(), out.resolve() / "summary.md")
    return figures


def _write_csvs(out: Path, result: dict[str, Any], figures: dict[str, Any]) -> None:
    steps = [{"target": n, **{k: v for k, v in r.items() if k not in ("failures", "cpu_cores")},
              **{f"failures_{k}": v for k, v in r["failures"].items()}}
             for n, t in figures["targets"].items() for r in t["steps"]]
    _csv(out / "steps.csv", steps)
    _csv(out / "failures.csv", [{"target": n, "t_s": round(c["t"], 2), "persona": c["persona"],
                                 "session_id": c["session_id"], **f}
                                for n, r in result["runs"].items() for c in r["conversations"]
                                for f in c["failures"]][:MAX_FAILURE_ROWS], ["target", "t_s", "persona", "session_id", "kind", "detail"])
    _csv(out / "cpu.csv", [{"target": n, "users": r["users"], "component": k, "cores": v}
                           for n, t in figures["targets"].items() for r in t["steps"]
                           for k, v in r["cpu_cores"].items()], ["target", "users", "component", "cores"])
    _csv(out / "instances.csv", [{"t_s": s["t"], "service": name, **v}
                                 for r in result["runs"].values() for s in r["instances"]
                                 for name, v in s["services"].items()],
         ["t_s", "service", "ready", "in_flight", "requests_total"])
    _csv(out / "turns.csv", [{"target": n, "t_s": round(t, 3), "ms": round(ms, 2), "ok": ok}
                             for n, r in result["runs"].items() for t, ms, ok in r["turns"]],
         ["target", "t_s", "ms", "ok"])


def _csv(path: Path, rows: list[dict[str, Any]], fields: list[str] | None = None) -> None:
    with open(path, "w", newline="") as f:
        names = fields if fields is not None else list(rows[0]) if rows else []
        writer = csv.DictWriter(f, fieldnames=names)
        writer.writeheader()
        writer.writerows(rows)


def markdown(data: dict[str, Any]) -> str:
    """The Markdown summary: conditions, the side-by-side table, goals, failures, CPU."""
    targets = data["targets"]
    lines = [f"# Session-level load test: {' vs '.join(targets)}", "",
             f"git {data['git_revision']}, {data['machine']['cores']} cores, started {data['started']}; "
             f"load average before {_loads(data['load_average_before'])}, after {_loads(data['load_average_after'])}.",
             f"Database {data.get('database')}; PUMA session store {data.get('session_store')}.",
             f"Profile: steps {data['params']['steps']} concurrent conversations, {data['params']['step_s']:.0f} s each "
             f"(first {data['params']['settle_s']:.0f} s not measured); think time "
             f"{data['params']['think_min_s']}-{data['params']['think_max_s']} s.", "",
             *_side_by_side(targets), "", *_goal_lines(data), "", *steps_report.lines(data), "## Failures by kind", "",
             "| target | conversations | " + " | ".join(KINDS) + " | retried turns |",
             "|---|---:|" + "---:|" * len(KINDS) + "---:|"]
    for name, t in targets.items():
        lines.append(f"| {name} | {t['conversations_total']} | "
                     + " | ".join(str(t["failures"][k]) for k in KINDS) + f" | {t['retried_turns']} |")
    for name, t in targets.items():
        if t.get("mesh_requests_per_turn"):
            calls = ", ".join(f"{k} {v:.2f}" for k, v in t["mesh_requests_per_turn"].items() if v)
            lines += ["", f"{name}: requests through Envoy per /agent request: {calls}"]
    lines += ["", "## CPU (cores) per component, by step", ""]
    for name, t in targets.items():
        for row in t["steps"]:
            parts = ", ".join(f"{k} {v:.2f}" for k, v in sorted(row["cpu_cores"].items(), key=lambda kv: -kv[1]))
            lines.append(f"- {name} @ {row['users']} users: {parts}; "
                         f"server CPU per turn {row['server_cpu_ms_per_turn']} ms")
    return "\n".join(lines) + "\n"


def _side_by_side(targets: dict[str, Any]) -> list[str]:
    names = list(targets)
    head = "| users | " + " | ".join(f"{n} p50 / p95 / p99 ms | {n} conv/s" for n in names) + " |"
    lines = [head, "|---:|" + "---:|---:|" * len(names)]
    for i, row in enumerate(targets[names[0]]["steps"]):
        cells = []
        for n in names:
            r = targets[n]["steps"][i] if i < len(targets[n]["steps"]) else None
            cells.append("-- | --" if r is None else
                         f"{r['turn_p50_ms']:.1f} / {r['turn_p95_ms']:.1f} / {r['turn_p99_ms']:.1f} | "
                         f"{r['conversations_per_s']:.2f}")
        lines.append(f"| {row['users']} | " + " | ".join(cells) + " |")
    return lines


def _goal_lines(data: dict[str, Any]) -> list[str]:
    targets, goals = data["targets"], data["goals"]
    lines = [f"- {n}: {_p99_words(t)}; {_throughput_words(t)}" for n, t in targets.items()]
    if goals:
        throughput, p99 = goals["throughput_at_least_1_5x"], goals["p99_under_250ms_at_higher_concurrency"]
        ratio = f"{goals['saturation_throughput_ratio']:.2f}x"
        lines += [f"- PUMA / legacy conversations/s at saturation (goal >= {THROUGHPUT_GOAL}x): "
                  + (f"{ratio}, {_verdict(throughput)}" if throughput is not None else
                     f"not measured: {_too_little(targets)}, so this run shows no saturation throughput "
                     f"(highest-step ratio {ratio}); run longer steps (--step-seconds {SHORT_STEP_S:.0f} or more)"
                     if not all(t.get("enough_data", True) for t in targets.values()) else
                     f"not measured: {_unsaturated(targets)} saturated, so this run shows no saturation "
                     f"throughput (highest-step ratio {ratio}); raise --steps"),
                  f"- p99 < {P99_GOAL_MS:.0f} ms at a higher concurrency than legacy: "
                  + (_short_run_caveat(data) or _verdict(p99) if p99 is not None else
                     f"not measured: p99 stayed under {P99_GOAL_MS:.0f} ms at every step of both; raise --steps"),
                  f"- zero correctness failures: {_verdict(goals['zero_correctness_failures'])}"]
    return ["## Goals", "", *lines]


SHORT_STEP_S = 30.0  # shorter steps hold too few turns for a p99 that is not the first turns' warm-up


def _short_run_caveat(data: dict[str, Any]) -> str:
    """For steps shorter than SHORT_STEP_S, the p99 verdict instead of "met" / "NOT met": not measured,
    and why (README's short run); "" for longer steps."""
    step_s = data.get("params", {}).get("step_s")
    if step_s is None or step_s >= SHORT_STEP_S:
        return ""
    return (f"not measured: a short run ({step_s:.0f} s steps hold a few dozen turns, so a p99 is the slowest one "
            f"or two, often the first turns after start-up); run steps of {SHORT_STEP_S:.0f} s or more for one")


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def _too_little(targets: dict[str, Any]) -> str:
    short = [name for name, t in targets.items() if not t.get("enough_data", True)]
    return f"too little data per step for {' and '.join(short)} to name a saturation point"


def _unsaturated(targets: dict[str, Any]) -> str:
    """'neither deployment', or which one, has not saturated."""
    rising = [name for name, t in targets.items() if not t["saturated"]]
    return "neither deployment" if len(rising) == len(targets) else f"{' and '.join(rising)} not"


def _p99_words(target: dict[str, Any]) -> str:
    """Which steps kept p99 turn latency under the goal and which did not, each with its figure,
    from the same step rows as the table: `p99 turn latency < 250 ms at 1 user (37.0 ms), 2 users
    (55.1 ms); >= 250 ms at 4 users (310.2 ms)`. Steps that share a side are grouped, the
    group of the first step first."""
    steps = target["steps"]
    if not steps:
        return "p99 turn latency not measured (no step ran)"
    under = [s for s in steps if under_goal(s["turn_p99_ms"])]
    over = [s for s in steps if not under_goal(s["turn_p99_ms"])]
    every = len(steps) > 1
    parts = [f"{sign} {P99_GOAL_MS:.0f} ms {'at every step: ' if every and len(group) == len(steps) else 'at '}"
             + ", ".join(f"{_users(s['users'])} ({s['turn_p99_ms']:.1f} ms)" for s in group)
             for sign, group in sorted((("<", under), (">=", over)), key=lambda g: steps.index(g[1][0]) if g[1] else 0)
             if group]
    return "p99 turn latency " + "; ".join(parts)


def _users(n: int) -> str:
    return f"{n} user{'' if n == 1 else 's'}"


def _throughput_words(target: dict[str, Any]) -> str:
    """The highest throughput, and whether it is a saturation (a later step served no more) or
    only the last step's (throughput still rising: more users would have served more)."""
    best, steps = target["saturation"], target["steps"]
    figure = f"{best['conversations_per_s']:.2f} conversations/s at {_users(best['users'])}"
    if not target.get("enough_data", True):
        done = next((s.get("conversations") for s in steps if s["users"] == best["users"]), None)
        held = f": {done} conversation{'' if done == 1 else 's'} completed in its step" if done is not None else ""
        return (f"highest throughput {figure}{held}; too little data to name a saturation point (steps of at "
                f"least {SHORT_STEP_S:.0f} s with {MIN_SATURATION_CONVERSATIONS}+ conversations each can)")
    if steps and best["users"] == steps[-1]["users"]:
        return f"highest throughput {figure}, the last step (not saturated: still rising)"
    return f"saturation {figure}"


def _loads(values: Any) -> str:
    return " ".join(f"{v:.1f}" for v in values)


def _plot(out: Path, figures: dict[str, Any], result: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    title = f"@ {result['git_revision']} ({result['machine']['cores']} cores)"
    _plot_vs_users(plt, out / "latency.png", figures, f"turn latency vs concurrency {title}")
    _plot_vs_users(plt, out / "throughput.png", figures, f"conversations/s vs concurrency {title}",
                   throughput=True)
    puma = result["runs"].get("puma")
    if puma and puma["instances"]:
        _plot_instances(plt, out / "instances.png", puma, f"PUMA instances per service {title}")


def _plot_vs_users(plt: Any, path: Path, figures: dict[str, Any], title: str, throughput: bool = False) -> None:
    fig, ax = plt.subplots(figsize=(8, 5))
    for name, t in figures["targets"].items():
        users = [r["users"] for r in t["steps"]]
        if throughput:
            ax.plot(users, [r["conversations_per_s"] for r in t["steps"]], "o-", color=COLORS.get(name), label=name)
        else:
            ax.plot(users, [r["turn_p99_ms"] for r in t["steps"]], "o-", color=COLORS.get(name), label=f"{name} p99")
            ax.plot(users, [r["turn_p50_ms"] for r in t["steps"]], "o--", color=COLORS.get(name), alpha=0.6,
                    label=f"{name} p50")
    if not throughput:
        ax.axhline(P99_GOAL_MS, color="grey", linestyle=":", label=f"p99 goal {P99_GOAL_MS:.0f} ms")
        ax.set_yscale("log")
    steps_report.count_axis(ax, [r["users"] for t in figures["targets"].values() for r in t["steps"]])
    ax.set_xlabel("concurrent conversations")
    ax.set_ylabel("conversations / s" if throughput else "turn latency (ms)")
    ax.set_title(title, fontsize=10)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_instances(plt: Any, path: Path, run: dict[str, Any], title: str) -> None:
    fig = instances_figure(plt, run, title)
    fig.savefig(path, dpi=110)
    plt.close(fig)


STYLES = [("-", "o"), ("--", "s"), (":", "^"), ("-.", "D"), ("-", "v"), ("--", "x"), (":", "+"), ("-.", "*")]


def instances_figure(plt: Any, run: dict[str, Any], title: str) -> Any:
    """Ready instances of each service on a panel of its own (on one axis, services at the same
    count hid each other), then in-flight requests, each service in its own line style and marker."""
    samples = run["instances"]
    names = sorted({n for s in samples for n in s["services"]})
    fig, axes = plt.subplots(len(names) + 1, 1, figsize=(10, 1.1 * len(names) + 3), sharex=True,
                             gridspec_kw={"height_ratios": [1] * len(names) + [3]})
    t = [s["t"] for s in samples]
    for ax, name in zip(axes, names, strict=False):
        ready = [s["services"].get(name, {}).get("ready", 0) for s in samples]
        ax.step(t, ready, where="post", color="#4c72b0")
        ax.set_ylim(-0.2, max(1, *ready) + 0.4)
        ax.yaxis.get_major_locator().set_params(integer=True)
        note = "  (none ready during this run)" if not any(ready) else ""
        ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
        ax.text(0.995, 0.9, f"ready instances{note}", transform=ax.transAxes, ha="right", va="top", fontsize=7,
                color="grey")
    flight = axes[-1]
    for i, name in enumerate(names):
        line, marker = STYLES[i % len(STYLES)]
        flight.plot(t, [s["services"].get(name, {}).get("in_flight", 0) for s in samples], linestyle=line,
                    marker=marker, markevery=max(1, len(t) // 12), markersize=4, label=name)
    for w in run["windows"]:
        for ax in axes:
            ax.axvline(w["start_s"], color="grey", alpha=0.4, linestyle=":")
        axes[0].annotate(f" {w['users']} users", (w["start_s"], 1.02), xycoords=("data", "axes fraction"),
                         fontsize=8, color="grey")
    flight.set_ylabel("in-flight (Envoy)")
    flight.set_xlabel("seconds")
    flight.legend(loc="upper left", fontsize=8, ncol=4)
    axes[0].set_title(title, fontsize=10, pad=14)
    fig.tight_layout()
    return fig
