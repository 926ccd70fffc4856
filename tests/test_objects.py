"""Objects as services: a class (built once, no arguments) or a `factory()` serves each public
method at <prefix>/<method> and `__call__` at the prefix; unknown and private methods are 404;
methods marked idempotent become retrying routes. Through PUMA's service layer (no processes)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

import puma
from puma import endpoints
from puma.config import parse_config
from puma.errors import PumaConfigError
from puma.serving import build_app
from tests.apps import parts


def http(target: str, prefix: str = "/cat") -> FlaskClient:
    return build_app("cat", endpoints.build(target), prefix=prefix, max_body_bytes=100_000).test_client()


def test_object_serves_each_public_method_at_its_own_path() -> None:
    client = http("tests.apps.parts:Catalogue")
    assert client.post("/cat/search", json={"words": ["a"]}).get_json() == [1, 2]
    assert client.post("/cat/title", json={"film_id": 1}).get_json() == "Heat"
    assert client.post("/cat/where", json={"film_id": 2}).get_json() == {"x": 2, "y": 4}
    assert client.post("/cat/version").get_json() == "1.0"
    assert client.post("/cat/headers/sub", json={}).get_json() == {"path": "/cat/headers/sub", "method": "POST"}


@pytest.mark.parametrize("path", ["/cat/_private", "/cat/__init__", "/cat/__class__", "/cat/size",
                                  "/cat/films", "/cat/nope", "/cat/search/deeper"])
def test_object_answers_404_for_what_it_does_not_serve(path: str) -> None:
    resp = http("tests.apps.parts:Catalogue").post(path, json={})
    assert resp.status_code == 404
    reply = resp.get_json()
    assert reply["methods"] == ["builder", "headers", "search", "title", "version", "where"]
    assert "never served" not in resp.get_data(as_text=True)


def test_object_without_call_answers_404_at_its_prefix_naming_its_methods() -> None:
    resp = http("tests.apps.parts:Catalogue").post("/cat", json={})
    assert resp.status_code == 404 and "search" in resp.get_json()["error"]


def test_object_method_refuses_wrong_arguments_like_a_function() -> None:
    resp = http("tests.apps.parts:Catalogue").post("/cat/title", json={"film_id": "Heat"})
    assert resp.status_code == 400 and resp.get_json()["problems"][0]["parameter"] == "film_id"
    missing = http("tests.apps.parts:Catalogue").post("/cat/title", json={"film_id": 9})
    assert missing.status_code == 404 and "9" in missing.get_json()["error"]


def test_callable_object_serves_call_at_its_prefix() -> None:
    client = http("tests.apps.parts:Scorer", prefix="/score")
    assert client.post("/score", json={"text": "abc"}).get_json() == {"length": 3}
    assert client.post("/score/__call__", json={"text": "abc"}).status_code == 404


def test_factory_target_is_called_once_and_its_object_served() -> None:
    served = endpoints.build("tests.apps.parts:make_catalogue()")
    assert served.kind == "object" and "search" in served.endpoints
    assert endpoints.build("tests.apps.parts:score").kind == "function"


def test_interface_describes_methods_parameters_and_marks() -> None:
    reply = http("tests.apps.parts:Catalogue").get("/cat/_puma/interface").get_json()
    assert reply["kind"] == "object"
    assert reply["methods"]["search"] == {"parameters": ["words"], "types": {"words": "list[str]"},
                                          "returns": "list[int]", "idempotent": True, "required": ["words"],
                                          "keyword_only": []}
    assert reply["methods"]["title"]["idempotent"] is False
    assert reply["methods"]["headers"] == {"request": True, "idempotent": False}


def test_idempotent_marks_are_read_without_building_the_object() -> None:
    assert endpoints.marks("tests.apps.parts:Catalogue") == ["search"]
    assert endpoints.marks("tests.apps.parts:make_catalogue()") == ["search"]
    assert endpoints.marks("tests.apps.parts:Flaky") == ["retried"]
    assert endpoints.marks("tests.apps.parts:score") == []


def test_marks_from_the_zygote_become_routes_of_the_service() -> None:
    service = parse_config({"puma_services": {"db": {"idempotent": ["title"]}}}).puma_services["db"]
    merged = service.with_idempotent(["search"])
    assert merged.idempotent == ("search", "title") and merged.with_idempotent(["search"]) is merged
    assert service.with_idempotent([""]).retries_all  # the service itself: all of it


def test_a_method_whose_types_json_cannot_give_fails_the_build_naming_it() -> None:
    with pytest.raises(PumaConfigError, match="bad_hint.*cannot be read from JSON"):
        endpoints.build("tests.apps.parts:bad_hint")


@pytest.mark.parametrize(("spec", "message"), [
    ({"idempotent": ["_secret"]}, "not public method names"),
    ({"idempotent": ["no such"]}, "not public method names"),
    ({"target": "chatbot.components:LocalDb.load(x)"}, "is not an import path"),
])
def test_config_refuses_bad_method_marks_and_targets(spec: dict, message: str) -> None:
    with pytest.raises(PumaConfigError, match=message):
        parse_config({"puma_services": {"db": spec}})


def test_config_serves_a_service_without_a_prefix_at_its_name() -> None:
    config = parse_config({"puma_services": {"db": {"threads": 2}, "web": "/"}})
    assert config.puma_services["db"].prefix == "/db" and config.puma_services["web"].prefix == "/"
    app = puma.App()
    app.add_services({"score": parts.score, "cat": "tests.apps.parts:make_catalogue()"})
    services = app.resolved_config().puma_services
    assert services["score"].prefix == "/score" and services["score"].target == "tests.apps.parts:score"
    assert services["cat"].target == "tests.apps.parts:make_catalogue()"


def test_a_class_that_needs_arguments_fails_the_build_saying_to_write_a_factory() -> None:
    with pytest.raises(PumaConfigError, match="write a factory that builds it.*make_it\\(\\)"):
        endpoints.build("tests.apps.parts:NeedsArguments")
