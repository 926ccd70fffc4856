"""The bookshop monolith ported to PUMA by naming its parts (its author's own port).

Run it: `puma run examples/bookshop/ported/bookshop.py`; what changed: `puma loc-report
examples/bookshop/monolith/bookshop.py examples/bookshop/ported/bookshop.py`.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from pydantic import BaseModel

import puma
from puma import puma_config, puma_service, puma_start


@dataclass
class Book:
    isbn: str
    title: str
    author: str
    price_cents: int
    tags: list[str] = field(default_factory=list)


class Customer(BaseModel):
    name: str
    email: str
    vip: bool = False


class OutOfStock(LookupError):
    """Raised when a book cannot be found."""


class Catalogue:
    def __init__(self) -> None:
        self.books = {
            "111": Book("111", "Dune", "Herbert", 1200, ["sf"]),
            "222": Book("222", "Emma", "Austen", 800, ["classic"]),
            "333": Book("333", "Ficciones", "Borgès", 950, ["classic", "short"]),
            "444": Book("444", "三体", "刘慈欣", 1500, ["sf"]),
        }

    @puma.idempotent
    def search(self, word: str, max_price: int | None = None, limit: int = 10) -> list[Book]:
        found = [b for b in self.books.values()
                 if word.lower() in b.title.lower() or word.lower() in b.author.lower()]
        if max_price is not None:
            found = [b for b in found if b.price_cents <= max_price]
        return found[:limit]

    def get(self, isbn: str) -> Book | None:
        return self.books.get(isbn)

    def must_get(self, isbn: str) -> Book:
        book = self.books.get(isbn)
        if book is None:
            raise OutOfStock(f"no book with isbn {isbn}")
        return book


def price(cents: list[int], discount_pct: int | None = None, vip: bool = False) -> int:
    """Total of the given prices with an optional discount."""
    total = sum(cents)
    if discount_pct is not None:
        if not 0 <= discount_pct <= 100:
            raise ValueError(f"discount_pct must be 0..100, got {discount_pct}")
        total = total * (100 - discount_pct) // 100
    if vip:
        total -= 100
    return max(total, 0)


CATALOGUE = puma.remote("catalogue", Catalogue)
ACATALOGUE = puma.aremote("catalogue", Catalogue)


def order(customer: Customer, isbns: list[str], discount_pct: int | None = None) -> dict:
    books = [CATALOGUE.must_get(i) for i in isbns]
    total = price([b.price_cents for b in books], discount_pct, customer.vip)
    return {"customer": customer.name, "titles": [b.title for b in books], "total_cents": total}


async def availability(isbns: list[str]) -> dict[str, bool]:
    await asyncio.sleep(0)
    return {i: await ACATALOGUE.get(i) is not None for i in isbns}


def main() -> None:
    print(CATALOGUE.search("e"))
    print(CATALOGUE.get("999"))
    print(price([100, 200], 10))
    print(order(Customer(name="Zoë", email="z@x"), ["111", "444"], 5))
    try:
        order(Customer(name="Al", email="a@x"), ["999"])
    except OutOfStock as e:
        print("error:", e)
    print(asyncio.run(availability(["111", "999"])))


puma_config({"puma_services": {"catalogue": {"instances": 2}}})
puma_service(__name__)

if __name__ == "__main__":
    puma_start()
