"""A `puma_map` item that never returns: the map fails naming it, within the map's deadline, and
its instance is replaced, so later maps run at once (an SRE probe's later maps waited 60 s each)."""

from __future__ import annotations

import json
import operator
import time

import httpx
import pytest

import puma
from puma.mapping import protocol
from tests.apps import mapfuncs
from tests.helpers import wait_for

SECRET = "hang-secret-" + "y" * 20
TIMEOUT_S = 2.0  # each hanging map's own timeout_s


@pytest.fixture(scope="module")
def mesh():
    app = puma.App()
    app.configure({"secret": SECRET, "puma_services": {"map": puma.mapping.service_config(2)}})
    with app.start(listener={"port": 0}) as deployment:
        yield deployment


def _pids(mesh) -> set[int]:
    return {i.pid for i in mesh.instances("map")}


def _recycled(mesh) -> list[str]:
    return [e["message"] for e in mesh.events if e.get("kind") == "recycled"]


def _hang(mesh, run) -> tuple[puma.PumaMapError, float]:
    """Run a map that hangs; its error and how long it took to fail."""
    started = time.monotonic()
    with pytest.raises(puma.PumaMapError) as failed:
        run()
    return failed.value, time.monotonic() - started


def _prompt_trivial_map(mesh) -> float:
    """Seconds a 1,000-item map takes right after; it must be right."""
    started = time.monotonic()
    assert puma.map(mapfuncs.square, range(1000), deployment=mesh, timeout_s=30) == [x * x for x in range(1000)]
    return time.monotonic() - started


def _replaced(mesh, before: set[int], recycled_before: int) -> None:
    wait_for(lambda: len(_recycled(mesh)) > recycled_before and len(mesh.instances("map")) == 2
             and _pids(mesh) != before, timeout_s=30, message="the hung instance to be recycled and replaced")


def test_map_with_an_item_that_never_returns_fails_naming_it_and_later_maps_run_at_once(mesh):
    before, recycled = _pids(mesh), len(_recycled(mesh))
    items = [(7, x) for x in range(20)]
    error, took = _hang(mesh, lambda: puma.map(mapfuncs.never_returns_on, items, deployment=mesh,
                                               chunksize=5, timeout_s=TIMEOUT_S))
    assert error.item_index == 7 and tuple(error.item) == (7, 7)
    assert "hung on item 7" in str(error) and "did not return" in str(error)
    assert took < TIMEOUT_S + 3, f"the map failed after {took:.1f} s, not at its {TIMEOUT_S} s deadline"
    for _ in range(3):  # every later map is served promptly, whichever instance it meets
        assert _prompt_trivial_map(mesh) < 10
    _replaced(mesh, before, recycled)
    assert "hung past its deadline" in _recycled(mesh)[-1]


def test_an_item_spinning_forever_on_the_cpu_is_cut_at_the_deadline_too(mesh):
    before, recycled = _pids(mesh), len(_recycled(mesh))
    error, took = _hang(mesh, lambda: puma.map(mapfuncs.spins_on, [(3, x) for x in range(4)], deployment=mesh,
                                               chunksize=4, timeout_s=TIMEOUT_S))
    assert error.item_index == 3 and "hung on item 3" in str(error)
    assert took < TIMEOUT_S + 3
    _replaced(mesh, before, recycled)
    assert _prompt_trivial_map(mesh) < 10


def test_map_reduce_names_the_item_it_hung_on(mesh):
    before, recycled = _pids(mesh), len(_recycled(mesh))
    error, _took = _hang(mesh, lambda: puma.map_reduce(mapfuncs.never_returns_on, [(11, x) for x in range(16)],
                                                       operator.add, 0, deployment=mesh, chunksize=8,
                                                       timeout_s=TIMEOUT_S))
    assert error.item_index == 11 and "hung on item 11" in str(error)
    _replaced(mesh, before, recycled)


def test_a_json_chunk_that_hangs_is_a_422_naming_the_item(mesh):
    before, recycled = _pids(mesh), len(_recycled(mesh))
    body = json.dumps({"fn": "tests.apps.mapfuncs:never_returns_on", "items": [[1, 0], [1, 1]],
                       "timeout_s": TIMEOUT_S}).encode()
    headers = {"content-type": protocol.JSON_TYPE,
               protocol.SIGNATURE_HEADER: protocol.sign(SECRET.encode(), protocol.REQUEST, body)}
    started = time.monotonic()
    resp = httpx.post(f"{mesh.url}/map", content=body, headers=headers, timeout=30)
    assert resp.status_code == 422, resp.text
    detail = resp.json()
    assert detail["index"] == 1 and detail["hung"] is True and "did not return" in detail["error"]
    assert time.monotonic() - started < TIMEOUT_S + 3
    _replaced(mesh, before, recycled)


def test_a_map_inside_a_request_is_bounded_by_that_request_s_deadline(mesh):
    """A map made while serving a request (the caller's deadline is shorter than the map's timeout_s)."""
    from puma import deadlines

    token = deadlines.start(str(int(TIMEOUT_S * 1000)))
    try:
        error, took = _hang(mesh, lambda: puma.map(mapfuncs.never_returns_on, [(0, 0)], deployment=mesh,
                                                   timeout_s=120))
    finally:
        deadlines.finish(token)
    assert "hung on item 0" in str(error) and took < TIMEOUT_S + 3
