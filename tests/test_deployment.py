"""The real Envoy and real instances, started through the public API."""

from __future__ import annotations

import os
import signal
import sys

import httpx
import pytest

import puma
from tests.apps import basic
from tests.helpers import wait_for


@pytest.fixture(scope="module")
def mesh():
    app = puma.App()
    app.configure({
        "puma_services": {
            "echo": {"prefix": "/echo", "instances": 2},
            "upper": {"prefix": "/upper", "max_body_bytes": 10_000},
            "relay": "/relay", "plain": {"prefix": "/plain", "cpu_bound": True}, "created": "/created",
            "nothing": "/nothing", "crash": "/crash", "nonfinite": {"prefix": "/nonfinite", "idempotent": True},
        },
    })
    app.add_services({"echo": basic.echo, "upper": basic.upper, "relay": basic.relay, "plain": basic.plain,
                      "created": basic.created, "nothing": basic.nothing, "crash": basic.crash,
                      "nonfinite": basic.non_finite})
    with app.start(listener={"port": 0}) as deployment:
        yield deployment


@pytest.fixture(scope="module")
def http(mesh):
    with httpx.Client(base_url=mesh.url, timeout=10) as client:
        yield client


def test_deployment_routes_requests_to_each_service(http):
    assert http.post("/echo", json={"a": 1}).json()["data"] == {"a": 1}
    assert http.post("/upper", json={"text": "hi"}).json() == {"text": "HI"}
    assert http.get("/plain/sub/path").text == "plain text from /plain/sub/path"


def test_deployment_accepts_form_bodies_and_query(http):
    reply = http.post("/echo?x=1", data={"chatText": "hello", "mode": "false"}).json()
    assert reply["data"] == {"x": "1", "chatText": "hello", "mode": "false"}


def test_deployment_round_robins_over_instances(mesh, http):
    pids = {http.post("/echo", json={}).json()["pid"] for _ in range(20)}
    assert pids == {i.pid for i in mesh.instances("echo")}
    assert len(pids) == 2


def test_service_calls_another_through_the_mesh(http):
    assert http.post("/relay", json={"text": "abc"}).json() == {"relayed": {"text": "ABC"}}


def test_service_return_shapes(http):
    resp = http.post("/created")
    assert (resp.status_code, resp.json(), resp.headers["x-made-by"]) == (201, {"made": True}, "puma")
    nothing = http.post("/nothing")  # None: JSON null, as any function's (a request handler's: 204)
    assert (nothing.status_code, nothing.json()) == (200, None)


@pytest.mark.parametrize(("body", "headers", "status", "needle"), [
    (b'{"text": ', {"content-type": "application/json"}, 400, "malformed JSON"),
    (b"\xff\xfe\x00garbage", {"content-type": "application/json"}, 400, "malformed JSON"),
    (b"<x/>", {"content-type": "application/xml"}, 415, "not accepted"),
    (b'{"text": 5}', {"content-type": "application/json"}, 400, "'text' must be a string"),
    (b'{"text": "' + b"a" * 20_000 + b'"}', {"content-type": "application/json"}, 413, "too large"),
])
def test_bad_requests_get_4xx_json_and_instance_keeps_serving(mesh, http, body, headers, status, needle):
    pids = {i.pid for i in mesh.instances("upper")}
    resp = http.post("/upper", content=body, headers=headers)
    assert resp.status_code == status
    assert needle in resp.json()["error"]
    assert http.post("/upper", json={"text": "ok"}).json() == {"text": "OK"}
    assert {i.pid for i in mesh.instances("upper")} == pids


def test_body_over_envoy_limit_gets_413_json(http):
    resp = http.post("/echo", content=b"x" * (2 << 20), headers={"content-type": "text/plain"})
    assert resp.status_code == 413
    assert resp.json()["status"] == 413
    assert "too large" in resp.json()["error"]


def test_unknown_path_gets_404_json_naming_prefixes(http):
    resp = http.post("/nowhere", json={})
    assert resp.status_code == 404
    assert "/echo" in resp.json()["error"]


def test_service_exception_gets_500_json_without_killing_instance(mesh, http):
    pid = mesh.instances("crash")[0].pid
    resp = http.post("/crash", json={})
    assert resp.status_code == 500
    assert resp.json()["type"] == "RuntimeError"
    assert mesh.instances("crash")[0].pid == pid


