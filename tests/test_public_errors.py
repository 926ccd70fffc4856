"""What a public client is told never lists the internal services (`visibility: "internal"`): not
in a 404 for a path nothing serves, not in a service's 500 for a call to a name that does not exist."""

from __future__ import annotations

import logging

import httpx
import pytest

import puma
from tests.apps import basic, faults

INTERNAL = ("vault", "ledger", "crasher", "refuser", "sleeper", "emptyone")


@pytest.fixture(scope="module")
def mesh():
    app = puma.App()
    app.configure({"puma_services": {
        "front": {"prefix": "/front"},
        "vault": {"prefix": "/vault", "visibility": "internal"},
        "ledger": {"prefix": "/books", "visibility": "internal"},
        # Internal services that fail a call in each way a caller answers: its own 500, a refusal
        # (4xx), no answer within its timeout (may have taken effect), no instance at all (retry).
        "crasher": {"prefix": "/crasher", "visibility": "internal"},
        "refuser": {"prefix": "/refuser", "visibility": "internal"},
        "sleeper": {"prefix": "/sleeper", "visibility": "internal", "timeout_s": 0.3},
        "emptyone": {"prefix": "/emptyone", "visibility": "internal", "instances": 0, "autoscale": {"enabled": False}},
    }})
    app.add_services({"front": faults.caller, "vault": basic.echo, "ledger": basic.echo, "crasher": basic.crash,
                      "refuser": basic.refuse, "sleeper": basic.slow, "emptyone": basic.echo})
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
    assert "log of" not in body["error"]  # where the names are is the operator's to know (puma.publicerrors)
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


PUBLIC_READS = ["/_puma/status", "/_puma/ready", "/_puma/metrics"]


@pytest.mark.parametrize("path", PUBLIC_READS)
@pytest.mark.parametrize("host", ["rebound.example", "203.0.113.5:8080"])
def test_the_status_paths_through_envoy_name_no_internal_service_to_a_foreign_host(mesh, path, host):
    resp = httpx.get(mesh.url + path, headers={"host": host}, timeout=10)
    assert resp.status_code in (200, 503) and "front" in resp.text  # the public service is still shown
    _names_no_internal(resp.text)
    if path == "/_puma/status":
        assert resp.json()["view"] == "public" and set(resp.json()["services"]) == {"front"}


@pytest.mark.parametrize("path", PUBLIC_READS)
def test_the_status_server_names_no_internal_service_to_a_remote_peer(mesh, path):
    url = f"http://127.0.0.1:{mesh.status_server.port}{path}"
    remote = httpx.get(url, headers={"x-puma-peer": "198.51.100.7"}, timeout=10)
    _names_no_internal(remote.text)
    local = httpx.get(url, timeout=10)  # this machine, by a loopback name: the whole deployment
    assert all(name in local.text for name in INTERNAL), local.text[:300]


def test_the_public_view_says_an_internal_service_where_a_public_ones_text_names_it():
    from puma.visibility import INTERNAL_NAMED, without_internal

    body = {"waiting_for": ["ledger", "front"], "not_ready": {"front": "needs vault (ledger-2 is fine)",
                                                              "vault": "starting"},
            "services": {"front": {"prefix": "/front", "not_ready": ["calls vault"]}, "vault": {"prefix": "/vault"}},
            "events": [{"service": "vault", "message": "instance 1 up at 127.0.0.1:4001 in 90 ms"},
                       {"service": "front", "message": "front -> vault failed"}], "ready": False}
    shown = without_internal(body, frozenset(INTERNAL))
    assert shown["waiting_for"] == ["front"] and shown["ready"] is False
    assert shown["not_ready"] == {"front": f"needs {INTERNAL_NAMED} (ledger-2 is fine)"}
    assert shown["services"] == {"front": {"prefix": "/front", "not_ready": [f"calls {INTERNAL_NAMED}"]}}
    assert shown["events"] == [{"service": "front", "message": f"front -> {INTERNAL_NAMED} failed"}]


FAILING_CALLS = [("crasher", {}, 500), ("refuser", {"status": 409}, 409), ("refuser", {"status": 405}, 400),
                 ("refuser", {"status": 422}, 422), ("sleeper", {"s": 2}, 503), ("emptyone", {}, 503)]


@pytest.mark.parametrize(("target", "payload", "status"), FAILING_CALLS,
                         ids=["500", "409", "405", "422", "timeout", "no-instance"])
def test_a_failed_call_to_an_internal_service_is_a_service_it_calls_to_the_public(mesh, target, payload, status):
    resp = httpx.post(mesh.url + "/front", json={"target": target, "payload": payload}, timeout=30)
    body = resp.json()
    assert resp.status_code == status, body
    assert "a service it calls" in body["error"] and body["service"] == "front", body
    assert "callee" not in body and "unavailable" not in body, body
    _names_no_internal(resp.text)
    # The service's log, and a caller on the internal listener, still name it.
    assert target in (mesh.run_dir / "logs" / "front.log").read_text() or status < 500
    inside = httpx.post(mesh.internal_url + "/front", json={"target": target, "payload": payload}, timeout=30)
    assert inside.status_code == status and f"'{target}'" in inside.json()["error"], inside.text
