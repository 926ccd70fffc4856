"""`async def` handlers in every form a service may take (tests/test_async_handlers.py)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import puma


async def ping() -> dict:
    """No parameters: the body must run (it leaves a mark where $AWAITED_MARKS says)."""
    await asyncio.sleep(0)
    marks = os.environ.get("AWAITED_MARKS")
    if marks:
        (Path(marks) / f"ping-{os.getpid()}").write_text("ran")
    return {"pong": True}


async def whoami(request: puma.Request) -> dict:
    await asyncio.sleep(0)
    return {"path": request.path, "current": puma.request.path, "data": request.data}


async def nap(seconds: float = 0.5) -> dict:
    await asyncio.sleep(seconds)
    return {"slept": seconds, "pid": os.getpid()}


async def pair(x: int, y: str = "a") -> dict:
    return {"x": x, "y": y}


def sync_pair(x: int, y: str = "a") -> dict:
    return {"x": x, "y": y}


async def broken(request: puma.Request) -> dict:
    raise RuntimeError("secret dsn postgres://u:p@h/db")


async def refused(request: puma.Request) -> dict:
    raise puma.HTTPError(409, "already taken")


class Shelf:
    """An object service whose methods are coroutines."""

    async def count(self, n: int) -> dict:
        await asyncio.sleep(0)
        return {"n": n}


def with_headers(request: puma.Request) -> tuple[dict, int, dict]:
    """Replies {"ok": true} with the headers the request's JSON object lists."""
    return {"ok": True}, 200, dict(request.data.get("headers", {}))


def counted_headers(request: puma.Request) -> tuple[dict, int, dict]:
    """As `with_headers` (plus `{"size": N}` for one `X-Big` header of N bytes), first appending a
    line to the file `request.data["ran"]` names: how many times a handler ran."""
    with open(request.data["ran"], "a") as ran:
        ran.write("ran\n")
    headers = dict(request.data.get("headers", {}))
    if "size" in request.data:
        headers["X-Big"] = "a" * int(request.data["size"])
    return {"ok": True}, 200, headers
