"""The cores step: each deployment pinned to 1 CPU, then 2 (``--cpus``), under the same load.

For every count the deployment starts afresh under ``taskset`` (every process and thread it starts
inherits the CPU set); ``--quick`` (``fresh_per_count`` off) measures each count on the deployment
of the throughput steps instead, moving every thread of it to that count's CPUs (start-up is most
of a quick run's time, and a deployment reads no CPU count, so it serves the same pinned either way). ``users`` conversations
without think time (so they saturate it) are held for ``step_s`` seconds, and the answered
turns and conversations per second after ``settle_s`` are measured. The load generator (this
process) is pinned to the CPUs the deployment does not have when any are left, and shares them
otherwise (the result says which). A count above this machine's CPUs is skipped with a message,
so ``--cpus 1,2,4,8,16`` runs unchanged on any machine.

From the measured counts: the throughput each added core brought (slope of a least-squares line)
and two predictions for 4, 8 and 16 cores — that line, and Amdahl's law with the serial fraction
fitted to the measured speed-ups (the line is what perfect scaling of the measured slope gives;
Amdahl is what the measured loss of efficiency gives).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from loadtests import deployments
from loadtests.conversation import Settings
from loadtests.measures import turns_per_s
from loadtests.report import cpu_cores
from loadtests.samplers import descendants

log = logging.getLogger(__name__)

PREDICT_FOR = (4, 8, 16)


@dataclass(frozen=True)
class CoresProfile:
    cpus: tuple[int, ...] = (1, 2)
    users: int = 64
    think_s: float = 0.0  # none: the users saturate what the deployment's CPUs can serve
    step_s: float = 30.0
    settle_s: float = 8.0
    drain_s: float = 15.0
    fresh_per_count: bool = True  # False: one deployment per target, re-pinned for each count

    @classmethod
    def quick(cls) -> CoresProfile:
        return cls(users=16, step_s=6.0, settle_s=1.5, drain_s=6.0, fresh_per_count=False)


def available_cpus() -> list[int]:
    """The CPUs this process may run on, in order."""
    return sorted(os.sched_getaffinity(0))


def run(profile: CoresProfile, database_url: str, logs: Path, settings: Settings,
        targets: tuple[str, ...], measured: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Every target at every count of ``profile.cpus`` it can have here; rows, skips and fits.
    ``measured``: rows already taken on deployments that were running (``on_running``); their
    targets are not started again."""
    cpus = available_cpus()
    counts, skipped = _counts(profile, cpus)
    for skip in skipped:
        log.warning("cores step: %s", skip["reason"])
    rows = list(measured or [])
    todo = [t for t in targets if t not in {r["target"] for r in rows}]
    if profile.fresh_per_count:
        for count in counts:
            for target in todo:
                with deployments.start(target, database_url, logs, log_name=f"cores-{target}-{count}.log",
                                       cpus=cpus[:count]) as deployment:
                    rows.append(_measure(target, deployment, cpus[:count], cpus[count:], profile, settings))
    elif counts:
        for target in todo:
            with deployments.start(target, database_url, logs, log_name=f"cores-{target}.log",
                                   cpus=cpus[:counts[0]]) as deployment:
                rows += on_running(target, deployment, profile, settings)
    return {"rows": rows, "skipped": skipped, "machine_cpus": len(cpus),
            "fits": {t: fit([(r["cpus"], r["conversations_per_s"]) for r in rows if r["target"] == t])
                     for t in targets}}


def on_running(target: str, deployment: deployments.Deployment, profile: CoresProfile,
               settings: Settings) -> list[dict[str, Any]]:
    """The rows of ``target`` measured on ``deployment``, already serving: every thread of it
    moved to each count's CPUs in turn (``profile.fresh_per_count`` off)."""
    cpus = available_cpus()
    rows = []
    for count in _counts(profile, cpus)[0]:
        repin(deployment.proc.pid, cpus[:count])
        rows.append(_measure(target, deployment, cpus[:count], cpus[count:], profile, settings))
    repin(deployment.proc.pid, cpus)  # as it was found, for what runs on it next
    return rows


def _counts(profile: CoresProfile, cpus: list[int]) -> tuple[list[int], list[dict[str, Any]]]:
    """The CPU counts of ``profile`` this machine has, and a skip (with its reason) for each other."""
    counts = [c for c in profile.cpus if c <= len(cpus)]
    skipped = [{"cpus": c, "reason": f"{c} CPUs skipped: this machine lets this process use {len(cpus)} "
                                     f"({','.join(map(str, cpus))})"} for c in profile.cpus if c > len(cpus)]
    return counts, skipped


