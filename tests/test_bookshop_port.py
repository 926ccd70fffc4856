"""A newcomer's monolith ported by naming its parts (tests/apps/bookshop.py), loaded as `puma run`
loads it: what the monolith's callers relied on still holds — an exception class of the app's own
reaches the caller of a service that let a callee's through as that class, named by the module the
caller imports — and every mistake a port makes is said with where and the fix."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx
import pytest

import puma
from puma.errors import PumaConfigError
from puma.remotes import RemoteReplyError, RemoteSpecError

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


@dataclass
class Volume:  # the caller's own idea of a book: its fields differ from the service's Book
    isbn: str
    name: str


class CatalogueCalls(Protocol):
    def search(self, word: str) -> list[int]: ...
    def must_get(self, isbn: str) -> Volume: ...
    def count(self, word: str) -> int: ...
    def missing_type(self, isbn: str) -> Nowhere: ...  # type: ignore[name-defined]  # noqa: F821 - the mistake under test


@pytest.mark.parametrize(("method", "said"), [
    ("search", "catalogue.search returned [{'isbn': '111', 'title': 'Dune'"),
    ("must_get", "catalogue.must_get returned {'isbn': '111', 'title': 'Dune'"),
    ("count", "catalogue.count returned ")], ids=["list-of-int", "dataclass-fields", "int"])
def test_bookshop_port_a_reply_unlike_the_declared_type_is_a_remote_error_naming_what_differs(shop, method, said,
                                                                                            monkeypatch):
    monkeypatch.setenv("PUMA_URL", shop.url)
    catalogue = puma.remote("catalogue", CatalogueCalls)
    call = {"search": lambda: catalogue.search("dune"), "must_get": lambda: catalogue.must_get("111"),
            "count": lambda: catalogue.count("dune")}[method]
    with pytest.raises(RemoteReplyError) as refused:
        call()
    text = str(refused.value)
    assert text.startswith(said) and "that does not match " in text, text
    assert isinstance(refused.value, RemoteSpecError) and isinstance(refused.value, puma.PumaError)
    if method == "must_get":
        assert "that does not match Volume" in text and "at name: missing" in text
        assert "the reply's fields there: isbn, title, author, price_cents, tags" in text


def test_bookshop_port_an_unresolvable_return_type_is_a_spec_error_before_anything_is_sent(shop, monkeypatch):
    monkeypatch.setenv("PUMA_URL", shop.url)
    with pytest.raises(RemoteSpecError, match=r"CatalogueCalls\.missing_type returns 'Nowhere', which cannot be "
                                              r"resolved \(NameError"):
        puma.remote("catalogue", CatalogueCalls).missing_type("111")


def test_bookshop_port_a_method_the_spec_lacks_suggests_the_closest(shop):
    with pytest.raises(AttributeError, match=r"CatalogueCalls has no method 'serch' \(remote service 'catalogue'\); "
                                             r"did you mean 'search'\?; its methods: count, missing_type, must_get, search"):
        puma.remote("catalogue", CatalogueCalls).serch("dune")


UNSENDABLE = {
    "callable": ("from typing import Callable\n\ndef apply(f: Callable[[int], int], x: int) -> int:\n    return f(x)\n",
                 "parameter 'f' of apply takes Callable[[int], int], which no request can carry"),
    "file": ("import io\n\ndef load(fh: io.TextIOWrapper) -> int:\n    return len(fh.read())\n",
             "parameter 'fh' of load takes TextIOWrapper, which no request can carry"),
    "lock": ("import threading\n\ndef guarded(lock: threading.Lock, n: int = 1) -> int:\n    return n\n",
             "parameter 'lock' of guarded takes _thread.allocate_lock, which no request can carry"),
    "object-in-a-list": ("class Till:\n    def __init__(self) -> None:\n        self.n = 1\n\n\n"
                         "def open_tills(tills: list[Till] | None = None) -> int:\n    return 0\n",
                         "parameter 'tills' of open_tills takes list[Till] | None, which no request can carry "
                         "(it cannot be read from JSON, which holds text, numbers, lists and objects of fields; Till is none of them)"),
    "method": ("class Shelf:\n    def put(self, item: object, on: 'Till') -> int:\n        return 1\n\n\n"
               "class Till:\n    def __init__(self) -> None:\n        self.n = 1\n",
               "parameter 'on' of Shelf.put takes Till, which no request can carry"),
}


@pytest.mark.parametrize("kind", sorted(UNSENDABLE))
@pytest.mark.parametrize("command", ["run", "render"])
def test_bookshop_port_a_parameter_no_request_can_carry_is_refused_before_anything_starts(tmp_path, kind, command):
    source, said = UNSENDABLE[kind]
    (tmp_path / "till.py").write_text(
        "from __future__ import annotations\n\nfrom puma import puma_config, puma_service, puma_start\n\n"
        f"{source}\n\ndef fine(x: int) -> int:\n    return x\n\n\n"
        "puma_config({'puma_services': {'till': {'instances': 'two'}}})\npuma_service(__name__)\n"
        "if __name__ == '__main__':\n    puma_start()\n")
    args = ["--port", "0"] if command == "run" else []
    done = subprocess.run([sys.executable, "-m", "puma.cli", command, "till.py", *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert done.returncode == 1, done
    assert said in done.stderr and "name it with a leading _" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "envoy" not in (done.stdout + done.stderr).lower(), done.stderr
    # The config's own mistake is said beside it; what the refused module would serve is not "unregistered".
    assert "puma_services.till.instances: 'two'" in done.stderr, done.stderr
    assert "no function registered" not in done.stderr and "(2 problems)" in done.stderr, done.stderr


def _line_of(text: str) -> int:
    return next(n for n, line in enumerate(BOOKSHOP.read_text().splitlines(), 1) if text in line)


@pytest.mark.parametrize(("path", "fields", "raised", "line"), [
    ("/bookshop/restock", {"isbn": "111"}, "RuntimeError", "raise RuntimeError("),
    ("/bookshop/divide", {"n": 0}, "ZeroDivisionError", "return 100 // n"),
    ("/bookshop/close", {"note": "at six"}, "Closed", "raise Closed(")], ids=["builtin", "interpreter", "own-class"])
def test_bookshop_port_any_unhandled_app_exception_says_where_and_the_fix(http, path, fields, raised, line):
    resp = http.post(path, json=fields)
    body = resp.json()
    assert resp.status_code == 500 and body["type"] == raised, body
    assert f"bookshop.py:{_line_of(line)}" in body["fix"], body
    assert "status_code = 409" in body["fix"] or "subclass LookupError" in body["fix"], body
    if raised != "Closed":  # a bug's text stays in the log
        assert "warehouse" not in resp.text and body["error"] == "internal error in service 'bookshop'", body


def test_bookshop_port_a_misspelt_field_at_any_depth_suggests_the_closest(http):
    resp = http.post("/bookshop/order", json={"customer": {"name": "Al", "emial": "a@x"}, "isbns": ["111"],
                                              "discount": 5})
    assert resp.status_code == 400, resp.text
    said = {p["parameter"]: p["message"] for p in resp.json()["problems"]}
    assert said["customer['emial']"].endswith("is not a field of Customer (its fields: name, email, vip); "
                                              "did you mean 'email'?"), said
    assert "discount (given 5) is not a parameter (did you mean 'discount_pct'?)" in said["discount"], said


def test_bookshop_port_a_form_s_empty_field_is_none_or_the_default_and_a_repeated_one_is_said_twice(http):
    resp = http.post("/bookshop/price", data={"cents": ["800", "1200"], "discount_pct": "", "vip": ""})
    assert (resp.status_code, resp.json()) == (200, 2000), resp.text
    resp = http.post("/bookshop/label", data={"title": ["Dune", "Emma"], "note": "sf"})
    assert resp.status_code == 400, resp.text
    (problem,) = resp.json()["problems"]
    assert problem["message"].startswith("title: given twice (['Dune', 'Emma']), and it takes one value (expected "
                                         "str): send it once, or annotate it title: list[str]"), problem


def test_bookshop_port_a_body_over_the_limit_says_what_to_do_and_to_the_deployment_the_key(shop):
    big = {"customer": {"name": "Al", "email": "a@x"}, "isbns": ["111"] * 2000}
    public = httpx.post(shop.url + "/bookshop/order", json=big, timeout=30)
    internal = httpx.post(shop.internal_url + "/bookshop/order", json=big, timeout=30)
    assert public.status_code == internal.status_code == 413, (public.text, internal.text)
    assert "service 'bookshop' takes at most 4096 bytes; send a smaller body" in public.json()["error"], public.text
    assert "puma_services.bookshop.max_body_bytes" in internal.json()["error"], internal.text


def _reorder(step: Callable[[list[str]], list[str]], isbns: list[str]) -> list[str]:
    return step(isbns)


def test_bookshop_port_a_service_named_in_a_dict_is_refused_for_such_a_parameter_when_registered():
    app = puma.App()
    with pytest.raises(PumaConfigError, match=r"puma_service\.reorder: parameter 'step' of _reorder takes "
                                              r"Callable\[\[list\[str\]\], list\[str\]\], which no request can carry"):
        app.add_services({"reorder": _reorder})
