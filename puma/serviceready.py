"""`GET /_puma/ready/<service>`: whether one service's requests are served now.

`/_puma/ready` answers for the whole deployment: a load balancer probing it takes out of rotation a
deployment whose users are served well while an internal service restarts (its callers retried,
or answered from a cache) or a demo's side backend is stopped. As Kubernetes has readiness per
Service, a probe can ask for the service its users reach (`/_puma/ready/agent`), from the same
facts (`puma.status.readiness`). A public client asking for an internal service gets the 404 of an
unknown one: internal names are not told to it (`puma.visibility`).

>>> one({"ready": False, "waiting_for": [], "not_ready": {"db": "restarting"},
...      "services": {"db": {"ready": 0, "starting": 1}, "agent": {"ready": 2, "starting": 0}}}, "agent")
(True, {'service': 'agent', 'ready': True, 'instances': {'ready': 2, 'starting': 0}, 'state': 'ready'})
"""

from __future__ import annotations

from typing import Any

PREFIX = "/_puma/ready/"


def name_in(path: str) -> str | None:
    """The service named by a per-service readiness path (`/_puma/ready/agent` -> 'agent'), else None."""
    if not path.startswith(PREFIX):
        return None
    return path[len(PREFIX):] or None  # "agent/x" too: a 404 naming the services, not "nothing here"


def one(whole: dict[str, Any], name: str) -> tuple[bool, dict[str, Any]]:
    """`(ready, body)` for service `name` out of the whole deployment's readiness body `whole`: ready
    when Envoy routes to an instance of it that passes its checks, and the deployment is not stopping."""
    waiting = name in (whole.get("waiting_for") or ())
    why = (whole.get("not_ready") or {}).get(name)
    ready = not waiting and why is None and not whole.get("stopping")
    body: dict[str, Any] = {"service": name, "ready": ready, "instances": (whole.get("services") or {}).get(name)}
    if waiting:
        body["waiting_for"] = "its first instance is starting"
    if why is not None:
        body["not_ready"] = why
    if whole.get("stopping"):
        body["stopping"] = True
    degraded = (whole.get("degraded") or {}).get(name)
    if degraded:  # ready all the same, as in the whole body
        body["degraded"] = degraded
    if whole.get("supervisor_failing"):  # its instances' changes may not reach Envoy: as in the whole body
        body["supervisor_failing"] = whole["supervisor_failing"]
    body["state"] = ("stopping" if body.get("stopping") else "starting" if waiting else "not ready" if why is not None
                     else "degraded" if degraded or body.get("supervisor_failing") else "ready")
    return ready, body
