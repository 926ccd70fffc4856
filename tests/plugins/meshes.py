"""``echo_mesh``: one real deployment (Envoy + one `echo` service at `/echo`, tests/apps/basic.py)
per test module that takes it, for the tests of what Envoy's edge answers (limits, HTTP/2, bad
requests) where the service itself only has to be there."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import puma
from tests.apps import basic


@pytest.fixture(scope="module")
def echo_mesh() -> Iterator[puma.Deployment]:
    app = puma.App()
    app.configure({"puma_services": {"echo": {"prefix": "/echo"}}})
    app.add_services({"echo": basic.echo})
    with app.start(listener={"port": 0}) as deployment:
        yield deployment
