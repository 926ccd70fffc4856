"""Config numbers Envoy cannot hold are refused by PUMA's validation, naming the key, the value, the
range and the fix; and a config Envoy refuses anyway (a value PUMA cannot foresee) stops the start
with Envoy's reason in one line, never a "serving" deployment whose every path is 404 or 503."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any, get_args

import pytest
from pydantic import BaseModel

from puma import envoy, parse_config
from puma.config import PumaConfig
from puma.envoytypes import ENVOY_FIELDS, INT64_MAX, UINT32_MAX
from puma.errors import PumaConfigError, PumaStartError
from puma.proxy import find_envoy
from puma.supervisor import Deployment

# (config written as a user would, the key's path in PumaConfigError, the largest value Envoy holds there)
AT_THE_EDGE = [
    ({"puma_services": {"f": {"max_body_bytes": "V"}}}, "puma_services.f.max_body_bytes", UINT32_MAX),
    ({"puma_services": {"f": {"circuit_breaker": {"max_requests": "V"}}}}, "puma_services.f.circuit_breaker.max_requests",
     UINT32_MAX),
    ({"puma_services": {"f": {"circuit_breaker": {"max_pending_requests": "V"}}}},
     "puma_services.f.circuit_breaker.max_pending_requests", UINT32_MAX),
    ({"puma_services": {"f": {"circuit_breaker": {"max_connections": "V"}}}},
     "puma_services.f.circuit_breaker.max_connections", UINT32_MAX),
    ({"puma_services": {"f": {"circuit_breaker": {"max_retries": "V"}}}}, "puma_services.f.circuit_breaker.max_retries",
     UINT32_MAX),
    ({"puma_services": {"f": {"health_check": {"unhealthy_threshold": "V"}}}},
     "puma_services.f.health_check.unhealthy_threshold", UINT32_MAX),
    ({"puma_services": {"f": {"health_check": {"healthy_threshold": "V"}}}},
     "puma_services.f.health_check.healthy_threshold", UINT32_MAX),
    ({"rate_limit": {"requests_per_s": 1, "burst": "V"}}, "rate_limit.burst", UINT32_MAX),
    ({"rate_limit": {"requests_per_s": "V"}}, "rate_limit.requests_per_s", UINT32_MAX),
    ({"http_connection_manager": {"max_request_bytes": "V"}}, "http_connection_manager.max_request_bytes", UINT32_MAX),
    ({"listener": {"max_connections": "V"}}, "listener.max_connections", INT64_MAX),
]


def _with(template: dict[str, Any], value: object) -> dict[str, Any]:
    def fill(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: fill(v) for k, v in node.items()}
        return value if node == "V" else node
    conf = fill(template)
    conf.setdefault("puma_services", {"f": {}})
    return conf


@pytest.mark.parametrize(("template", "key", "high"), AT_THE_EDGE, ids=[k for _, k, _ in AT_THE_EDGE])
def test_config_refuses_a_number_over_its_envoy_field_naming_key_range_and_fix(template, key, high):
    for over in (high + 1, high * 4, 10**30):
        with pytest.raises(PumaConfigError) as err:
            parse_config(_with(template, over))
        [(path, message)] = err.value.problems
        assert path == key
        assert str(over) in message and f"to {high}" in message and f"give at most {high}" in message


@pytest.mark.parametrize(("template", "key", "high"), AT_THE_EDGE, ids=[k for _, k, _ in AT_THE_EDGE])
def test_config_at_the_top_of_an_envoy_range_is_accepted_and_envoy_takes_it(template, key, high, tmp_path):
    config = parse_config(_with(template, high))
    result = _validate(envoy.bootstrap_static(config, {"f": [("127.0.0.1", 5001)]}), tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def test_the_table_holds_the_range_envoy_itself_enforces(tmp_path):
    """Rendered past the table's range (validation bypassed), Envoy refuses the value: the table is
    Envoy's range, not a guess."""
    config = parse_config({"puma_services": {"f": {}}})
    service = config.puma_services["f"]
    over = service.model_copy(update={"max_body_bytes": UINT32_MAX + 1})
    result = _validate(envoy.bootstrap_static(config.replace_service("f", over), {"f": [("127.0.0.1", 5001)]}),
                       tmp_path)
    said = " ".join((result.stdout + result.stderr).split())  # protobuf varies the spaces in its errors on purpose
    assert result.returncode != 0 and "out of range" in said, said[:1500]