def _measure(target: str, deployment: deployments.Deployment, mine: list[int], rest: list[int],
             profile: CoresProfile, settings: Settings) -> dict[str, Any]:
    from loadtests.load import hold  # imports Locust

    settings = replace(settings, think_min_s=profile.think_s, think_max_s=profile.think_s)
    log.info("cores step: %s on CPUs %s, %d conversations for %.0f s", target, mine, profile.users, profile.step_s)
    with pinned_to(rest):
        raw = hold(deployment, profile.users, profile.step_s, settings, drain_s=profile.drain_s)
    measured = profile.step_s  # conversations finishing during the drain after it are not counted
    span = measured - profile.settle_s
    done = [c for c in raw["conversations"] if profile.settle_s <= c["t"] < measured]
    cores = cpu_cores(raw["cpu"], profile.settle_s, measured)
    return {"target": target, "cpus": len(mine), "cpu_list": mine, "load_generator_cpus": rest or mine,
            "load_generator_apart": bool(rest), "users": profile.users,
            "turns_per_s": round(turns_per_s(raw["turns"], profile.settle_s, measured), 2),
            "conversations_per_s": round(len(done) / span, 3) if span > 0 else 0.0,
            "failed_turn_requests": sum(1 for _, _, ok in raw["turns"] if not ok),
            "failed_conversations": sum(1 for c in raw["conversations"] if c["failures"]),
            "server_cores_used": round(sum(v for k, v in cores.items() if k != "load generator"), 3)}


def repin(root: int, cpus: list[int]) -> None:
    """Every thread of ``root`` and its descendants onto ``cpus``. Twice: a thread started during
    the first pass by a thread not yet moved inherits the old set; the second pass moves it."""
    for _ in range(2):
        for pid in descendants(root):
            for task in Path(f"/proc/{pid}/task").glob("*"):
                with suppress(ProcessLookupError, FileNotFoundError):  # a thread that ended meanwhile
                    os.sched_setaffinity(int(task.name), cpus)


@contextmanager
def pinned_to(cpus: list[int]) -> Iterator[None]:
    """This process (the load generator: Locust's greenlets run on its main thread) on ``cpus``
    while inside; unchanged if ``cpus`` is empty."""
    before = os.sched_getaffinity(0)
    if cpus:
        os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def fit(points: list[tuple[int, float]]) -> dict[str, Any]:
    """Per added core and predictions for ``PREDICT_FOR`` cores from (cores, throughput) points.

    >>> fit([(1, 10.0), (2, 18.0)])["per_added_core"]
    8.0
    """
    if len(points) < 2 or len({c for c, _ in points}) < 2:
        return {"per_added_core": None, "note": "needs two or more CPU counts"}
    n = len(points)
    mean_c = sum(c for c, _ in points) / n
    mean_x = sum(x for _, x in points) / n
    slope = sum((c - mean_c) * (x - mean_x) for c, x in points) / sum((c - mean_c) ** 2 for c, _ in points)
    intercept = mean_x - slope * mean_c
    one = min(points)[1]
    serial = amdahl_serial_fraction(points)
    return {
        "per_added_core": round(slope, 3),
        "efficiency": {str(c): round(x / (c * one), 3) if one else None for c, x in points},
        "amdahl_serial_fraction": None if serial is None else round(serial, 3),
        "predicted_linear": {str(c): round(intercept + slope * c, 2) for c in PREDICT_FOR},
        "predicted_amdahl": {str(c): None if serial is None or not one else
                             round(one / (serial + (1 - serial) / c), 2) for c in PREDICT_FOR},
    }


def amdahl_serial_fraction(points: list[tuple[int, float]]) -> float | None:
    """The serial fraction s of Amdahl's law, speed-up(c) = 1 / (s + (1 - s) / c), fitted by least
    squares to the measured speed-ups over the 1-CPU point; clipped to [0, 1]."""
    base = dict(points).get(1)
    if not base:
        return None
    # 1/speed-up = s (1 - 1/c) + 1/c: linear in s.
    rows = [(1 - 1 / c, base / x - 1 / c) for c, x in points if c > 1 and x > 0]
    denom = sum(a * a for a, _ in rows)
    if not rows or denom == 0:
        return None
    return min(1.0, max(0.0, sum(a * b for a, b in rows) / denom))
