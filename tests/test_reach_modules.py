"""`puma loc-report --whole` on a port that serves modules by name (`puma_service("shop.pricing")`,
`puma_service(__name__)`): what the module serves is reached by the port, so a module served
unchanged is retained, not removed, and the lines edited inside it are the port's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from puma.reach import whole
from puma.reachdiff import whole_trees

PRICING = '''from dataclasses import dataclass


@dataclass
class Quote:
    total: int


def quote(skus: list[str]) -> Quote:
    return Quote(total=_sum(skus))


def price_list() -> dict[str, int]:
    return {"tea": 3}


def _sum(skus: list[str]) -> int:
    return 3 * len(skus)
'''

STOCK = '''__all__ = ["Store"]


class Store:
    def reserve(self, sku: str) -> bool:
        return True

    def audit(self) -> int:
        return 0


def not_listed() -> None:
    return None
'''

MONO_ORDERS = '''from shop.pricing import quote
from shop.stock import Store

_store = Store()


def place_order(skus: list[str]) -> int:
    for sku in skus:
        _store.reserve(sku)
    return quote(skus).total
'''

PORT_ORDERS = '''import puma

from shop import pricing
from shop.stock import Store

_store = puma.remote("stock", Store)
quote = puma.remote("quote", pricing.quote)


def place_order(skus: list[str]) -> int:
    for sku in skus:
        _store.reserve(sku)
    return quote(skus).total
'''

MAIN = '''from shop.orders import place_order


def main() -> None:
    print(place_order(["tea"]))


if __name__ == "__main__":
    main()
'''

APP = '''from puma import puma_service, puma_start


def health() -> dict:
    return {"ok": True}


puma_service("shop.pricing")
puma_service("shop.stock")
puma_service("shop.orders")
puma_service(__name__)

if __name__ == "__main__":
    puma_start()
'''


@pytest.fixture
def trees(tmp_path: Path) -> tuple[Path, Path]:
    files = {"mono/main.py": MAIN, "mono/shop/__init__.py": "", "mono/shop/pricing.py": PRICING,
             "mono/shop/stock.py": STOCK, "mono/shop/orders.py": MONO_ORDERS,
             "port/app.py": APP, "port/shop/__init__.py": "", "port/shop/pricing.py": PRICING,
             "port/shop/stock.py": STOCK, "port/shop/orders.py": PORT_ORDERS,
             "port/puma/__init__.py": "def remote(name, spec):\n    return spec\n"}
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path / "mono", tmp_path / "port"


def _counts(lines: list, path: str) -> tuple[int, int, int]:
    mine = [line for line in lines if line.path == path]
    return (sum(line.old and not line.new for line in mine), sum(line.new and not line.old for line in mine),
            sum(line.old and line.new for line in mine))


def _whole(trees: tuple[Path, Path]) -> list:
    mono, port = trees
    return whole_trees(port, mono, old=mono / "main.py", new=port / "app.py")


def test_reach_modules_a_module_served_unchanged_is_retained_not_removed(trees: tuple[Path, Path]) -> None:
    lines = _whole(trees)
    removed, _, retained = _counts(lines, "shop/pricing.py")
    assert removed == 0 and retained >= 8  # Quote, quote, _sum: the monolith's too
    owners = {line.owner for line in lines if line.path == "shop/pricing.py" and line.new and not line.old}
    assert owners == {"shop.pricing:price_list"}  # served by the port only: the monolith never called it


def test_reach_modules_edits_inside_a_served_module_are_the_ports(trees: tuple[Path, Path]) -> None:
    removed, added, retained = _counts(_whole(trees), "shop/orders.py")
    assert removed == 2  # `from shop.pricing import quote`, `_store = Store()`
    assert added == 4  # import puma, from shop import pricing, the two remote proxies
    assert retained >= 5  # place_order and the Store import, unchanged


def test_reach_modules_serve_exactly_all_and_every_public_method(trees: tuple[Path, Path]) -> None:
    lines = _whole(trees)
    new_only = {line.owner for line in lines if line.new and not line.old}
    neither = {line.owner for line in lines if not line.new and not line.old}
    assert "shop.stock:Store.audit" in new_only  # a served class's public method is an endpoint
    assert "shop.stock:not_listed" in neither  # __all__ leaves it out
    assert "app:health" in new_only  # puma_service(__name__): the app script's own function


def test_reach_modules_in_one_tree_a_served_module_is_reached_by_the_port(trees: tuple[Path, Path]) -> None:
    _, port = trees
    (port / "main.py").write_text(MAIN)  # the monolith's entry beside the port's, sharing its modules
    lines = whole(port, old=port / "main.py", new=port / "app.py")
    assert _counts(lines, "shop/pricing.py")[0] == 0  # nothing of pricing is the monolith's alone
    assert {line.owner for line in lines if line.path == "shop/pricing.py" and line.new and not line.old} == \
        {"shop.pricing:price_list"}
