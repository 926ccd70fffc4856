"""The fault step: a process SIGKILLed at a fixed time under load, and what that cost.

Each fault starts its deployment afresh (``--quick``, ``fresh_deployments`` off: runs on the
deployment of the throughput steps, after them; the monolith's fault last, as it kills it), holds
``users`` conversations for ``step_s`` seconds and, ``kill_at_s`` into them, SIGKILLs one process:

- ``legacy``: the monolith's only process. Nothing in it restarts it, so this step restarts it at
  once on the same port, as a process supervisor (systemd ``Restart=always``) would; its
  conversations lived in its memory.
- ``agent``: one of the PUMA agent's instances (its zygote forks a replacement on the same socket).
- ``db``: the PUMA db service's only instance (likewise).

Measured per fault: turn requests failed (a re-sent turn's first try included), turns unanswered even
re-sent once, conversations lost (in progress at the kill and then failing a check), conversations
begun after the kill that failed (while it was down), the answered turns
per second before the kill and in every 0.5 s after it, and the time until throughput recovers: from
the kill until the first 1 s window answering at least ``RECOVERED`` of the rate before it.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadtests import deployments
from loadtests.conversation import Settings
from loadtests.measures import turns_per_s
from loadtests.samplers import descendants, process_label

log = logging.getLogger(__name__)

FAULTS = {"legacy": "legacy", "agent": "puma", "db": "puma"}  # what is killed -> in which deployment
RECOVERED = 0.8
WINDOW_S = 1.0
BUCKET_S = 0.5


@dataclass(frozen=True)
class FaultProfile:
    faults: tuple[str, ...] = ("legacy", "agent", "db")
    users: int = 32
    step_s: float = 40.0
    kill_at_s: float = 10.0  # the monolith's restart (its whole start-up) has 30 s to happen
    settle_s: float = 4.0  # the rate before the kill is measured from here
    drain_s: float = 15.0
    fresh_deployments: bool = True  # False: each fault on its target's running deployment, in turn

    @classmethod
    def quick(cls) -> FaultProfile:
        return cls(users=8, step_s=10.0, kill_at_s=4.0, settle_s=1.0, drain_s=6.0, fresh_deployments=False)


def run(profile: FaultProfile, database_url: str, logs: Path, settings: Settings,
        done: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Every fault of ``profile`` in turn, each on a fresh deployment; one result per fault, in
    the profile's order. ``done``: results already taken on running deployments (``on_running``)."""
    results = {r["fault"]: r for r in done or []}
    for fault in profile.faults:
        if fault not in results:
            with deployments.start(FAULTS[fault], database_url, logs, log_name=f"fault-{fault}.log") as deployment:
                results[fault] = one(fault, deployment, profile, database_url, logs, settings)
    return [results[f] for f in profile.faults]


def on_running(target: str, deployment: deployments.Deployment, profile: FaultProfile, database_url: str,
               logs: Path, settings: Settings) -> list[dict[str, Any]]:
    """The faults of ``profile`` that ``target`` has, one after another on ``deployment`` (serving);
    the monolith's fault leaves it dead (its restarted copy is stopped)."""
    return [one(f, deployment, profile, database_url, logs, settings) for f in profile.faults if FAULTS[f] == target]


def one(fault: str, deployment: deployments.Deployment, profile: FaultProfile, database_url: str, logs: Path,
        settings: Settings) -> dict[str, Any]:
    """``fault`` under load on ``deployment``: its measures and what was killed."""
    from loadtests.load import hold  # imports Locust

    target = FAULTS[fault]
    log.info("fault step: %s under %d conversations, SIGKILL of %s at %.0f s", target, profile.users,
             fault, profile.kill_at_s)
    killer = Killer(fault, deployment, database_url, logs)
    try:
        raw = hold(deployment, profile.users, profile.step_s, settings, drain_s=profile.drain_s,
                   at={profile.kill_at_s: killer})
    finally:
        killer.stop_restarted()
    return measure(fault, target, raw, profile) | {"killed": killer.killed}


class Killer:
    """The fault's action: SIGKILL its process (for ``legacy``, then start it again on its port)."""

    def __init__(self, fault: str, deployment: deployments.Deployment, database_url: str, logs: Path) -> None:
        self.fault, self.deployment, self.database_url, self.logs = fault, deployment, database_url, logs
        self.killed: dict[str, Any] = {}
        self.restarted: subprocess.Popen[bytes] | None = None
        self.restarter: threading.Thread | None = None

    def __call__(self) -> None:
        pid = self.deployment.proc.pid if self.fault == "legacy" else instance_pid(self.deployment.proc.pid, self.fault)
        if pid is None:
            raise RuntimeError(f"fault step: no {self.fault} instance found under pid {self.deployment.proc.pid}")
        os.kill(pid, signal.SIGKILL)
        self.killed = {"pid": pid, "what": self.fault}
        log.info("fault step: SIGKILLed %s (pid %d)", self.fault, pid)
        if self.fault == "legacy":
            # On a thread (a greenlet under Locust): the load goes on while the monolith starts again.
            self.restarter = threading.Thread(target=self._restart, name="restart-legacy", daemon=True)
            self.restarter.start()

    def _restart(self) -> None:
        self.deployment.proc.wait()
        self.restarted, self.killed["restart_s"] = restart_legacy(self.deployment, self.database_url, self.logs)

    def stop_restarted(self) -> None:
        if self.restarter is not None:
            self.restarter.join(timeout=deployments.START_TIMEOUT_S)
        if self.restarted is not None:
            deployments.stop(self.restarted, "legacy (restarted)")


