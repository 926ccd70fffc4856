"""Config errors name the path, the value, the form expected and, for a closed set, the nearest
choice; one string where a list of strings is meant is a list of one (newcomer 63, finding 10)."""

from __future__ import annotations

import pytest

from puma import PumaConfigError, parse_config
from puma.endpoints import serve
from puma.errors import HTTPError


def _problems(conf: dict) -> dict[str, str]:
    with pytest.raises(PumaConfigError) as caught:
        parse_config(conf)
    return dict(caught.value.problems)


@pytest.mark.parametrize(("conf", "path", "meant"), [
    ({"load_balancer": "roundrobin"}, "load_balancer", "round_robin"),
    ({"load_balancer": "Least-Request"}, "load_balancer", "least_request"),
    ({"puma_services": {"a": {"lb_policy": "ringhash"}}}, "puma_services.a.lb_policy", "ring_hash"),
    ({"logging": {"name": "stdot"}}, "logging.name", "stdout"),
    ({"puma_services": {"a": {"visibility": "intrenal"}}}, "puma_services.a.visibility", "internal"),
])
def test_config_choice_outside_closed_set_suggests_nearest(conf: dict, path: str, meant: str) -> None:
    message = _problems(conf)[path]
    assert f"did you mean {meant!r}?" in message, message
    assert "Input should" not in message


@pytest.mark.parametrize(("conf", "path", "expected"), [
    ({"puma_services": {"a": {"content_types": "text/csv"}}}, "puma_services.a.content_types", ("text/csv",)),
    ({"puma_services": {"a": {"methods": "POST"}}}, "puma_services.a.methods", ("POST",)),
    ({"puma_services": {"a": {"idempotent": "search"}}}, "puma_services.a.idempotent", ("search",)),
])
def test_config_one_string_where_a_list_is_meant_is_a_list_of_one(conf: dict, path: str, expected: tuple) -> None:
    service = parse_config(conf).puma_services["a"]
    assert getattr(service, path.rsplit(".", 1)[1]) == expected


def test_config_one_domain_string_is_a_list_of_one() -> None:
    cfg = parse_config({"http_connection_manager": {"route_config": {"domains": "example.org"}}})
    assert tuple(cfg.http_connection_manager.route_config.domains) == ("example.org",)


@pytest.mark.parametrize(("conf", "path", "says"), [
    ({"jobs": [{"name": "m", "command": "chatbot db upgrade"}]}, "jobs.0.command", "['chatbot', 'db', 'upgrade']"),
    ({"jobs": [{"name": "m", "command": "alembic upgrade 'head'"}]}, "jobs.0.command", "['alembic', 'upgrade', 'head']"),
    ({"jobs": {"name": "m", "command": ["x"]}}, "jobs", "expected a list [...], not a JSON object"),
    ({"puma_services": {"a": {"threads": "many"}}}, "puma_services.a.threads", "expected a whole number"),
    ({"puma_services": {"a": {"methods": ["get", "PSOT"]}}}, "puma_services.a.methods", "did you mean ['GET', 'POST']?"),
])
def test_config_wrong_form_is_named_in_json_terms(conf: dict, path: str, says: str) -> None:
    message = _problems(conf)[path]
    assert says in message and "Input should" not in message, message


class Sensors:
    def list_sensors(self, kind: str = "") -> list[str]:
        return []

    def add_reading(self, sensor_id: str, value: float) -> None:
        return None


@pytest.mark.parametrize(("path", "meant"), [("/api/list_sensor", "list_sensors"), ("/api/addreading", "add_reading"),
                                             ("/api/List_Sensors", "list_sensors")])
def test_object_service_unknown_method_404_suggests_nearest(path: str, meant: str) -> None:
    with pytest.raises(HTTPError) as caught:
        serve(Sensors()).endpoint(path, "/api")
    assert caught.value.status == 404 and f"did you mean {meant!r}?" in caught.value.message, caught.value.message


def test_object_service_idempotent_misspelt_method_suggests_nearest() -> None:
    problem = serve(Sensors()).unknown_methods(["list_sensor"])
    assert problem is not None and "did you mean ['list_sensors']?" in problem
