"""How many instances of a service serve, counted from the facts `/_puma/ready` uses (Envoy's own
routing), and why that count is below what the service wants.

`/_puma/ready` counts what Envoy routes to (its `membership_healthy`); `/_puma/status` counted what
PUMA's health events had said. A health event can be lost or never sent (a full run directory,
an Envoy restart, an event read before its instance was known): the two then disagreed for good,
"agent 2/3" beside a `/_puma/ready` of 3, with every instance shown ready and no reason. So the
status counts an instance ready when it passes its checks *and* Envoy routes to it, and an
instance Envoy routes to whose event was missed is brought back in line (`converge`), once, saying so.

A count below the service's wanted count always says why (`shortfall`): starting, waiting for its
first readiness check, not in Envoy yet, failing its health checks, or a replacement not started.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from . import guard
from .states import passes

log = logging.getLogger(__name__)
SETTLE_S = 2.0  # past Envoy's own ejection time: an instance still routed to has passed since


def routed_addresses(stat: Any) -> set[str] | None:
    """The 'host:port' Envoy routes to in a cluster's stats (healthy), or None if Envoy was not asked."""
    return None if stat is None else {h.address for h in stat.hosts if h.healthy}


def converge(health: Any, pool: Any, routed: set[str] | None, now: float | None = None) -> None:
    """Envoy routes to an instance PUMA still counts as waiting or not ready: a health event was
    missed. Envoy routes only to an instance whose checks pass, so follow it (`ready_again`) — for
    a not-ready one only once Envoy would have ejected it had it kept failing, so a check that
    fails now and then never makes the count flap."""
    if routed is None or health is None:
        return
    now = time.monotonic() if now is None else now
    check = pool.service.health_check
    eject_s = check.unhealthy_threshold * check.interval_s + check.timeout_s + SETTLE_S
    with pool.lock:
        late = [i for i in pool.instances.values() if i.state == "ready" and i.address in routed
                and ((i.not_ready is None and not i.ever_ready)
                     or (i.not_ready is not None and now - (i.not_ready_since or now) > eject_s))]
    for instance in late:
        log.info("service %s: Envoy routes to instance %d at %s, whose health event was not read; counted "
                 "ready", pool.name, instance.id, instance.address)
        health.ready_again(pool, instance.address)


def told_of(instance: Any, told: set[str] | None) -> bool:
    """Whether Envoy was told of `instance` (its endpoints file written), as far as PUMA knows."""
    return told is None or instance.remote or instance.address in told


def publish_failing() -> str:
    """Why endpoints files are not written, in the supervisor's words ("" if nothing fails)."""
    failing = "; ".join(f"{o['what']}: {o['error']}" for o in guard.outages())
    return f" ({failing}: see supervisor failing)" if failing else ""


def serves(pool: Any, instance: Any, routed: set[str] | None, told: set[str] | None) -> bool:
    """Whether `instance` serves requests now: it passes its checks, Envoy was told of it and routes to it."""
    if not passes(pool, instance):
        return False
    if told is not None and not instance.remote and instance.address not in told:
        return False
    return routed is None or instance.address in routed


def shortfall(pool: Any, wanted: int, routed: set[str] | None, told: set[str] | None,
              now: float | None = None) -> list[str]:
    """Why fewer than `wanted` instances of `pool` serve, one line per missing one, e.g.
    ``["instance 4: starting (3 s)", "1 replacement not started yet (...)"]``. Instances whose own
    readiness check fails are left out: `not_ready` says them, in the instance's words."""
    now = time.monotonic() if now is None else now
    with pool.lock:
        own = [i for i in pool.instances.values() if i.state in ("starting", "ready", "unhealthy")]
    counted = sum(1 for i in own if serves(pool, i, routed, told))
    if counted >= wanted:
        return []
    lines = [f"instance {i.id}: {why}" for i in sorted(own, key=lambda i: i.id)
             if (why := _why_not(pool, i, routed, told, now)) is not None]
    unstarted = wanted - sum(1 for i in own if not i.remote)
    if unstarted > 0:
        lines.append(f"{unstarted} instance{'s' if unstarted > 1 else ''} not started yet ({_unstarted_why(pool, now)})")
    return lines


def _unstarted_why(pool: Any, now: float) -> str:
    """Why instances are not started: on a first start (or a zygote's restart) its zygote is still
    importing and warming up, which no reader should take for a crash; else a replacement waits."""
    warming = not getattr(pool, "zygote_ready", lambda: True)()
    since = getattr(pool, "zygote_started_at", None)
    if warming and not getattr(pool, "restarting", False) and since:
        return (f"its zygote is still importing and warming up, {now - since:.0f} s so far; they fork from it "
                "once it is ready")
    if warming and since:
        return f"its zygote is starting again after it exited, {now - since:.0f} s so far"
    return "a replacement waiting for its zygote, or backing off after restarts"


def _why_not(pool: Any, instance: Any, routed: set[str] | None, told: set[str] | None, now: float) -> str | None:
    if serves(pool, instance, routed, told) or instance.not_ready:
        return None
    if instance.state == "starting":
        return f"starting ({now - instance.started_at:.0f} s)"
    if instance.state == "unhealthy":
        return "failing its health checks; replaced once it exits"
    # Before its readiness: Envoy checks only what it was told of, so an instance it was never told
    # about waits for a first check that cannot come, and the endpoints file is why.
    if not told_of(instance, told):
        return f"not in Envoy yet: its endpoints file is not written{publish_failing()}"
    if not passes(pool, instance):
        return "waiting for its first readiness check to pass"
    return "Envoy does not route to it yet: its health check has not passed (not checked yet, hung or stopped)"
