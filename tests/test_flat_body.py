"""A monolith's client sends a dataclass's fields at the top of the body (`{"sensor_id": "h2",
"kind": "humidity"}` for `add_sensor(sensor: Sensor)`): the 400 is one problem saying to wrap them
in the parameter (`{"sensor": {...}}`), not one "missing" plus one "not a parameter" per field
(newcomer 63)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict

from puma.serving import build_app


@dataclass
class Sensor:
    sensor_id: str
    kind: str
    unit: str = "C"


class Reading(BaseModel):
    sensor_id: str
    value: float


class Window(TypedDict):
    start: int
    end: int


def add_sensor(sensor: Sensor) -> str:
    return sensor.sensor_id


def record(reading: Reading | None = None, note: str = "") -> float:
    return reading.value if reading else 0.0


def summarise(sensor_id: str, window: Window) -> int:
    return window["end"] - window["start"]


@pytest.mark.parametrize(("fn", "body", "parameter", "cls"), [
    (add_sensor, {"sensor_id": "h2", "kind": "humidity", "unit": "%"}, "sensor", "Sensor"),
    (add_sensor, {"sensor_id": "h2", "kind": "humidity"}, "sensor", "Sensor"),
    (record, {"sensor_id": "s1", "value": 2.5, "note": "roof"}, "reading", "Reading"),
    (summarise, {"sensor_id": "s1", "start": 1, "end": 5}, "window", "Window"),
])
def test_flat_body_one_problem_saying_to_wrap_the_fields(fn, body: dict, parameter: str, cls: str) -> None:  # noqa: ANN001
    client = build_app("hub", fn, prefix="/hub", max_body_bytes=10_000).test_client()
    reply = client.post("/hub", json=body)
    assert reply.status_code == 400, reply.text
    doc = reply.get_json()
    assert len(doc["problems"]) == 1, doc["problems"]
    message = doc["problems"][0]["message"]
    assert doc["problems"][0]["parameter"] == parameter and cls in message and "wrap them" in message, message
    assert f'{{"{parameter}": {{' in message, message


def test_flat_body_a_field_no_parameter_class_has_is_still_not_a_parameter() -> None:
    client = build_app("hub", add_sensor, prefix="/hub", max_body_bytes=10_000).test_client()
    doc = client.post("/hub", json={"sensor_id": "h2", "colour": "red"}).get_json()
    assert any("is not a parameter" in p["message"] for p in doc["problems"]), doc
    assert not any("wrap them" in p["message"] for p in doc["problems"])
    wrapped = client.post("/hub", json={"sensor": {"sensor_id": "h2", "kind": "humidity"}})
    assert wrapped.status_code == 200 and wrapped.get_json() == "h2"
