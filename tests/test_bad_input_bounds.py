"""Bad input stays cheap and its 400 stays small (newcomer 43, B2): a body of many unknown or
invalid fields is refused with the first `MAX_PROBLEMS` problems and a count of the rest, whatever
its size, and never reaches the service's timeout (a 504 that says the request may have run).
Through PUMA's service layer (Flask test client), and through a real Envoy and real instances."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

import puma
from puma.binding import MAX_PROBLEMS
from puma.serving import build_app

REPLY_MAX_BYTES = 16 * 1024  # MAX_PROBLEMS problems of at most ~1 KB each, with room for the envelope


@dataclass
class Spot:
    lat: float
    lon: float


class Tagged(BaseModel):
    label: str


def wait(seconds: float, note: str = "") -> dict:
    return {"note": note}


def totals(**counts: int) -> int:
    return sum(counts.values())


def scores(values: list[int]) -> int:
    return len(values)


def locate(spot: Spot) -> float:
    return spot.lat


def label(item: Tagged) -> str:
    return item.label


def _form(fields: dict[str, str]) -> tuple[bytes, str]:
    return "&".join(f"{k}={v}" for k, v in fields.items()).encode(), "application/x-www-form-urlencoded"


def _json(fields: Any) -> tuple[bytes, str]:
    return json.dumps(fields).encode(), "application/json"


def _post(fn: Any, body: bytes, content_type: str) -> Any:
    client = build_app("svc", fn, prefix="/svc", max_body_bytes=4 << 20).test_client()
    return client.post("/svc", data=body, headers={"Content-Type": content_type})


# (function, body, the number of problems it holds)
CASES = [
    (wait, _form({"seconds": "1", **{f"junk{i}": "x" for i in range(20_000)}}), 20_000),
    (wait, _json({"seconds": 1, **{f"k{i}": i for i in range(60_000)}}), 60_000),
    (wait, _json({"Seconds": 1, **{f"extra_{i}": None for i in range(5_000)}}), 5_002),  # + seconds missing
    (totals, _json({f"c{i}": "many" for i in range(30_000)}), 30_000),
    (scores, _json({"values": ["?"] * 40_000}), 40_000),
    (locate, _json({"spot": {"lat": 1, "lon": 2, **{f"alt{i}": 0 for i in range(25_000)}}}), 25_000),
    (label, _json({"item": {"label": "a", **{f"colour{i}": "red" for i in range(25_000)}}}), 25_000),
    (wait, _form({"seconds": "2", **{f"f{i}": "v" * 30 for i in range(15_000)}}), 15_000),
]


@pytest.mark.parametrize(("fn", "body", "count"), CASES, ids=[
    "form-unknown-20k", "json-unknown-60k", "json-misspelt-and-unknown", "kwargs-invalid-30k", "list-items-40k",
    "dataclass-unknown-25k", "model-unknown-25k", "form-long-values"])
def test_bad_input_400_lists_the_first_problems_and_counts_the_rest(fn: Any, body: tuple[bytes, str],
                                                                      count: int) -> None:
    resp = _post(fn, *body)
    reply = resp.get_json()
    assert resp.status_code == 400, resp.data[:300]
    assert len(resp.data) < REPLY_MAX_BYTES, len(resp.data)
    assert len(reply["problems"]) == MAX_PROBLEMS and reply["problems_total"] == count
    assert reply["error"].endswith(f"and {count - MAX_PROBLEMS} more problems not listed"), reply["error"][-200:]


def test_bad_input_a_known_fields_problem_is_listed_before_the_unknown_ones() -> None:
    body = {"seconds": "soon", **{f"x{i}": 1 for i in range(10_000)}}
    reply = _post(wait, *_json(body)).get_json()
    assert reply["problems"][0]["parameter"] == "seconds" and "expected float" in reply["problems"][0]["message"]
    assert [p["parameter"] for p in reply["problems"][1:4]] == ["x0", "x1", "x2"]  # in the request's order
    assert reply["problems_total"] == 10_001


@pytest.mark.parametrize("body", [
    {"seconds": 1, "k" * 600_000: "v" * 5_000},
    {"seconds": "9" * 300 + "x"},
    {"seconds": 1, "tags": ["t" * 1000] * 500},
    {"seconds": {"nested": ["deep" * 10_000]}},
], ids=["huge-key", "huge-bad-number", "huge-unknown-list", "huge-bad-object"])
def test_bad_input_huge_names_and_values_are_cut_in_the_reply(body: dict) -> None:
    resp = _post(wait, *_json(body))
    reply = resp.get_json()
    assert resp.status_code == 400 and len(resp.data) < 4096, len(resp.data)
    problem = reply["problems"][0]
    assert len(problem["parameter"]) <= 100 and len(problem["message"]) <= 1000
    assert problem.get("value_cut") is True and isinstance(problem["value"], str), problem


def test_bad_input_a_small_value_is_kept_as_sent() -> None:
    reply = _post(wait, *_json({"seconds": [1, 2, "x"], "extra": {"a": 1}})).get_json()
    values = {p["parameter"]: p["value"] for p in reply["problems"]}
    assert values == {"seconds": [1, 2, "x"], "extra": {"a": 1}} and not any("value_cut" in p for p in reply["problems"])


@pytest.fixture(scope="module")
def mesh() -> Iterator[puma.Deployment]:
    app = puma.App()
    app.configure({"puma_services": {"wait": {"prefix": "/wait", "timeout_s": 3, "max_body_bytes": 4 << 20},
                                     "totals": {"prefix": "/totals", "timeout_s": 3, "max_body_bytes": 4 << 20}}})
    app.add_services({"wait": wait, "totals": totals})
    with app.start(listener={"port": 0}) as deployment:
        yield deployment


@pytest.mark.parametrize(("path", "body", "content_type"), [
    ("/wait", "&".join(f"k{i}=v" for i in range(150_000)), "application/x-www-form-urlencoded"),
    ("/wait", json.dumps({f"key{i}": [i] for i in range(60_000)}), "application/json"),
    ("/totals", json.dumps({f"n{i}": "NaN?" for i in range(80_000)}), "application/json"),
])
def test_bad_input_through_envoy_is_a_small_400_within_a_3_s_timeout(mesh: puma.Deployment, path: str, body: str,
                                                                     content_type: str) -> None:
    resp = httpx.post(mesh.url + path, content=body.encode(), headers={"Content-Type": content_type}, timeout=30)
    assert resp.status_code == 400, resp.text[:300]  # not the 504 of a service that took over 3 s
    assert len(resp.content) < REPLY_MAX_BYTES and len(resp.json()["problems"]) == MAX_PROBLEMS
    assert "x-envoy-attempt-count" not in resp.headers or resp.headers["x-envoy-attempt-count"] == "1"


@pytest.mark.parametrize(("count", "tail"), [(3, "['f0', 'f1', 'f2']"), (20, "'f9']"), (30_000, "(and 29980 more)")])
def test_bad_input_the_chatbots_unknown_fields_are_named_a_few_and_counted(count: int, tail: str) -> None:
    from chatbot.errors import FIELDS_NAMED, unknown_fields_text

    text = unknown_fields_text({f"f{i}" for i in range(count)})
    assert text.endswith(tail) and text.count("'f") == min(count, FIELDS_NAMED) and len(text) < 1000, text


def scale(factor: float, spot: Spot | None = None, weights: list[float] | None = None) -> dict:
    return {"factor": factor}


@pytest.mark.parametrize(("body", "where"), [
    (_form({"factor": "inf"}), "factor"),
    (_form({"factor": "-Infinity"}), "factor"),
    (_form({"factor": "nan"}), "factor"),
    (_form({"factor": "1e400"}), "factor"),
    (_form({"factor": "2", "weights": "NaN"}), "weights[0]"),
    (_json({"factor": 1, "spot": {"lat": "inf", "lon": 0}}), "spot['lat']"),
    (_json({"factor": "-1e999"}), "factor"),
], ids=["inf", "minus-Infinity", "nan", "1e400", "nan-in-list", "inf-text-in-dataclass", "json-text-1e999"])
def test_bad_input_a_non_finite_number_as_text_is_a_400_naming_it(body: tuple[bytes, str], where: str) -> None:
    resp = _post(scale, *body)  # it would come back as a reply JSON cannot hold: the service's 500
    assert resp.status_code == 400 and resp.get_json()["problems"][0]["parameter"] == where, resp.data[:300]
    assert "finite" in resp.get_json()["error"], resp.get_json()["error"]


def test_bad_input_a_field_without_a_name_is_named_as_such() -> None:
    reply = _post(wait, b"=5&seconds=1", "application/x-www-form-urlencoded").get_json()
    assert reply["error"].endswith("'' (given '5') is not a parameter (its parameters: seconds, note)"), reply["error"]


@pytest.mark.parametrize("body", [b'{"seconds": 1}', b'  {"seconds": 1, "note": "a&b=c"}', b"[1, 2]"])
def test_bad_input_json_sent_as_a_form_is_named_so(body: bytes) -> None:
    resp = _post(wait, body, "application/x-www-form-urlencoded")
    error = resp.get_json()["error"]
    assert resp.status_code == 400 and "is JSON sent as" in error and "Content-Type: application/json" in error, error


def test_bad_input_a_form_field_holding_json_is_still_a_form() -> None:
    resp = _post(wait, b"seconds=1&note=%7B%22a%22%3A1%7D", "application/x-www-form-urlencoded")
    assert resp.status_code == 200 and resp.get_json() == {"note": '{"a":1}'}, resp.data[:200]
