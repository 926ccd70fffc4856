"""An app exception that says its HTTP status (`status_code = 404`, or the app's own ValueError)
answers the same status and message whichever way it is reached: called directly by a service, or
raised by an item of a `puma.map`/`puma.map_reduce` inside one, or by a map called from outside.
A bug (no status) stays a 500 with its text kept back. Real deployment, real Envoy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import puma
from puma.mapping import protocol
from tests.apps import sensor_map

APP = Path(__file__).resolve().parent / "apps" / "sensor_map.py"
SECRET = "sensor-map-secret-" + "z" * 20


@pytest.fixture(scope="module")
def hub() -> Iterator[puma.Deployment]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv(protocol.ENV_SECRET, SECRET)
        deployment = puma.App.load(APP).start(listener={"port": 0})
        with deployment:
            yield deployment


@pytest.fixture(scope="module")
def http(hub: puma.Deployment) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hub.url, timeout=60) as client:
        yield client


@pytest.mark.parametrize(("sensor", "status", "words", "cls"), [
    ("zz", 404, "no sensor called 'zz'", "UnknownSensor"),
    ("old", 410, "sensor 'old' was retired in May", "Retired"),
    ("neg", 400, "sensor 'neg' sent -999", "BadReading"),
])
@pytest.mark.parametrize("batch", ["/batch_stats", "/batch_total"])
def test_map_app_error_keeps_its_status_and_message_as_a_direct_call(http: httpx.Client, sensor: str, status: int,
                                                                      words: str, cls: str, batch: str) -> None:
    direct = http.post("/sensor_map/stats", json={"sensor": sensor})
    mapped = http.post("/sensor_map" + batch, json={"sensors": ["s0", sensor, "s1"]})
    assert direct.status_code == status and mapped.status_code == status, mapped.text
    assert direct.json()["error"] == mapped.json()["error"] == words, mapped.text
    assert mapped.json()["type"] == cls and mapped.json()["error_class"].endswith(f":{cls}")
    assert mapped.json()["item_index"] == 1


def test_map_app_error_a_refused_call_inside_an_item_keeps_the_callees_status(http: httpx.Client) -> None:
    mapped = http.post("/sensor_map/batch_via", json={"sensors": ["s0", "gone"]})
    assert mapped.status_code == 404 and "no sensor called 'gone'" in mapped.json()["error"], mapped.text
    assert mapped.json()["item_index"] == 1


def test_map_app_error_a_bug_stays_an_opaque_500(http: httpx.Client) -> None:
    mapped = http.post("/sensor_map/batch_stats", json={"sensors": ["boom"]})
    assert mapped.status_code == 500 and "hunter2" not in mapped.text, mapped.text


def test_map_app_error_outside_a_service_is_the_apps_class_with_its_status(hub: puma.Deployment) -> None:
    with pytest.raises(sensor_map.UnknownSensor) as caught:
        puma.map(sensor_map.stats, ["s0", "nope"], deployment=hub, secret=SECRET)
    err = caught.value
    assert isinstance(err, puma.PumaMapError) and err.app_status == 404
    assert err.app_message == "no sensor called 'nope'" and err.item_index == 1
    assert puma.map_reduce(sensor_map.stats, ["s0", "s1"], sensor_map._plus, 0.0, deployment=hub,
                           secret=SECRET) == 10.0
