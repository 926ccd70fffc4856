"""The client side of `puma_map`: cut the data into chunks, send them through Envoy, reassemble.

One pooled `httpx.AsyncClient` per call carries every chunk over at most `concurrency` kept-alive
connections (default 2 per instance, so each instance has its next chunk queued while the previous
reply travels back). A chunk whose instance died mid-call (connection reset, 502/503/504) is re-sent
with a short backoff; an exception in `fn` is not retried and raises `PumaMapError`.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import json
import logging
import os
import secrets
import ssl
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from .. import client as mesh_client
from .. import targets
from ..errors import PumaCallError
from .protocol import (
    BINARY_TYPE,
    ENV_SECRET,
    FAILED_STATUS,
    JSON_TYPE,
    REPLY,
    REQUEST,
    SIGNATURE_HEADER,
    Chunking,
    PumaMapError,
    SignatureError,
    chunk_bounds,
    chunk_size,
    decode,
    encode,
    key_bytes,
    ordered,
    short_repr,
    sign,
    verify,
)

if TYPE_CHECKING:
    from ..supervisor import Deployment

log = logging.getLogger(__name__)

MAP_TARGET = "puma.mapping:map_service"
RETRY_STATUSES = frozenset({502, 503, 504})
RETRYABLE = (httpx.NetworkError, httpx.RemoteProtocolError, httpx.ConnectTimeout, httpx.PoolTimeout)
BACKOFF_S = 0.05
MAX_BACKOFF_S = 1.0
STATUS_TTL_S = 10.0
_MISSING: Any = object()
_local_deployments: list[Deployment] = []
_status_cache: dict[str, tuple[float, int]] = {}


@dataclass(frozen=True)
class Target:
    """Where the `/map` service answers, the shared key, and how many instances serve it."""

    url: str
    key: bytes | None
    instances: int | None


@dataclass(frozen=True)
class Job:
    fn: str
    mode: str = "map"
    reducer: str | None = None
    json_mode: bool = False
    retries: int = 4


def service_config(instances: int = 2, **settings: Any) -> dict[str, Any]:
    """The `puma_services` entry of a `/map` service, to add to your own config.

    >>> puma.puma_config({"puma_services": {"map": puma.mapping.service_config(4)}})  # doctest: +SKIP
    """
    return {"prefix": "/map", "target": MAP_TARGET, "instances": instances,
            "content_types": [BINARY_TYPE, JSON_TYPE], "max_body_bytes": 512 << 20,
            "idempotent": True, "timeout_s": 300, **settings}


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


async def puma_map(fn: Callable[[Any], Any] | str, data: Iterable[Any], *, chunksize: int | None = None,
                   chunking: Chunking = "pool", deployment: Deployment | None = None, url: str | None = None,
                   secret: str | bytes | None = None, concurrency: int | None = None, json_mode: bool = False,
                   retries: int = 4, timeout_s: float = 300.0) -> list[Any]:
    """`list(map(fn, data))`, computed by the instances of a `/map` service; results in input order.

    `fn` is an importable function (sent by import path). `url` is the map service's URL
    (e.g. "http://127.0.0.1:8080/map"); without it, `deployment`, else the deployment this process
    started. The secret comes from `secret`, else the deployment's config, else $PUMA_SECRET.

    >>> await puma.puma_map(math.factorial, range(10_000))                # doctest: +SKIP
    """
    items = _as_sequence(data)
    if not items:
        return []
    job = Job(targets.import_path(fn, where="puma_map fn"), json_mode=json_mode, retries=retries)
    parts = await _run(job, items, chunksize, chunking, deployment, url, secret, concurrency, timeout_s)
    return ordered(parts)


async def puma_map_reduce(fn: Callable[[Any], Any] | str, data: Iterable[Any],
                          reducer: Callable[[Any, Any], Any], initial: Any = _MISSING, *,
                          chunksize: int | None = None, chunking: Chunking = "pool",
                          deployment: Deployment | None = None, url: str | None = None,
                          secret: str | bytes | None = None, concurrency: int | None = None,
                          retries: int = 4, timeout_s: float = 300.0) -> Any:
    """`functools.reduce(reducer, map(fn, data), initial)`, with each chunk reduced on a worker.

    Each worker reduces its chunk *without* `initial` (its first mapped item seeds it); the client
    then combines the partial results in chunk order with the same reducer, starting from
    `initial`: `reduce(reducer, partials, initial)`. So `initial` counts once, not once per chunk,
    and the result equals the local reduce whenever `reducer` is associative (operator.add, max,
    set union, ...) — whatever `initial` is. `reducer` must therefore take and return the type
    `fn` returns. Empty data returns `initial` (or raises TypeError without one, like reduce).

    >>> await puma.mapping.puma_map_reduce(math.factorial, [100] * 10**6, operator.add, 0)  # doctest: +SKIP
    """
    items = _as_sequence(data)
    reducer_path = targets.import_path(reducer, where="map_reduce reducer")
    if items:
        job = Job(targets.import_path(fn, where="map_reduce fn"), mode="reduce", reducer=reducer_path,
                  retries=retries)
        parts = await _run(job, items, chunksize, chunking, deployment, url, secret, concurrency, timeout_s)
    else:
        parts = []
    if initial is _MISSING:
        if not parts:
            raise TypeError("map_reduce() of empty data with no initial value")
        return functools.reduce(reducer, parts)
    return functools.reduce(reducer, parts, initial)


def map(fn: Callable[[Any], Any] | str, data: Iterable[Any], **options: Any) -> list[Any]:  # noqa: A001
    """The synchronous `puma_map`: `puma.map(math.factorial, range(1000))`. Works from any thread."""
    return _run_sync(lambda: puma_map(fn, data, **options))


def map_reduce(fn: Callable[[Any], Any] | str, data: Iterable[Any], reducer: Callable[[Any, Any], Any],
               initial: Any = _MISSING, **options: Any) -> Any:
    """The synchronous `puma_map_reduce`: `puma.map_reduce(math.factorial, data, operator.add, 0)`."""
    return _run_sync(lambda: puma_map_reduce(fn, data, reducer, initial, **options))


def _run_sync(make: Callable[[], Awaitable[Any]]) -> Any:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())  # type: ignore[arg-type]
    # Called from inside a running event loop: run on a thread of our own rather than nest loops.
    with ThreadPoolExecutor(1, thread_name_prefix="puma-map") as pool:
        return pool.submit(lambda: asyncio.run(make())).result()  # type: ignore[arg-type]


def _as_sequence(data: Iterable[Any]) -> Sequence[Any]:
    return data if isinstance(data, list | tuple | range) else list(data)


async def _run(job: Job, items: Sequence[Any], chunksize: int | None, chunking: Chunking,
               deployment: Deployment | None, url: str | None, secret: str | bytes | None,
               concurrency: int | None, timeout_s: float) -> list[Any]:
    target = resolve(deployment, url, secret)
    if target.key is None and not job.json_mode:
        raise PumaMapError("no shared secret for signing pickled chunks: pass secret=..., set 'secret' in the "
                           f"deployment's config, or set ${ENV_SECRET} (the same value the workers have)")
    async with _http(concurrency or 64, timeout_s) as http:
        instances = target.instances or await _status_instances(http, target.url)
        bounds = chunk_bounds(len(items), chunk_size(len(items), instances, chunking, chunksize))
        width = min(len(bounds), concurrency or 2 * instances)
        sender = _Sender(http, target, job, items, bounds)
        return await sender.run(width)


@functools.cache
def _note_missing_sniffio() -> None:
    # httpcore tries `import sniffio` each time it sets up a lock; without sniffio installed every
    # failed import walks sys.path again (~0.1 ms, dozens of times per map). Record the absence once.
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


def _http(max_connections: int, timeout_s: float) -> httpx.AsyncClient:
    _note_missing_sniffio()
    # trust_env=False: a $HTTP_PROXY must not divert chunks (and the secret's tags) elsewhere.
    return httpx.AsyncClient(verify=_ssl_context(), trust_env=False,
                             timeout=httpx.Timeout(timeout_s, connect=5.0),
                             limits=httpx.Limits(max_connections=max_connections,
                                                 max_keepalive_connections=max_connections))


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Made once per process: httpx would otherwise load the CA bundle for every client (~10 ms).
    return ssl.create_default_context()


class _Sender:
    """Sends the chunks of one map over a shared client, `width` at a time, in any order."""

    def __init__(self, http: httpx.AsyncClient, target: Target, job: Job, items: Sequence[Any],
                 bounds: list[tuple[int, int]]) -> None:
        self.http, self.target, self.job, self.items, self.bounds = http, target, job, items, bounds
        self.parts: list[Any] = [None] * len(bounds)

    async def run(self, width: int) -> list[Any]:
        pending = iter(range(len(self.bounds)))
        try:
            async with asyncio.TaskGroup() as group:  # the first failure cancels the other chunks
                for _ in range(width):
                    group.create_task(self._drain(pending))
        except BaseExceptionGroup as failed:
            raise _first_leaf(failed) from None
        return self.parts

    async def _drain(self, pending: Any) -> None:
        for index in pending:  # one iterator shared by every task: each chunk is taken once
            self.parts[index] = await self._chunk(index)

    async def _chunk(self, index: int) -> Any:
        start, stop = self.bounds[index]
        chunk = list(self.items[start:stop])
        nonce = secrets.token_hex(8)
        body, headers = self._request(chunk, nonce)
        problem = ""
        for attempt in range(self.job.retries + 1):
            if attempt:
                await asyncio.sleep(min(MAX_BACKOFF_S, BACKOFF_S * 2 ** (attempt - 1)))
            try:
                resp = await self.http.post(self.target.url, content=body, headers=headers)
            except RETRYABLE as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if resp.status_code not in RETRY_STATUSES:
                    return self._reply(index, chunk, nonce, resp)
                problem = f"HTTP {resp.status_code}: {resp.text[:200]}"
            log.info("puma_map chunk %d: %s; re-sending (attempt %d)", index, problem, attempt + 1)
        raise PumaMapError(f"chunk {index} failed {self.job.retries + 1} times; last: {problem}", chunk_index=index)

    def _request(self, chunk: list[Any], nonce: str) -> tuple[bytes, dict[str, str]]:
        key = self.target.key
        if self.job.json_mode:
            body = json.dumps({"fn": self.job.fn, "items": chunk}).encode()
            headers = {"content-type": JSON_TYPE}
            if key is not None:
                headers[SIGNATURE_HEADER] = sign(key, REQUEST, body)
            return body, headers
        assert key is not None
        signed = encode(key, REQUEST, {"id": nonce, "fn": self.job.fn, "mode": self.job.mode, "items": chunk,
                                       "reducer": self.job.reducer})
        return signed.data, {"content-type": BINARY_TYPE, SIGNATURE_HEADER: signed.signature}

    def _reply(self, index: int, chunk: list[Any], nonce: str, resp: httpx.Response) -> Any:
        binary = resp.headers.get("content-type", "").startswith(BINARY_TYPE)
        if binary and resp.status_code in (200, FAILED_STATUS):
            message = self._verified(index, resp)
            if message.get("id") != nonce:
                raise PumaMapError(f"chunk {index}: the reply belongs to another request", chunk_index=index)
            if message.get("ok"):
                log.debug("chunk %d: %d items, computed in %.3f s by pid %s", index, len(chunk),
                          message.get("compute_s", 0.0), message.get("pid"))
                return message["value"] if self.job.mode == "reduce" else message["results"]
            raise self._failed(index, message)
        detail = _json_or_text(resp)
        if resp.status_code == 200 and isinstance(detail, dict) and "results" in detail:
            self._check_json_reply(index, resp)
            return detail["results"]
        if resp.status_code == FAILED_STATUS and isinstance(detail, dict) and "index" in detail:
            raise self._failed(index, detail)
        error = detail.get("error", detail) if isinstance(detail, dict) else detail
        raise PumaMapError(f"chunk {index}: {self.target.url} answered HTTP {resp.status_code}: {error}",
                           chunk_index=index, status=resp.status_code)

    def _verified(self, index: int, resp: httpx.Response) -> dict[str, Any]:
        try:
            return decode(self.target.key, REPLY, resp.content, resp.headers.get(SIGNATURE_HEADER))
        except SignatureError as exc:
            raise PumaMapError(f"chunk {index}: reply refused, not unpickled: {exc}", chunk_index=index,
                               status=resp.status_code) from None

    def _check_json_reply(self, index: int, resp: httpx.Response) -> None:
        if self.target.key is None:
            return
        try:
            verify(self.target.key, REPLY, resp.content, resp.headers.get(SIGNATURE_HEADER))
        except SignatureError as exc:
            raise PumaMapError(f"chunk {index}: reply refused: {exc}", chunk_index=index) from None

    def _failed(self, index: int, message: dict[str, Any]) -> PumaMapError:
        position = self.bounds[index][0] + int(message.get("index") or 0)
        item = message.get("item")
        return PumaMapError(f"{self.job.fn} raised on item {position} (chunk {index}, item {short_repr(item)}): "
                            f"{message.get('error')}", chunk_index=index, item_index=position, item=item,
                            remote_traceback=message.get("traceback"), status=FAILED_STATUS)


def _first_leaf(group: BaseExceptionGroup[Any]) -> BaseException:
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


def _json_or_text(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return resp.text[:500]


# --- where the /map service is ---------------------------------------------------------------


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
    from ..app import default_app

    found = [*reversed(_local_deployments), default_app.deployment]
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


async def _status_instances(http: httpx.AsyncClient, url: str) -> int:
    """Ready instances of the service at `url`, from the deployment's /_puma/status (cached briefly)."""
    cached = _status_cache.get(url)
    if cached and time.monotonic() - cached[0] < STATUS_TTL_S:
        return cached[1]
    parts = urlsplit(url)
    count = os.cpu_count() or 2
    try:
        resp = await http.get(f"{parts.scheme}://{parts.netloc}/_puma/status", timeout=2.0)
        services = resp.json().get("services", {})
        count = next((s["ready"] for s in services.values() if s.get("prefix") == parts.path), count) or count
    except (httpx.HTTPError, ValueError, AttributeError, TypeError) as exc:
        log.debug("no instance count from %s: %s; assuming %d", url, exc, count)
    _status_cache[url] = (time.monotonic(), count)
    return count
