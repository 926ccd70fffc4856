"""`POST /_puma/scale`: an operator sets a service's instances (`puma scale`; Kubernetes' scale
subresource, as `kubectl scale` uses it). Only a caller holding the deployment's control token may
(`puma.authn.check_control_token`, checked by the status server before it calls `scale`).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .config import MAX_INSTANCES
from .errors import HTTPError, PumaScaleError
from .suggest import did_you_mean

if TYPE_CHECKING:
    from .interfaces import DeploymentView

SCALE_PATH = "/_puma/scale"


def scale(deployment: DeploymentView, body: dict[str, Any]) -> dict[str, Any]:
    """Set a service's instances: ``{"service": "agent", "instances": 3}``; answers
    ``{"service", "from", "to", "autoscaled", "min_instances", "max_instances", "held_s", "at"}``
    (``at``: the deployment's clock at the scale, Unix seconds).

    An autoscaled service takes a count within its bounds; the autoscaler starts its history again
    then, so the count holds at least `held_s` (its `downscale_delay_s`; more load may raise it
    sooner), and it follows the load after that; another service takes 1 to `MAX_INSTANCES` (32; `held_s` null). 400 for a bad count,
    404 for an unknown service. Example: ``scale(mesh, {"service": "agent", "instances": 3})``.
    """
    name, count = body.get("service"), body.get("instances")
    pool = deployment.pools.get(name) if isinstance(name, str) else None
    if pool is None or not isinstance(name, str):
        raise HTTPError(404, f"service: no service {name!r}{did_you_mean(str(name), list(deployment.pools))}; "
                             f"services: {', '.join(sorted(deployment.pools))}")
    svc = pool.service
    low, high = (svc.instances.min, svc.instances.upper) if svc.autoscaled else (1, MAX_INSTANCES)
    if isinstance(count, bool) or not isinstance(count, int) or not low <= count <= high:
        why = (f"{name} is autoscaled between {low} and {high}; give a count in that range (or change "
               "instances in its config)") if svc.autoscaled else f"give a whole number from {low} to {high}"
        raise HTTPError(400, f"instances: {count!r} is not a count for {name}: {why}")
    before, at = len(pool.live()), time.time()
    try:
        deployment.scale(name, count, reason="puma scale")
    except PumaScaleError as exc:  # the service cannot take a count now (it failed, or is restarting)
        raise HTTPError(409, str(exc)) from None
    held_s = svc.autoscale_settings.downscale_delay_s if svc.autoscaled else None
    return {"service": name, "from": before, "to": count, "autoscaled": svc.autoscaled,
            "min_instances": svc.instances.min, "max_instances": svc.instances.upper, "held_s": held_s,
            "at": at}
