"""A service's answer when a service it calls through the mesh refuses the call (4xx) or is down:
the client gets a 4xx naming the callee and its message, or 503 with Retry-After, never a 500."""

from __future__ import annotations

import httpx
import pytest

import puma
from tests.apps import basic

SMALL_BODY = 2048  # the callee takes at most this; the callers take far more


@pytest.fixture(scope="module")
def mesh():
    app = puma.App()
    app.configure({"puma_services": {
        "forward": {"prefix": "/forward"},
        "forward_args": {"prefix": "/forward-args"},
        "refuse": {"prefix": "/refuse", "visibility": "internal"},
        "small": {"prefix": "/small", "max_body_bytes": SMALL_BODY},
        "crash": {"prefix": "/crash"},
        "upper": {"prefix": "/upper"},
    }})
    app.add_services({"forward": basic.forward, "forward_args": basic.forward_args, "refuse": basic.refuse,
                      "small": basic.echo, "crash": basic.crash, "upper": basic.upper})
    with app.start(listener={"port": 0}) as deployment, httpx.Client(base_url=deployment.url, timeout=30) as http:
        yield http


CALLERS = ["/forward", "/forward-args"]


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("status", [400, 404, 409, 415, 422, 429])
def test_call_a_callees_refusal_reaches_the_client_with_its_status_and_message(mesh, caller, status):
    resp = mesh.post(caller, json={"to": "refuse", "payload": {"status": status}})
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["callee"] == "refuse" and body["callee_status"] == status
    assert "'refuse'" in body["error"] and f"refused with {status} on purpose" in body["error"]
    assert ("Retry-After" in resp.headers) == (status == 429)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("status", [401, 405, 407])
def test_call_a_refusal_about_the_callers_own_call_is_a_400_naming_the_callee(mesh, caller, status):
    resp = mesh.post(caller, json={"to": "refuse", "payload": {"status": status}})
    assert resp.status_code == 400, resp.text
    assert resp.json()["callee_status"] == status and "'refuse'" in resp.json()["error"]
    assert "Allow" not in resp.headers


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("size", [SMALL_BODY + 1, 50_000, 900_000])
def test_call_a_body_the_caller_takes_but_the_callee_does_not_is_a_413_naming_the_callee(mesh, caller, size):
    resp = mesh.post(caller, json={"to": "small", "payload": {"text": "x" * size}})
    assert resp.status_code == 413, resp.text
    assert resp.json()["callee"] == "small" and "'small'" in resp.json()["error"]


@pytest.mark.parametrize("caller", CALLERS)
def test_call_the_callees_named_problems_are_passed_on(mesh, caller):
    resp = mesh.post(caller, json={"to": "upper", "payload": {"text": 42}})
    assert resp.status_code == 400, resp.text
    assert "'text' must be a string" in resp.json()["error"]


@pytest.mark.parametrize("caller", CALLERS)
def test_call_a_callee_that_fails_on_its_own_is_a_500_naming_it_not_a_retry(mesh, caller):
    # The callee's own 500 (an exception in it) fails the same way on every try: a 500 naming the
    # callee, with no Retry-After, so no client retries what cannot succeed (an outage is a 503).
    resp = mesh.post(caller, json={"to": "crash", "payload": {}})
    assert resp.status_code == 500, resp.text
    assert "Retry-After" not in resp.headers
    assert resp.json()["callee"] == "crash" and resp.json()["callee_status"] == 500


@pytest.mark.parametrize("caller", CALLERS)
def test_call_a_callee_that_answers_is_still_answered(mesh, caller):
    resp = mesh.post(caller, json={"to": "upper", "payload": {"text": "ok"}})
    assert resp.status_code == 200 and resp.json() == {"answer": {"text": "OK"}}
