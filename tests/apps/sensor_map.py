"""A sensor hub whose batch endpoints map over sensors with `puma.map`/`puma.map_reduce`, and whose
own exceptions say their HTTP status (tests/test_map_app_errors.py): a batch must answer what the
single call answers."""

from __future__ import annotations

import puma
from puma import puma_config, puma_service
from puma.mapping import service_config


class UnknownSensor(Exception):
    status_code = 404


class Retired(Exception):
    status_code = 410


class BadReading(ValueError):
    """The app's own ValueError: a 400 without a status_code."""


class Broken(Exception):
    """No status: a bug, whose text stays in the log."""


READINGS = {"s0": [1.0, 2.0], "s1": [3.0, 4.0]}


def _summarise_one(sensor: str) -> float:
    if sensor == "old":
        raise Retired(f"sensor {sensor!r} was retired in May")
    if sensor == "neg":
        raise BadReading(f"sensor {sensor!r} sent -999")
    if sensor == "boom":
        raise Broken("password=hunter2")
    if sensor not in READINGS:
        raise UnknownSensor(f"no sensor called {sensor!r}")
    return sum(READINGS[sensor])


def _plus(a: float, b: float) -> float:
    return a + b


def stats(sensor: str) -> float:
    return _summarise_one(sensor)


def batch_stats(sensors: list[str]) -> list[float]:
    return puma.map(_summarise_one, sensors, chunksize=1)


def _through_the_mesh(sensor: str) -> float:
    return puma.call("sensor_map", {"sensor": sensor}, path="/stats")


def batch_via(sensors: list[str]) -> list[float]:
    """Each item calls another service, which refuses it: the refusal's status carries through."""
    return puma.map(_through_the_mesh, sensors, chunksize=1)


def batch_total(sensors: list[str]) -> float:
    return puma.map_reduce(_summarise_one, sensors, _plus, 0.0, chunksize=1)


__all__ = ["batch_stats", "batch_total", "batch_via", "stats"]

puma_config({"puma_services": {"map": service_config(1)}})
puma_service(__name__)
