"""One service declared twice with two different functions (a config `target` and a
`puma_service` entry) is an error naming both; neither wins silently (newcomer 63, finding 14)."""

from __future__ import annotations

import pytest

import puma
from puma import PumaConfigError


@pytest.mark.parametrize(("configured", "registered"), [
    ("tests.apps.startup:answr", "tests.apps.startup:answer"),
    ("tests.apps.startup:Shelf", "tests.apps.startup:answer"),
    ("tests.apps.other:answer", "tests.apps.startup:answer"),
])
def test_app_config_target_and_puma_service_disagreeing_is_an_error_naming_both(configured: str, registered: str) -> None:
    app = puma.App()
    app.configure({"puma_services": {"summarise": {"prefix": "/summarise", "target": configured}}})
    app.add_services({"summarise": registered})
    with pytest.raises(PumaConfigError) as caught:
        app.resolved_config()
    message = dict(caught.value.problems)["puma_services.summarise.target"]
    assert repr(configured) in message and repr(registered) in message and "remove one" in message, message


def test_app_config_target_and_function_object_disagreeing_is_an_error() -> None:
    from tests.apps.startup import answer

    app = puma.App()
    app.configure({"puma_services": {"s": {"target": "tests.apps.startup:Shelf"}}})
    app.add_services({"s": answer})
    with pytest.raises(PumaConfigError, match="'tests.apps.startup:Shelf' in the config, but puma_service registers"):
        app.resolved_config()


def test_app_config_target_and_puma_service_agreeing_is_accepted() -> None:
    from tests.apps.startup import answer

    app = puma.App()
    app.configure({"puma_services": {"s": {"target": "tests.apps.startup:answer"}, "t": {"instances": 1}}})
    app.add_services({"s": answer, "t": "tests.apps.startup:Shelf"})
    config = app.resolved_config()
    assert config.puma_services["s"].target == "tests.apps.startup:answer"
    assert config.puma_services["t"].target == "tests.apps.startup:Shelf"


@pytest.mark.parametrize(("first", "then"), [
    ({"summarise": "tests.apps.startup:answer"}, {"summarise": "tests.apps.startup:Shelf"}),
    ({"a": "tests.apps.startup:answer", "b": "tests.apps.startup:Shelf"}, {"b": "tests.apps.startup:answer"}),
])
def test_app_one_name_registered_twice_with_two_functions_is_an_error_naming_both(first: dict, then: dict) -> None:
    app = puma.App()
    app.add_services(first)
    with pytest.raises(PumaConfigError) as caught:
        app.add_services(then)
    name = next(iter(then))
    message = dict(caught.value.problems)[f"puma_service.{name}"]
    assert repr(first[name]) in message and repr(then[name]) in message and "registered twice" in message, message


def test_app_the_same_function_registered_again_is_accepted() -> None:
    app = puma.App()
    app.add_services({"s": "tests.apps.startup:answer"})
    app.add_services({"s": "tests.apps.startup:answer", "t": "tests.apps.startup:Shelf"})
    assert app.targets == {"s": "tests.apps.startup:answer", "t": "tests.apps.startup:Shelf"}