@pytest.mark.parametrize("x", ["inf", "-inf", "nan"])
def test_a_reply_holding_a_non_finite_number_is_a_clear_error_not_invalid_json(mesh, http, x):
    before = mesh.envoy.admin.get("/stats?filter=^cluster%5C.nonfinite%5C.upstream_rq_total$")
    resp = http.post("/nonfinite", json={"x": x})
    assert resp.status_code == 500
    error = resp.json()["error"]  # the body is JSON, and says what is wrong where
    assert "$.results[1]" in error and "not a JSON number" in error
    after = mesh.envoy.admin.get("/stats?filter=^cluster%5C.nonfinite%5C.upstream_rq_total$")
    assert int(after.split(": ")[1]) == int(before.split(": ")[1]) + 1  # an answer, never re-sent


def test_a_reply_holding_a_lone_surrogate_is_valid_utf8_json(http):
    resp = http.post("/nonfinite", json={"x": 2})
    assert resp.status_code == 200 and resp.json() == {"results": [1.0, 2.0], "name": "\ufffd"}


@pytest.mark.parametrize(("body", "needle"), [
    (b"[" * 20_000 + b"]" * 20_000, "nested deeper"),
    (b'{"text": ' + b"1" * 5_000 + b"}", "more digits"),
    (b'{"text": 1e999}', "out of range"),
    (b'{"text": NaN}', "NaN is not a JSON number"),
])
def test_json_a_server_cannot_use_gets_400_once_even_on_an_idempotent_route(mesh, http, body, needle):
    stat = "/stats?filter=^cluster%5C.nonfinite%5C.upstream_rq_(total|retry)$"
    before = dict(line.split(": ") for line in mesh.envoy.admin.get(stat).splitlines())
    resp = http.post("/nonfinite", content=body, headers={"content-type": "application/json"})
    assert resp.status_code == 400 and needle in resp.json()["error"]
    after = dict(line.split(": ") for line in mesh.envoy.admin.get(stat).splitlines())
    total, retry = "cluster.nonfinite.upstream_rq_total", "cluster.nonfinite.upstream_rq_retry"
    assert (int(after[total]) - int(before[total]), after[retry]) == (1, before[retry])


def test_killed_instance_is_replaced_and_serving_again(mesh, http):
    victim = mesh.instances("upper")[0]
    os.kill(victim.pid, signal.SIGKILL)
    replacement = wait_for(lambda: [i for i in mesh.instances("upper") if i.pid != victim.pid],
                           message="a replacement instance")[0]
    wait_for(lambda: http.post("/upper", json={"text": "again"}).status_code == 200, message="serving again")
    assert http.post("/upper", json={"text": "again"}).json() == {"text": "AGAIN"}
    assert replacement.pid != victim.pid
    assert any("died" in e["message"] for e in mesh.status()["events"])


def test_status_endpoint_reports_services_and_instances(mesh, http):
    http.post("/echo", json={})
    status = http.get("/_puma/status").json()
    echo = status["services"]["echo"]
    assert echo["ready"] == 2 and echo["prefix"] == "/echo"
    assert {i["pid"] for i in echo["instances"]} == {i.pid for i in mesh.instances("echo")}
    assert echo["requests_total"] >= 1


def _policies(pid: int) -> set[int]:
    return {os.sched_getscheduler(int(tid)) for tid in os.listdir(f"/proc/{pid}/task")}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="scheduling policies are Linux's")
def test_cpu_bound_instances_run_sched_batch_and_the_others_do_not(mesh, http):
    assert http.get("/plain/x").status_code == 200
    assert _policies(mesh.instances("plain")[0].pid) == {os.SCHED_BATCH}  # every thread, the request's too
    assert _policies(mesh.instances("echo")[0].pid) == {os.SCHED_OTHER}


def test_call_outside_a_deployment_names_the_fix():
    from puma import client

    saved = client._mesh.copy()
    client.use_mesh(None, {})
    try:
        with pytest.raises(puma.PumaCallError, match="not part of a PUMA deployment and \\$PUMA_URL is not set"):
            puma.call("echo", {})
    finally:
        client._mesh.update(saved)


def test_warmup_runs_once_in_the_zygote_before_instances_fork():
    app = puma.App()
    app.configure({"puma_services": {"warm": {"prefix": "/warm", "instances": 2,
                                              "warmup": "tests.apps.basic:warm_up"}}})
    app.add_services({"warm": basic.warmth})
    with app.start(listener={"port": 0}) as deployment, httpx.Client(base_url=deployment.url) as http:
        replies = [http.get("/warm").json() for _ in range(6)]
    zygotes = {r["warmed_in"] for r in replies}
    assert len(zygotes) == 1 and None not in zygotes
    assert zygotes.isdisjoint({r["pid"] for r in replies})  # run in the zygote, not in the instances
    assert len({r["pid"] for r in replies}) == 2
