"""`async def` handlers (newcomer 39, 4.2): every form (no parameters, a request, bound
parameters, an object's methods) is awaited on one event loop per instance, concurrently across
requests, and errs as the same sync handler does."""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import puma
from puma.serving import build_app
from tests.apps import awaited


def http(fn: Any) -> Any:
    return build_app("fn", fn, prefix="/fn", max_body_bytes=100_000).test_client()


def test_async_handler_without_parameters_runs(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AWAITED_MARKS", str(tmp_path))
    resp = http(awaited.ping).post("/fn", json={})
    assert resp.status_code == 200 and resp.get_json() == {"pong": True}
    assert list(tmp_path.iterdir()), "the coroutine's body never ran"


def test_async_handler_taking_the_request_sees_it_and_puma_request() -> None:
    resp = http(awaited.whoami).post("/fn", json={"k": 1})
    assert resp.status_code == 200
    assert resp.get_json() == {"path": "/fn", "current": "/fn", "data": {"k": 1}}


@pytest.mark.parametrize("body", [{}, {"x": "many"}, {"x": 1, "z": 2}])
def test_async_bound_errors_are_the_sync_ones(body: dict) -> None:
    asynchronous = http(awaited.pair).post("/fn", json=body)
    synchronous = http(awaited.sync_pair).post("/fn", json=body)
    assert asynchronous.status_code == synchronous.status_code == 400
    a, s = asynchronous.get_json(), synchronous.get_json()
    assert a["problems"] == s["problems"] and "pydantic.dev" not in a["error"]


@pytest.mark.parametrize(("fn", "status"), [(awaited.broken, 500), (awaited.refused, 409)])
def test_async_handler_exceptions_answer_as_sync_ones(fn: Any, status: int) -> None:
    reply = http(fn).post("/fn", json={})
    assert reply.status_code == status and reply.get_json()["status"] == status
    assert "postgres://" not in reply.get_data(as_text=True)


@pytest.fixture(scope="module")
def mesh() -> Iterator[puma.Deployment]:
    app = puma.App()
    app.configure({"puma_services": {"nap": {"prefix": "/nap", "threads": 2},
                                     "ping": {"prefix": "/ping"}, "shelf": {"prefix": "/shelf"}}})
    app.add_services({"nap": awaited.nap, "ping": awaited.ping, "shelf": awaited.Shelf})
    with app.start(listener={"port": 0}) as d:
        yield d


def test_async_handlers_of_an_instance_overlap_beyond_its_threads(mesh: puma.Deployment) -> None:
    """Twelve 1-s naps on one 2-thread instance: together about 1 s, not 6 (12 / 2 threads)."""
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        replies = list(pool.map(lambda _: httpx.post(mesh.url + "/nap", json={"seconds": 1.0}, timeout=30),
                                range(12)))
    elapsed = time.monotonic() - started
    assert [r.status_code for r in replies] == [200] * 12
    assert len({r.json()["pid"] for r in replies}) == 1
    assert elapsed < 4.0, f"12 naps took {elapsed:.1f} s: awaited one per thread"


def test_async_forms_run_in_a_real_instance(mesh: puma.Deployment) -> None:
    assert httpx.post(mesh.url + "/ping", json={}).json() == {"pong": True}
    assert httpx.post(mesh.url + "/shelf/count", json={"n": 3}).json() == {"n": 3}
    bad = httpx.post(mesh.url + "/shelf/count", json={"n": "x"})
    assert bad.status_code == 400 and bad.json()["problems"]