def test_every_problem_of_range_is_reported_at_once():
    with pytest.raises(PumaConfigError) as err:
        parse_config({"puma_services": {"a": {"max_body_bytes": 2**32, "health_check": {"healthy_threshold": 2**40}},
                                        "b": {"circuit_breaker": {"max_requests": 10**10}}},
                      "rate_limit": {"requests_per_s": 1e12, "burst": 2**33}})
    assert {path for path, _ in err.value.problems} == {
        "puma_services.a.max_body_bytes", "puma_services.a.health_check.healthy_threshold",
        "puma_services.b.circuit_breaker.max_requests", "rate_limit.requests_per_s", "rate_limit.burst"}


def test_a_non_finite_rate_is_refused_as_not_a_number_envoy_holds():
    with pytest.raises(PumaConfigError, match="rate_limit.requests_per_s: inf is not a number Envoy can hold"):
        parse_config({"rate_limit": {"requests_per_s": float("inf")}})


def _numeric_fields(model: type[BaseModel], seen: set[type] | None = None) -> list[tuple[str, Any]]:
    seen = seen if seen is not None else set()
    if model in seen:
        return []
    seen.add(model)
    found = []
    for name, info in model.model_fields.items():
        kinds = [info.annotation, *get_args(info.annotation)]
        for kind in kinds:
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                found += _numeric_fields(kind, seen)
            for inner in get_args(kind):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    found += _numeric_fields(inner, seen)
        if any(kind in (int, float) for kind in kinds):
            found.append((name, info))
    return found


# Numbers of the config that reach no Envoy field unbounded: each has its own bound (`le`), is a
# duration (bounded to ten years), or never reaches Envoy at all.
NOT_IN_ENVOY = {"memory_mib", "memory_limit_mib", "target_in_flight", "min", "max"}  # min/max: instances


def test_every_unbounded_config_number_that_reaches_envoy_is_in_the_table():
    unchecked = []
    for name, info in _numeric_fields(PumaConfig):
        bounded = any(getattr(m, "le", None) is not None or getattr(m, "lt", None) is not None
                      for m in info.metadata)
        duration = name.endswith(("_s", "timeout"))
        in_table = name in ENVOY_FIELDS or (name == "max_connections" and "listener_max_connections" in ENVOY_FIELDS)
        if not (bounded or duration or in_table or name in NOT_IN_ENVOY):
            unchecked.append(name)
    assert unchecked == []


def _validate(doc: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    path = tmp_path / "envoy.yaml"
    path.write_text(envoy.to_yaml(doc))
    return subprocess.run([find_envoy(), "--mode", "validate", "-c", str(path)],
                          capture_output=True, text=True, timeout=60)


def _config(extra: dict[str, Any] | None = None) -> PumaConfig:
    return parse_config({"listener": {"port": 0}, "puma_services": {
        "f": {"target": "tests.apps.basic:echo"}, "g": {"target": "tests.apps.basic:echo"}}, **(extra or {})})


def _bypass(config: PumaConfig, **update: Any) -> PumaConfig:
    """`config` with service f's settings changed past validation (a value only Envoy refuses)."""
    service = config.puma_services["f"]
    nested = {k: v for k, v in update.items() if isinstance(v, dict)}
    flat = {k: v for k, v in update.items() if not isinstance(v, dict)}
    for key, fields in nested.items():
        flat[key] = getattr(service, key).model_copy(update=fields)
    return config.replace_service("f", service.model_copy(update=flat))


@pytest.mark.parametrize(("config", "stat", "reason"), [
    # duplicate wildcard domains pass PUMA's validation; Envoy refuses the route file (every path 404)
    (_config({"http_connection_manager": {"route_config": {"domains": ["*", "*"]}}}), "rds",
     "Only a single wildcard domain"),
    (_bypass(_config(), max_body_bytes=UINT32_MAX + 1), "rds", "out of range"),
    (_bypass(_config(), circuit_breaker={"max_requests": 10**10}), "cds", "out of range"),
], ids=["routes-refused", "route-number-out-of-range", "cluster-number-out-of-range"])
def test_a_config_envoy_refuses_fails_the_start_with_its_reason_not_serving(config, stat, reason):
    started = time.monotonic()
    with pytest.raises(PumaStartError) as err:
        Deployment(config).start().stop()
    message = str(err.value)
    assert "Envoy refused the config PUMA wrote" in message and stat in message and reason in message
    assert "\n" not in message and len(message) < 1200  # one line, not Envoy's config dump
    assert time.monotonic() - started < 30  # not the start's whole wait for clusters that never come
