"""A hardware shop's parts, as a newcomer's monolith has them: ten plain functions in one module,
named whole by `puma_service("tests.apps.hardware")` (tests/test_module_functions.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import puma

_PRICES = {"bolt": 12, "nut": 5, "washer": 2, "hinge": 140}


@dataclass
class Quote:
    sku: str
    qty: int
    pence: int


def price(sku: str) -> int:
    return _PRICES[sku]


def quote(sku: str, qty: int = 1) -> Quote:
    return Quote(sku, qty, _PRICES[sku] * qty)


@puma.idempotent
def catalogue() -> list[str]:
    return sorted(_PRICES)


def in_stock(sku: str) -> bool:
    return sku in _PRICES


def discount(pence: int, percent: float = 10.0) -> int:
    return round(pence * (100 - percent) / 100)


def opening_hours() -> dict:
    return {"open": "08:00", "close": "18:00"}


def delivery_date(days: int) -> dt.date:
    return dt.date(2026, 1, 1) + dt.timedelta(days=days)


def label(sku: str) -> str:
    return f"{sku.upper()} ({_PRICES[sku]}p)"


def basket_total(skus: list[str]) -> int:
    return sum(_PRICES[s] for s in skus)


def receipt(skus: list[str]) -> bytes:
    return "\n".join(skus).encode()


def _helper() -> None:  # private: never served
    pass


def main() -> None:  # the monolith's entry point: never served
    pass
