"""Holding a number of conversations against a running deployment for a while, with actions at
given times: what the fault and cores steps share with the stepped comparison.

``hold(deployment, users, seconds, settings, at={5.0: kill})`` starts ``users`` Locust users at
once, calls each action when its time (seconds from the start) comes, stops after ``seconds``
(conversations in progress may finish for ``drain_s``), and returns the turns and conversations
seen, timed from the start. Import Locust (``loadtests.runner``) before this module.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from locust.env import Environment

from loadtests.collector import MAX_SPAWN_RATE, Collector
from loadtests.deployments import Deployment
from loadtests.samplers import Sampler, cpu_by_component
from loadtests.users import Settings, user_class


def hold(deployment: Deployment, users: int, seconds: float, settings: Settings, *, drain_s: float,
         at: dict[float, Callable[[], None]] | None = None, host: str | None = None) -> dict[str, Any]:
    """The raw results of ``users`` conversations held for ``seconds`` (see the module doc)."""
    t0 = time.monotonic()
    collector = Collector(t0)
    settings = replace(settings, on_conversation=collector.on_conversation)
    env = Environment(user_classes=[user_class(deployment.name, host or deployment.host, settings)],
                      stop_timeout=drain_s)
    env.events.request.add_listener(collector.on_request)
    runner = env.create_local_runner()
    actions = sorted((at or {}).items())
    done: dict[float, float] = {}
    with Sampler(cpu_by_component(deployment.proc.pid), t0=t0) as cpu:
        try:
            runner.start(users, spawn_rate=min(users, MAX_SPAWN_RATE))
            while (now := time.monotonic() - t0) < seconds:
                due = [(when, act) for when, act in actions if when <= now and when not in done]
                for when, act in due:
                    done[when] = time.monotonic() - t0
                    act()  # must not block: Locust's users run while it does
                time.sleep(min(0.05, max(0.0, seconds - now)))
            runner.stop()
        finally:
            runner.quit()
    return {"turns": collector.turns, "conversations": collector.conversations, "cpu": cpu.samples,
            "actions_at_s": done, "end_s": time.monotonic() - t0}
