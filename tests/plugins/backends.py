"""``on_backend``: each test that takes it runs on both backends, processes and containers (see
tests/backends.py); the Docker case needs the engine and the image (tests/plugins/docker_engine.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backends import Backend


def backend_for(request: pytest.FixtureRequest, workdir: Path) -> Iterator[Backend]:
    """A `Backend` of `request.param` ("process", "docker"), closed (every deployment stopped) after."""
    docker_cli = None
    if request.param == "docker":
        docker_cli = request.getfixturevalue("docker_engine")
        request.getfixturevalue("docker_images")
    backend = Backend(request.param, workdir, docker_cli)
    try:
        yield backend
    finally:
        backend.close()


@pytest.fixture(params=["process", "docker"])
def on_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from backend_for(request, tmp_path)
