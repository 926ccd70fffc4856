"""Calling services through the mesh (through Envoy), from a service or from the process that started it.

>>> puma.call("policy", {"state": {...}})        # doctest: +SKIP
{'action': 'ask_genre'}
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

import httpx

from .errors import PumaCallError

ENV_URL = "PUMA_URL"
ENV_SERVICES = "PUMA_SERVICES"
ENV_WORKER = "PUMA_WORKER"  # set inside service processes

_mesh: dict[str, Any] = {"url": None, "services": {}}
_local = threading.local()
_async_clients: dict[tuple[int, int], httpx.AsyncClient] = {}


def use_mesh(url: str | None, services: dict[str, str], **extra: Any) -> None:
    """Point `call` at a deployment (done by `Deployment.start`; workers read the environment)."""
    _mesh.clear()
    _mesh.update(extra, url=url, services=dict(services))


def mesh_url() -> str:
    url = _mesh["url"] or os.environ.get(ENV_URL)
    if not url:
        raise PumaCallError("?", 0, "no running PUMA deployment: start one (puma.start) or set $PUMA_URL")
    return url.rstrip("/")


def service_url(service: str, path: str = "") -> str:
    base = mesh_url()
    services = _mesh["services"] or json.loads(os.environ.get(ENV_SERVICES, "{}"))
    if service.startswith("/"):
        prefix = service
    elif service in services:
        prefix = services[service]
    else:
        raise PumaCallError(service, 0, f"unknown service; known: {sorted(services)}")
    return base + ("" if prefix == "/" else prefix) + path


def _sync_client() -> httpx.Client:
    # One pooled client per thread and process: connections are reused, never shared after fork.
    key = os.getpid()
    if getattr(_local, "pid", None) != key:
        _local.client = httpx.Client(timeout=httpx.Timeout(30.0), limits=httpx.Limits(max_keepalive_connections=32))
        _local.pid = key
    return _local.client


def _async_client() -> httpx.AsyncClient:
    import asyncio

    key = (os.getpid(), id(asyncio.get_running_loop()))
    if key not in _async_clients:
        _async_clients[key] = httpx.AsyncClient(timeout=httpx.Timeout(30.0),
                                                limits=httpx.Limits(max_connections=64))
    return _async_clients[key]


def call(service: str, payload: Any = None, *, path: str = "", method: str = "POST",
         headers: dict[str, str] | None = None, timeout_s: float | None = None) -> Any:
    """Call `service` through Envoy with a JSON `payload`; return the decoded JSON (or text) reply.

    Raises `PumaCallError` for a non-2xx answer or when the mesh cannot be reached.
    """
    url = service_url(service, path)
    try:
        resp = _sync_client().request(method, url, json=payload, headers=headers,
                                      timeout=timeout_s if timeout_s is not None else 30.0)
    except httpx.HTTPError as exc:
        raise PumaCallError(service, 0, f"{type(exc).__name__}: {exc}") from exc
    return _decode(service, resp)


async def acall(service: str, payload: Any = None, *, path: str = "", method: str = "POST",
                headers: dict[str, str] | None = None, timeout_s: float | None = None) -> Any:
    """The asynchronous form of `call`."""
    url = service_url(service, path)
    try:
        resp = await _async_client().request(method, url, json=payload, headers=headers,
                                             timeout=timeout_s if timeout_s is not None else 30.0)
    except httpx.HTTPError as exc:
        raise PumaCallError(service, 0, f"{type(exc).__name__}: {exc}") from exc
    return _decode(service, resp)


def _decode(service: str, resp: httpx.Response) -> Any:
    is_json = resp.headers.get("content-type", "").startswith("application/json")
    body: Any = resp.json() if is_json and resp.content else resp.text
    if resp.status_code >= 400:
        detail = body.get("error", body) if isinstance(body, dict) else body
        raise PumaCallError(service, resp.status_code, detail)
    return body
