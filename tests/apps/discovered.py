"""A module whose public functions and classes PUMA serves by its name (tests/test_discovery.py):
what is a service here and what is only a type or a helper."""

from __future__ import annotations

import enum
import socketserver
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel

from tests.apps.parts import score  # imported, not defined here: not this module's service


@dataclass
class Point:  # a data type: no methods
    x: int
    y: int = 0


class Colour(enum.Enum):
    RED = "red"


class Refused(ValueError):
    pass


class Order(BaseModel):  # a pydantic model has public methods (model_dump...), but is a type
    qty: int = 1


class Speaker(Protocol):
    def speak(self) -> str: ...


class Needs:  # a service would need a factory: left out
    def __init__(self, path: str) -> None:
        self.path = path

    def read(self) -> str:
        return self.path


class LocalDb:
    def __init__(self) -> None:
        self.rows = {1: "Heat"}

    def title(self, row: int) -> str:
        return self.rows[row]


class Doubler:
    def __call__(self, n: int) -> int:
        return 2 * n


def moved(p: Point, by: int = 1) -> Point:
    return Point(p.x + by, p.y)


def _helper() -> None:
    pass


HELPER_ALIAS = score


class Handler(socketserver.StreamRequestHandler):  # the monolith's socket handler: needs arguments
    def handle(self) -> None:
        pass


def main() -> None:  # the monolith's entry point: never a service
    raise SystemExit("would start the monolith's own server")
