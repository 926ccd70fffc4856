"""puma_map over a real deployment: order, failures, signatures, a killed instance, map_reduce, JSON mode."""

from __future__ import annotations

import asyncio
import doctest
import functools
import itertools
import json
import operator
import os
import pickle
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

import puma
from puma.bench import map as bench_map
from puma.mapping import protocol
from tests.apps import mapfuncs
from tests.helpers import wait_for

SECRET = "test-secret-" + "x" * 20
ALLOWED = "tests.apps.mapfuncs:square"


@pytest.fixture(scope="module")
def mesh():
    app = puma.App()
    app.configure({"secret": SECRET, "puma_services": {"map": puma.mapping.service_config(2)}})
    with pytest.MonkeyPatch.context() as env:
        env.setenv(protocol.ENV_ALLOW, ALLOWED)  # the workers inherit it; this process does not keep it
        deployment = app.start(listener={"port": 0})
    with deployment:
        yield deployment


@pytest.fixture(scope="module")
def http(mesh):
    with httpx.Client(base_url=mesh.url, timeout=10) as client:
        yield client


def _signed_chunk(items: list, secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    signed = protocol.encode(secret.encode(), protocol.REQUEST,
                             {"id": "t", "fn": ALLOWED, "mode": "map", "items": items, "reducer": None})
    return signed.data, {"content-type": protocol.BINARY_TYPE, protocol.SIGNATURE_HEADER: signed.signature}


def test_chunk_size_follows_pool_sqrt_or_override():
    assert protocol.chunk_size(1000, 2) == 125  # ceil(n / (4 x instances)), like Pool.map
    assert protocol.chunk_size(10**6, 2, "sqrt") == 1000
    assert protocol.chunk_size(10, 2, chunksize=3) == 3
    assert protocol.chunk_bounds(7, 3) == [(0, 3), (3, 6), (6, 7)]
    # Once fn's cost is known: no chunk under 10 ms of work, a whole number per instance, at most 4.
    assert protocol.chunk_size(1000, 2, item_s=4e-6) == 500  # 4 ms of work: one chunk per instance
    assert protocol.chunk_size(10_000, 2, item_s=4e-6) == 2500  # 40 ms: two per instance
    assert protocol.chunk_size(10**6, 2, item_s=4e-6) == 125_000  # 4 s: Pool-like again
    assert protocol.chunk_size(3, 2, item_s=1.0) == 1
    assert doctest.testmod(protocol).failed == 0
    with pytest.raises(ValueError, match="chunking='cube'"):
        protocol.chunk_size(10, 2, "cube")  # the wrong value is the test


def test_decode_refuses_tampered_body_before_unpickling(tmp_path):
    body, headers = _signed_chunk([1, 2])
    gadget = pickle.dumps({"v": 1, "items": [mapfuncs.Gadget(str(tmp_path / "x"))]})
    for data, signature in [(gadget, headers[protocol.SIGNATURE_HEADER]), (body + b"!", headers[protocol.SIGNATURE_HEADER]),
                            (body, None), (body, "0" * 64)]:
        with pytest.raises(protocol.SignatureError):
            protocol.decode(SECRET.encode(), protocol.REQUEST, data, signature)
    assert not (tmp_path / "x").exists()


def test_map_preserves_order_with_any_chunking(mesh):
    expected = [x * x for x in range(1000)]
    assert puma.map(mapfuncs.square, range(1000), deployment=mesh) == expected
    assert puma.map(mapfuncs.square, range(1000), deployment=mesh, chunksize=7) == expected
    assert puma.map(mapfuncs.square, range(1000), deployment=mesh, chunking="sqrt") == expected


def test_map_runs_a_private_function_so_map_only_functions_need_not_be_routes(mesh):
    """README: a map-only function of a `puma_service(__name__)` script is named with a leading '_'
    (else it is served to any client too); the map must load such a name."""
    assert puma.map(mapfuncs._negate, range(50), deployment=mesh) == [-x for x in range(50)]


def test_map_of_empty_input_is_empty(mesh):
    assert puma.map(mapfuncs.square, [], deployment=mesh) == []
    assert puma.map_reduce(mapfuncs.square, [], operator.add, 5, deployment=mesh) == 5


def test_map_accepts_a_generator(mesh):
    assert puma.map(mapfuncs.square, (x for x in range(100)), deployment=mesh) == [x * x for x in range(100)]


def test_puma_map_is_awaitable_and_finds_the_url(mesh):
    result = asyncio.run(puma.puma_map(mapfuncs.square, [3, 4], url=mesh.url + "/map", secret=SECRET))
    assert result == [9, 16]


def test_map_exception_surfaces_with_remote_traceback_chunk_and_item(mesh):
    with pytest.raises(puma.PumaMapError) as caught:
        puma.map(mapfuncs.fail_on_13, range(40), deployment=mesh, chunksize=5)
    err = caught.value
    assert isinstance(err, puma.PumaError)
    assert (err.chunk_index, err.item_index, err.item) == (2, 13, 13)
    assert "fail_on_13" in err.remote_traceback and "ValueError: unlucky 13" in err.remote_traceback
    assert "unlucky 13" in str(err)


def test_map_refuses_to_pickle_without_a_secret(mesh, monkeypatch):
    monkeypatch.delenv(protocol.ENV_SECRET, raising=False)
    with pytest.raises(puma.PumaMapError, match="no shared secret"):
        puma.map(mapfuncs.square, [1], url=mesh.url + "/map")
    with pytest.raises(puma.PumaMapError) as caught:
        puma.map(mapfuncs.square, [1], url=mesh.url + "/map", secret="not-the-secret")
    assert caught.value.status == 401


def test_unsigned_or_tampered_payload_gets_401_and_is_never_unpickled(http, tmp_path):
    marker = tmp_path / "unpickled"
    gadget, guessed_key = _signed_chunk([mapfuncs.Gadget(str(marker))], secret="attacker-guess")
    _, real_tag_of_other_body = _signed_chunk([1, 2, 3])
    attempts = [{"content-type": protocol.BINARY_TYPE},
                {"content-type": protocol.BINARY_TYPE, protocol.SIGNATURE_HEADER: "f" * 64},
                guessed_key, real_tag_of_other_body]
    for headers in attempts:
        resp = http.post("/map", content=gadget, headers=headers)
        assert resp.status_code == 401, resp.text
        assert "x-puma-signature" in resp.json()["error"]
    assert not marker.exists()
    # Control: the same gadget, properly signed, does fire — so the checks above proved something.
    body, headers = _signed_chunk([mapfuncs.Gadget(str(marker))])
    http.post("/map", content=body, headers=headers)
    assert marker.exists()


def test_map_survives_an_instance_killed_mid_map(mesh):
    victim = mesh.instances("map")[0]

    def busy() -> bool:
        return httpx.get(f"http://127.0.0.1:{victim.port}/healthz", timeout=2).json()["in_flight"] > 0

    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(puma.map, mapfuncs.slow_square, range(160), deployment=mesh, chunksize=4)
        wait_for(busy, message="the victim instance to be working on a chunk")
        os.kill(victim.pid, signal.SIGKILL)
        assert running.result(timeout=30) == [x * x for x in range(160)]
    wait_for(lambda: len(mesh.instances("map")) == 2 and victim.pid not in {i.pid for i in mesh.instances("map")},
             message="a replacement instance")


def test_map_reduce_equals_the_local_reduce(mesh):
    data = list(range(1000))
    local = functools.reduce(operator.add, map(mapfuncs.square, data), 10)
    assert puma.map_reduce(mapfuncs.square, data, operator.add, 10, deployment=mesh) == local  # initial once
    assert puma.map_reduce(str, range(300), operator.add, "", deployment=mesh, chunksize=7) == "".join(
        map(str, range(300)))  # associative, not commutative: chunk order is kept
    assert puma.map_reduce(mapfuncs.square, data, max, deployment=mesh) == 999 * 999


def test_json_mode_maps_allowed_or_signed_functions(mesh, http):
    assert puma.map(mapfuncs.square, range(50), deployment=mesh, json_mode=True) == [x * x for x in range(50)]
    resp = http.post("/map", json={"fn": ALLOWED, "items": [1, 2, 3]})  # unsigned, but allow-listed
    assert resp.status_code == 200 and resp.json() == {"results": [1, 4, 9]}


def test_json_mode_never_replies_with_a_number_json_cannot_hold(http):
    resp = http.post("/map", json={"fn": ALLOWED, "items": [2, 1e200, 3]})  # (1e200)**2 is inf
    assert resp.status_code == 422, resp.text
    assert resp.json()["index"] == 1 and "cannot be sent as JSON" in resp.json()["error"]
    for body in (b'{"fn": "%s", "items": [Infinity]}', b'{"fn": "%s", "items": [1e999]}'):
        refused = http.post("/map", content=body % ALLOWED.encode(), headers={"content-type": "application/json"})
        assert refused.status_code == 400 and "malformed JSON" in refused.json()["error"]


def test_json_mode_refuses_unlisted_functions_and_bad_signatures(http, tmp_path):
    marker = tmp_path / "ran"
    for fn, items in [("os:system", [f"touch {marker}"]), ("tests.apps.mapfuncs:touch_marker", [str(marker)])]:
        resp = http.post("/map", json={"fn": fn, "items": items})
        # a public client is told it is refused; how the operator allows it ($PUMA_MAP_ALLOW) is operators' words
        assert resp.status_code == 403 and "not allowed for unsigned JSON calls" in resp.json()["error"]
    body = json.dumps({"fn": "tests.apps.mapfuncs:touch_marker", "items": [str(marker)]}).encode()
    resp = http.post("/map", content=body, headers={"content-type": "application/json",
                                                    protocol.SIGNATURE_HEADER: "0" * 64})
    assert resp.status_code == 401
    assert not marker.exists()


def test_bench_map_quick_writes_csv_json_and_plots(tmp_path):
    out = tmp_path / "bench"
    proc = subprocess.run([sys.executable, "-m", "puma", "--log-level", "warning", "bench", "map", "--out", str(out),
                           "--quick", "--instances", "2"], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads((out / "map.json").read_text())
    assert report["run"]["git_revision"] and report["run"]["machine"]["cores"]
    assert {"crossover_items", "speedup_at_largest", "vs_forked_sums_at_largest"} <= set(report["summary"])
    assert {p["series"] for p in report["points"]} == {"builtin map", "Pool.map", "puma_map", "puma_map sqrt",
                                                       "map_reduce", "forked sums"}
    assert (out / "map.csv").read_text().startswith("experiment,")
    assert (out / "figure7.png").stat().st_size > 10_000
    cpus = {str(cpu) for cpu in os.sched_getaffinity(0)}  # JSON keys are strings
    for when in ("before", "after"):  # what the host gave the run: each CPU's speed, and wake-ups
        host = report["run"]["host"][when]
        assert set(host["cpu_ms"]) == cpus and all(ms > 0 for ms in host["cpu_ms"].values())
        assert len(cpus) < 2 or 0 < host["wake_rtt_us"]["hot"]
    assert "host before: 500 x factorial(100) took" in proc.stdout
    during = report["run"]["host"]["during"]  # each repeat starts with a probe: 3 sizes + 4 inputs, once each
    assert during["repeats"] == 7 and 0 <= during["uneven"] <= 7 and during["max"] >= 1.0
    assert f"host during the run: {during['uneven']} of 7 repeats" in proc.stdout


def test_bench_map_orders_series_so_that_none_always_follows_the_same_one():
    series = bench_map.SERIES
    orders = bench_map.orders(series, len(series))
    assert all(sorted(order) == sorted(series) for order in orders)
    followed = [pair for order in orders for pair in itertools.pairwise(order)]
    assert len(set(followed)) == len(followed) == len(series) * (len(series) - 1)
    assert len({order[order.index("puma_map") - 1] for order in orders if order[0] != "puma_map"}) > 2


def _requests_to_map(mesh) -> int:
    return json.loads(mesh.envoy.admin.get("/stats?filter=^cluster%5C.map%5C.upstream_rq_total$&format=json"))[
        "stats"][0]["value"]


def test_a_map_of_one_chunk_per_instance_uses_every_instance(mesh):
    # One Envoy worker (envoy_concurrency 1) counts requests in flight exactly, and least_request
    # compares every instance: while the first chunk runs, the second goes to the other instance.
    assert json.loads(mesh.envoy.admin.get("/server_info"))["command_line_options"]["concurrency"] == 1
    for _ in range(10):
        assert set(puma.map(mapfuncs.pid_after, [0.02, 0.02], deployment=mesh, chunksize=1)) == {
            i.pid for i in mesh.instances("map")}


def test_a_slower_instance_is_given_fewer_chunks(mesh):
    slow, fast = (i.pid for i in mesh.instances("map"))
    pids = puma.map(mapfuncs.slow_on, [(slow, x) for x in range(40)], deployment=mesh, chunksize=1)
    # Round robin would give each instance 20; the instance with fewer chunks in flight gets the next.
    assert pids.count(slow) <= 8 and pids.count(fast) >= 32, (pids.count(slow), pids.count(fast))


def test_once_fn_is_timed_a_quick_map_is_one_chunk_per_instance(mesh):
    before = _requests_to_map(mesh)
    assert puma.map(mapfuncs.cube, range(1000), deployment=mesh) == [x**3 for x in range(1000)]
    first = _requests_to_map(mesh) - before
    assert first == 8  # cost unknown: about 4 chunks per instance, like Pool.map
    assert puma.map(mapfuncs.cube, range(1000), deployment=mesh) == [x**3 for x in range(1000)]
    assert _requests_to_map(mesh) - before - first == 2  # microseconds of work: one chunk per instance
    before = _requests_to_map(mesh)
    puma.map(mapfuncs.slow_square, range(16), deployment=mesh)  # 20 ms an item: Pool-like again
    assert _requests_to_map(mesh) - before == 8


def test_cancelling_an_awaited_map_stops_sending_chunks(mesh):
    before = _requests_to_map(mesh)

    async def cancel_soon() -> None:
        task = asyncio.create_task(puma.puma_map(mapfuncs.slow_square, range(400), deployment=mesh, chunksize=2))
        deadline = time.monotonic() + 1.0
        while _requests_to_map(mesh) == before and time.monotonic() < deadline:
            await asyncio.sleep(0.01)  # until its first chunks are sent: cancelled part-way, not before it began
        assert not task.done(), "the 4-s map was over before it could be cancelled"
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    started = time.monotonic()
    asyncio.run(cancel_soon())  # also waits for the map's thread to stop
    assert time.monotonic() - started < 2.0  # the whole map takes 4 s on 2 instances


def test_bench_map_refuses_a_malformed_size_list():
    proc = subprocess.run([sys.executable, "-m", "puma", "bench", "map", "--out", "x", "--sizes", "100,lots"],
                          capture_output=True, text=True, timeout=60, cwd=Path(__file__).resolve().parents[1])
    assert proc.returncode == 2
    assert "'100,lots': give whole numbers separated by commas" in proc.stderr
