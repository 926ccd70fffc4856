"""Read-only endpoints a monolith served on GET (tests/test_get_query.py): functions whose
parameters a query string can carry, and ones it cannot (a dataclass)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal


class Unit(enum.Enum):
    CELSIUS = "C"
    PERCENT = "%"


@dataclass
class Sensor:
    sensor_id: str
    kind: str
    unit: str = "C"


def list_sensors(kind: str | None = None, limit: int = 10, tags: list[str] | None = None, active: bool = True,
                 unit: Unit | None = None, order: Literal["asc", "desc"] = "asc") -> dict:
    return {"kind": kind, "limit": limit, "tags": tags, "active": active,
            "unit": unit.value if unit else None, "order": order}


class Registry:
    def find(self, sensor_id: str, min_value: float = 0.0) -> dict:
        return {"sensor_id": sensor_id, "min_value": min_value}

    def add(self, sensor: Sensor) -> dict:
        return {"added": sensor.sensor_id}
