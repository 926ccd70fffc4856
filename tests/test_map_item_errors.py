"""Every item-level failure of puma_map is one `PumaMapError` naming the item's index, the item and
what to do (newcomer 43, D1): `fn` raising SystemExit or KeyboardInterrupt, a result pickle cannot
carry back, an input item pickle (or JSON) cannot carry out. Real deployment, real Envoy."""

from __future__ import annotations

import operator
import threading
from collections.abc import Iterator

import pytest

import puma
from puma.mapping import protocol
from tests.apps import mapfuncs

SECRET = "test-secret-" + "y" * 20


@pytest.fixture(scope="module")
def mesh() -> Iterator[puma.Deployment]:
    app = puma.App()
    app.configure({"secret": SECRET, "puma_services": {"map": puma.mapping.service_config(2)}})
    with pytest.MonkeyPatch.context() as env:
        env.setenv(protocol.ENV_ALLOW, "tests.apps.mapfuncs:square")
        deployment = app.start(listener={"port": 0})
    with deployment:
        yield deployment


@pytest.mark.parametrize(("fn", "index", "words"), [
    (mapfuncs.exits_on_7, 7, "SystemExit"), (mapfuncs.interrupted_on_5, 5, "KeyboardInterrupt"),
    (mapfuncs.lock_on_11, 11, "cannot be pickled"),
], ids=["SystemExit", "KeyboardInterrupt", "unpicklable-result"])
def test_map_an_items_failure_in_the_worker_names_its_index(mesh: puma.Deployment, fn, index: int,  # noqa: ANN001
                                                            words: str) -> None:
    with pytest.raises(puma.PumaMapError) as caught:
        puma.map(fn, range(20), deployment=mesh, chunksize=4)
    err = caught.value
    assert (err.item_index, err.chunk_index, err.item) == (index, index // 4, index), str(err)
    assert f"failed on item {index}" in str(err) and words in str(err)
    assert "http://" not in str(err).splitlines()[0]  # no internal URL: the item, not the transport
    assert puma.map(mapfuncs.square, range(6), deployment=mesh) == [x * x for x in range(6)]  # instances serve on


def test_map_reduce_an_unpicklable_reduced_value_names_the_chunks_last_item(mesh: puma.Deployment) -> None:
    with pytest.raises(puma.PumaMapError) as caught:
        puma.map_reduce(mapfuncs.square, [1, 2, 3, 4, 5, 6], mapfuncs.add_pair, deployment=mesh, chunksize=3)
    assert caught.value.item_index in (2, 5) and "cannot be pickled" in str(caught.value)


@pytest.mark.parametrize(("items", "index"), [
    ([1, 2, threading.Lock(), 4], 2), ([0] * 9 + [(x for x in [1])], 9), ([lambda: 0], 0),
], ids=["lock", "generator", "lambda"])
def test_map_an_input_item_pickle_cannot_carry_is_a_map_error_naming_it(mesh: puma.Deployment, items: list,
                                                                        index: int) -> None:
    with pytest.raises(puma.PumaMapError) as caught:
        puma.map(mapfuncs.square, items, deployment=mesh, chunksize=3)
    err = caught.value
    assert err.item_index == index and f"item {index}" in str(err) and "cannot be pickled" in str(err), str(err)
    assert "pass items pickle can carry" in str(err)


def test_map_json_mode_an_item_json_cannot_carry_names_it(mesh: puma.Deployment) -> None:
    with pytest.raises(puma.PumaMapError) as caught:
        puma.map("tests.apps.mapfuncs:square", [1, {2}, 3], url=mesh.url + "/map", chunksize=1, json_mode=True)
    assert caught.value.item_index == 1 and "cannot be sent as JSON" in str(caught.value), str(caught.value)


def test_map_reduce_still_reduces_when_every_item_is_fine(mesh: puma.Deployment) -> None:
    assert puma.map_reduce(mapfuncs.square, range(10), operator.add, deployment=mesh) == sum(x * x for x in range(10))
