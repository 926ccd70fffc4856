"""The client side of `puma_map`: cut the data into chunks, send them through Envoy, reassemble.

The calling thread sends every chunk over at most `concurrency` kept-alive connections (default 2
per instance, so each instance has its next chunk queued while the previous reply travels back)
and collects replies as they come. A chunk that found no instance (refused, 502/503/504 before an
instance had it) is re-sent with a short backoff; an exception in `fn` is not retried and raises
`PumaMapError` naming the item. A chunk whose instance *died* while it had it (the process exited:
`os._exit`, a segfault, out of memory) is cut into smaller chunks, down to single items, each sent
alone: nothing else of the map in flight, on a new connection, so that Envoy passes it on over a new
connection too — to a live instance, or to the socket of a dead one, where it waits for the
replacement — never over a kept-alive connection to an instance that has already died. A death seen
alone is then the chunk's own doing, and a single item whose instance died while it ran alone is
named: one item that kills its instance costs two instances (more for chunks over 64 items: one per
cut), is named, and is never re-sent to every instance.
`await puma_map(...)` runs the same in a worker thread."""

from __future__ import annotations

import contextvars
import functools
import heapq
import json
import logging
import pickle
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

from .. import apperrors, deadlines, targets
from ..codec import encode_json
from ..errors import PumaConfigError, PumaMapError
from .locate import Target, resolve, status_instances
from .protocol import (
    BINARY_TYPE,
    ENV_SECRET,
    FAILED_STATUS,
    JSON_TYPE,
    PICKLE_PROTOCOL,
    REPLY,
    REQUEST,
    SECRET_FIX,
    SIGNATURE_HEADER,
    Chunking,
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
from .transport import Disconnected, Exchange, ProtocolError, Reply

if TYPE_CHECKING:
    from ..supervisor import Deployment

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRY_STATUSES = frozenset({502, 503, 504})
# Refused, reset or cut off: the instance (or Envoy) died under the chunk; a timeout is not retried,
# nor a response that is not HTTP/1.1 (ProtocolError): a server that sends one sends it every time.
RETRYABLE = (ConnectionError,)  # includes the transport's Disconnected
# A chunk whose instance died under it is cut into about this many chunks, down to single items;
# a single item whose instance died while it ran alone is the cause.
CRASH_SPLIT = 64
BACKOFF_S = 0.05
MAX_BACKOFF_S = 1.0
CANCEL_POLL_S = 0.2
NO_INSTANCE_WAIT_S = 30.0  # a map waits this long for instances being replaced (an item killed them)
_MISSING: Any = object()
# Seconds per item each function took on the workers, last time it was mapped (sizes "pool" chunks).
_item_seconds: dict[str, float] = {}
# Set by `await puma_map(...)` for the thread that runs the map: cancelling the task sets it.
_cancel: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar("puma_map_cancel", default=None)


@dataclass(frozen=True)
class Job:
    fn: str
    mode: str = "map"
    reducer: str | None = None
    json_mode: bool = False
    retries: int = 4


async def puma_map(fn: Callable[[Any], Any] | str, data: Iterable[Any], **options: Any) -> list[Any]:
    """`list(map(fn, data))`, computed by the instances of a `/map` service; results in input order.

    The options are `map`'s. The chunks are sent from a worker thread, so the event loop stays free;
    cancelling the awaiting task stops sending and drops the chunks still in flight.

    >>> await puma.puma_map(math.factorial, range(10_000))                # doctest: +SKIP
    """
    items = _as_sequence(data)
    return await _in_thread(lambda: map(fn, items, **options))


async def puma_map_reduce(fn: Callable[[Any], Any] | str, data: Iterable[Any],
                          reducer: Callable[[Any, Any], Any], initial: Any = _MISSING, **options: Any) -> Any:
    """`functools.reduce(reducer, map(fn, data), initial)`, with each chunk reduced on a worker; see `map_reduce`."""
    items = _as_sequence(data)
    return await _in_thread(lambda: map_reduce(fn, items, reducer, initial, **options))


def map(fn: Callable[[Any], Any] | str, data: Iterable[Any], *, chunksize: int | None = None,  # noqa: A001
        chunking: Chunking = "pool", deployment: Deployment | None = None, url: str | None = None,
        secret: str | bytes | None = None, concurrency: int | None = None, json_mode: bool = False,
        retries: int = 4, timeout_s: float = 300.0) -> list[Any]:
    """`list(map(fn, data))`, computed by the instances of a `/map` service; results in input order.

    `fn` is an importable function (sent by import path). `url` is the map service's URL
    (e.g. "http://127.0.0.1:8080/map"); without it, `deployment`, else the deployment this process
    started. The secret comes from `secret`, else the deployment's config, else $PUMA_SECRET.
    Callable from any thread; successive calls reuse kept-alive connections. In a coroutine,
    `await puma.puma_map(...)` instead.

    >>> puma.map(math.factorial, range(1000))                             # doctest: +SKIP
    """
    items = _as_sequence(data)
    if not items:
        return []
    job = Job(_path_of(fn, "puma.map fn"), json_mode=json_mode, retries=retries)
    parts = _run(job, items, chunksize, chunking, deployment, url, secret, concurrency, timeout_s)
    return ordered(parts)


def map_reduce(fn: Callable[[Any], Any] | str, data: Iterable[Any], reducer: Callable[[Any, Any], Any],
               initial: Any = _MISSING, *, chunksize: int | None = None, chunking: Chunking = "pool",
               deployment: Deployment | None = None, url: str | None = None, secret: str | bytes | None = None,
               concurrency: int | None = None, retries: int = 4, timeout_s: float = 300.0) -> Any:
    """`functools.reduce(reducer, map(fn, data), initial)`, with each chunk reduced on a worker.

    Each worker reduces its chunk *without* `initial` (its first mapped item seeds it); the client
    then combines the partial results in chunk order with the same reducer, starting from
    `initial`: `reduce(reducer, partials, initial)`. So `initial` counts once, not once per chunk,
    and the result equals the local reduce whenever `reducer` is associative (operator.add, max,
    set union, ...) — whatever `initial` is. `reducer` must therefore take and return the type
    `fn` returns. Empty data returns `initial` (or raises TypeError without one, like reduce).

    >>> puma.map_reduce(math.factorial, [100] * 10**6, operator.add, 0)  # doctest: +SKIP
    """
    items = _as_sequence(data)
    reducer_path = _path_of(reducer, "puma.map_reduce reducer")
    parts: list[Any] = []
    if items:
        job = Job(_path_of(fn, "puma.map_reduce fn"), mode="reduce", reducer=reducer_path,
                  retries=retries)
        parts = _run(job, items, chunksize, chunking, deployment, url, secret, concurrency, timeout_s)
    if initial is _MISSING:
        if not parts:
            raise TypeError("map_reduce() of empty data with no initial value")
        return functools.reduce(reducer, parts)
    return functools.reduce(reducer, parts, initial)


def _path_of(fn: Callable[..., Any] | str, where: str) -> str:
    """The import path the workers load `fn` by; `PumaMapError` naming it and the fix when it has none."""
    try:
        return targets.import_path(fn, where=where)
    except PumaConfigError as exc:
        raise PumaMapError("; ".join(f"{path}: {problem}" for path, problem in exc.problems)) from None


async def _in_thread(run: Callable[[], T]) -> T:
    import asyncio  # imported by whoever runs the loop; puma.map's sync callers never pay for it

    cancel = threading.Event()
    _cancel.set(cancel)  # this task's context, which to_thread copies into the thread
    try:
        return await asyncio.to_thread(run)
    except asyncio.CancelledError:
        cancel.set()  # the thread notices within CANCEL_POLL_S and drops its connections
        raise


def _as_sequence(data: Iterable[Any]) -> Sequence[Any]:
    return data if isinstance(data, list | tuple | range) else list(data)


def _run(job: Job, items: Sequence[Any], chunksize: int | None, chunking: Chunking,
         deployment: Deployment | None, url: str | None, secret: str | bytes | None,
         concurrency: int | None, timeout_s: float) -> list[Any]:
    target = resolve(deployment, url, secret)
    if target.key is None and not job.json_mode:
        raise PumaMapError(f"no shared secret to sign the pickled chunks for {target.url}: this process has no "
                           f"${ENV_SECRET} and no secret=...; {SECRET_FIX}")
    instances = target.instances or status_instances(target.url)
    size = chunk_size(len(items), instances, chunking, chunksize, item_s=_item_seconds.get(job.fn))
    bounds = chunk_bounds(len(items), size)
    width = min(len(bounds), concurrency or 2 * instances)
    with Exchange(target.url, width, timeout_s) as exchange:
        sender = _Sender(exchange, target, job, items, bounds, _cancel.get())
        parts = sender.run()
    if sender.timed_items:
        _item_seconds[job.fn] = sender.compute_s / sender.timed_items
    return parts


class _Sender:
    """Sends the chunks of one map over an `Exchange`, as many at once as it allows, in any order."""

    def __init__(self, exchange: Exchange, target: Target, job: Job, items: Sequence[Any],
                 bounds: list[tuple[int, int]], cancel: threading.Event | None) -> None:
        self.exchange, self.target, self.job, self.items, self.bounds = exchange, target, job, items, bounds
        self.cancel = cancel
        self.parts: list[Any] = [None] * len(bounds)
        # Chunks cut from one whose instance died: each is sent alone (nothing else in flight, on a new
        # connection), so that if its instance dies too, it was this chunk's doing: not a neighbour's on
        # that instance, nor the earlier crash's (an idle connection Envoy kept to the dead instance).
        self.careful: set[int] = set()
        self.alone: set[int] = set()  # careful chunks sent so
        self.waiting_since: dict[int, float] = {}  # chunk -> when it was first refused
        self.split: set[int] = set()  # chunks cut into smaller ones after a crash: their parts are theirs
        self.queue: deque[tuple[int, int]] = deque((index, 0) for index in range(len(bounds)))  # (chunk, attempt)
        self.later: list[tuple[float, int, int]] = []  # heap of (not before, chunk, attempt) to re-send
        self.nonces: dict[int, str] = {}
        self.compute_s = 0.0  # work the instances reported, over this many items
        self.timed_items = 0

    def run(self) -> list[Any]:
        while self.queue or self.later or self.exchange.busy:
            self._fill()
            for index, outcome in self.exchange.wait(self._wait_s()):
                self._outcome(index, outcome)
            if self.cancel is not None and self.cancel.is_set():
                raise PumaMapError("puma_map was cancelled")
        kept = sorted((i for i in range(len(self.bounds)) if i not in self.split), key=lambda i: self.bounds[i][0])
        return [self.parts[i] for i in kept]

    def _fill(self) -> None:
        now = time.monotonic()
        while self.later and self.later[0][0] <= now:
            self.queue.append(heapq.heappop(self.later)[1:])
        careful = next((entry for entry in self.queue if entry[0] in self.careful), None)
        if careful is not None:  # one at a time, once what is in flight has come back
            if not self.exchange.busy:
                self.queue.remove(careful)
                self.alone.add(careful[0])
                self._send(*careful, fresh=True)
            return
        while self.queue and self.exchange.free:
            self._send(*self.queue.popleft())

    def _send(self, index: int, attempt: int, *, fresh: bool = False) -> None:
        body, headers = self._request(index)
        try:
            self.exchange.send((index, attempt), body, headers, fresh=fresh)
        except OSError as exc:
            self._retry(index, attempt, f"{type(exc).__name__}: {exc}")

    def _wait_s(self) -> float | None:
        waits = [self.later[0][0] - time.monotonic()] if self.later else []
        if self.cancel is not None:
            waits.append(CANCEL_POLL_S)
        return max(0.0, min(waits)) if waits else None

    def _outcome(self, tag: tuple[int, int], outcome: Reply | Exception) -> None:
        index, attempt = tag
        if isinstance(outcome, Reply) and outcome.status not in RETRY_STATUSES:
            self.parts[index] = self._reply(index, outcome)
        elif _instance_died(outcome):
            self._crashed(index, outcome)
        elif isinstance(outcome, ProtocolError):
            raise PumaMapError(f"chunk {index}: {self.target.url}: {outcome}", chunk_index=index)
        elif isinstance(outcome, Reply):
            self._retry(index, attempt, f"HTTP {outcome.status}: {outcome.body[:200].decode(errors='replace')}",
                        patient=outcome.status == 503)
        elif isinstance(outcome, RETRYABLE):
            self._retry(index, attempt, f"{type(outcome).__name__}: {outcome}")
        else:
            raise PumaMapError(f"chunk {index}: {type(outcome).__name__}: {outcome}", chunk_index=index)

    def _crashed(self, index: int, outcome: Reply | Exception) -> None:
        """The instance computing chunk `index` died: cut the chunk smaller, or name the item that did it."""
        start, stop = self.bounds[index]
        if stop - start == 1 and index in self.alone:
            item = self.items[start]
            raise PumaMapError(
                f"{self.job.fn} crashed the instance that ran item {start} ({short_repr(item)}): the process died "
                "without raising an exception (os._exit, a segfault in an extension, running out of memory, or a "
                "signal), so there is no traceback; it was not sent to another instance. Run "
                f"{self.job.fn.rpartition(':')[2]}({short_repr(item)}) locally to see why",
                chunk_index=index, item_index=start, item=item, status=_status(outcome))
        size = max(1, -(-(stop - start) // CRASH_SPLIT))
        log.warning("puma_map: the instance computing items %d-%d died (%s); sending them again, one chunk of %d "
                    "at a time",
                    start, stop - 1, _what(outcome), size)
        for begin in range(start, stop, size):
            self._resend_alone(index, begin, min(begin + size, stop))

    def _resend_alone(self, index: int, start: int, stop: int) -> None:
        """Replace chunk `index` by a new chunk of items [start, stop), sent with nothing else in flight."""
        self.split.add(index)
        self.bounds.append((start, stop))
        self.parts.append(None)
        self.careful.add(len(self.bounds) - 1)
        self.queue.append((len(self.bounds) - 1, 0))

    def _retry(self, index: int, attempt: int, problem: str, *, patient: bool = False) -> None:
        """Send chunk `index` again after a backoff; `patient` (no instance ready: they are being
        replaced) for up to NO_INSTANCE_WAIT_S, else for `retries` attempts."""
        waited = time.monotonic() - self.waiting_since.setdefault(index, time.monotonic())
        if (waited >= NO_INSTANCE_WAIT_S if patient else attempt >= self.job.retries):
            raise PumaMapError(f"chunk {index} failed {attempt + 1} times in {waited:.1f} s; last: {problem}",
                               chunk_index=index)
        log.info("puma_map chunk %d: %s; re-sending (attempt %d)", index, problem, attempt + 2)
        delay = min(MAX_BACKOFF_S, BACKOFF_S * 2 ** attempt)
        heapq.heappush(self.later, (time.monotonic() + delay, index, attempt + 1))

    def _request(self, index: int) -> tuple[bytes, dict[str, str]]:
        start, stop = self.bounds[index]
        chunk = list(self.items[start:stop])
        try:
            return self._encoded(index, chunk)
        except PumaMapError:
            raise
        except Exception as exc:  # noqa: BLE001 - an item pickle (or JSON) cannot carry: named, with its index
            raise _unsendable(chunk, start, index, exc, json_mode=self.job.json_mode) from None

    def _encoded(self, index: int, chunk: list[Any]) -> tuple[bytes, dict[str, str]]:
        key = self.target.key
        timeout_s = self._chunk_timeout_s()
        if self.job.json_mode:
            body = encode_json({"fn": self.job.fn, "items": chunk, "timeout_s": timeout_s}).encode()
            headers = {"content-type": JSON_TYPE}
            if key is not None:
                headers[SIGNATURE_HEADER] = sign(key, REQUEST, body)
            return body, headers
        assert key is not None
        nonce = self.nonces.setdefault(index, secrets.token_hex(8))
        signed = encode(key, REQUEST, {"id": nonce, "fn": self.job.fn, "mode": self.job.mode, "items": chunk,
                                       "reducer": self.job.reducer, "timeout_s": timeout_s})
        return signed.data, {"content-type": BINARY_TYPE, SIGNATURE_HEADER: signed.signature}

    def _chunk_timeout_s(self) -> float:
        """How long a chunk may compute: the map's `timeout_s`, or less if the request this map serves
        has less time left (the instance answers a chunk still computing then, naming its item)."""
        left = deadlines.remaining_s()
        return max(0.001, min(self.exchange.timeout_s, left if left is not None else float("inf")))

    def _reply(self, index: int, resp: Reply) -> Any:
        binary = resp.header("content-type").startswith(BINARY_TYPE)
        if binary and resp.status in (200, FAILED_STATUS):
            message = self._verified(index, resp)
            if message.get("id") != self.nonces[index]:
                raise PumaMapError(f"chunk {index}: the reply belongs to another request", chunk_index=index)
            if message.get("ok"):
                start, stop = self.bounds[index]
                log.debug("chunk %d: %d items, computed in %.3f s by pid %s", index, stop - start,
                          message.get("compute_s", 0.0), message.get("pid"))
                self.compute_s += float(message.get("compute_s") or 0.0)
                self.timed_items += stop - start
                return message["value"] if self.job.mode == "reduce" else message["results"]
            raise self._failed(index, message)
        detail = _json_or_text(resp.body)
        if resp.status == 200 and isinstance(detail, dict) and "results" in detail:
            self._check_json_reply(index, resp)
            return detail["results"]
        if resp.status == FAILED_STATUS and isinstance(detail, dict) and "index" in detail:
            raise self._failed(index, detail)
        error = detail.get("error", detail) if isinstance(detail, dict) else detail
        if resp.status == 401:  # its key is not this process's: say which keys and how to share one
            raise PumaMapError(f"chunk {index}: the map service at {self.target.url} refused it (HTTP 401): it checks "
                               f"signatures with another secret than this process's; {SECRET_FIX}",
                               chunk_index=index, status=resp.status)
        raise PumaMapError(f"chunk {index}: {self.target.url} answered HTTP {resp.status}: {error}",
                           chunk_index=index, status=resp.status)

    def _verified(self, index: int, resp: Reply) -> dict[str, Any]:
        try:
            return decode(self.target.key, REPLY, resp.body, resp.header(SIGNATURE_HEADER) or None)
        except SignatureError as exc:
            raise PumaMapError(f"chunk {index}: reply refused, not unpickled: {exc}", chunk_index=index,
                               status=resp.status) from None

    def _check_json_reply(self, index: int, resp: Reply) -> None:
        if self.target.key is None:
            return
        try:
            verify(self.target.key, REPLY, resp.body, resp.header(SIGNATURE_HEADER) or None)
        except SignatureError as exc:
            raise PumaMapError(f"chunk {index}: reply refused: {exc}", chunk_index=index) from None

    def _failed(self, index: int, message: dict[str, Any]) -> PumaMapError:
        position = self.bounds[index][0] + int(message.get("index") or 0)
        item = message.get("item")
        if message.get("hung"):
            return PumaMapError(f"{self.job.fn} hung on item {position} (chunk {index}, item {short_repr(item)}): "
                                f"{message.get('error')}; the rest of the map was not waited for",
                                chunk_index=index, item_index=position, item=item, status=FAILED_STATUS)
        said = _said(message)
        # An exception naming the app's class is raised as that class too (as a remote call's is).
        kind = cast("type[PumaMapError]", apperrors.rebuilt(PumaMapError, said.get("error_class")))
        return kind(f"{self.job.fn} failed on item {position} (chunk {index}, item {short_repr(item)}): "
                    f"{message.get('error')}", chunk_index=index, item_index=position, item=item,
                    remote_traceback=message.get("traceback"), status=FAILED_STATUS, **said)


def _said(message: dict[str, Any]) -> dict[str, Any]:
    """What the item's exception said of itself (`puma.mapping.service`), as PumaMapError's keywords."""
    status = message.get("error_status")
    if not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599:
        return {}
    error_class = message.get("error_class")
    return {"app_status": status, "app_message": str(message.get("error_message") or ""),
            "raised": str(message.get("error_type") or ""),
            "error_class": error_class if isinstance(error_class, str) else None}


def _unsendable(chunk: list[Any], start: int, index: int, exc: Exception, *, json_mode: bool) -> PumaMapError:
    """The error for a chunk that cannot be encoded: the first item that cannot, by its input index."""
    how = "sent as JSON" if json_mode else "pickled"
    check: Callable[[Any], Any] = encode_json if json_mode else functools.partial(pickle.dumps,
                                                                                  protocol=PICKLE_PROTOCOL)
    for offset, item in enumerate(chunk):
        try:
            check(item)
        except Exception as item_exc:  # noqa: BLE001 - this is the one
            return PumaMapError(f"item {start + offset} ({short_repr(item)}) cannot be {how} to the workers: "
                                f"{type(item_exc).__name__}: {item_exc}; pass items {'JSON' if json_mode else 'pickle'} can carry "
                                "(no locks, sockets, open files or generators)", chunk_index=index,
                                item_index=start + offset, item=short_repr(item))
    return PumaMapError(f"chunk {index} cannot be {how}: {type(exc).__name__}: {exc}", chunk_index=index)


def _instance_died(outcome: Reply | Exception) -> bool:
    """Whether the instance had the chunk and died before answering: a reset after the request was
    sent, or Envoy's answer saying so (`may_have_taken_effect`), as opposed to finding no instance."""
    if isinstance(outcome, Disconnected | ConnectionResetError):
        return True
    if not isinstance(outcome, Reply) or outcome.status not in (502, 503):  # 504: a timeout, not a death
        return False
    detail = _json_or_text(outcome.body)
    return isinstance(detail, dict) and detail.get("may_have_taken_effect") is True


def _status(outcome: Reply | Exception) -> int:
    return outcome.status if isinstance(outcome, Reply) else 0


def _what(outcome: Reply | Exception) -> str:
    if isinstance(outcome, Reply):
        return f"HTTP {outcome.status}"
    return f"{type(outcome).__name__}: {outcome}"


def _json_or_text(body: bytes | bytearray) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return body[:500].decode(errors="replace")
