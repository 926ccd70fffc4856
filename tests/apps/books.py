"""A book-keeping service for `tests/test_remote_kinds.py`: methods returning streams (iterators,
generators), one returning an object JSON cannot rebuild, keyword-only parameters and text."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import dataclass
from typing import Protocol


@dataclass
class Entry:
    account: str
    amount: float
    at: dt.datetime


class Handle:
    """Not JSON: a caller's spec cannot rebuild it."""

    def __init__(self, fd: int) -> None:
        self.fd = fd


class Ledger:
    def __init__(self) -> None:
        start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        self.rows = [Entry("ann", 5.0, start), Entry("bo", 2.5, start), Entry("ann", -1.0, start)]
        self.opened = 0
        self.lock = threading.Lock()

    def entries(self, account: str) -> list[Entry]:
        return [e for e in self.rows if e.account == account]

    def stream(self, account: str) -> Iterator[Entry]:
        yield from (e for e in self.rows if e.account == account)

    def amounts(self, account: str) -> Generator[float, None, None]:
        for e in self.rows:
            if e.account == account:
                yield e.amount

    def maybe(self, account: str) -> Iterator[Entry] | None:
        return iter(self.entries(account)) if account else None

    def open(self) -> Handle:
        with self.lock:
            self.opened += 1
        return Handle(self.opened)

    def opened_count(self) -> int:
        return self.opened

    def fee(self, amount: float, *, rate: float = 0.1) -> float:
        return round(amount * rate, 4)

    def csv(self, account: str) -> str:
        return "account,amount\n" + "\n".join(f"{e.account},{e.amount}" for e in self.entries(account))


class LedgerApi(Protocol):
    def stream(self, account: str) -> Iterator[Entry]: ...
    def later(self, account: str) -> AsyncIterator[Entry]: ...


def code(url: str, *, length: int = 7, salt: str = "") -> str:
    return (salt + url).replace("/", "")[-length:]
