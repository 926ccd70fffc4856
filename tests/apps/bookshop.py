"""A newcomer's 66-line bookshop monolith, ported by naming its parts (the catalogue object, its
functions): `order` calls the catalogue remotely and lets its `OutOfStock` through, as the
monolith did (tests/test_bookshop_port.py)."""

from __future__ import annotations

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


class Closed(Exception):
    """The shop's own words, but no status: a 500 whose text the caller reads."""


class Catalogue:
    def __init__(self) -> None:
        self.books = {"111": Book("111", "Dune", "Herbert", 1200, ["sf"]),
                      "222": Book("222", "Emma", "Austen", 800, ["classic"])}

    @puma.idempotent
    def search(self, word: str, max_price: int | None = None, limit: int = 10) -> list[Book]:
        found = [b for b in self.books.values() if word.lower() in (b.title + b.author).lower()]
        return [b for b in found if max_price is None or b.price_cents <= max_price][:limit]

    def count(self, word: str) -> list[str]:  # a caller's spec may say int: its mistake is named
        return [b.isbn for b in self.search(word)]

    def missing_type(self, isbn: str) -> str:
        return isbn

    def must_get(self, isbn: str) -> Book:
        book = self.books.get(isbn)
        if book is None:
            raise OutOfStock(f"no book with isbn {isbn}")
        return book


def price(cents: list[int], discount_pct: int | None = None, vip: bool = False) -> int:
    total = sum(cents) * (100 - (discount_pct or 0)) // 100
    return max(total - (100 if vip else 0), 0)


CATALOGUE = puma.remote("catalogue", Catalogue)


def order(customer: Customer, isbns: list[str], discount_pct: int | None = None) -> dict:
    books = [CATALOGUE.must_get(i) for i in isbns]  # OutOfStock passes through, as in the monolith
    total = price([b.price_cents for b in books], discount_pct, customer.vip)
    return {"customer": customer.name, "titles": [b.title for b in books], "total_cents": total}


def order_lenient(isbns: list[str]) -> list[str]:
    got = []
    for isbn in isbns:
        try:
            got.append(CATALOGUE.must_get(isbn).title)
        except OutOfStock:
            got.append("-")
    return got


def restock(isbn: str) -> int:
    if isbn:
        raise RuntimeError(f"the warehouse is closed; {isbn} cannot be restocked")
    return 0


def divide(n: int) -> int:
    return 100 // n


def close(note: str) -> str:
    raise Closed(f"closed: {note}")


def label(title: str, note: str = "") -> str:
    return f"{title} {note}".strip()


puma_config({"puma_services": {"catalogue": {"instances": 1}, "bookshop": {"max_body_bytes": 4096}}})
puma_service(__name__)

if __name__ == "__main__":
    puma_start()
