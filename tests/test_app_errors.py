"""An exception class the app defined answers its meaning (a LookupError 404, a ValueError or
TypeError 400, with its message), while the interpreter's and the libraries' stay a 500 hiding
their text; `status_code` wins; the caller raises the same class again (or PUMA's, naming it)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

import puma
from puma import apperrors, client
from puma.serving import build_app
from tests.apps import lending_errors
from tests.apps.lending_errors import CardExpired, NotOnShelf, Unreadable, Withdrawn


def _post(why: str) -> Any:
    app = build_app("desk", lending_errors.lend, prefix="/desk", max_body_bytes=10_000).test_client()
    return app.post("/desk", json={"isbn": "978-1", "why": why})


@pytest.mark.parametrize(("why", "status", "message", "cls"), [
    ("not-on-shelf", 404, "isbn 978-1 is not on the shelf", "NotOnShelf"),
    ("member", 404, "member 7 is unknown", "NoSuchMember"),
    ("expired", 400, "card expired on 2024-01-31", "CardExpired"),
    ("long-expired", 400, "card expired in 1999", "CardLongExpired"),
    ("medium", 400, "a vinyl record cannot be lent here", "WrongMedium"),
    ("withdrawn", 410, "isbn 978-1 was withdrawn", "Withdrawn"),
    ("unreadable", 400, "shelf 4 is unreadable", "Unreadable"),
    ("silent", 400, "Silent", "Silent"),
])
def test_an_apps_own_error_class_answers_its_meaning_with_its_message(why: str, status: int, message: str,
                                                                       cls: str) -> None:
    reply = _post(why)
    body = reply.get_json()
    assert reply.status_code == status, body
    assert body["error"] == message and body["type"] == cls
    assert body["error_class"] == f"tests.apps.lending_errors:{cls}" and body["service"] == "desk"


@pytest.mark.parametrize("why", ["key-bug", "value-bug", "type-bug", "json-bug", "unicode-bug"])
def test_the_interpreters_and_the_standard_librarys_errors_stay_a_500_hiding_their_text(why: str) -> None:
    reply = _post(why)
    body = reply.get_json()
    assert reply.status_code == 500 and "internal error" in body["error"], body
    assert "secret" not in reply.get_data(as_text=True) and "978-0" not in reply.get_data(as_text=True)
    assert "error_class" not in body


def test_app_defined_tells_the_apps_classes_from_builtins_stdlib_libraries_and_puma() -> None:
    import pydantic_core

    assert apperrors.app_defined(NotOnShelf) and apperrors.app_defined(lending_errors.CardLongExpired)
    for cls in (KeyError, ValueError, TypeError, UnicodeDecodeError, json.JSONDecodeError,
                pydantic_core.ValidationError, puma.PumaConfigError, puma.PumaBadRequest):
        assert not apperrors.app_defined(cls), cls
    assert apperrors.answer_status(KeyError("x")) is None and apperrors.answer_status(RuntimeError()) is None


def test_an_app_installed_among_the_libraries_counts_once_puma_serves_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(apperrors, "_app_packages", set())
    monkeypatch.setattr(apperrors, "_known", {})
    try:
        assert apperrors.answer_status(json.JSONDecodeError("bad", "{", 0)) is None
        apperrors.note_app_module("json.decoder")  # as if a served app's package were installed there
        assert apperrors.answer_status(json.JSONDecodeError("bad", "{", 0)) == 400
    finally:
        apperrors._known.clear()


@pytest.mark.parametrize(("why", "kind", "app_class"), [
    ("not-on-shelf", puma.PumaNotFound, NotOnShelf),
    ("expired", puma.PumaBadRequest, CardExpired),
    ("long-expired", puma.PumaBadRequest, CardExpired),
    ("unreadable", puma.PumaBadRequest, Unreadable),
    ("withdrawn", puma.PumaClientError, Withdrawn),
])
def test_the_caller_raises_the_apps_class_and_pumas_at_once(why: str, kind: type, app_class: type) -> None:
    reply = _post(why)
    error = client._error("desk", reply.status_code, reply.content_type, reply.get_data())
    assert isinstance(error, kind) and isinstance(error, app_class) and isinstance(error, puma.PumaCallError)
    assert error.detail == reply.get_json()["error"] and error.status == reply.status_code
    assert error.error_class == f"tests.apps.lending_errors:{type(error).__name__}"
    assert reply.get_json()["error"] in str(error)  # the message, not the app's __str__ of missing attributes
    with pytest.raises(app_class):
        raise error


def test_a_class_the_caller_has_not_imported_is_named_not_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    body = b'{"error": "the offer ended", "status": 400, "error_class": "shop_not_loaded.offers:Expired"}'
    error = client._error("shop", 400, "application/json", body)
    assert type(error) is puma.PumaBadRequest and error.error_class == "shop_not_loaded.offers:Expired"
    assert "shop_not_loaded.offers" not in sys.modules and "the offer ended" in str(error)


@pytest.mark.parametrize("named", ["builtins:KeyError", "json:JSONDecodeError", "puma.errors:PumaError",
                                   "tests.apps.lending_errors:lend", "tests.apps.lending_errors:Nope", "no-colon",
                                   "os:system"])
def test_a_reply_cannot_make_the_caller_raise_what_the_app_did_not_define(named: str) -> None:
    body = json.dumps({"error": "x", "status": 404, "error_class": named}).encode()
    error = client._error("desk", 404, "application/json", body)
    assert type(error) is puma.PumaNotFound


def test_a_5xx_never_takes_a_class_from_its_reply() -> None:
    body = b'{"error": "x", "status": 500, "error_class": "tests.apps.lending_errors:NotOnShelf"}'
    error = client._error("desk", 500, "application/json", body)
    assert type(error) is puma.PumaCallError and not isinstance(error, NotOnShelf)


@pytest.fixture(scope="module")
def desk():
    app = puma.App()
    app.configure({"puma_services": {"desk": {}}})
    app.add_services({"desk": lending_errors.lend})
    with app.start(listener={"port": 0}) as deployment:
        yield deployment


def test_through_the_mesh_a_remote_call_raises_the_apps_own_class(desk: Any) -> None:
    lend = puma.remote("desk", lending_errors.lend)
    assert lend("978-1", "none") == "lent 978-1"
    with pytest.raises(CardExpired, match="card expired in 1999") as expired:
        lend("978-1", "long-expired")
    assert isinstance(expired.value, puma.PumaBadRequest) and expired.value.status == 400
    with pytest.raises(NotOnShelf) as missing:
        puma.call("desk", {"isbn": "978-2", "why": "not-on-shelf"})
    assert isinstance(missing.value, puma.PumaNotFound) and "isbn 978-2 is not on the shelf" in str(missing.value)
    with pytest.raises(puma.PumaCallError) as bug:
        lend("978-1", "value-bug")
    assert bug.value.status == 500 and not isinstance(bug.value, puma.PumaClientError)


def test_through_the_mesh_the_async_form_raises_it_too(desk: Any) -> None:
    import asyncio

    async def lend() -> None:
        await puma.aremote("desk", lending_errors.lend)("978-3", "withdrawn")

    with pytest.raises(Withdrawn) as withdrawn:
        asyncio.run(lend())
    assert isinstance(withdrawn.value, puma.PumaClientError) and withdrawn.value.status == 410


def test_an_app_file_puma_loaded_by_path_is_matched_to_the_same_file_imported_by_the_caller(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    (tmp_path / "shopfile.py").write_text("class Expired(ValueError):\n    pass\n")
    spec = importlib.util.spec_from_file_location("shopfile", tmp_path / "shopfile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "shopfile", module)
    spec.loader.exec_module(module)
    body = b'{"error": "the offer ended", "status": 400, "error_class": "puma_app_shopfile:Expired"}'
    error = client._error("shop", 400, "application/json", body)  # `puma run shopfile.py` names it so
    assert isinstance(error, module.Expired) and isinstance(error, puma.PumaBadRequest)


class OutOfStock(Exception):
    pass


class LedgerClosed(RuntimeError):
    pass


class Overdrawn(ArithmeticError):
    pass


def reserve(sku: str, why: str) -> int:
    kinds: dict[str, type[Exception]] = {"out": OutOfStock, "closed": LedgerClosed, "overdrawn": Overdrawn}
    if why in kinds:
        raise kinds[why](f"{sku} cannot be reserved")
    return 1 // 0  # the interpreter's own: a bug, not the app speaking


@pytest.mark.parametrize("why", ["out", "closed", "overdrawn"])
def test_an_apps_own_class_of_no_known_base_is_a_500_whose_log_names_the_fix(
        why: str, caplog: pytest.LogCaptureFixture) -> None:
    app = build_app("stock", reserve, prefix="/stock", max_body_bytes=10_000).test_client()
    reply = app.post("/stock", json={"sku": "G-1", "why": why})
    body = reply.get_json()
    assert reply.status_code == 500, body
    # The app's own words reach the client (newcomer 67 m11), with the class and the fix the log gives.
    assert body["type"] in body["error"] and "G-1 cannot be reserved" in body["error"], body
    assert "subclass LookupError (404) or ValueError (400)" in body["fix"], body
    logged = next(r for r in caplog.records if r.levelname == "ERROR" and "service stock failed" in r.getMessage())
    name = type(logged.exc_info[1]).__name__ if logged.exc_info and logged.exc_info[1] else "?"
    text = logged.getMessage()
    assert f"{name} (tests.test_app_errors:{name}) is a class of the app's own" in text
    assert "subclass LookupError (404) or ValueError (400)" in text and "status_code" in text
    assert f"except {name}" in text


def test_the_interpreters_own_500_gets_no_app_class_hint(caplog: pytest.LogCaptureFixture) -> None:
    app = build_app("stock", reserve, prefix="/stock", max_body_bytes=10_000).test_client()
    assert app.post("/stock", json={"sku": "G-1", "why": "bug"}).status_code == 500
    logged = next(r for r in caplog.records if "service stock failed" in r.getMessage())
    assert "class of the app's own" not in logged.getMessage() and logged.exc_info is not None


@pytest.mark.parametrize(("why", "said"), [
    ("closed", "LedgerClosed: G-1 cannot be reserved"),
    ("overdrawn", "Overdrawn: G-1 cannot be reserved"),
    ("bug", "ZeroDivisionError: its message is kept in the service's log"),
])
def test_an_apps_own_500_reads_to_the_caller_as_the_function_raised_it(why: str, said: str) -> None:
    """The caller's error says what the app's class said (newcomer 67 m11); a bug's text stays kept."""
    from puma.client import _error

    reply = build_app("stock", reserve, prefix="/stock", max_body_bytes=10_000).test_client().post(
        "/stock", json={"sku": "G-1", "why": why})
    error = _error("stock", reply.status_code, reply.headers["content-type"], reply.get_data())
    assert str(error).startswith(said) and "HTTP 500" in str(error), str(error)


