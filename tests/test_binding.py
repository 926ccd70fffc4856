"""Plain functions as services: JSON (or form) fields bound to parameters by name, converted by
their type hints, wrong or missing ones refused with 400 naming the parameter, the value and the
expected type; return values as JSON. Through PUMA's real service layer (Flask test client)."""

from __future__ import annotations

import json
from typing import Any

import pytest

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
    (parts.score, {"text": "a", "weights": [1, "x"]}, "weights[1]", "x", "list[float] | None"),
    (parts.score, {"text": "a", "limit": 2.5}, "limit", 2.5, "int | None"),
    (parts.shift, {"p": {"y": 1}}, "p['x']", None, "Point"),
    (parts.shift, {"p": {"x": "far"}}, "p['x']", "far", "Point"),
    (parts.grow, {"box": {"label": "a", "size": "big"}}, "box['size']", "big", "Box"),
    (parts.total, {"ids": [1, None]}, "ids[1]", None, "list[int]"),
    (parts.pick, {"side": "up"}, "side", "up", "Literal['left', 'right']"),
    (parts.pick, {"side": "left", "when": "yesterday"}, "when", "yesterday", "date | None"),
    (parts.tag, {"name": "x", "a": "one"}, "a", "one", "no such parameter"),
], ids=["missing", "int-for-str", "str-for-list", "item-of-list", "float-for-int", "dataclass-field-missing",
        "dataclass-field-wrong", "model-field-wrong", "null-in-list", "not-in-literal", "not-a-date", "kwargs-typed"])
def test_binding_refuses_a_wrong_field_with_400_naming_it(fn: Any, body: dict, parameter: str, value: Any,
                                                          expected: str) -> None:
    resp = http(fn).post("/fn", json=body)
    assert resp.status_code == 400
    reply = resp.get_json()
    problem = reply["problems"][0]
    assert problem["parameter"] == parameter and problem["value"] == value
    assert expected in problem["expected"] or expected in problem["message"]
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
    ("value", 400, "ValueError: n must be positive"),
    ("type", 400, "TypeError: not a list"),
    ("key", 404, "no such id 42"),
    ("gone", 410, "it was deleted"),
    ("http", 418, "a teapot"),
    ("callee-down", 503, "'db', which 'fn' calls, is unavailable"),
    ("callee-refused", 400, "'db', which 'fn' calls, refused the call: 400 bad constraint"),
    ("runtime", 500, "internal error"),
])
def test_exceptions_keep_their_meaning_as_statuses(kind: str, status: int, needle: str) -> None:
    resp = http(parts.refuse).post("/fn", json={"kind": kind})
    assert resp.status_code == status and needle in resp.get_json()["error"]


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
