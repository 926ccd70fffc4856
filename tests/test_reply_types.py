"""A service function's return value goes on the wire the same way whatever its signature: with
parameters bound from the body, with none, as an object's method, as an `async def`, or taking the
whole `puma.Request`. Bytes go as they are (a newcomer's receipt PDF was raw bytes from a function
of no parameters and a 500 from one with parameters); dataclasses, models, lists, dates, Decimals,
sets, tuples, enums and `None` as JSON. A value JSON cannot hold is a 500 whose message names the
function, the type and the fix. Through PUMA's real service layer (Flask test client), then a mesh."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import threading
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

import puma
from puma.endpoints import serve
from puma.serving import build_app


class Grade(enum.Enum):
    GOLD = "gold"
    PLAIN = "plain"


@dataclass
class Invoice:
    number: int
    due: dt.date


class Member(BaseModel):
    name: str
    points: int = 0


class Opaque:  # no way to JSON: neither data class nor model
    def __init__(self) -> None:
        self.handle = 3


VALUES: dict[str, Any] = {
    "pdf-bytes": b"%PDF-1.7\n\x00\xff\xfe binary",
    "utf8-bytes": "caf\u00e9".encode(),
    "bytearray": bytearray(b"\x01\x02"),
    "dataclass": Invoice(7, dt.date(2026, 2, 1)),
    "model": Member(name="ann", points=4),
    "list-of-models": [Member(name="bo"), Member(name="cy", points=1)],
    "none": None,
    "datetime": dt.datetime(2026, 3, 4, 5, 6, 7),
    "decimal": decimal.Decimal("19.90"),
    "set": {"b"},
    "tuple": ("a", 1, 2.5),
    "enum": Grade.GOLD,
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "nested": {"when": dt.date(2026, 1, 1), "grades": [Grade.PLAIN], "total": decimal.Decimal("2")},
}


def _forms(value: Any) -> dict[str, Any]:
    """The same value returned by a service of each form."""

    def bare() -> Any:
        return value

    def bound(customer: str = "ann") -> Any:
        return value

    async def awaited(customer: str = "ann") -> Any:
        return value

    class Till:
        def ring(self, customer: str = "ann") -> Any:
            return value

        def total(self) -> Any:
            return value

    return {"no parameters": bare, "parameters": bound, "async": awaited,
            "method": serve(Till(), label="till"), "method without parameters": serve(Till(), label="till")}


def _post(target: Any, form: str) -> Any:
    path = {"method": "/till/ring", "method without parameters": "/till/total"}.get(form, "/till")
    return build_app("till", target, prefix="/till", max_body_bytes=100_000).test_client().post(path, json={})


@pytest.mark.parametrize("kind", sorted(VALUES))
def test_reply_types_are_sent_alike_whatever_the_signature(kind: str) -> None:
    answers = {form: _post(target, form) for form, target in _forms(VALUES[kind]).items()}
    seen = {form: (r.status_code, r.mimetype, r.get_data()) for form, r in answers.items()}
    assert len(set(seen.values())) == 1, seen
    status, mimetype, body = seen["parameters"]
    assert status == 200, body
    if isinstance(VALUES[kind], bytes | bytearray):
        assert (mimetype, body) == ("application/octet-stream", bytes(VALUES[kind]))
    else:
        assert mimetype == "application/json"


def test_reply_types_of_a_request_handler_are_json_as_a_function_s() -> None:
    def handler(request: puma.Request) -> Any:
        return VALUES[request.data["kind"]]

    def bound(kind: str) -> Any:
        return VALUES[kind]

    # A handler's None is its 204 and its tuple a (body, status[, headers]) reply, as README says.
    for kind in sorted(set(VALUES) - {"none", "tuple"}):
        by_request = build_app("till", handler, prefix="/till", max_body_bytes=100_000).test_client().post(
            "/till", json={"kind": kind})
        by_fields = build_app("till", bound, prefix="/till", max_body_bytes=100_000).test_client().post(
            "/till", json={"kind": kind})
        assert (by_request.status_code, by_request.get_data()) == (by_fields.status_code, by_fields.get_data()), kind


@pytest.mark.parametrize(("value", "type_name"), [(Opaque(), "Opaque"), (threading.Lock(), "lock"),
                                                  ({"ok": 1, "conn": Opaque()}, "Opaque"), ([1, object()], "object")])
def test_reply_types_an_unsendable_value_names_the_function_the_type_and_the_fix(value: Any, type_name: str) -> None:
    for form, target in _forms(value).items():
        resp = _post(target, form)
        assert resp.status_code == 500, form
        error = resp.get_json()["error"]
        function = {"method": "ring", "method without parameters": "total"}.get(form, target.__name__ if callable(
            target) else "")
        assert function in error and type_name in error, (form, error)
        assert "@dataclass" in error and "return a dict" in error, error


def receipt(lines: list[str]) -> bytes:
    return ("\n".join(lines)).encode() + b"\n\xff"


def summary(lines: list[str]) -> Invoice:
    return Invoice(len(lines), dt.date(2026, 5, 1))


def test_reply_types_bytes_reach_the_caller_as_bytes_through_the_mesh(monkeypatch: pytest.MonkeyPatch) -> None:
    app = puma.App()
    app.add_services({"receipt": f"{__name__}:receipt", "summary": f"{__name__}:summary"})
    with app.start(listener={"port": 0}) as mesh:
        resp = httpx.post(f"{mesh.url}/receipt", json={"lines": ["tea", "jam"]}, timeout=10)
        assert (resp.status_code, resp.headers["content-type"], resp.content) == (
            200, "application/octet-stream", b"tea\njam\n\xff")
        monkeypatch.setenv("PUMA_URL", mesh.url)
        assert puma.remote("receipt")(["tea"]) == b"tea\n\xff"
        assert puma.call("/summary", {"lines": ["a", "b"]}) == {"number": 2, "due": "2026-05-01"}
