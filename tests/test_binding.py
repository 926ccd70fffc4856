"""Plain functions as services: JSON (or form) fields bound to parameters by name, converted by
their type hints, wrong or missing ones refused with 400 naming the parameter, the value and the
expected type; return values as JSON. Through PUMA's real service layer (Flask test client)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict
from typing_extensions import TypedDict

from puma import Response
from puma.binding import Binding, BindingError, takes_request
from puma.errors import PumaConfigError
from puma.serving import build_app
from tests.apps import parts


def http(fn: Any, prefix: str = "/fn") -> Any:
    return build_app("fn", fn, prefix=prefix, max_body_bytes=100_000).test_client()


@pytest.mark.parametrize(("fn", "body", "expected"), [
    (parts.score, {"text": "hi"}, {"text": "hi", "weights": None, "limit": None, "total": 0}),
    (parts.score, {"text": "hi", "weights": [1, 2.5], "limit": None}, {"text": "hi", "weights": [1.0, 2.5],
                                                                        "limit": None, "total": 3.5}),
    (parts.score, {"text": "hi", "limit": 3}, {"text": "hi", "weights": None, "limit": 3, "total": 0}),
    (parts.shift, {"p": {"x": 1}}, {"x": 2, "y": 1}),
    (parts.shift, {"p": {"x": 1, "y": 5}, "by": -1}, {"x": 0, "y": 4}),
    (parts.grow, {"box": {"label": "a", "size": 1.5}}, {"label": "a", "size": 3.0}),
    (parts.total, {"ids": [1, 2, 3]}, 6.0),
    (parts.total, {"ids": [], "scale": 2}, 0.0),
    (parts.pick, {"side": "left", "when": "2024-02-29"}, {"side": "left", "when": "2024-02-29"}),
    (parts.tag, {"name": "x", "a": 1, "b": 2}, {"name": "x", "extra": {"a": 1, "b": 2}}),
    (parts.shapes, {"n": 3}, [{"x": 3, "y": 0}, [3], "2020-01-03T00:00:00Z"]),
], ids=["defaults", "list-of-float", "optional-int", "dataclass", "dataclass-all-fields", "pydantic-model",
        "list-of-int", "keyword-only", "literal-and-date", "kwargs-take-the-rest", "tuple-set-datetime-returned"])
def test_binding_converts_fields_by_type_hint_and_returns_json(fn: Any, body: dict, expected: Any) -> None:
    resp = http(fn).post("/fn", json=body)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == expected


@pytest.mark.parametrize(("fn", "body", "parameter", "value", "expected"), [
    (parts.score, {}, "text", None, "str"),
    (parts.score, {"text": 3}, "text", 3, "str"),
    (parts.score, {"text": "a", "weights": "heavy"}, "weights", "heavy", "list[float] | None"),
    (parts.score, {"text": "a", "weights": [1, "x"]}, "weights[1]", "x", "float"),
    (parts.score, {"text": "a", "limit": 2.5}, "limit", 2.5, "int | None"),
    (parts.shift, {"p": {"y": 1}}, "p['x']", None, "int"),
    (parts.shift, {"p": {"x": "far"}}, "p['x']", "far", "int"),
    (parts.grow, {"box": {"label": "a", "size": "big"}}, "box['size']", "big", "float"),
    (parts.total, {"ids": [1, None]}, "ids[1]", None, "int"),
    (parts.pick, {"side": "up"}, "side", "up", "Literal['left', 'right']"),
    (parts.pick, {"side": "left", "when": "yesterday"}, "when", "yesterday", "date | None"),
    (parts.tag, {"name": "x", "a": "one"}, "a", "one", "int"),
], ids=["missing", "int-for-str", "str-for-list", "item-of-list", "float-for-int", "dataclass-field-missing",
        "dataclass-field-wrong", "model-field-wrong", "null-in-list", "not-in-literal", "not-a-date", "kwargs-typed"])
def test_binding_refuses_a_wrong_field_with_400_naming_it(fn: Any, body: dict, parameter: str, value: Any,
                                                          expected: str) -> None:
    resp = http(fn).post("/fn", json=body)
    assert resp.status_code == 400
    reply = resp.get_json()
    problem = reply["problems"][0]
    assert problem["parameter"] == parameter and problem["value"] == value
    assert problem["expected"] == expected  # the type at that place, not its container's
    assert f"(expected {expected})" in problem["message"]
    assert reply["error"].count(parameter) >= 1


def test_binding_refuses_unknown_fields_listing_the_parameters() -> None:
    reply = http(parts.score).post("/fn", json={"text": "a", "admin": True, "sudo": 1}).get_json()
    assert reply["status"] == 400
    assert {p["parameter"] for p in reply["problems"]} == {"admin", "sudo"}
    assert "its parameters: text, weights, limit" in reply["error"]


def test_binding_reads_form_fields_and_converts_their_text() -> None:
    resp = http(parts.score).post("/fn", data={"text": "hi", "limit": "7"})
    assert resp.get_json() == {"text": "hi", "weights": None, "limit": 7, "total": 0}
    refused = http(parts.score).post("/fn", data={"text": "hi", "limit": "seven"})
    assert refused.status_code == 400 and refused.get_json()["problems"][0]["parameter"] == "limit"


@pytest.mark.parametrize(("body", "needle"), [
    ([1, 2], "expected a JSON object (its fields), got list"),
    ("text", "expected a JSON object (its fields), got str"),
    (None, "expected a JSON object (its fields), got null"),
])
def test_binding_refuses_a_body_that_is_not_an_object(body: Any, needle: str) -> None:
    # json=None would send no body: the JSON text itself, so `null` arrives as the client wrote it.
    resp = http(parts.score).post("/fn", data=json.dumps(body), content_type="application/json")
    assert resp.status_code == 400 and needle in resp.get_json()["error"]


@pytest.mark.parametrize("text", ["null", " null\n"])
def test_binding_a_json_null_body_is_not_taken_as_no_fields(text: str) -> None:
    # `null` is not `{}`: a function with defaults for every argument must not run as if asked nothing.
    resp = http(parts.tick).post("/fn", data=text, content_type="application/json")
    assert resp.status_code == 400 and "got null" in resp.get_json()["error"], resp.get_json()
    assert http(parts.tick).post("/fn").status_code == 200  # no body at all: no fields, as before


def test_binding_answers_only_post_at_the_prefix() -> None:
    client = http(parts.score)
    assert client.get("/fn").status_code == 405 and "POST" in client.get("/fn").get_json()["error"]
    assert client.post("/fn/more", json={"text": "a"}).status_code == 404


@pytest.mark.parametrize(("kind", "status", "needle"), [
    ("value", 500, "internal error"),  # the handler's own ValueError is its bug, not a bad request
    ("type", 500, "internal error"),
    ("key", 500, "internal error"),
    ("gone", 410, "it was deleted"),
    ("http", 418, "a teapot"),
    ("callee-down", 503, "'db', which 'fn' calls, is unavailable"),
    ("callee-refused", 400, "'db', which 'fn' calls, refused the call: 400 bad constraint"),
    ("runtime", 500, "internal error"),
])
def test_exceptions_keep_their_meaning_as_statuses(kind: str, status: int, needle: str) -> None:
    resp = http(parts.refuse).post("/fn", json={"kind": kind})
    assert resp.status_code == status and needle in resp.get_json()["error"]
    if status == 500:
        assert not {"positive", "not a list", "42"} & set(resp.get_data(as_text=True).replace('"', " ").split())


def _digits(text: str) -> int:
    return int(text) + len(str(10 ** 5000))  # the second part raises ValueError (int digit limit)


def _lookup(key: str) -> str:
    return {"a": "postgres://u:secret@db/x"}[key.upper()]


@pytest.mark.parametrize(("fn", "body"), [(_digits, {"text": "7"}), (_lookup, {"key": "b"})])
def test_a_handlers_own_value_or_key_error_is_a_logged_500_hiding_its_text(fn, body, caplog) -> None:  # noqa: ANN001
    resp = http(fn).post("/fn", json=body)
    assert resp.status_code == 500 and "internal error" in resp.get_json()["error"]
    assert "4300" not in resp.get_data(as_text=True) and "postgres" not in resp.get_data(as_text=True)
    assert any(r.exc_info for r in caplog.records if "failed on POST /fn" in r.getMessage())


def test_arguments_that_do_not_bind_stay_a_400() -> None:
    resp = http(_digits).post("/fn", json={"text": ["not", "a", "str"]})
    assert resp.status_code == 400 and resp.get_json()["problems"][0]["parameter"] == "text"


def test_a_return_value_json_cannot_hold_is_a_500_naming_where() -> None:
    resp = http(parts.infinite).post("/fn", json={"x": 1})
    assert resp.status_code == 500 and "$[1]" in resp.get_json()["error"]


def test_request_handlers_keep_their_form() -> None:
    assert takes_request(lambda request: request) and takes_request(lambda req: req)
    assert takes_request(parts.Catalogue().headers) and takes_request(parts.stamp)
    assert not takes_request(parts.score) and not takes_request(lambda text: text)
    assert not takes_request(parts.Catalogue().builder, no_parameters=False)
    assert http(parts.stamp).post("/fn/any/path", json=[1]).get_json() == {"path": "/fn/any/path"}


def test_binding_is_built_once_and_names_unreadable_hints() -> None:
    binding = Binding.of(parts.score)
    assert binding.parameters == ("text", "weights", "limit")
    assert binding.call({"text": "a", "limit": "2"})["limit"] == 2
    with pytest.raises(BindingError, match="text: missing"):
        binding.call({})
    with pytest.raises(PumaConfigError, match="cannot be read from JSON"):
        Binding.of(parts.bad_hint)


def test_an_async_function_is_awaited() -> None:
    assert http(parts.later).post("/fn", json={"n": 21}).get_json() == {"n": 42}
    assert http(parts.later).post("/fn", json={"n": "x"}).status_code == 400


# --- unknown fields at every depth (a typo inside an argument is not silently dropped) -----------

@dataclass
class _Leg:
    origin: str
    stops: int = 0


@dataclass
class _Trip:
    legs: list[_Leg]
    traveller: parts.Box | None = None


class _Seat(BaseModel):
    row: int
    letter: str


class _Open(BaseModel):  # chose to keep what it does not know
    model_config = ConfigDict(extra="allow")
    code: str


class _Fare(TypedDict):
    cents: int


def _book(trip: _Trip, seats: dict[str, _Seat] | None = None, fare: _Fare | None = None,
          extra: _Open | None = None) -> dict:
    return {"legs": len(trip.legs), "seats": len(seats or {}), "extra": extra.model_dump() if extra else None}


@pytest.mark.parametrize(("body", "where", "of"), [
    ({"trip": {"legs": [], "travler": {}}}, "trip['travler']", "_Trip"),
    ({"trip": {"legs": [{"origin": "Oslo", "stop": 1}]}}, "trip['legs'][0]['stop']", "_Leg"),
    ({"trip": {"legs": [], "traveller": {"label": "me", "size": 1, "colour": "red"}}},
     "trip['traveller']['colour']", "Box"),
    ({"trip": {"legs": []}, "seats": {"ada": {"row": 3, "letter": "C", "window": True}}},
     "seats['ada']['window']", "_Seat"),
    ({"trip": {"legs": []}, "fare": {"cents": 900, "currency": "NOK"}}, "fare['currency']", "_Fare"),
], ids=["dataclass", "dataclass-in-list", "model-in-dataclass", "model-in-dict", "typed-dict"])
def test_binding_refuses_an_unknown_field_at_any_depth_naming_its_path(body: dict, where: str, of: str) -> None:
    resp = http(_book).post("/fn", json=body)
    assert resp.status_code == 400, resp.get_json()
    [problem] = resp.get_json()["problems"]
    assert problem["parameter"] == where and f"is not a field of {of}" in problem["message"]


def test_binding_lists_every_unknown_field_at_once_and_keeps_a_model_that_allows_them() -> None:
    body = {"trip": {"legs": [{"origin": "a", "stopz": 1}], "travler": None}, "seats": {"b": {"row": 1, "letter": "A",
                                                                                             "aisle": 1}}}
    reply = http(_book).post("/fn", json=body).get_json()
    assert sorted(p["parameter"] for p in reply["problems"]) == [
        "seats['b']['aisle']", "trip['legs'][0]['stopz']", "trip['travler']"]
    allowed = http(_book).post("/fn", json={"trip": {"legs": []}, "extra": {"code": "x", "note": "kept"}})
    assert allowed.status_code == 200 and allowed.get_json()["extra"] == {"code": "x", "note": "kept"}


# --- statuses a bound function chooses; async argument errors; *args ----------------------------

def _created(name: str) -> Response:
    return Response({"name": name}, status=201, headers={"x-made": name})


def _accepted(name: str) -> tuple[dict, int]:
    return {"queued": name}, 202


def _with_headers(name: str):  # noqa: ANN202 - unannotated on purpose
    return parts.Point(1, 2), 201, {"x-where": name}


def _coordinates(n: int) -> tuple[int, int]:
    return n, 201  # data: a pair of ints, whatever the second one is


def _named_pair(name: str) -> tuple[str, int]:
    return name, 202  # data: the annotation says so


async def _created_later(name: str) -> Response:
    return Response([name], status=201)


async def _halve(n: int) -> float:
    return n / 2


class _Desk:
    def open(self, name: str) -> tuple[parts.Point, int]:
        return parts.Point(len(name)), 201


@pytest.mark.parametrize(("fn", "status", "body"), [
    (_created, 201, {"name": "ada"}),
    (_accepted, 202, {"queued": "ada"}),
    (_with_headers, 201, {"x": 1, "y": 2}),
    (_created_later, 201, ["ada"]),
    (_Desk().open, 201, {"x": 3, "y": 0}),
    (_coordinates, 200, None),
    (_named_pair, 200, ["ada", 202]),
], ids=["response", "tuple", "tuple-with-headers", "async-response", "method-tuple", "int-pair-is-data",
        "annotated-tuple-is-data"])
def test_a_bound_function_s_response_or_status_tuple_sets_the_status(fn: Any, status: int, body: Any) -> None:
    fields = {"n": 4} if fn is _coordinates else {"name": "ada"}
    resp = http(fn).post("/fn", json=fields)
    assert resp.status_code == status, resp.get_json()
    assert resp.get_json() == (body if body is not None else [4, 201])
    if fn is _created:
        assert resp.headers["x-made"] == "ada"
    if fn is _with_headers:
        assert resp.headers["x-where"] == "ada"


def test_an_async_function_refuses_wrong_arguments_like_a_sync_one() -> None:
    reply = http(_halve).post("/fn", json={"n": "lots"}).get_json()
    assert reply["status"] == 400 and reply["problems"][0]["parameter"] == "n"
    assert "n: 'lots' is not valid (expected int)" in reply["error"] and "pydantic.dev" not in reply["error"]
    assert http(_halve).post("/fn", json={"n": 3}).get_json() == 1.5


def _sum_all(*values: int) -> int:
    return sum(values)


def _first_and_rest(first, *rest):  # noqa: ANN001, ANN202
    return first


@pytest.mark.parametrize("fn", [_sum_all, _first_and_rest, lambda *a, **k: a])
def test_a_function_taking_star_args_is_refused_at_start_naming_it(fn: Any) -> None:
    assert not takes_request(fn) or fn is _first_and_rest
    with pytest.raises(PumaConfigError) as refused:
        build_app("fn", fn, prefix="/fn", max_body_bytes=1000)
    name = getattr(fn, "__qualname__", "")
    assert name in str(refused.value) and "cannot take *" in str(refused.value) and "list" in str(refused.value)