def restart_legacy(deployment: deployments.Deployment, database_url: str,
                   logs: Path) -> tuple[subprocess.Popen[bytes], float]:
    """The monolith started again on the port it had; the process and its seconds to listen."""
    port = deployment.host.rsplit(":", 1)[1]
    cmd = deployments.command("legacy", database_url)
    cmd[cmd.index("--port") + 1] = port
    log_path = logs / "fault-legacy-restarted.log"
    started = time.monotonic()
    with open(log_path, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=deployments.ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    try:
        deployments.wait_ready("legacy", proc, log_path)
    except Exception:
        deployments.stop(proc, "legacy (restarted)")
        raise
    return proc, round(time.monotonic() - started, 3)


def instance_pid(root_pid: int, service: str) -> int | None:
    """One serving instance of ``service`` in the process tree under ``root_pid``: a process
    labelled with the service whose parent (its zygote) carries the same label."""
    labels = {pid: process_label(pid) for pid in descendants(root_pid)}
    parents = {pid: _parent(pid) for pid in labels}
    found = sorted(pid for pid, label in labels.items()
                   if label == service and labels.get(parents.get(pid, -1)) == service)
    return found[0] if found else None


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return -1


def measure(fault: str, target: str, raw: dict[str, Any], profile: FaultProfile) -> dict[str, Any]:
    """The figures of one fault run (see the module doc); pure."""
    kill_s = raw["actions_at_s"].get(profile.kill_at_s)
    turns, conversations = raw["turns"], raw["conversations"]
    if kill_s is None:
        return {"fault": fault, "target": target, "error": "the kill did not happen"}
    before = turns_per_s(turns, profile.settle_s, kill_s)
    held = [c for c in conversations if c["t_start"] < kill_s <= c["t"]]  # in progress at the kill
    lost = [c for c in held if c["failures"]]
    refused = [c for c in conversations if c["t_start"] >= kill_s and c["failures"]]
    kinds = Counter(f["kind"] for c in lost for f in c["failures"])
    return {
        "fault": fault, "target": target, "users": profile.users, "kill_s": round(kill_s, 3),
        "turns_per_s_before": round(before, 2),
        "turn_requests_failed": sum(1 for t, _, ok in turns if not ok and t >= kill_s),
        "turns_unanswered": sum(1 for c in conversations if c["t"] >= kill_s
                                for f in c["failures"] if f["kind"] == "unanswered"),
        "conversations_in_progress": len(held), "conversations_lost": len(lost),
        "conversations_failed_after": len(refused), "lost_by_kind": dict(sorted(kinds.items())),
        "recovery_s": recovery_s(turns, kill_s, before, raw["end_s"]),
        "timeline": timeline(turns, kill_s, raw["end_s"]),
    }


def recovery_s(turns: list[tuple[float, float, bool]], kill_s: float, rate: float, end_s: float) -> float | None:
    """Seconds from the kill to the first ``WINDOW_S`` window answering ``RECOVERED`` x ``rate``
    (0.0 if throughput never dropped below that); None if it never recovered in the run."""
    t = kill_s
    while t + WINDOW_S <= end_s:
        if turns_per_s(turns, t, t + WINDOW_S) >= RECOVERED * rate:
            return round(t - kill_s, 2)
        t += 0.1
    return None


def timeline(turns: list[tuple[float, float, bool]], kill_s: float, end_s: float) -> list[dict[str, float]]:
    """Answered and failed requests per second in ``BUCKET_S`` buckets, times from the kill."""
    rows = []
    t = kill_s - (kill_s // BUCKET_S) * BUCKET_S
    while t + BUCKET_S <= end_s:
        ok = sum(1 for s, _, good in turns if good and t <= s < t + BUCKET_S)
        bad = sum(1 for s, _, good in turns if not good and t <= s < t + BUCKET_S)
        rows.append({"t_from_kill_s": round(t - kill_s, 2), "turns_per_s": ok / BUCKET_S,
                     "failed_per_s": bad / BUCKET_S})
        t += BUCKET_S
    return rows
