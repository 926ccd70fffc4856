"""`make test`'s workers: every test that starts containers shares the one worker of the Docker
group, whatever its backend fixture is named (a container of another worker's test showed as
"left after Ctrl-C" in a Docker test's check of the engine)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.plugins.parallel import group_of


def _item(nodeid: str, fixtures: tuple[str, ...] = (), **params: str) -> pytest.Item:
    callspec = SimpleNamespace(params=params) if params else None
    return SimpleNamespace(nodeid=nodeid, fixturenames=fixtures, callspec=callspec)  # type: ignore[return-value]


@pytest.mark.parametrize("item", [
    _item("tests/test_stuck.py::test_x[docker]", ("backend",), backend="docker"),
    _item("tests/test_supervision.py::test_y[docker]", ("on_backend",), on_backend="docker"),
    _item("tests/test_images.py::test_z", ("docker_engine", "docker_images")),
])
def test_every_container_test_is_in_the_docker_group(item: pytest.Item) -> None:
    assert group_of(item) == "docker"


@pytest.mark.parametrize(("item", "group"), [
    (_item("tests/test_stuck.py::test_x[process]", ("backend",), backend="process"), "tests/test_stuck.py"),
    (_item("tests/test_stores.py::test_pg", ("postgres_url",)), "postgres"),
    (_item("tests/test_nlu.py::test_n"), "tests/test_nlu.py"),
])
def test_other_tests_stay_with_their_module_or_database(item: pytest.Item, group: str) -> None:
    assert group_of(item) == group
