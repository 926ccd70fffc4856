"""A function's return value is encoded the same whether or not it has parameters: a function of
no parameters (called on any method and path, as before) sends dataclasses, lists of them, UUIDs,
dates, Enums and sets as JSON, exactly as one with a defaulted parameter does; a handler that
takes the whole `puma.Request` keeps its replies, and its error says which form PUMA took it for
and how to choose the other. Through PUMA's real service layer (Flask test client)."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pytest

import puma
from puma.serving import build_app


class Size(enum.Enum):
    SMALL = "s"
    LARGE = "l"


@dataclass
class Shelf:
    label: str
    stocked: date
    size: Size
    tags: list[str] = field(default_factory=list)


FIXED_ID = uuid.UUID("12345678-1234-5678-1234-567812345678")


def one_shelf() -> Shelf:
    return Shelf("top", date(2026, 3, 1), Size.LARGE, ["tea"])


def one_shelf_of(n: int = 0) -> Shelf:
    return one_shelf()


def every_shelf() -> list[Shelf]:
    return [one_shelf(), Shelf("low", date(2026, 1, 2), Size.SMALL)]


def every_shelf_of(n: int = 0) -> list[Shelf]:
    return every_shelf()


def mixed() -> dict[str, Any]:
    return {"id": FIXED_ID, "at": datetime(2026, 5, 1, 12, 30), "size": Size.SMALL, "ids": {7}}


def mixed_of(n: int = 0) -> dict[str, Any]:
    return mixed()


def an_id() -> uuid.UUID:
    return FIXED_ID


def an_id_of(n: int = 0) -> uuid.UUID:
    return FIXED_ID


def a_pair() -> tuple[str, int]:
    return ("ok", 201)  # data by its annotation, not a (body, status) reply


def a_pair_of(n: int = 0) -> tuple[str, int]:
    return ("ok", 201)


async def shelf_later() -> Shelf:
    return one_shelf()


async def shelf_later_of(n: int = 0) -> Shelf:
    return one_shelf()


def client(fn: Any) -> Any:
    return build_app("shop", fn, prefix="/shop", max_body_bytes=100_000).test_client()


@pytest.mark.parametrize(("bare", "with_parameter"), [
    (one_shelf, one_shelf_of), (every_shelf, every_shelf_of), (mixed, mixed_of), (an_id, an_id_of),
    (a_pair, a_pair_of), (shelf_later, shelf_later_of),
], ids=["dataclass", "list-of-dataclass", "dict-with-uuid-datetime-enum-set", "uuid", "annotated-tuple", "async"])
def test_reply_forms_a_function_without_parameters_encodes_like_one_with(bare: Any, with_parameter: Any) -> None:
    plain = client(bare).post("/shop", json={})
    bound = client(with_parameter).post("/shop", json={})
    assert plain.status_code == bound.status_code == 200, plain.get_json()
    assert plain.mimetype == bound.mimetype == "application/json"
    assert plain.get_json() == bound.get_json()


def test_reply_forms_a_function_without_parameters_still_answers_any_method_and_path() -> None:
    assert client(one_shelf).get("/shop/anything").get_json()["label"] == "top"


def stamped() -> tuple[dict[str, str], int, dict[str, str]]:
    return {"made": "yes"}, 201, {"X-Made": "1"}


def text() -> str:
    return "plain words"


def gone() -> None:
    return None


def test_reply_forms_a_function_without_parameters_keeps_its_status_tuples_text_and_sends_none_as_null() -> None:
    made = client(stamped).post("/shop", json={})
    assert (made.status_code, made.get_json(), made.headers["X-Made"]) == (201, {"made": "yes"}, "1")
    said = client(text).get("/shop")
    assert (said.status_code, said.get_data(as_text=True)) == (200, "plain words")
    nothing = client(gone).post("/shop", json={})  # as a function with parameters sends it (tests/test_reply_types.py)
    assert (nothing.status_code, nothing.get_data()) == (200, b"null")


class Unsendable:
    pass


def shelf_for(request: puma.Request) -> Unsendable:
    return Unsendable()


def shelf_for_req(req) -> Unsendable:  # noqa: ANN001 - unannotated and named req: a handler of the request
    return Unsendable()


@pytest.mark.parametrize(("fn", "why"), [
    (shelf_for, "its first parameter 'request' is annotated puma.Request"),
    (shelf_for_req, "its first parameter is named 'req' and has no annotation"),
])
def test_reply_forms_a_request_handlers_unsendable_reply_names_its_form_and_the_fix(fn: Any, why: str) -> None:
    resp = client(fn).post("/shop", json={})
    assert resp.status_code == 500
    message = resp.get_json()["error"]
    assert f"{fn.__name__} returned a Unsendable JSON cannot hold" in message
    assert why in message
    assert "@dataclass" in message


def unsendable() -> dict[str, Any]:
    return {"handle": object()}


def unsendable_of(n: int = 0) -> dict[str, Any]:
    return {"handle": object()}


def test_reply_forms_a_value_json_cannot_hold_names_where_and_the_form_taken() -> None:
    bare = client(unsendable).post("/shop", json={}).get_json()
    assert "$.handle" in bare["error"] and "it takes no parameters" in bare["error"]
    bound = client(unsendable_of).post("/shop", json={}).get_json()
    assert "$.handle" in bound["error"] and "binds the request's JSON fields to its parameters" in bound["error"]
