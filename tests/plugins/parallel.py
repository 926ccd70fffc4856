"""How `make test` shares the suite between its workers (pytest-xdist, `--dist loadgroup`).

Each test module stays whole on one worker, so a module-scoped deployment is started once, as in a
serial run. The tests that need the machine's one Docker engine (its Swarm, its image tags, its
networks) share one group, and so one worker: two of them at once would race on the engine's global
state. The PostgreSQL tests share another, so one cluster is migrated and loaded, not one per worker.
Without xdist (`-n 0`, or a helper running one file) the marks do nothing."""

from __future__ import annotations

import pytest

DOCKER_FIXTURES = frozenset({"docker_engine", "docker_images"})
POSTGRES_FIXTURES = frozenset({"postgres_cluster", "postgres_url"})


def group_of(item: pytest.Item) -> str:
    """The worker group of `item`: "docker", "postgres", or its module's path."""
    names = set(getattr(item, "fixturenames", ()))
    callspec = getattr(item, "callspec", None)
    # a test parametrised over backends ("process", "docker"), whatever its fixture is named
    # (`on_backend`, a module's own `backend`): its Docker case starts containers on the one engine
    on_docker = callspec is not None and "docker" in callspec.params.values()
    if names & DOCKER_FIXTURES or on_docker:
        return "docker"
    if names & POSTGRES_FIXTURES:
        return "postgres"
    return item.nodeid.split("::", 1)[0]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.xdist_group(group_of(item)))
