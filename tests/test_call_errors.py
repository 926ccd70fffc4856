"""A service's answer when a service it calls through the mesh refuses the call (4xx) or is down:
the client gets a 4xx naming the callee and its message, or 503 with Retry-After, never a 500."""

from __future__ import annotations

import httpx
import pytest

import puma
from puma.media import DEFAULT_CONTENT_TYPES
from puma.serving import build_app
from tests.apps import basic

SMALL_BODY = 2048  # the callee takes at most this; the callers take far more


@pytest.fixture(scope="module")
def deployment():
    app = puma.App()
    app.configure({"puma_services": {
        "forward": {"prefix": "/forward"},
        "forward_args": {"prefix": "/forward-args"},
        "refuse": {"prefix": "/refuse", "visibility": "internal"},
        "small": {"prefix": "/small", "max_body_bytes": SMALL_BODY},
        "crash": {"prefix": "/crash"},
        "upper": {"prefix": "/upper"},
        "die": {"prefix": "/die", "instances": 2},
        "slow": {"prefix": "/slow", "timeout_s": 1},
    }})
    app.add_services({"forward": basic.forward, "forward_args": basic.forward_args, "refuse": basic.refuse,
                      "small": basic.echo, "crash": basic.crash, "upper": basic.upper, "die": basic.die,
                      "slow": basic.slow})
    with app.start(listener={"port": 0}) as started:
        yield started


