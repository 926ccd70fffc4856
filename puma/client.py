"""Calling services through the mesh (through Envoy), from a service or from the process that started it.

>>> puma.call("policy", {"state": {...}})        # doctest: +SKIP
{'action': 'ask_genre'}
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .codec import encode_json
from .errors import PumaCallError

if TYPE_CHECKING:
    import httpx  # imported on first async use: `call` does not need it

ENV_URL = "PUMA_URL"
ENV_SERVICES = "PUMA_SERVICES"
ENV_WORKER = "PUMA_WORKER"  # set inside service processes
# Set for instances on a worker host: sent as `x-puma-token` with every call, so they reach the
# deployment's internal services through its public listener (local instances use the internal one).
ENV_TOKEN = "PUMA_MESH_TOKEN"

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


class _Connections:
    """Keep-alive HTTP/1.1 connections of one thread, by (host, port), Nagle off.

    `call` is on the hot path of every service-to-service request, so it uses the standard
    library's client directly: about a third of httpx's CPU per call.
    """

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.conns: dict[tuple[str, int], http.client.HTTPConnection] = {}

    def get(self, host: str, port: int, timeout_s: float) -> tuple[http.client.HTTPConnection, bool]:
        conn = self.conns.get((host, port))
        reused = conn is not None
        if conn is None:
            conn = http.client.HTTPConnection(host, port, timeout=timeout_s)
            conn.connect()
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.conns[(host, port)] = conn
        conn.sock.settimeout(timeout_s)
        return conn, reused

    def drop(self, host: str, port: int) -> None:
        conn = self.conns.pop((host, port), None)
        if conn is not None:
            conn.close()


def _connections() -> _Connections:
    # Per thread and per process: a connection is never shared between threads or across fork.
    conns = getattr(_local, "conns", None)
    if conns is None or conns.pid != os.getpid():
        conns = _local.conns = _Connections()
    return conns


def _post(url: str, method: str, body: bytes | None, headers: dict[str, str], timeout_s: float) -> tuple[int, str, bytes]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    conns = _connections()
    for attempt in (1, 2):
        conn, reused = conns.get(host, port, timeout_s)
        try:
            conn.request(method, target, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            if resp.will_close:
                conns.drop(host, port)
            return resp.status, resp.getheader("content-type", ""), data
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            conns.drop(host, port)
            # A kept-alive connection the server had already closed: the request never left,
            # so send it once more on a fresh connection.
            if not reused or attempt == 2:
                raise
        except BaseException:
            conns.drop(host, port)
            raise
    raise AssertionError("unreachable")


def _async_client() -> httpx.AsyncClient:
    import asyncio

    import httpx

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
    body = None if payload is None else encode_json(payload).encode()  # NaN/inf: an error here, not bad JSON there
    headers = {**_mesh_headers(), **(headers or {})}
    all_headers = {"content-type": "application/json", **headers} if body is not None else headers
    try:
        status, content_type, data = _post(url, method, body, all_headers, timeout_s if timeout_s is not None else 30.0)
    except (OSError, http.client.HTTPException) as exc:
        raise PumaCallError(service, 0, f"{type(exc).__name__}: {exc}") from exc
    return _reply(service, status, content_type, data)


async def acall(service: str, payload: Any = None, *, path: str = "", method: str = "POST",
                headers: dict[str, str] | None = None, timeout_s: float | None = None) -> Any:
    """The asynchronous form of `call`."""
    import httpx

    url = service_url(service, path)
    try:
        resp = await _async_client().request(method, url, json=payload, headers={**_mesh_headers(), **(headers or {})},
                                             timeout=timeout_s if timeout_s is not None else 30.0)
    except httpx.HTTPError as exc:
        raise PumaCallError(service, 0, f"{type(exc).__name__}: {exc}") from exc
    return _decode(service, resp)


def _mesh_headers() -> dict[str, str]:
    token = os.environ.get(ENV_TOKEN)
    return {"x-puma-token": token} if token else {}


def _decode(service: str, resp: httpx.Response) -> Any:
    return _reply(service, resp.status_code, resp.headers.get("content-type", ""), resp.content)


def _reply(service: str, status: int, content_type: str, data: bytes) -> Any:
    body: Any = json.loads(data) if content_type.startswith("application/json") and data else data.decode(errors="replace")
    if status >= 400:
        detail = body.get("error", body) if isinstance(body, dict) else body
        raise PumaCallError(service, status, detail)
    return body
