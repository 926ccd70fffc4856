"""Where the `/map` service answers: its URL, the shared key and how many instances serve it.

From the arguments of `puma_map`, else the deployment this process started (`start_local`, or
`puma_start`'s), else `$PUMA_URL` / `$PUMA_SERVICES`. `start_local` starts one for users without.
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .. import client as mesh_client
from ..errors import PumaCallError, PumaMapError
from .protocol import BINARY_TYPE, ENV_SECRET, JSON_TYPE, MAP_TARGET, key_bytes
from .transport import get_json

if TYPE_CHECKING:
    from ..supervisor import Deployment

log = logging.getLogger(__name__)

STATUS_TTL_S = 10.0
_local_deployments: list[Deployment] = []
_status_cache: dict[str, tuple[float, int]] = {}


@dataclass(frozen=True)
class Target:
    """Where the `/map` service answers, the shared key, and how many instances serve it."""

    url: str
    key: bytes | None
    instances: int | None


def service_config(instances: int = 2, **settings: Any) -> dict[str, Any]:
    """The `puma_services` entry of a `/map` service, to add to your own config.

    Chunks go to the instance with the fewest in flight (`least_request`), so an instance that
    runs slower (a busier host, a slower CPU) is given fewer of them instead of holding up the map.
    The instances are `cpu_bound` (SCHED_BATCH): a chunk arriving at one never preempts Envoy while
    it is still passing the next chunk on to another instance.

    >>> puma.puma_config({"puma_services": {"map": puma.mapping.service_config(4)}})  # doctest: +SKIP
    """
    # Not `idempotent`: Envoy would re-send a chunk whose instance died to a second instance, and a
    # chunk with an item that kills its instance would take two; the client re-sends chunks itself,
    # cut down to the item that did it (puma/mapping/client.py).
    return {"prefix": "/map", "target": MAP_TARGET, "instances": instances,
            "content_types": [BINARY_TYPE, JSON_TYPE], "max_body_bytes": 512 << 20,
            "idempotent": False, "timeout_s": 300, "lb_policy": "least_request",
            "cpu_bound": True, **settings}


def start_local(instances: int = 2, secret: str | None = None, **settings: Any) -> Deployment:
    """Start a deployment with only a `/map` service on a free port; `puma_map` then uses it.

    Without `secret` (and no $PUMA_SECRET) a random one is made for this deployment.

    >>> with puma.mapping.start_local(2) as mesh:                      # doctest: +SKIP
    ...     puma.map(math.factorial, range(1000))
    """
    from ..app import App

    app = App()
    app.configure({"secret": secret or os.environ.get(ENV_SECRET) or secrets.token_hex(32),
                   "puma_services": {"map": service_config(instances, **settings)}})
    deployment = app.start(listener={"port": 0})
    _local_deployments.append(deployment)
    return deployment




def resolve(deployment: Deployment | None, url: str | None, secret: str | bytes | None) -> Target:
    """The map service's URL, key and instance count, from the arguments or the running deployment."""
    if url is not None:
        deployment = deployment or _deployment_at(url)
        return Target(url.rstrip("/"), _key(secret, deployment), _ready(deployment) if deployment else None)
    deployment = deployment or _current_deployment()
    if deployment is not None:
        name = _map_service_name(deployment)
        prefix = deployment.config.puma_services[name].prefix
        return Target(deployment.url + prefix, _key(secret, deployment), _ready(deployment))
    try:
        return Target(mesh_client.service_url("map"), _key(secret, None), None)
    except PumaCallError:
        raise PumaMapError("no PUMA deployment with a /map service: pass deployment= or url=, or start one "
                           "with puma.mapping.start_local()") from None


def _key(secret: str | bytes | None, deployment: Deployment | None) -> bytes | None:
    chosen = secret or (deployment.config.secret if deployment is not None else None) or os.environ.get(ENV_SECRET)
    return key_bytes(chosen) if chosen else None


def _candidates() -> list[Deployment]:
    # puma.app is imported (~0.4 s) only by a process that may have started a deployment; a caller
    # that has not imported it has none of its own, only those start_local made.
    app_module = sys.modules.get("puma.app")
    default_deployment = getattr(getattr(app_module, "default_app", None), "deployment", None)
    found = [*reversed(_local_deployments), default_deployment]
    return [d for d in found if d is not None and not d.stopping]


def _current_deployment() -> Deployment | None:
    _local_deployments[:] = [d for d in _local_deployments if not d.stopping]
    return next((d for d in _candidates() if _has_map_service(d)), None)


def _deployment_at(url: str) -> Deployment | None:
    return next((d for d in _candidates() if url.startswith(d.url)), None)


def _has_map_service(deployment: Deployment) -> bool:
    try:
        _map_service_name(deployment)
    except PumaMapError:
        return False
    return True


def _map_service_name(deployment: Deployment) -> str:
    services = deployment.config.puma_services
    for name, service in services.items():
        if service.target == MAP_TARGET:
            return name
    if "map" in services:
        return "map"
    raise PumaMapError(f"the deployment at {deployment.url} has no service with target {MAP_TARGET!r}; "
                       "add one: puma_services['map'] = puma.mapping.service_config()")


def _ready(deployment: Deployment) -> int:
    name = _map_service_name(deployment)
    return len(deployment.instances(name)) or deployment.config.puma_services[name].instances.min or 1


def status_instances(url: str) -> int:
    """Ready instances of the service at `url`, from the deployment's /_puma/status (cached briefly)."""
    cached = _status_cache.get(url)
    if cached and time.monotonic() - cached[0] < STATUS_TTL_S:
        return cached[1]
    parts = urlsplit(url)
    count = os.cpu_count() or 2
    try:
        services = get_json(f"{parts.scheme}://{parts.netloc}/_puma/status", timeout_s=2.0).get("services", {})
        count = next((s["ready"] for s in services.values() if s.get("prefix") == parts.path), count) or count
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        log.debug("no instance count from %s: %s; assuming %d", url, exc, count)
    _status_cache[url] = (time.monotonic(), count)
    return count
