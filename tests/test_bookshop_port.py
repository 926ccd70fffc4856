"""A newcomer's monolith ported by naming its parts (tests/apps/bookshop.py), loaded as `puma run`
loads it: what the monolith's callers relied on still holds — an exception class of the app's own
reaches the caller of a service that let a callee's through as that class, named by the module the
caller imports — and every mistake a port makes is said with where and the fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import puma

APPS = Path(__file__).resolve().parent / "apps"
BOOKSHOP = APPS / "bookshop.py"


@pytest.fixture(scope="module")
def shop():
    with puma.App.load(BOOKSHOP).start(listener={"port": 0}) as deployment:
        yield deployment


@pytest.fixture(scope="module")
def http(shop):
    with httpx.Client(base_url=shop.url, timeout=60) as client:
        yield client


def _caller(shop, code: str) -> str:
    """What a script beside the app (`import bookshop`, as the monolith's callers did) prints."""
    env = {**os.environ, "PUMA_URL": shop.url, "PYTHONPATH": f"{APPS}{os.pathsep}{Path.cwd()}"}
    done = subprocess.run([sys.executable, "-c", code], cwd=APPS, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_bookshop_port_an_app_error_names_the_module_the_caller_imports(shop, http):
    body = http.post("/catalogue/must_get", json={"isbn": "999"}).json()
    assert body["error_class"] == "bookshop:OutOfStock", body


def test_bookshop_port_an_app_error_let_through_reaches_the_caller_as_its_class_after_two_hops(shop, http):
    resp = http.post("/bookshop/order", json={"customer": {"name": "Al", "email": "a@x"}, "isbns": ["111", "999"]})
    body = resp.json()
    assert resp.status_code == 404, body
    assert (body["error"], body["type"], body["error_class"]) == ("no book with isbn 999", "OutOfStock",
                                                                  "bookshop:OutOfStock"), body
    out = _caller(shop, "import bookshop, puma\n"
                        "try:\n"
                        "    puma.remote('bookshop', bookshop).order(bookshop.Customer(name='Al', email='a'), ['999'])\n"
                        "except bookshop.OutOfStock as e:\n"
                        "    print('caught', isinstance(e, puma.PumaNotFound), e)\n")
    assert out.startswith("caught True no book with isbn 999 (raised in service 'catalogue', instance "), out


def test_bookshop_port_an_app_error_caught_in_the_service_is_caught_there(http):
    assert http.post("/bookshop/order_lenient", json={"isbns": ["111", "999"]}).json() == ["Dune", "-"]
