"""Every callable shape README promises is served, or refused when the service is built (newcomer
67 M3, m8): sync and async functions, generators and async generators (sent whole, as a list),
with bound parameters, none, or the whole request, and as an object's methods; a parameter no
request can carry (a `Callable`) is refused, naming it, rather than served and 400 on every call.
"""

from __future__ import annotations

import asyncio
import typing
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

import puma
from puma.binding import type_text
from puma.endpoints import serve
from puma.errors import PumaConfigError
from puma.serving import build_app


async def ticks(n: int = 3) -> AsyncIterator[int]:
    for i in range(n):
        await asyncio.sleep(0)
        yield i


async def words() -> AsyncIterator[str]:
    for word in ("tea", "jam"):
        yield word


async def echoed(request: puma.Request) -> AsyncIterator[dict]:
    yield {"path": request.path}
    yield {"fields": request.data}


def counted(n: int) -> Iterator[int]:
    yield from range(n)


async def awaited(n: int) -> list[int]:
    await asyncio.sleep(0)
    return list(range(n))


class Meter:
    async def readings(self, limit: int) -> AsyncIterator[float]:
        for i in range(limit):
            yield i / 2

    def plain(self, limit: int) -> Iterator[float]:
        yield from (i / 2 for i in range(limit))

    async def total(self, limit: int) -> float:
        return sum(i / 2 for i in range(limit))


@pytest.mark.parametrize(("target", "path", "body", "expected"), [
    (ticks, "/", {"n": 4}, [0, 1, 2, 3]),
    (ticks, "/", {}, [0, 1, 2]),
    (words, "/", None, ["tea", "jam"]),
    (echoed, "/", {"a": 1}, [{"path": "/"}, {"fields": {"a": 1}}]),
    (counted, "/", {"n": 2}, [0, 1]),
    (awaited, "/", {"n": 2}, [0, 1]),
    (Meter(), "/readings", {"limit": 3}, [0.0, 0.5, 1.0]),
    (Meter(), "/plain", {"limit": 3}, [0.0, 0.5, 1.0]),
    (Meter(), "/total", {"limit": 3}, 1.5),
], ids=["async-gen", "async-gen-default", "async-gen-no-params", "async-gen-request", "generator", "async-def",
        "async-gen-method", "generator-method", "async-method"])
def test_callable_shapes_each_is_served_and_a_stream_arrives_whole(target: Any, path: str, body: Any,
                                                                   expected: Any) -> None:
    client = build_app("shapes", target, max_body_bytes=10_000).test_client()
    reply = client.post(path, json=body) if body is not None else client.post(path)
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert reply.get_json() == expected


def test_callable_shapes_an_async_generators_bad_argument_is_a_400() -> None:
    reply = build_app("shapes", ticks, max_body_bytes=10_000).test_client().post("/", json={"n": "many"})
    assert reply.status_code == 400 and "n: 'many' is not valid (expected int)" in reply.get_json()["error"]


def takes_function(fn: Callable[[int], int], x: int) -> int:
    return fn(x)


def takes_optional_hook(x: int, hook: typing.Optional[typing.Callable[[], None]] = None) -> int:  # noqa: UP045
    return x


def takes_hooks(hooks: list[Callable[..., Any]]) -> int:
    return len(hooks)


class Pipeline:
    def run(self, step: Callable[[str], str], text: str) -> str:
        return step(text)


@pytest.mark.parametrize(("target", "parameter", "written"), [
    (takes_function, "fn", "Callable[[int], int]"),
    (takes_optional_hook, "hook", "Callable[[], None] | None"),
    (takes_hooks, "hooks", "list[Callable[..., Any]]"),
    (Pipeline(), "step", "Callable[[str], str]"),
])
def test_callable_shapes_a_callable_parameter_is_refused_when_the_service_is_built(
        target: Any, parameter: str, written: str) -> None:
    with pytest.raises(PumaConfigError) as caught:
        serve(target)
    message = str(caught.value)
    assert f"parameter {parameter!r}" in message and written in message and "str" in message, message


def test_callable_shapes_a_callable_type_reads_as_written() -> None:
    assert type_text(Callable[[int, str], bool]) == "Callable[[int, str], bool]"
    assert "<class" not in type_text(dict[str, Callable[[int], int]])
