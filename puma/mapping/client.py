"""The client side of `puma_map`: cut the data into chunks, send them through Envoy, reassemble.

One pooled `httpx.AsyncClient` per call carries every chunk over at most `concurrency` kept-alive
connections (default 2 per instance, so each instance has its next chunk queued while the previous
reply travels back). A chunk whose instance died mid-call (connection reset, 502/503/504) is re-sent
with a short backoff; an exception in `fn` is not retried and raises `PumaMapError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from .. import targets
from .locate import Target, resolve, status_instances
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
    ordered,
    short_repr,
    sign,
    verify,
)
from .transport import new_client, run_sync, shared_client

if TYPE_CHECKING:
    from ..supervisor import Deployment

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({502, 503, 504})
RETRYABLE = (httpx.NetworkError, httpx.RemoteProtocolError, httpx.ConnectTimeout, httpx.PoolTimeout)
BACKOFF_S = 0.05
MAX_BACKOFF_S = 1.0
_MISSING: Any = object()


@dataclass(frozen=True)
class Job:
    fn: str
    mode: str = "map"
    reducer: str | None = None
    json_mode: bool = False
    retries: int = 4


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
    """The synchronous `puma_map`: `puma.map(math.factorial, range(1000))`.

    Callable from any thread, with or without an event loop (it blocks the caller; in a coroutine,
    `await puma.puma_map(...)` instead). Successive calls reuse kept-alive connections.
    """
    items = _as_sequence(data)  # consumed here, in the caller's thread
    return run_sync(lambda: puma_map(fn, items, **options))


def map_reduce(fn: Callable[[Any], Any] | str, data: Iterable[Any], reducer: Callable[[Any, Any], Any],
               initial: Any = _MISSING, **options: Any) -> Any:
    """The synchronous `puma_map_reduce`: `puma.map_reduce(math.factorial, data, operator.add, 0)`."""
    items = _as_sequence(data)
    return run_sync(lambda: puma_map_reduce(fn, items, reducer, initial, **options))


def _as_sequence(data: Iterable[Any]) -> Sequence[Any]:
    return data if isinstance(data, list | tuple | range) else list(data)


async def _run(job: Job, items: Sequence[Any], chunksize: int | None, chunking: Chunking,
               deployment: Deployment | None, url: str | None, secret: str | bytes | None,
               concurrency: int | None, timeout_s: float) -> list[Any]:
    target = resolve(deployment, url, secret)
    if target.key is None and not job.json_mode:
        raise PumaMapError("no shared secret for signing pickled chunks: pass secret=..., set 'secret' in the "
                           f"deployment's config, or set ${ENV_SECRET} (the same value the workers have)")
    async with contextlib.AsyncExitStack() as stack:
        http = shared_client() or await stack.enter_async_context(new_client())
        instances = target.instances or await status_instances(http, target.url)
        bounds = chunk_bounds(len(items), chunk_size(len(items), instances, chunking, chunksize))
        width = min(len(bounds), concurrency or 2 * instances)
        timeout = httpx.Timeout(timeout_s, connect=5.0)
        return await _Sender(http, target, job, items, bounds, timeout).run(width)


class _Sender:
    """Sends the chunks of one map over a shared client, `width` at a time, in any order."""

    def __init__(self, http: httpx.AsyncClient, target: Target, job: Job, items: Sequence[Any],
                 bounds: list[tuple[int, int]], timeout: httpx.Timeout) -> None:
        self.http, self.target, self.job, self.items, self.bounds = http, target, job, items, bounds
        self.timeout = timeout
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
                resp = await self.http.post(self.target.url, content=body, headers=headers, timeout=self.timeout)
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
