"""What a public client is told never lists the internal services (`visibility: "internal"`): not
in a 404 for a path nothing serves, not in a service's 500 for a call to a name that does not exist."""

from __future__ import annotations

import logging

import httpx
import pytest

import puma
from tests.apps import basic, faults

INTERNAL = ("vault", "ledger")


@pytest.fixture(scope="module")
def mesh():
    app = puma.App()
    app.configure({"puma_services": {
        "front": {"prefix": "/front"},
        "vault": {"prefix": "/vault", "visibility": "internal"},
        "ledger": {"prefix": "/books", "visibility": "internal"},
    }})
    app.add_services({"front": faults.caller, "vault": basic.echo, "ledger": basic.echo})
    with app.start(listener={"port": 0}) as deployment:
        yield deployment


def _names_no_internal(text: str) -> None:
    for word in (*INTERNAL, "/books"):
        assert word not in text, f"{word!r} shown to a public client: {text}"


@pytest.mark.parametrize("target", ["nosuch", "vaul", "ledgr"])  # unknown, and near misses of internal names
def test_a_call_to_an_unknown_service_tells_the_public_client_no_names(mesh, target, caplog):
    with caplog.at_level(logging.ERROR):
        resp = httpx.post(mesh.url + "/front", json={"target": target}, timeout=30)
    assert resp.status_code == 500
    body = resp.json()
    assert body["callee"] == target and "no service of that name runs here" in body["error"]
    assert "log of 'front'" in body["error"]  # where the names are
    _names_no_internal(resp.text)


@pytest.mark.parametrize("path", ["/nothing-here", "/vault", "/books/x"])
@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_a_404_at_the_public_listener_lists_only_public_routes(mesh, path, accept):
    resp = httpx.get(mesh.url + path, headers={"accept": accept}, timeout=10)
    assert resp.status_code == 404
    assert "/front" in resp.text  # what a client can use
    _names_no_internal(resp.text.replace(path, ""))  # its own path may be echoed back


def test_the_internal_listener_still_routes_internal_services(mesh):
    assert httpx.post(mesh.internal_url + "/vault", json={}, timeout=10).status_code == 200
