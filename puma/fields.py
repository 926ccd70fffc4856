"""The field types both config models build on (a service's settings in `puma.services`, the
deployment's in `puma.config`): durations, CPU amounts, numbers bounded by the Envoy field they
are rendered into, URL paths as Envoy routes them, and the strict frozen base model. No IO.

>>> normal_path("/a//b/./c/../d")
'/a/b/d'
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from .envoytypes import envoy_range_problem

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
_CPU = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m)?\s*$")


def normal_path(path: str) -> str:
    """`path` as Envoy routes it (`normalize_path` and `merge_slashes`): '/a//b/./c/../d' -> '/a/b/d'."""
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in ("", "."):
            segments.append(segment)
    return "/" + "/".join(segments)


def _seconds(value: Any) -> Any:
    """Durations may be numbers of seconds or strings such as "30s", "250ms", "5m"."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration; write seconds (2.5) or '2500ms', '30s', '5m'")
    if isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise ValueError(f"{value!r} is not a duration; write seconds (2.5) or '2500ms', '30s', '5m'")
        return float(match.group(1)) * _UNIT_S[match.group(2)]
    return value


MAX_SECONDS = 10 * 365 * 86400.0  # ten years: Envoy's durations end near 10,000 years; none is meant longer


def _envoy_duration(value: float) -> float:
    """A duration Envoy renders as meant: finite, at most MAX_SECONDS, and 0 or at least 1 ms
    (Envoy's configs are written to the millisecond: 0.0004 would be written 0, "no timeout")."""
    if not math.isfinite(value) or value > MAX_SECONDS:
        raise ValueError(f"{value:g} s is longer than any duration means here; give at most {MAX_SECONDS:g} s "
                         "(ten years)")
    if 0 < value < 0.001:
        raise ValueError(f"{value:g} s is below 1 ms, the resolution of Envoy's durations: it would be "
                         "written 0 (no timeout, or off); give at least 0.001 (1 ms)")
    return value


Seconds = Annotated[float, BeforeValidator(_seconds), Field(ge=0), AfterValidator(_envoy_duration)]

MIN_CHECK_S = 0.01


def _check_period(value: float) -> float:
    """A check's period or timeout: positive and at least MIN_CHECK_S, said in one message whatever the
    value (a negative one was "at least 0", then 0 was "below 0.01 s": two rounds to learn one rule)."""
    if value < MIN_CHECK_S:
        raise ValueError(f"{value:g} s is below {MIN_CHECK_S} s: a check needs a positive period and time "
                         "to answer; give seconds such as 1 or 10 (or '500ms')")
    return value


CheckSeconds = Annotated[float, BeforeValidator(_seconds), AfterValidator(_check_period), AfterValidator(_envoy_duration)]


def _cores(value: Any) -> Any:
    """CPU may be a number of cores (0.5) or a Kubernetes quantity string ("500m", "2")."""
    if isinstance(value, str):
        match = _CPU.match(value)
        if not match:
            raise ValueError(f"{value!r} is not a CPU amount; write cores (0.5) or millicores ('500m')")
        return float(match.group(1)) / (1000 if match.group(2) else 1)
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 256:
        raise ValueError(f"{value} cores is more than a node has; for millicores write '{value}m'")
    return value


Cores = Annotated[float, BeforeValidator(_cores), Field(ge=0.001, le=256)]


def _one_or_many(value: Any) -> Any:
    """A list of names may be given as one name: 'text/csv' is ['text/csv'] (a string is no list of
    its characters)."""
    return (value,) if isinstance(value, str) else value


Names = Annotated[tuple[str, ...], BeforeValidator(_one_or_many)]
"""A list of strings (media types, HTTP methods, domains...); one string is a list of one."""


def fits_envoy(key: str) -> AfterValidator:
    """A check that a number fits the Envoy field `key` is rendered into (puma.envoytypes' table)."""
    def check(value: float) -> float:
        problem = envoy_range_problem(key, value)
        if problem is not None:
            raise ValueError(problem)
        return value
    return AfterValidator(check)


class ConfigModel(BaseModel):
    """A config section: unknown keys are refused (`extra="forbid"`), and it is frozen once built."""

    model_config = ConfigDict(extra="forbid", frozen=True)

