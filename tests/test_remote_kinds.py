"""`puma.remote` over the real mesh with specs a newcomer brings: a class whose methods return
streams (rebuilt as lists) or objects JSON cannot hold (an error naming the method, only when it is
called, before the request leaves); keyword-only parameters that a positional argument may not
fill; unknown methods; and a `str` result as text for a caller that asks for text."""

from __future__ import annotations

import asyncio

import httpx
import pytest

import puma
from puma.remotes import RemoteSpecError
from tests.apps import books as ledger
from tests.apps.books import Entry, Ledger, LedgerApi


@pytest.fixture(scope="module")
def mesh():
    app = puma.App()
    app.configure({"puma_services": {"ledger": {"instances": 1, "stateful": True}, "code": {}}})
    app.add_services({"ledger": "tests.apps.books:Ledger", "code": ledger.code})
    with app.start(listener={"port": 0}) as deployment:
        yield deployment


def test_remote_spec_with_unbuildable_hints_is_made_and_its_other_methods_work(mesh):
    books = puma.remote("ledger", Ledger)  # Ledger.open returns a Handle: no error until it is called
    assert [e.amount for e in books.entries("ann")] == [5.0, -1.0]
    assert isinstance(books.entries("bo")[0], Entry)


@pytest.mark.parametrize(("method", "args", "expected"), [
    ("stream", ("ann",), [5.0, -1.0]),
    ("stream", ("nobody",), []),
    ("amounts", ("bo",), [2.5]),
    ("maybe", ("ann",), [5.0, -1.0]),
], ids=["iterator", "empty-iterator", "generator", "optional-iterator"])
def test_remote_a_stream_arrives_as_a_list_of_the_items_type(mesh, method, args, expected):
    got = getattr(puma.remote("ledger", Ledger), method)(*args)
    assert isinstance(got, list)
    assert [e.amount if isinstance(e, Entry) else e for e in got] == expected
    assert all(isinstance(e, Entry) for e in got) or method == "amounts"


def test_remote_a_stream_in_a_protocol_and_in_the_async_form(mesh):
    assert [e.at.year for e in puma.remote("ledger", LedgerApi).stream("ann")] == [2026, 2026]
    got = asyncio.run(puma.aremote("ledger", Ledger).stream("bo"))
    assert got == [Entry("bo", 2.5, got[0].at)]
    assert puma.remote("ledger", Ledger).maybe("") is None


def test_remote_an_unbuildable_return_hint_is_named_when_called_and_nothing_is_sent(mesh):
    books = puma.remote("ledger", Ledger)
    for _ in range(2):  # the same error each time, not a pydantic one the second time
        with pytest.raises(RemoteSpecError, match=r"Ledger\.open returns Handle") as refused:
            books.open()
        assert isinstance(refused.value, TypeError) and isinstance(refused.value, puma.PumaError)
        assert "puma.remote('ledger')" in str(refused.value) and "Protocol" in str(refused.value)
    with pytest.raises(RemoteSpecError, match=r"Ledger\.open"):
        asyncio.run(puma.aremote("ledger", Ledger).open())
    assert books.opened_count() == 0  # the refused calls never reached the service


@pytest.mark.parametrize("spec", [None, Ledger], ids=["no-spec", "spec"])
def test_remote_a_positional_argument_never_fills_a_keyword_only_parameter(mesh, spec):
    books = puma.remote("ledger", spec)
    with pytest.raises(TypeError, match="rate is keyword-only: name it"):
        books.fee(100, 0.5)
    assert books.fee(100, rate=0.5) == 50.0 and books.fee(100) == 10.0


@pytest.mark.parametrize("spec", [None, ledger.code], ids=["no-spec", "spec"])
def test_remote_a_function_services_keyword_only_parameters_are_kept_too(mesh, spec):
    make = puma.remote("code", spec)
    with pytest.raises(TypeError, match="length, salt are keyword-only"):
        make("https://a.com/x", 3)
    assert make("https://a.com/x", length=3) == "omx" and make("a/b", salt="z") == "zab"


@pytest.mark.parametrize("call", [lambda r: r.frobnicate(1), lambda r: r.frobnicate("a", 2),
                                  lambda r: r.frobnicate(x=1)], ids=["positional", "two", "named"])
def test_remote_an_unknown_method_without_a_spec_is_not_found_naming_it_and_the_methods(mesh, call):
    with pytest.raises(puma.PumaNotFound) as missing:
        call(puma.remote("ledger"))
    text = str(missing.value)
    assert "frobnicate" in text and "ledger" in text and "entries" in text and "stream" in text


def test_remote_a_private_name_says_only_public_methods_are_served(mesh):
    with pytest.raises(AttributeError, match="'_lock' is not a method of remote service 'ledger'"):
        puma.remote("ledger")._lock()


@pytest.mark.parametrize(("accept", "content_type", "text"), [
    ("text/plain", "text/plain", True), ("text/csv", "text/csv", True), ("text/*", "text/plain", True),
    ("text/csv, application/json;q=0.5", "text/csv", True),
    ("*/*", "application/json", False), (None, "application/json", False),
    ("application/json, text/plain;q=0.1", "application/json", False),
])
def test_remote_a_str_result_is_text_for_a_caller_that_asks_for_text(mesh, accept, content_type, text):
    headers = {"accept": accept} if accept else {}
    resp = httpx.post(mesh.url + "/ledger/csv", json={"account": "ann"}, headers=headers, timeout=10)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith(content_type)
    expected = "account,amount\nann,5.0\nann,-1.0"
    assert (resp.text if text else resp.json()) == expected


def test_remote_a_str_result_reaches_a_python_caller_as_the_str(mesh):
    assert puma.remote("ledger").csv("bo") == "account,amount\nbo,2.5"
    assert puma.remote("ledger", Ledger).csv("bo") == "account,amount\nbo,2.5"
