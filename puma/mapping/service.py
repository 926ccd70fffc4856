"""The `/map` service: each instance runs one chunk of a `puma_map` per request.

Trust model:

* **Binary mode** (`application/octet-stream`): a pickled chunk `{id, fn, mode, items, reducer}`.
  Unpickling runs code, so the body must carry `x-puma-signature`, the HMAC-SHA256 of the body
  under the deployment's shared secret (`$PUMA_SECRET`, from the config key `secret`). The tag is
  checked with `hmac.compare_digest` before anything is deserialised; a missing or wrong tag gets
  401 and the body is never unpickled. Whoever holds the secret may run any importable function
  on the workers; the secret is the whole of the trust.
* **JSON mode** (`application/json`, `{"fn": "module:function", "items": [...]}`) for clients in
  other languages. It never unpickles, but it still calls a function by name, and calling
  `os:system` by name is as bad as unpickling a gadget. So a JSON request runs only if either
  - it is signed like a binary one (the caller holds the secret, and could do no more with JSON
    than with pickle), or
  - `fn` is listed exactly in the deployment's `$PUMA_MAP_ALLOW` (comma-separated import paths):
    the operator chose to publish that function, like any other service endpoint.
  Anything else gets 403. Unsigned callers see an exception's type and message, not its traceback.

An instance computes one chunk at a time, like a `multiprocessing.Pool` worker: two CPU-bound
chunks sharing the GIL would both finish late, while in turn the first reply travels back while
the next chunk computes (the client keeps about two chunks queued per instance).

`fn` raising answers 422 (not 5xx, so Envoy's retry policy does not re-run a failing chunk) with
the index of the failing item, the item and the traceback.

A chunk is computed within a deadline: the earliest of the map call's own `timeout_s` (sent in the
chunk) and the request's deadline (Envoy's route timeout, the map service's `timeout_s`), less a
margin so the answer reaches the caller first. An item still running then has hung: a Python thread
cannot be stopped, so the chunk is answered 422 naming that item ("did not return within ..."),
the instance refuses the chunks waiting behind it (503, to be sent elsewhere) and asks to be
replaced (`puma.recycling`): later maps never wait behind work that cannot finish.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import os
import pickle
import queue
import threading
import time
import traceback
from collections.abc import Callable
from itertools import islice
from typing import Any

from .. import apperrors, deadlines, recycling, targets
from ..codec import NonFiniteNumberError, encode_json
from ..errors import HTTPError, PumaClientError
from ..messages import Request, Response
from ..readiness import NOT_READY_HEADER
from ..serving import bytes_body
from .protocol import (
    BINARY_TYPE,
    FAILED_STATUS,
    JSON_TYPE,
    PICKLE_PROTOCOL,
    REPLY,
    REQUEST,
    SIGNATURE_HEADER,
    SignatureError,
    allowed_json_functions,
    decode,
    encode,
    short_repr,
    sign,
    verify,
    worker_secret,
)

log = logging.getLogger(__name__)
_one_chunk_at_a_time = threading.Lock()
LOCK_POLL_S = 0.1  # a chunk waiting for the one before it looks this often whether that one hung
# The answer to a hung chunk leaves this much before its caller's own deadline: a tenth, at most 1 s.
DEADLINE_MARGIN_FRACTION, MAX_DEADLINE_MARGIN_S, MIN_CHUNK_S = 0.1, 1.0, 0.05


class ItemFailed(Exception):
    """`fn` (or the reducer) raised on the item at `index` of the chunk."""

    def __init__(self, index: int, item: Any, exc: BaseException) -> None:
        super().__init__(index)
        self.index = index
        self.item = item
        self.error = f"{type(exc).__name__}: {exc}"
        self.said = _said(exc)  # what a direct call would answer, when the exception says a status
        # Drop this module's own frame: the traceback starts in the user's function.
        self.traceback = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__.tb_next
                                                            if exc.__traceback__ else None))
        self.hung = False


def _said(exc: BaseException) -> dict[str, Any]:
    """The status, message and class an exception says, as a service answering it directly would
    (`puma.serving`): so a map inside a service keeps a 404 its function raised. A call to another
    service refused inside `fn` (a 4xx) keeps the callee's status and words."""
    if isinstance(exc, PumaClientError):
        return {"error_status": exc.status, "error_message": str(exc.detail), "error_class": exc.error_class,
                "error_type": exc.raised or type(exc).__name__}
    status = apperrors.said_status(exc)
    if status is None:
        return {}
    cls = type(exc)
    return {"error_status": status, "error_message": apperrors.message_of(exc), "error_type": cls.__name__,
            "error_class": apperrors.class_name(cls) if apperrors.app_defined(cls) else None}


