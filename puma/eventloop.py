"""One asyncio event loop per instance, on which every `async def` handler is awaited.

An instance answers each request on a waitress thread; a handler that is a coroutine function
(in any form: no parameters, a `puma.Request`, bound parameters, an object's method) is handed
to this loop and the thread waits for its result. So coroutines of concurrent requests interleave
on one loop (an `await asyncio.sleep(1)` in 50 requests takes about 1 s, not 50 thread-slots), and
an instance of a service with async handlers keeps up to `ASYNC_CONCURRENCY` requests in progress
(its sync handlers still run at most `threads` at a time: `sync_gate`). The calling thread's
context variables (`puma.request`, the request's deadline) are the coroutine's. The loop starts
on first use in the process that uses it (a thread started in the zygote would not survive the fork).

Example::

    async def fetch(url: str) -> dict: ...
    run(fetch("x"))   # from any thread: its result, or its exception
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
import os
import threading
from collections.abc import AsyncIterable, Awaitable
from typing import Any

ASYNC_CONCURRENCY = 64  # requests an instance of a service with async handlers serves at once

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_loop_pid = 0


def is_async(fn: Any) -> bool:
    """Whether calling `fn` gives a coroutine or an async generator: an `async def` (one that
    yields included), or an object whose `__call__` is one."""
    call = type(fn).__call__
    return any(check(f) for f in (fn, call) for check in (inspect.iscoroutinefunction, inspect.isasyncgenfunction))


async def collected(stream: AsyncIterable[Any]) -> list[Any]:
    """What an async generator (or any async iterable) yields, as a list: a reply sends it whole,
    as a generator's."""
    return [item async for item in stream]


def run(awaitable: Awaitable[Any]) -> Any:
    """Await `awaitable` on this process's loop, from a thread that is not the loop's; its result."""
    loop = _running_loop()
    context = contextvars.copy_context()
    done: concurrent.futures.Future[Any] = concurrent.futures.Future()

    def start() -> None:
        task = loop.create_task(_awaited(awaitable), context=context)
        task.add_done_callback(lambda t: _settle(t, done))

    loop.call_soon_threadsafe(start)
    return done.result()


async def _awaited(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def _settle(task: asyncio.Task[Any], done: concurrent.futures.Future[Any]) -> None:
    if task.cancelled():
        done.set_exception(concurrent.futures.CancelledError())
    elif (exc := task.exception()) is not None:
        done.set_exception(exc)
    else:
        done.set_result(task.result())


def _running_loop() -> asyncio.AbstractEventLoop:
    global _loop, _loop_pid
    with _lock:
        if _loop is None or _loop_pid != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="puma-asyncio", daemon=True).start()
            _loop, _loop_pid = loop, os.getpid()
        return _loop
