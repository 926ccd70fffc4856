"""HTTP for `puma_map`: pooled `httpx.AsyncClient`s, and the event loop behind the synchronous API.

The synchronous `puma.map` runs on one private event loop on a daemon thread, with one long-lived
client, so successive calls from any thread reuse kept-alive connections instead of paying for a
new loop and new connections each time. `await puma_map(...)` uses a client of its own per call.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import ssl
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

MAX_CONNECTIONS = 64
_shared: contextvars.ContextVar[httpx.AsyncClient | None] = contextvars.ContextVar("puma_map_http", default=None)
_loops: dict[int, _LoopThread] = {}
_loops_lock = threading.Lock()


def new_client(max_connections: int = MAX_CONNECTIONS) -> httpx.AsyncClient:
    """A pooled client; per-request timeouts are passed with each request."""
    # trust_env=False: a $HTTP_PROXY must not divert chunks (and their signatures) elsewhere.
    return httpx.AsyncClient(verify=_ssl_context(), trust_env=False, timeout=httpx.Timeout(300.0, connect=5.0),
                             limits=httpx.Limits(max_connections=max_connections,
                                                 max_keepalive_connections=max_connections))


def shared_client() -> httpx.AsyncClient | None:
    """The long-lived client when running on the synchronous API's loop, else None."""
    return _shared.get()


def run_sync(make: Callable[[], Awaitable[Any]]) -> Any:
    """Run the coroutine `make()` on the private loop and wait for its result, from any thread."""
    return _loop_thread().run(make)


class _LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.http: httpx.AsyncClient | None = None
        self.thread = threading.Thread(target=self.loop.run_forever, name="puma-map-loop", daemon=True)
        self.thread.start()

    def run(self, make: Callable[[], Awaitable[Any]]) -> Any:
        if threading.current_thread() is self.thread:
            raise RuntimeError("puma.map() called on puma's own map loop; use `await puma.puma_map(...)`")
        future = asyncio.run_coroutine_threadsafe(self._with_client(make), self.loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise

    async def _with_client(self, make: Callable[[], Awaitable[Any]]) -> Any:
        if self.http is None:
            self.http = new_client()
        _shared.set(self.http)  # this task's context only
        return await make()


def _loop_thread() -> _LoopThread:
    pid = os.getpid()  # a forked child must not use its parent's (not running) loop
    with _loops_lock:
        if pid not in _loops:
            _loops.clear()
            _loops[pid] = _LoopThread()
        return _loops[pid]


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Made once per process: httpx would otherwise load the CA bundle for every client (~10 ms).
    return ssl.create_default_context()


