"""A small shop ported the one-script way (`puma_service(__name__)`), as a newcomer writes it:
its map functions, its statuses and its nested arguments live in this script, which `puma run`
loads under another module name (tests/test_shop_app.py)."""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass

from pydantic import BaseModel

import puma
from puma import puma_config, puma_service, puma_start
from puma.mapping import service_config


@dataclass
class Line:
    sku: str
    qty: int = 1


@dataclass
class Basket:
    lines: list[Line]
    note: str = ""


class Address(BaseModel):
    street: str
    city: str


class Stock:
    """Shelf counts; `count` is idempotent by config."""

    def __init__(self) -> None:
        self.shelf = {"fig": 3, "kiwi": 10}

    def count(self, sku: str) -> int:
        return self.shelf[sku]

    def restock(self, sku: str, qty: int) -> tuple[dict, int]:
        self.shelf[sku] = self.shelf.get(sku, 0) + qty
        return {"sku": sku, "shelf": self.shelf[sku]}, 201


def checksum(order_id: int) -> int:
    """Defined in the app script itself: what the map's workers must import."""
    return zlib.crc32(str(order_id).encode()) % 251


def plus(a: int, b: int) -> int:
    return a + b


def _fall_over(item: tuple[int, int]) -> int:
    order_id, poison = item
    if order_id == poison:
        os._exit(3)  # a hard crash: no exception, no traceback
    return order_id


def _refuse(order_id: int) -> int:
    if order_id == 7:
        raise ArithmeticError(f"order {order_id} does not add up")
    return order_id


def audit(order_ids: list[int], how: str = "plain", poison: int = -1) -> dict:
    """Map over the orders with a function of this script, or with one the map cannot send."""
    if how == "plain":
        return {"scores": puma.map(checksum, order_ids), "total": puma.map_reduce(checksum, order_ids, plus, 0)}
    if how == "inline":
        return {"scores": puma.map(lambda order_id: order_id * 2, order_ids)}
    if how == "nested":
        def doubled(order_id: int) -> int:
            return order_id * 2

        return {"scores": puma.map(doubled, order_ids)}
    if how == "poisoned":
        return {"scores": puma.map(_fall_over, [(order_id, poison) for order_id in order_ids])}
    return {"scores": puma.map(_refuse, order_ids)}


def register(name: str) -> puma.Response:
    """A plain function choosing its status."""
    return puma.Response({"name": name}, status=201, headers={"location": f"/customers/{name}"})


class Desk:
    """Every handler form choosing a status: methods, an unannotated one, async ones."""

    def register(self, name: str) -> puma.Response:
        return puma.Response({"name": name}, status=201)

    def register_later(self, name: str) -> tuple[dict, int]:
        return {"queued": name}, 202

    def register_plain(self, name: str):  # noqa: ANN201 - unannotated, as a newcomer writes it
        return Line(name, 2), 201

    def pair(self, name: str) -> tuple[str, int]:
        """A tuple that is data: its return annotation says so."""
        return name, 201

    async def register_async(self, name: str) -> puma.Response:
        return puma.Response({"name": name, "async": True}, status=201)

    async def halve(self, n: int) -> float:
        return n / 2


def deliver(basket: Basket, address: Address | None = None) -> dict:
    return {"items": sum(line.qty for line in basket.lines), "city": address.city if address else None}


__all__ = ["Desk", "Stock", "audit", "deliver", "register"]  # the map's functions stay private


puma_config({"puma_services": {
    "stock": {"instances": 1, "idempotent": ["count"], "stateful": True},
    "audit": {"instances": 1, "timeout_s": 60},
    "desk": {"idempotent": True},
    "map": service_config(2),
}})
puma_service(__name__)

if __name__ == "__main__":
    puma_start()
