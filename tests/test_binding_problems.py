"""A bound function's 400 lists every problem of the request at once (missing, invalid, unknown,
at any depth), each with the type expected at that place; its signature is shown as `def` writes
it; forms and query strings send a list as a repeated key. Through PUMA's real service layer
(Flask test client)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

import pytest
from pydantic import BaseModel

from puma import Request
from puma.binding import Binding, BindingError
from puma.endpoints import serve
from puma.serving import build_app

CALLS: list[Any] = []


class Colour(StrEnum):
    red = "red"
    blue = "blue"


@dataclass
class Visit:
    page: str
    at: dt.datetime
    colour: Colour = Colour.red


class Order(BaseModel):
    sku: str
    qty: int
    ship: Literal["post", "courier"] = "post"


@dataclass
class Basket:
    owner: str
    orders: list[Order] = field(default_factory=list)


def log_visit(visit: Visit, note: str = "") -> None:
    CALLS.append(visit)


def place(basket: Basket, *, urgent: bool = False, weight_kg: float = 1.0) -> None:
    CALLS.append(basket)


def label(text: str, /, size: int = 12, *, font: str = "serif", tags: list[str] | None = None) -> str:
    return text


def group(name: str, members: list[str], ids: set[int] | None = None, limit: int = 10) -> dict:
    return {"name": name, "members": members, "ids": sorted(ids) if ids is not None else None, "limit": limit}


def http(fn: Any) -> Any:
    return build_app("svc", fn, prefix="/svc", max_body_bytes=100_000).test_client()


def _problems(fn: Any, body: dict) -> dict[str, dict]:
    CALLS.clear()
    resp = http(fn).post("/svc", json=body)
    assert resp.status_code == 400, resp.get_json()
    assert CALLS == []  # refused before the function ran
    problems = resp.get_json()["problems"]
    by_path = {p["parameter"]: p for p in problems}
    assert len(by_path) == len(problems), problems  # each problem once
    return by_path


@pytest.mark.parametrize(("fn", "body", "paths"), [
    # an unknown nested field beside a missing, two invalid and a top-level unknown one
    (log_visit, {"visit": {"at": "noonish", "colour": "green", "referrer": "x"}, "mood": 2},
     {"visit['page']", "visit['at']", "visit['colour']", "visit['referrer']", "mood"}),
    # unknown fields at depth 3 (a model in a list in a dataclass), with an invalid one beside them
    (place, {"basket": {"owner": "ann", "orders": [{"sku": "a", "qty": "many", "gift": True},
                                                   {"sku": "b", "qty": 1, "ship": "drone"}]}},
     {"basket['orders'][0]['qty']", "basket['orders'][0]['gift']", "basket['orders'][1]['ship']"}),
    # a boolean where a number goes, an unknown field and a missing one
    (place, {"basket": {"orders": [], "colour": "red"}, "weight_kg": True},
     {"basket['owner']", "basket['colour']", "weight_kg"}),
    # only unknown fields, at two depths, and an unknown parameter
    (place, {"basket": {"owner": "bo", "vip": 1, "orders": [{"sku": "a", "qty": 1, "wrap": 1}]}, "extra": 0},
     {"basket['vip']", "basket['orders'][0]['wrap']", "extra"}),
], ids=["dataclass-every-kind", "model-in-list-deep", "boolean-unknown-missing", "unknown-only"])
def test_binding_reports_every_problem_of_a_request_at_once(fn: Any, body: dict, paths: set[str]) -> None:
    assert set(_problems(fn, body)) == paths


@pytest.mark.parametrize(("fn", "body", "path", "expected"), [
    (log_visit, {"visit": {"page": "/", "at": "noonish"}}, "visit['at']", "datetime"),
    (log_visit, {"visit": {"page": "/", "at": "2026-01-01T00:00:00", "colour": "green"}}, "visit['colour']",
     "Colour"),
    (place, {"basket": {"owner": "a", "orders": [{"sku": "a", "qty": 1, "ship": "drone"}]}},
     "basket['orders'][0]['ship']", "Literal['post', 'courier']"),
    (place, {"basket": {"owner": "a", "orders": [{"sku": 5, "qty": 1}]}}, "basket['orders'][0]['sku']", "str"),
    (group, {"name": "g", "members": ["a", None]}, "members[1]", "str"),
    (group, {"name": "g", "members": [], "ids": [1, "two"]}, "ids[1]", "int"),
    (place, {"basket": {"orders": []}}, "basket['owner']", "str"),
], ids=["datetime-in-dataclass", "enum-in-dataclass", "literal-in-model-in-list", "str-in-model",
        "item-of-list", "item-of-optional-set", "missing-field"])
def test_binding_names_the_type_expected_at_the_problems_place(fn: Any, body: dict, path: str,
                                                               expected: str) -> None:
    problem = _problems(fn, body)[path]
    assert problem["expected"] == expected
    assert f"(expected {expected})" in problem["message"]


@pytest.mark.parametrize(("fn", "shown"), [
    (label, "label(text: str, /, size: int = 12, *, font: str = 'serif', tags: list[str] | None = None)"),
    (place, "place(basket: Basket, *, urgent: bool = False, weight_kg: float = 1.0)"),
    (group, "group(name: str, members: list[str], ids: set[int] | None = None, limit: int = 10)"),
])
def test_binding_shows_the_signature_with_defaults_and_markers(fn: Any, shown: str) -> None:
    assert Binding.of(fn, name=fn.__name__).label == shown
    with pytest.raises(BindingError) as refused:
        Binding.of(fn, name=fn.__name__).call({})
    assert str(refused.value).startswith(shown + ": ")


def test_binding_describes_required_and_keyword_only_parameters() -> None:
    described = Binding.of(label).describe()
    assert described["parameters"] == ["text", "size", "font", "tags"]
    assert described["required"] == ["text"]
    assert described["keyword_only"] == ["font", "tags"]
    assert Binding.of(place).describe()["keyword_only"] == ["urgent", "weight_kg"]


@pytest.mark.parametrize(("form", "expected"), [
    ("name=g&members=ann&members=bo", {"members": ["ann", "bo"], "ids": None}),
    ("name=g&members=ann", {"members": ["ann"], "ids": None}),  # one value of a list: a list of one
    ("name=g&members=a&members=b&members=c&ids=3&ids=1", {"members": ["a", "b", "c"], "ids": [1, 3]}),
    ("name=g&members=&ids=7", {"members": [""], "ids": [7]}),
])
def test_binding_a_repeated_form_key_binds_to_a_list(form: str, expected: dict) -> None:
    resp = http(group).post("/svc", data=form, content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 200, resp.get_json()
    reply = resp.get_json()
    assert {k: reply[k] for k in expected} == expected


def test_binding_a_repeated_query_key_binds_to_a_list_too() -> None:
    resp = http(group).post("/svc?name=q&members=x&members=y", data=b"")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["members"] == ["x", "y"]


@pytest.mark.parametrize(("form", "path"), [
    ("name=a&name=b&members=x", "name"),      # a str parameter given twice
    ("name=g&members=x&limit=1&limit=2", "limit"),
])
def test_binding_a_repeated_form_key_of_a_single_value_parameter_is_a_400_naming_it(form: str, path: str) -> None:
    resp = http(group).post("/svc", data=form, content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 400
    problem = resp.get_json()["problems"][0]
    assert problem["parameter"] == path and isinstance(problem["value"], list)


def test_binding_a_json_string_for_a_list_is_still_refused() -> None:
    # Only a form's single value becomes a list of one: JSON says what it means.
    resp = http(group).post("/svc", json={"name": "g", "members": "ann"})
    assert resp.status_code == 400 and resp.get_json()["problems"][0]["parameter"] == "members"


@pytest.mark.parametrize(("method", "path", "said"), [
    ("GET", "/svc", "to /svc"), ("DELETE", "/svc", "to /svc")])
def test_binding_a_wrong_method_names_the_real_path(method: str, path: str, said: str) -> None:
    resp = http(group).open(path, method=method)
    assert resp.status_code == 405 and said in resp.get_json()["error"] and "<prefix>" not in resp.get_json()["error"]


class Shelf:
    def count(self) -> int:
        return 3


@pytest.mark.parametrize(("method", "path", "said"), [
    ("GET", "/shelf/count", "to /shelf/count"), ("POST", "/shelf", "at /shelf/<method>"),
    ("POST", "/shelf/count/more", "at /shelf/count;")])
def test_binding_an_object_services_messages_name_its_real_prefix(method: str, path: str, said: str) -> None:
    client = build_app("shelf", serve(Shelf()), prefix="/shelf", max_body_bytes=100_000).test_client()
    error = client.open(path, method=method, json={}).get_json()["error"]
    assert said in error and "<prefix>" not in error, error


@pytest.mark.parametrize(("body", "content_type"), [
    (b'{"name": "' + b"n" * 300 + b'", "members": []}', "application/json"),
    (b"name=" + b"n" * 300 + b"&members=a", "application/x-www-form-urlencoded"),
], ids=["json", "form"])
def test_binding_a_body_over_the_limit_names_the_limit_in_bytes_and_its_key(body: bytes, content_type: str) -> None:
    client = build_app("groups", group, prefix="/groups", max_body_bytes=200).test_client()
    resp = client.post("/groups", data=body, content_type=content_type)
    assert resp.status_code == 413
    error = resp.get_json()["error"]
    assert "service 'groups' takes at most 200 bytes" in error and "puma_services.groups.max_body_bytes" in error


def whole(request: Request) -> dict:
    return {"form": dict(request.form), "query": dict(request.query)}


@pytest.mark.parametrize(("path", "form", "named"), [
    ("/svc", "a=1&a=2", "form field 'a' is given 2 times"),
    ("/svc?q=1&q=2&q=3", "a=1", "query field 'q' is given 3 times"),
])
def test_binding_a_handler_of_the_whole_request_still_refuses_a_repeated_field(path: str, form: str,
                                                                               named: str) -> None:
    # It reads one value per name (request.form["a"]): none is picked for it.
    resp = http(whole).post(path, data=form, content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 400 and named in resp.get_json()["error"]
    assert http(whole).post("/svc?q=1", data="a=1&b=2", content_type="application/x-www-form-urlencoded").get_json() \
        == {"form": {"a": "1", "b": "2"}, "query": {"q": "1"}}


def rate(stars: Literal[1, 2, 3, 4, 5], pinned: Literal[True] | None = None, grades: list[Literal[1, 2]] | None = None,
         kind: Literal["a", "1"] = "a") -> dict:
    return {"stars": stars, "pinned": pinned, "grades": grades, "kind": kind}


@pytest.mark.parametrize(("form", "expected"), [
    ("stars=4", {"stars": 4, "pinned": None, "grades": None, "kind": "a"}),
    ("stars=5&pinned=true&grades=1&grades=2", {"stars": 5, "pinned": True, "grades": [1, 2], "kind": "a"}),
    ("stars=1&grades=2&kind=1", {"stars": 1, "pinned": None, "grades": [2], "kind": "1"}),
])
def test_binding_a_form_text_names_a_literals_number_or_boolean(form: str, expected: dict) -> None:
    resp = http(rate).post("/svc", data=form, content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == expected


@pytest.mark.parametrize("form", ["stars=6", "stars=4&grades=3", "stars=four"])
def test_binding_a_form_text_outside_a_literal_is_still_a_400(form: str) -> None:
    resp = http(rate).post("/svc", data=form, content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 400 and "Literal[" in resp.get_json()["problems"][0]["expected"]
