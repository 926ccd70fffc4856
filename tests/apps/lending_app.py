"""A lending desk ported from a monolith by naming its module (the newcomer check of issue 21):
`puma run tests/apps/lending_app.py`. Three parts: a shelf of books (an object, built once per
zygote), the fine for a late return (a plain function) and the desk that lends a book (a plain
function calling the shelf through the mesh). The data class, the exception, the enum and the
private helper are not services."""

from __future__ import annotations

import enum
from dataclasses import dataclass

import puma
from puma import puma_config, puma_service, puma_start


@dataclass
class Book:
    isbn: str
    title: str
    copies: int


class Member(enum.Enum):
    ADULT = "adult"
    CHILD = "child"


class NotOnShelf(LookupError):
    status_code = 404  # a service's own LookupError is a 500 (a bug) unless it says its status


class Shelf:
    def __init__(self) -> None:
        self.books = {b.isbn: b for b in (Book("0-14-044913-3", "Middlemarch", 2), Book("0-19-953556-4", "Emma", 0))}

    @puma.idempotent
    def find(self, words: str) -> list[Book]:
        return [b for b in self.books.values() if words.lower() in b.title.lower()]

    def available(self, isbn: str) -> bool:
        return _book(self.books, isbn).copies > 0


def fine(days_late: int, member: Member = Member.ADULT) -> dict:
    return {"pence": max(0, days_late) * (10 if member is Member.CHILD else 25)}


def lend(isbn: str, member: str) -> dict:
    if not puma.remote("shelf", Shelf).available(isbn):
        raise puma.HTTPError(409, f"isbn {isbn}: no copy on the shelf")
    return {"isbn": isbn, "member": member, "due_in_days": 21}


def _book(books: dict[str, Book], isbn: str) -> Book:
    if isbn not in books:
        raise NotOnShelf(f"isbn {isbn!r} is not in this library")
    return books[isbn]


puma_config({"puma_services": {"shelf": {"instances": 2}}})
puma_service(__name__)

if __name__ == "__main__":
    puma_start()