@pytest.fixture(scope="module")
def mesh(deployment):
    with httpx.Client(base_url=deployment.url, timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
def inside(deployment):
    """A caller on the internal listener (a service), to whom internal services are named."""
    with httpx.Client(base_url=deployment.internal_url, timeout=30) as http:
        yield http


CALLERS = ["/forward", "/forward-args"]


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("status", [400, 404, 409, 415, 422, 429])
def test_call_a_callees_refusal_reaches_the_client_with_its_status_and_message(mesh, inside, caller, status):
    resp = inside.post(caller, json={"to": "refuse", "payload": {"status": status}})
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["callee"] == "refuse" and body["callee_status"] == status
    assert "'refuse'" in body["error"] and f"refused with {status} on purpose" in body["error"]
    assert ("Retry-After" in resp.headers) == (status == 429)
    # A public client gets the same status and message, the internal callee unnamed (puma.callerrors).
    public = mesh.post(caller, json={"to": "refuse", "payload": {"status": status}})
    assert public.status_code == status and public.json()["callee_status"] == status, public.text
    assert "a service it calls refused the call" in public.json()["error"] and "refuse'" not in public.text
    assert f"refused with {status} on purpose" in public.json()["error"] and "callee" not in public.json()


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("status", [401, 405, 407])
def test_call_a_refusal_about_the_callers_own_call_is_a_400_naming_the_callee(mesh, inside, caller, status):
    resp = inside.post(caller, json={"to": "refuse", "payload": {"status": status}})
    assert resp.status_code == 400, resp.text
    assert resp.json()["callee_status"] == status and "'refuse'" in resp.json()["error"]
    assert "Allow" not in resp.headers
    public = mesh.post(caller, json={"to": "refuse", "payload": {"status": status}})
    assert public.status_code == 400 and "refuse'" not in public.text and "Allow" not in public.headers


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


def _never_invites_a_retry(resp: httpx.Response, callee: str) -> None:
    assert resp.status_code == 503, resp.text
    assert "Retry-After" not in resp.headers, resp.headers
    body = resp.json()
    assert body["may_have_taken_effect"] is True and body["unavailable"] == callee, body
    assert "may have taken effect" in body["error"] and "retry only if it is safe" in body["error"], body
    assert not body["error"].endswith("; retry"), body


@pytest.mark.parametrize("caller", CALLERS)
def test_call_a_callee_that_died_with_the_call_never_invites_a_blind_retry(mesh, caller):
    # Envoy's own 503 for the dead instance says "may have taken effect" with no Retry-After; one hop
    # later the caller's 503 must say the same, not "retry" with Retry-After.
    direct = mesh.post("/die", json={})
    assert direct.status_code == 503 and "Retry-After" not in direct.headers
    assert direct.json()["may_have_taken_effect"] is True
    _never_invites_a_retry(mesh.post(caller, json={"to": "die", "payload": {}}), "die")


def test_call_may_have_taken_effect_survives_every_hop(mesh):
    # client -> forward -> forward_args -> die: the advice of the innermost failure reaches the client.
    resp = mesh.post("/forward", json={"to": "forward_args", "payload": {"to": "die", "payload": {}}})
    _never_invites_a_retry(resp, "forward_args")
    assert "'die'" in resp.json()["error"]


@pytest.mark.parametrize("caller", CALLERS)
def test_call_a_callee_that_timed_out_may_still_be_running_so_no_retry_after(mesh, caller):
    resp = mesh.post(caller, json={"to": "slow", "payload": {"s": 3}})
    _never_invites_a_retry(resp, "slow")
    assert "timeout_s (1 s)" in resp.json()["error"]


@pytest.mark.parametrize(("error", "retry_after"), [
    (puma.PumaCallError("inner", 503, "no instance of this service is ready yet"), "1"),
    (puma.PumaCallError("inner", 0, "ConnectionRefusedError: [Errno 111]"), "1"),
    (puma.PumaCallError("inner", 503, "its instance closed the connection", may_have_taken_effect=True), None),
    (puma.PumaCallError("inner", 0, "TimeoutError: timed out", may_have_taken_effect=True), None),
])
def test_call_only_a_call_that_never_reached_the_callee_is_answered_retry(error, retry_after):
    def caller(request: puma.Request) -> dict:
        raise error

    resp = build_app("outer", caller, max_body_bytes=1000, content_types=DEFAULT_CONTENT_TYPES).test_client().post(
        "/", json={})
    assert resp.status_code == 503 and resp.headers.get("Retry-After") == retry_after, resp.get_json()
    assert resp.get_json().get("may_have_taken_effect", False) is (retry_after is None)


def test_call_the_deployments_rate_limit_counts_client_requests_not_internal_hops():
    # 3 tokens, 3 client requests, each making two calls inside (forward -> forward_args -> upper):
    # all three are served; the fourth client request is the one refused, at the edge.
    app = puma.App()
    app.configure({"puma_services": {"forward": {"prefix": "/forward"}, "forward_args": {"prefix": "/forward-args"},
                                     "upper": {"prefix": "/upper"}},
                   "rate_limit": {"requests_per_s": 0.1, "burst": 3}})
    app.add_services({"forward": basic.forward, "forward_args": basic.forward_args, "upper": basic.upper})
    chain = {"to": "forward_args", "payload": {"to": "upper", "payload": {"text": "a"}}}
    with app.start(listener={"port": 0}) as mesh, httpx.Client(base_url=mesh.url, timeout=30) as http:
        answers = [http.post("/forward", json=chain) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429], [a.text for a in answers]
    refused = answers[-1].json()
    assert "this deployment's rate limit" in refused["error"] and "callee" not in refused, refused
    assert answers[-1].headers["retry-after"]


def test_call_a_services_own_rate_limit_is_named_as_its_own():
    app = puma.App()
    app.configure({"puma_services": {"upper": {"prefix": "/upper"}},
                   "rate_limit": {"requests_per_s": 0.1, "burst": 1, "cluster_name": "upper"}})
    app.add_services({"upper": basic.upper})
    with app.start(listener={"port": 0}) as mesh, httpx.Client(base_url=mesh.url, timeout=30) as http:
        answers = [http.post("/upper", json={"text": "a"}) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 429]
    assert "over service 'upper''s rate limit" in answers[1].json()["error"], answers[1].text
