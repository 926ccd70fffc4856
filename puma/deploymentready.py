"""The deployment's readiness, as `GET /_puma/ready` answers it (Kubernetes' `/readyz` of a whole
deployment): for pages and scripts that wait for start-up, and load balancers that probe it.
One service's readiness (`/_puma/ready/<service>`) is cut from it by `puma.serviceready`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import failing, guard
from .states import states, verdict
from .visibility import LOCATING

if TYPE_CHECKING:
    from .interfaces import DeploymentView


def readiness(deployment: DeploymentView) -> tuple[bool, dict[str, Any]]:
    """Whether a request to every service would be served now, and why not.

    A service is ready when Envoy routes to at least one healthy instance of it; a public service
    scaled to 0 holds readiness back (its requests get 503), an internal one only if its min is above 0.
    Returns ``(ready, body)``; body: ``{"ready": bool, "waiting_for": [names still starting],
    "not_ready": {name: why}, "services": {name: {"ready": int, "starting": int}}, "state": word}``
    (`puma.states.verdict`, as `puma status` says it; "degraded" still ready) — no pids or
    ports. `not_ready`: services whose instances run but fail their readiness check (what they
    need is down, or still being prepared): not ready, but not start-up either. Example::

        readiness(mesh)[1]   # {"ready": False, "waiting_for": ["agent"], "services": {...}}
    """
    d = deployment
    admin = d.envoy.admin
    try:  # one line per service from Envoy, not one per instance
        routed = admin.gauges("membership_healthy", list(d.pools)) if admin is not None and d.pools else {}
    except OSError:
        routed = {}
    services: dict[str, dict[str, int]] = {}
    for name, pool in list(d.pools.items()):
        with pool.lock:
            starting = sum(1 for i in pool.instances.values() if i.state == "starting")
        services[name] = {"ready": routed.get(name, 0), "starting": starting}
    # One definition of starting and not ready (puma.states), as /_puma/status says them.
    waiting, why = states(d, routed)
    not_ready = {name: LOCATING.sub("(hidden)", text) for name, text in why.items()}
    body = {"ready": not waiting and not not_ready and not d.stopping, "waiting_for": waiting,
            "not_ready": not_ready, "services": services}
    if d.stopping:
        body["stopping"] = True
    degraded = {name: LOCATING.sub("(hidden)", said) for name, pool in list(d.pools.items())
                if (said := failing.of_pool(pool))}
    if degraded:  # ready all the same (a restart would not free a disk): said, not flapped
        body["degraded"] = degraded
    outages = [LOCATING.sub("(hidden)", f"{o['what']}: {o['error']}") for o in guard.outages()]
    if outages:  # likewise: what `puma status` shows as "supervisor failing" (a full disk)
        body["supervisor_failing"] = outages
    body["state"] = verdict(body)  # the one word `puma status` says too
    return bool(body["ready"]), body
