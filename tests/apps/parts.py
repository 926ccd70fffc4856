"""Plain functions and objects served as PUMA services (tests/test_binding.py, test_objects.py,
test_remote.py): no `puma.Request` in sight, except where a method asks for one."""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel

import puma


@dataclass(frozen=True)
class Point:
    x: int
    y: int = 0


class Box(BaseModel):
    label: str
    size: float


def score(text: str, weights: list[float] | None = None, limit: int | None = None) -> dict:
    return {"text": text, "weights": weights, "limit": limit, "total": sum(weights or [])}


def shift(p: Point, by: int = 1) -> Point:
    return Point(p.x + by, p.y + by)


def grow(box: Box, times: int = 2) -> Box:
    return Box(label=box.label, size=box.size * times)


def total(ids: list[int], *, scale: float = 1.0) -> float:
    return sum(ids) * scale


def pick(side: Literal["left", "right"], when: dt.date | None = None) -> dict:
    return {"side": side, "when": when}


def tag(name: str, **extra: int) -> dict:
    return {"name": name, "extra": extra}


def tick(key: Any = None) -> dict:
    """A different answer each call (the caller's cache is seen by answers that repeat)."""
    return {"key": key, "at_ns": time.monotonic_ns(), "pid": os.getpid(), "films": ["Heat", "Alien"]}


def stamp() -> dict:
    """No parameters: the older form, which reads `puma.request` if it wants."""
    return {"path": puma.request.path}


def shapes(n: int) -> tuple[Point, set[int], dt.datetime]:
    return Point(n), {n}, dt.datetime(2020, 1, n, tzinfo=dt.UTC)


def refuse(kind: str) -> dict:
    """Raises what a plain function raises; PUMA answers by its kind."""
    errors: dict[str, Exception] = {"value": ValueError("n must be positive"), "type": TypeError("not a list"),
                                    "key": KeyError("no such id 42"), "runtime": RuntimeError("a bug"),
                                    "gone": Gone("it was deleted"), "http": puma.HTTPError(418, "a teapot"),
                                    "callee-down": puma.PumaCallError("db", 503, "no healthy upstream"),
                                    "callee-refused": puma.PumaBadRequest("db", 400, "bad constraint")}
    raise errors[kind]


def infinite(x: float) -> list[float]:
    return [x, float("inf")]


class Gone(Exception):
    status_code = 410


class Catalogue:
    """An object service: each public method at /<prefix>/<method>; built once per zygote."""

    def __init__(self) -> None:
        self.films = {1: "Heat", 2: "Alien", 3: "Big"}
        self.built_in = os.getpid()

    @puma.idempotent
    def search(self, words: list[str]) -> list[int]:
        return sorted(i for i, title in self.films.items() if any(w.lower() in title.lower() for w in words))

    def title(self, film_id: int) -> str:
        if film_id not in self.films:  # a KeyError of its own would be a bug of the service: 500
            raise puma.HTTPError(404, f"no film {film_id}")
        return self.films[film_id]

    def where(self, film_id: int) -> Point:
        return Point(film_id, film_id * 2)

    def builder(self) -> dict:
        return {"built_in": self.built_in, "serves_in": os.getpid()}

    def headers(self, request: puma.Request) -> dict:
        return {"path": request.path, "method": request.method}

    @staticmethod
    def version() -> str:
        return "1.0"

    @property
    def size(self) -> int:
        return len(self.films)

    def _private(self) -> str:
        return "never served"


class CatalogueApi(Protocol):
    """What a caller knows of the catalogue: the names and types of its methods."""

    def search(self, words: list[str]) -> list[int]: ...
    def title(self, film_id: int) -> str: ...
    def where(self, film_id: int) -> Point: ...


class Scorer:
    """A callable object: `__call__` at the prefix itself."""

    def __call__(self, text: str) -> dict:
        return {"length": len(text)}


def make_catalogue() -> Catalogue:
    """A factory, served with `make_catalogue()`."""
    return Catalogue()


class Flaky:
    """Dies (as a crash would) the first time it sees a request id, in either method; only `retried`
    is idempotent, so Envoy re-sends only its requests to another instance."""

    @puma.idempotent
    def retried(self, dir: str) -> dict:
        return _die_once(dir)

    def once(self, dir: str) -> dict:
        return _die_once(dir)


def _die_once(dir: str) -> dict:
    request_id = puma.request.headers.get("X-Request-Id", "none").replace("/", "_")
    marker = Path(dir) / request_id
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        os._exit(1)
    return {"died_in": int(marker.read_text()), "pid": os.getpid()}


class Uses:
    """Built from another service while the deployment starts: its factory calls the catalogue."""

    def __init__(self) -> None:
        self.found = puma.remote("catalogue", CatalogueApi).search(["a"])

    def found_at_start(self) -> list[int]:
        return self.found


def slow_start() -> None:
    """A warm-up that takes a while: services built from this one must wait for it."""
    time.sleep(1.5)


class Opaque:
    """Not a JSON type, a dataclass or a model."""


def bad_hint(when: Any, thing: Opaque) -> None:
    """A parameter JSON cannot give: refused when the service is built."""


async def later(n: int) -> dict:
    """An async function: run on the request's thread."""
    return {"n": n * 2}


class NeedsArguments:
    def __init__(self, url: str) -> None:
        self.url = url

    def ping(self) -> str:
        return self.url


class Asker:
    """A caller that remembers `tick`'s answers (`cache=`): which instance asked, and what it got."""

    def __init__(self) -> None:
        self.tick = puma.remote("tick", cache=16)

    def ask(self, key: str) -> dict:
        return {"asker": os.getpid(), "answer": self.tick(key)}