class ItemHung(ItemFailed):
    """`fn` (or the reducer) did not return on the item at `index` within the chunk's deadline."""

    def __init__(self, index: int, item: Any, fn: str, limit_s: float) -> None:
        super().__init__(index, item, TimeoutError(
            f"{fn} did not return on this item within {limit_s:.1f} s (the map's deadline); it still runs, so "
            "this map instance is replaced"))
        self.traceback = ""
        self.hung = True


class Progress:
    """Which item of a chunk `run_map`/`run_reduce` is computing (read by the thread waiting for it)."""

    index = 0


@bytes_body  # signed pickled chunks skip Flask's request handling
def map_service(request: Request) -> Response:
    """The `/map` service function: register it as `{"map": "puma.mapping:map_service"}`."""
    if request.method != "POST" or not request.body:
        raise HTTPError(405 if request.method != "POST" else 400,
                        "POST a signed pickled chunk (application/octet-stream) or JSON {fn, items}")
    if _header(request, "content-type").split(";")[0].strip() == JSON_TYPE:
        return _json_chunk(request)
    return _binary_chunk(request)


def _binary_chunk(request: Request) -> Response:
    key = worker_secret()
    try:
        message = decode(key, REQUEST, request.body, _header(request, SIGNATURE_HEADER) or None)
    except SignatureError as exc:
        raise HTTPError(401, str(exc)) from None
    except (pickle.UnpicklingError, ValueError, EOFError, TypeError) as exc:
        raise HTTPError(400, f"signed body is not a puma_map chunk: {exc}") from None
    assert key is not None
    items = _items(message.get("items"))
    fn = _function(message.get("fn"))
    reducer = _function(message.get("reducer")) if message.get("mode") == "reduce" else None
    limit_s = chunk_limit_s(message.get("timeout_s"))
    return _alone(lambda: _computed(key, message, fn, reducer, items, limit_s))


def _alone(reply: Callable[[], Response]) -> Response:
    """Compute one chunk at a time, and start the next only once this reply has been written.

    Envoy keeps a second chunk queued at each instance; computing it while this reply is still
    being written would leave the threads writing it waiting for the GIL, a whole chunk's time.
    A chunk waiting here while the one before it hangs is refused (503): the instance is being
    replaced, and the caller sends the chunk again, to another instance.
    """
    while not _one_chunk_at_a_time.acquire(timeout=LOCK_POLL_S):
        if recycling.reason() is not None:
            return _refused()
    if recycling.reason() is not None:
        _one_chunk_at_a_time.release()
        return _refused()
    try:
        response = reply()
    except BaseException:
        if recycling.reason() is None:  # else a hung chunk's thread still runs: keep the next one out
            _one_chunk_at_a_time.release()
        raise
    # A hung chunk keeps the lock: its thread still runs, and the instance is being replaced.
    if recycling.reason() is None:
        response.on_close = _one_chunk_at_a_time.release
    return response


def _refused() -> Response:
    why = recycling.reason()
    return Response(body={"error": f"this map instance is being replaced ({why}); the chunk was not computed: "
                                   "send it again", "status": 503, "retry_after_s": 1},
                    status=503, headers={"Retry-After": "1", NOT_READY_HEADER: "true"})


def chunk_limit_s(asked_s: Any) -> float | None:
    """Seconds a chunk may compute: the map call's `timeout_s` (`asked_s`, from the chunk) and the
    request's deadline, the earlier, less a margin; None when neither bounds it (a direct call)."""
    limits = [float(asked_s)] if isinstance(asked_s, int | float) and 0 < asked_s < float("inf") else []
    left = deadlines.remaining_s()
    if left is not None:
        limits.append(left)
    if not limits:
        return None
    limit = min(limits)
    return max(MIN_CHUNK_S, limit - min(MAX_DEADLINE_MARGIN_S, DEADLINE_MARGIN_FRACTION * limit))


