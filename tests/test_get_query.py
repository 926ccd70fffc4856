"""A monolith's read-only endpoints kept their GET clients (newcomer 63): a service whose config
lists GET (`methods: ["GET", "POST"]`) calls a bound function on GET with its query parameters
converted as its hints say; without it, the 405 (Envoy's and the instance's) says how to allow GET;
a parameter a query string cannot carry (a dataclass) is named. Real Envoy."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterator
from typing import Literal, Optional

import httpx
import pytest

import puma
from puma.formtext import textual
from tests.apps import readonly


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    app = puma.App()
    app.configure({"puma_services": {
        "sensors": {"prefix": "/sensors", "methods": ["GET", "POST"]},
        "plain": {"prefix": "/plain"},
        "registry": {"prefix": "/registry", "methods": ["GET", "POST"]},
    }})
    app.add_services({"sensors": readonly.list_sensors, "plain": readonly.list_sensors,
                      "registry": "tests.apps.readonly:Registry"})
    with app.start(listener={"port": 0}) as deployment, httpx.Client(base_url=deployment.url, timeout=20) as client:
        yield client


@pytest.mark.parametrize(("query", "expected"), [
    ("kind=temperature", {"kind": "temperature", "limit": 10, "tags": None, "active": True}),
    ("limit=3&active=false&tags=roof", {"kind": None, "limit": 3, "tags": ["roof"], "active": False}),
    ("tags=a&tags=b&unit=%25&order=desc", {"tags": ["a", "b"], "unit": "%", "order": "desc"}),
    ("", {"kind": None, "limit": 10}),
])
def test_get_query_a_listed_get_binds_the_query_parameters(http: httpx.Client, query: str, expected: dict) -> None:
    reply = http.get(f"/sensors?{query}")
    assert reply.status_code == 200, reply.text
    assert expected.items() <= reply.json().items(), reply.json()
    assert http.head(f"/sensors?{query}").status_code == 200
    assert http.post("/sensors", json={"kind": "rain"}).json()["kind"] == "rain"  # POST still served


def test_get_query_a_bad_value_is_a_400_naming_the_parameter(http: httpx.Client) -> None:
    reply = http.get("/sensors?limit=lots")
    assert reply.status_code == 400 and "limit" in reply.text, reply.text
    assert http.get("/sensors?colour=red").status_code == 400


def test_get_query_without_get_in_the_config_the_405_says_how_to_allow_it(http: httpx.Client) -> None:
    reply = http.get("/plain?kind=temperature")
    assert reply.status_code == 405 and reply.headers["allow"] == "POST"
    assert 'puma_services.plain.methods: ["GET", "POST"]' in reply.json()["error"], reply.text


def test_get_query_a_method_taking_a_dataclass_names_the_parameter(http: httpx.Client) -> None:
    assert http.get("/registry/find?sensor_id=s1&min_value=2.5").json() == {"sensor_id": "s1", "min_value": 2.5}
    reply = http.get("/registry/add?sensor_id=s1")
    assert reply.status_code == 405 and "'sensor'" in reply.json()["error"], reply.text
    assert "query string cannot carry" in reply.json()["error"]


@pytest.mark.parametrize(("hint", "carried"), [
    (str, True), (int, True), (Optional[float], True), (list[int], True), (tuple[str, ...], True),  # noqa: UP045
    (Literal["a", "b"], True), (datetime.date, True), (readonly.Unit, True), (bool | None, True),
    (readonly.Sensor, False), (dict[str, int], False), (list[list[int]], False), (list[readonly.Sensor], False),
    (dataclasses.dataclass(type("Point", (), {"__annotations__": {"x": int}})), False),
])
def test_get_query_which_parameters_a_query_string_carries(hint: object, carried: bool) -> None:
    assert textual(hint) is carried


@pytest.mark.parametrize(("methods", "takes"), [(None, False), (["POST"], False), (["GET", "POST"], True),
                                                (["POST", "GET", "HEAD"], True)])
def test_get_query_only_a_config_listing_get_takes_it_even_when_copied_to_a_worker_host(methods: list[str] | None,
                                                                                      takes: bool) -> None:
    from puma.services import Service

    service = Service.model_validate({"prefix": "/x", **({"methods": methods} if methods else {})})
    copied = Service.model_validate(service.model_dump(mode="json"))  # as puma.workers sends it
    assert service.takes_get is takes and copied.takes_get is takes
