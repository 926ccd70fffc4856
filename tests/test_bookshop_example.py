"""examples/bookshop: a monolith someone new to PUMA wrote, and their own port of it (9 lines changed,
`puma loc-report`): the port answers what the monolith computes, through Envoy, and an error the
catalogue raises two hops away reaches the caller as the monolith's own exception class."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import httpx

from tests.helpers import serving_run

ROOT = Path(__file__).parents[1]
SHOP = ROOT / "examples" / "bookshop"


def _monolith() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bookshop_monolith", SHOP / "monolith" / "bookshop.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_bookshop_port_answers_what_the_monolith_computes() -> None:
    shop = _monolith()
    expected = shop.order(shop.Customer(name="Zoë", email="z@x"), ["111", "444"], 5)
    found = [book.title for book in shop.Catalogue().search("e", max_price=1000)]
    with serving_run(SHOP / "ported" / "bookshop.py", cwd=SHOP / "ported") as (_proc, url):
        order = httpx.post(f"{url}/bookshop/order", timeout=30,
                           json={"customer": {"name": "Zoë", "email": "z@x"}, "isbns": ["111", "444"], "discount_pct": 5})
        search = httpx.post(f"{url}/catalogue/search", json={"word": "e", "max_price": 1000}, timeout=30)
        missing = httpx.post(f"{url}/bookshop/order", json={"customer": {"name": "Al", "email": "a@x"}, "isbns": ["999"]},
                             timeout=30)
    assert order.status_code == 200 and order.json() == expected
    assert search.status_code == 200 and [book["title"] for book in search.json()] == found
    # OutOfStock(LookupError), raised by the catalogue inside the order service: the monolith's class.
    assert missing.status_code == 404, missing.text
    assert missing.json()["type"] == "OutOfStock" and "no book with isbn 999" in missing.text, missing.text
