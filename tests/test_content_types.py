"""Which bodies a service takes: JSON and forms always (parameters are bound from their fields);
a handler that reads the whole body any type by default, or the types `content_types` lists, which
add to JSON and forms rather than replace them; a 415 names the config key and the fix
(newcomer 63, finding 2)."""

from __future__ import annotations

from typing import Any

import pytest

import puma
from puma import parse_config
from puma.serving import build_app


def upload(request: puma.Request) -> dict:
    return {"bytes": len(request.body), "type": request.headers.get("Content-Type", "")}


def add(a: int, b: int) -> int:
    return a + b


class Hub:
    def add_reading(self, sensor: str, value: float) -> dict:
        return {"sensor": sensor, "value": value}

    def ingest(self, request: puma.Request) -> dict:
        return {"bytes": len(request.body)}


def _client(fn: Any, content_types: tuple[str, ...] = ("*/*",)) -> Any:
    return build_app("hub", fn, max_body_bytes=100_000, prefix="/hub", content_types=content_types).test_client()


@pytest.mark.parametrize("mimetype", ["text/csv", "application/xml", "application/octet-stream", "image/png",
                                      "text/plain"])
def test_whole_body_handler_takes_any_type_by_default(mimetype: str) -> None:
    resp = _client(upload).post("/hub", data=b"a,b\n1,2\n", headers={"Content-Type": mimetype})
    assert resp.status_code == 200 and resp.get_json()["bytes"] == 8, resp.get_data(as_text=True)


def test_service_config_default_takes_any_type_for_a_whole_body_handler() -> None:
    types = parse_config({"puma_services": {"hub": "/hub"}}).puma_services["hub"].content_types
    resp = _client(upload, content_types=types).post("/hub", data=b"x", headers={"Content-Type": "text/csv"})
    assert resp.status_code == 200, resp.get_data(as_text=True)


@pytest.mark.parametrize("listed", [("text/csv",), ("text/*",), ("application/xml", "text/csv")])
def test_listed_content_types_add_to_json_and_forms(listed: tuple[str, ...]) -> None:
    client = _client(Hub(), content_types=listed)
    assert client.post("/hub/add_reading", json={"sensor": "s1", "value": 2.5}).get_json() == {"sensor": "s1", "value": 2.5}
    form = client.post("/hub/add_reading", data={"sensor": "s2", "value": "1"})
    assert form.status_code == 200 and form.get_json()["sensor"] == "s2", form.get_data(as_text=True)
    csv = client.post("/hub/ingest", data=b"1,2,3", headers={"Content-Type": "text/csv; charset=utf-8"})
    assert csv.status_code == 200 and csv.get_json() == {"bytes": 5}, csv.get_data(as_text=True)


@pytest.mark.parametrize(("listed", "sent"), [(("text/csv",), "application/xml"), ((), "text/plain"),
                                              (("text/*",), "application/octet-stream")])
def test_unlisted_type_415_names_the_config_key_and_the_fix(listed: tuple[str, ...], sent: str) -> None:
    resp = _client(Hub(), content_types=listed).post("/hub/ingest", data=b"<a/>", headers={"Content-Type": sent})
    message = resp.get_json()["error"]
    assert resp.status_code == 415, message
    assert "puma_services.hub.content_types" in message and f"add {sent!r}" in message, message
    assert "application/json" in message, message


@pytest.mark.parametrize("sent", ["text/csv", "application/xml"])
def test_bound_function_given_a_body_without_fields_says_how_to_read_it_whole(sent: str) -> None:
    resp = _client(add).post("/hub", data=b"1,2", headers={"Content-Type": sent})
    message = resp.get_json()["error"]
    assert resp.status_code == 415 and "request: puma.Request" in message and "application/json" in message, message


@pytest.mark.parametrize(("given", "kept"), [([], ()), ("text/*", ("text/*",)), (["*/*"], ("*/*",)),
                                             (["text/csv", "application/json"], ("text/csv", "application/json"))])
def test_config_content_types_take_wildcards_and_an_empty_list(given: object, kept: tuple[str, ...]) -> None:
    service = parse_config({"puma_services": {"hub": {"content_types": given}}}).puma_services["hub"]
    assert service.content_types == kept
