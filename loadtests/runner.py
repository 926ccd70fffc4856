"""The side-by-side run: each deployment in turn, the same stepped load, Locust in-process.

``compare(out, profile)`` starts the legacy server, drives it through every step of the
profile with Locust's ``LocalRunner`` (headless, in this process), stops it, then does the
same for the PUMA deployment, and writes the report (``loadtests.report``). Each step holds
``users`` concurrent conversations for ``step_s`` seconds; the first ``settle_s`` of a step are
not measured. After the last step, conversations in progress may finish for up to
``drain_s`` (their checks count; their times do not). Import this module before any other
networking module: importing Locust patches the standard library for gevent.
"""

from __future__ import annotations

# Locust first: it monkey-patches the standard library for gevent on import.
from locust.env import Environment  # isort: skip

import logging
import os
import re
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from loadtests import report
from loadtests.collector import MAX_SPAWN_RATE, Collector
from loadtests.deployments import Deployment, prepare_db, start
from loadtests.profiles import Profile as Profile  # re-exported: loadtests.cost names it from here
from loadtests.samplers import Sampler, cpu_by_component, puma_status
from loadtests.users import Settings, user_class

log = logging.getLogger(__name__)

TARGETS = ("legacy", "puma")
PROGRESS_EVERY_S = 5.0


def compare(out: Path, profile: Profile, *, database_url: str | None = None,
            targets: tuple[str, ...] = TARGETS, fault_step: Any = None, cores_step: Any = None,
            ports: dict[str, int] | None = None) -> dict[str, Any]:
    """Run ``profile`` against each of ``targets`` in turn (each on its port of ``ports``, else a
    free one), then the fault step (``loadtests.faults.FaultProfile``) and the cores step
    (``loadtests.cores.CoresProfile``) when given; write and return the results."""
    from puma.bench.common import run_info

    logs = out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    url = database_url or prepared_db(out, logs)
    result = run_info("loadtests.compare", **asdict(profile), targets=list(targets))
    result["database"] = re.sub(r"//[^@/]*@", "//", url)  # without credentials
    result["session_store"] = os.environ.get("CHATBOT_SESSION_STORE", "sql (default)")
    result["load_average_before"] = os.getloadavg()
    result["runs"] = {}
    settings = Settings(think_min_s=profile.think_min_s, think_max_s=profile.think_max_s, seed=profile.seed)
    if fault_step is not None:
        from loadtests import faults

        fault_step = replace(fault_step, faults=tuple(f for f in fault_step.faults if faults.FAULTS[f] in targets))
    # --quick: the cores and fault steps run on these deployments, after the throughput steps (no
    # start-up more, most of a quick run's time); else each on fresh deployments after all of these.
    later: dict[str, Any] = {"cores": [], "faults": []}
    for name in targets:
        with start(name, url, logs, port=(ports or {}).get(name, 0)) as deployment:
            result["runs"][name] = drive(deployment, profile)
            _steps_on_running(name, deployment, cores_step, fault_step, settings, url, logs, later)
    if fault_step is not None and fault_step.faults:
        from loadtests import faults

        result["fault_step"] = {"params": asdict(fault_step) | {"faults": list(fault_step.faults)},
                                "runs": faults.run(fault_step, url, logs, settings, later["faults"])}
    if cores_step is not None and cores_step.cpus:
        from loadtests import cores

        result["cores_step"] = {"params": asdict(cores_step),
                                **cores.run(cores_step, url, logs, settings, targets, later["cores"])}
    result["load_average_after"] = os.getloadavg()
    return {**result, **report.write(out, result)}


def _steps_on_running(name: str, deployment: Deployment, cores_step: Any, fault_step: Any, settings: Settings,
                      url: str, logs: Path, later: dict[str, Any]) -> None:
    """The cores step's rows, then the fault step's runs, of ``name`` on its running deployment,
    for the steps that do not want fresh deployments (the monolith's fault kills it: last)."""
    if cores_step is not None and cores_step.cpus and not cores_step.fresh_per_count:
        from loadtests import cores

        later["cores"] += cores.on_running(name, deployment, cores_step, settings)
    if fault_step is not None and fault_step.faults and not fault_step.fresh_deployments:
        from loadtests import faults

        later["faults"] += faults.on_running(name, deployment, fault_step, url, logs, settings)


def prepared_db(out: Path, logs: Path) -> str:
    url = f"sqlite:///{(out / 'chatbot.sqlite3').resolve()}"
    log.info("preparing the database %s", url)
    prepare_db(url, logs)
    return url


def drive(deployment: Deployment, profile: Profile) -> dict[str, Any]:
    """Apply the stepped profile to a running deployment; the raw results of the run."""
    t0 = time.monotonic()
    collector = Collector(t0)
    settings = Settings(think_min_s=profile.think_min_s, think_max_s=profile.think_max_s,
                        seed=profile.seed, on_conversation=collector.on_conversation)
    env = Environment(user_classes=[user_class(deployment.name, deployment.host, settings)],
                      stop_timeout=profile.drain_s)
    env.events.request.add_listener(collector.on_request)
    runner = env.create_local_runner()
    samplers = [Sampler(cpu_by_component(deployment.proc.pid), t0=t0)]
    if deployment.name == "puma":
        samplers.append(Sampler(puma_status(deployment.host), t0=t0))
    for sampler in samplers:
        sampler.__enter__()
    try:
        windows = [_step(runner, collector, deployment.name, users, i, profile)
                   for i, users in enumerate(profile.steps)]
        log.info("%s: letting the conversations in progress finish (up to %.0f s)",
                 deployment.name, profile.drain_s)
        runner.stop()
    finally:
        runner.quit()
        for sampler in samplers:
            sampler.__exit__()
    return {"host": deployment.host, "windows": windows, "turns": collector.turns,
            "conversations": collector.conversations, "cpu": samplers[0].samples,
            "instances": samplers[1].samples if len(samplers) > 1 else [],
            "end_s": time.monotonic() - t0}


def _step(runner: Any, collector: Collector, name: str, users: int, index: int,
          profile: Profile) -> dict[str, float]:
    start_s = time.monotonic() - collector.t0
    runner.start(users, spawn_rate=min(users, MAX_SPAWN_RATE))
    end = collector.t0 + start_s + profile.step_s
    while (left := end - time.monotonic()) > 0:
        time.sleep(min(PROGRESS_EVERY_S, left))
        _progress(collector, name, users, index, len(profile.steps), time.monotonic() - collector.t0 - start_s,
                  profile.step_s)
    return {"users": users, "start_s": start_s, "measure_from_s": start_s + profile.settle_s,
            "end_s": start_s + profile.step_s}


def _progress(collector: Collector, name: str, users: int, index: int, steps: int,
              elapsed_s: float, step_s: float) -> None:
    log.info("%-6s step %d/%d: %3d users, %3.0f/%.0f s | %5d turns, %4d conversations, %d failures",
             name, index + 1, steps, users, elapsed_s, step_s, len(collector.turns),
             len(collector.conversations), collector.failures)