class _ChunkThread:
    """The one thread that computes chunks (one at a time, see `_alone`), started at first use in
    each process: handing it a chunk costs ~20 us, a new thread per chunk ~350 us."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._pid = 0

    def submit(self, job: Callable[[], None]) -> None:
        if self._pid != os.getpid():  # first use here (a thread of the zygote's would not survive its fork)
            self._jobs = queue.SimpleQueue()
            self._pid = os.getpid()
            threading.Thread(target=self._run, args=(self._jobs,), daemon=True, name="puma-map-chunk").start()
        self._jobs.put(job)

    @staticmethod
    def _run(jobs: queue.SimpleQueue[Callable[[], None]]) -> None:
        while True:
            jobs.get()()


_chunk_thread = _ChunkThread()


def bounded(compute: Callable[[Progress], Any], items: list[Any], fn: str, limit_s: float | None) -> Any:
    """`compute(progress)`, on the chunk thread when `limit_s` bounds it; `ItemHung` naming the
    item it was on if it does not return within `limit_s` (then this instance asks to be replaced)."""
    progress = Progress()
    if limit_s is None:
        return compute(progress)
    outcome: list[Any] = []
    done = threading.Event()
    context = contextvars.copy_context()  # the request's deadline, for `fn` too

    def run() -> None:
        try:
            outcome.append((True, context.run(compute, progress)))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the request's thread
            outcome.append((False, exc))
        done.set()

    _chunk_thread.submit(run)
    if not done.wait(limit_s):
        index = progress.index
        hung = ItemHung(index, items[index], fn, limit_s)
        recycling.request(f"puma_map: {fn} did not return on item {index} of its chunk ({short_repr(items[index])}) "
                          f"within {limit_s:.1f} s; its thread still runs")
        raise hung
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


def _computed(key: bytes, message: dict[str, Any], fn: Callable[[Any], Any],
              reducer: Callable[[Any, Any], Any] | None, items: list[Any], limit_s: float | None) -> Response:
    took: list[float] = []

    def compute(at: Progress) -> dict[str, Any]:  # timed where it runs: the hand-off to the chunk thread is no work
        started = time.perf_counter()
        try:
            return {"value": run_reduce(fn, reducer, items, at)} if reducer else {"results": run_map(fn, items, at)}
        finally:
            took.append(time.perf_counter() - started)

    try:
        outcome: dict[str, Any] = bounded(compute, items, str(message.get("fn")), limit_s)
    except ItemFailed as failed:
        return _signed(key, _failure(message, failed), FAILED_STATUS)
    try:
        return _signed(key, {"id": message.get("id"), "ok": True, "pid": os.getpid(), "compute_s": took[0], **outcome},
                       200)
    except HTTPError:  # a result pickle cannot carry: reported as that item's failure, by its index
        return _signed(key, _failure(message, _unpicklable(outcome, items)), FAILED_STATUS)


def _unpicklable(outcome: dict[str, Any], items: list[Any]) -> ItemFailed:
    """The item whose result cannot be pickled (for a reduce: the chunk's value, at its last item)."""
    results = outcome.get("results", [outcome.get("value")])
    for index, result in enumerate(results):
        try:
            pickle.dumps(result, protocol=PICKLE_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - this is the one
            index = index if "results" in outcome else len(items) - 1
            return ItemFailed(index, items[index], UnpicklableResult(f"its result ({short_repr(result)}) cannot be "
                              f"pickled to send back: {type(exc).__name__}: {exc}; return values pickle can "
                              "carry (no locks, sockets, open files or generators)"))
    return ItemFailed(0, items[0], UnpicklableResult("the chunk's results cannot be pickled to send back"))


class UnpicklableResult(TypeError):
    """`fn` returned (or the reducer made) a value pickle cannot carry back to the caller."""


def _failure(message: dict[str, Any], failed: ItemFailed) -> dict[str, Any]:
    item = failed.item
    try:
        pickle.dumps(item, protocol=PICKLE_PROTOCOL)
    except Exception:  # noqa: BLE001 - any pickling failure: send its repr instead
        item = short_repr(item)
    return {"id": message.get("id"), "ok": False, "index": failed.index, "item": item,
            "error": failed.error, "traceback": failed.traceback, "hung": failed.hung, **failed.said}


def _signed(key: bytes, message: dict[str, Any], status: int) -> Response:
    try:
        reply = encode(key, REPLY, message)
    except Exception as exc:  # noqa: BLE001 - results that cannot be pickled are the caller's error
        raise HTTPError(FAILED_STATUS, f"results cannot be pickled: {type(exc).__name__}: {exc}") from None
    return Response(body=reply.data, status=status, headers={SIGNATURE_HEADER: reply.signature},
                    content_type=BINARY_TYPE)


def _json_chunk(request: Request) -> Response:
    key = worker_secret()
    signature = _header(request, SIGNATURE_HEADER)
    if signature:
        try:
            verify(key, REQUEST, request.body, signature)
        except SignatureError as exc:
            raise HTTPError(401, str(exc)) from None
    payload = request.json
    if not isinstance(payload, dict):
        raise HTTPError(400, 'send a JSON object {"fn": "module:function", "items": [...]}')
    path = payload.get("fn")
    if not signature and path not in allowed_json_functions():
        raise HTTPError(403, f"function {path!r} is not allowed for unsigned JSON calls; the operator may "
                             "list it in $PUMA_MAP_ALLOW, or sign the request with the shared secret")
    items = _items(payload.get("items"))
    fn = _function(path)
    limit_s = chunk_limit_s(payload.get("timeout_s"))
    return _alone(lambda: _json_reply(key, _json_results(fn, str(path), items, limit_s,
                                                         show_traceback=bool(signature))))


def _json_results(fn: Callable[[Any], Any], path: str, items: list[Any], limit_s: float | None, *,
                  show_traceback: bool) -> list[Any]:
    try:
        results: list[Any] = bounded(lambda at: run_map(fn, items, at), items, path, limit_s)
    except ItemFailed as failed:
        raise HTTPError(FAILED_STATUS, failed.error, index=failed.index, item=_jsonable(failed.item),
                        traceback=failed.traceback if show_traceback else None,
                        **({"hung": True} if failed.hung else {}), **failed.said) from None
    return results


def _json_reply(key: bytes | None, results: list[Any]) -> Response:
    try:
        body = encode_json({"results": results}).encode()
    except NonFiniteNumberError as exc:  # the function gave inf or nan for the caller's item
        index = int(exc.path.removeprefix("$.results[").split("]")[0]) if exc.path.startswith("$.results[") else None
        raise HTTPError(FAILED_STATUS, f"result {exc.value!r} of item {index} cannot be sent as JSON "
                        "(JSON has no NaN or infinity); map with a function that returns null or a string "
                        "for it, or use binary mode", index=index) from None
    except (TypeError, ValueError) as exc:
        raise HTTPError(FAILED_STATUS, f"results are not JSON: {exc}") from None
    headers = {SIGNATURE_HEADER: sign(key, REPLY, body)} if key else {}
    return Response(body=body, headers=headers, content_type=JSON_TYPE)


def run_map(fn: Callable[[Any], Any], items: list[Any], progress: Progress | None = None) -> list[Any]:
    """`[fn(x) for x in items]`; on an exception, `ItemFailed` names the item. `progress.index` is
    the item being computed."""
    out: list[Any] = []
    append = out.append
    at = progress or Progress()
    try:
        for index, item in enumerate(items):
            at.index = index
            append(fn(item))
    except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt too: an item's failure, reported
        raise ItemFailed(len(out), items[len(out)], exc) from None
    return out


def run_reduce(fn: Callable[[Any], Any], reducer: Callable[[Any, Any], Any], items: list[Any],
               progress: Progress | None = None) -> Any:
    """`functools.reduce(reducer, map(fn, items))` over a non-empty chunk; no initial value here."""
    done = 0
    at = progress or Progress()
    try:
        acc = fn(items[0])
        done = at.index = 1
        for item in islice(items, 1, None):
            acc = reducer(acc, fn(item))
            done = at.index = done + 1
    except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt too: an item's failure, reported
        raise ItemFailed(done, items[done], exc) from None
    return acc


@functools.lru_cache(maxsize=256)
def _load(path: str) -> Callable[..., Any]:
    return targets.load(path)


def _function(path: Any) -> Callable[..., Any]:
    if not isinstance(path, str):
        raise HTTPError(400, f"'fn' must be an import path 'module:function', not {short_repr(path)}")
    try:
        return _load(path)
    except Exception as exc:  # noqa: BLE001 - any import failure is the caller's to fix
        raise HTTPError(400, f"cannot import {path!r} on the worker: {type(exc).__name__}: {exc}") from None


def _items(items: Any) -> list[Any]:
    if not isinstance(items, list) or not items:
        raise HTTPError(400, "'items' must be a non-empty list")
    return items


def _header(request: Request, name: str) -> str:
    for key, value in request.headers.items():
        if key.lower() == name:
            return value
    return ""


def _jsonable(value: Any) -> Any:
    try:
        encode_json(value)
        return value
    except (TypeError, ValueError):
        return short_repr(value)