def add_photo(name: str, size: int) -> str:
    if size < 0:
        raise ValueError(f"size must be >= 0, got {size} (secret-token-7)")  # a monolith's input check
    return name


def get_photo(name: str) -> str:
    raise KeyError(f"no photo {name} (secret-token-7)")


@pytest.mark.parametrize(("fn", "fields", "kind", "status"), [
    (add_photo, {"name": "cat", "size": -1}, "ValueError", 400),
    (get_photo, {"name": "dog"}, "KeyError", 404),
])
def test_a_builtin_error_the_apps_own_code_raises_says_how_to_answer_it_as_the_callers(
        fn: Any, fields: dict[str, Any], kind: str, status: int, caplog: pytest.LogCaptureFixture) -> None:
    """`raise ValueError(...)` for bad input, the commonest monolith idiom: still a 500 with its text
    kept back, but the reply and the log say where it was raised and how to make it a 4xx (newcomer 69 M5)."""
    reply = build_app("album", fn, prefix="/album", max_body_bytes=10_000).test_client().post("/album", json=fields)
    body = reply.get_json()
    assert reply.status_code == 500 and body["type"] == kind, body
    assert "secret-token" not in reply.get_data(as_text=True)
    assert f"puma.HTTPError({status}" in body["fix"] and f"BadInput({kind})" in body["fix"], body
    assert "test_app_errors.py:" in body["fix"], body  # where it was raised
    assert any(f"puma.HTTPError({status}" in r.getMessage() for r in caplog.records), "the log says it too"


def test_a_builtin_error_raised_inside_a_library_gets_no_such_advice() -> None:
    body = _post("json-bug").get_json()  # json.loads raises inside the standard library: a bug
    assert "fix" not in body, body
