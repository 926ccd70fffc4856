"""`puma.remote`: a service made from a function or an object, called through the real mesh as if it
were local (typed returns, errors that keep their meaning, an async form), with objects built once per
zygote, per-method idempotent routes that Envoy retries, and a service built from another at start."""

from __future__ import annotations

import asyncio
import enum
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import puma
from puma.memos import memo_key
from puma.remotes import Memo
from tests.apps import parts
from tests.helpers import wait_for


class Colour(enum.Enum):
    RED = "red"


@pytest.fixture(scope="module")
def mesh():
    app = puma.App()
    app.configure({"puma_services": {
        "catalogue": {"instances": 2, "warmup": "tests.apps.parts:slow_start"},
        "flaky": {"instances": 2}, "scorer": "/scorer", "uses": {}, "stopped": {"instances": 0, "autoscale": {"enabled": False}},
        "asker": {"instances": 3}}})
    app.add_services({"catalogue": parts.Catalogue, "score": parts.score, "shift": parts.shift,
                      "tick": parts.tick,
                      "scorer": "tests.apps.parts:Scorer", "flaky": "tests.apps.parts:Flaky",
                      "uses": "tests.apps.parts:Uses", "stopped": "tests.apps.parts:Scorer",
                      "asker": "tests.apps.parts:Asker"})
    with app.start(listener={"port": 0}) as deployment:
        yield deployment


def test_remote_methods_return_the_types_the_spec_declares(mesh):
    catalogue = puma.remote("catalogue", parts.CatalogueApi)
    assert catalogue.where(2) == parts.Point(2, 4) and isinstance(catalogue.where(2), parts.Point)
    assert catalogue.search(["a"]) == [1, 2] and catalogue.title(film_id=3) == "Big"
    assert puma.remote("shift", parts.shift)(parts.Point(1), by=2) == parts.Point(3, 2)


def test_remote_without_a_spec_names_positional_arguments_from_the_service(mesh):
    assert puma.remote("catalogue").title(1) == "Heat"
    assert puma.remote("score")("hi", [1, 2], limit=1) == {"text": "hi", "weights": [1.0, 2.0], "limit": 1,
                                                          "total": 3.0}
    assert puma.remote("scorer")("four") == {"length": 4}


def test_remote_errors_keep_their_meaning(mesh):
    catalogue = puma.remote("catalogue", parts.CatalogueApi)
    with pytest.raises(puma.PumaBadRequest) as bad:
        catalogue.title("Heat")
    assert bad.value.status == 400 and bad.value.problems[0]["parameter"] == "film_id"
    assert "film_id: 'Heat' is not valid (expected int)" in str(bad.value)
    with pytest.raises(puma.PumaNotFound):
        catalogue.title(99)
    with pytest.raises(puma.PumaNotFound, match="no method 'burn'"):
        puma.remote("catalogue").burn()
    with pytest.raises(AttributeError, match="CatalogueApi has no method 'burn'"):
        catalogue.burn()
    with pytest.raises(TypeError, match="takes 1 positional"):
        catalogue.title(1, 2)


def test_remote_async_form(mesh):
    async def both() -> tuple[Any, ...]:
        catalogue = puma.aremote("catalogue", parts.CatalogueApi)
        return await asyncio.gather(catalogue.where(5), catalogue.search(["big"]), puma.aremote("score")("x"))

    where, found, scored = asyncio.run(both())
    assert where == parts.Point(5, 10) and found == [3] and scored["text"] == "x"


def test_object_is_built_once_per_zygote_and_shared_by_its_instances(mesh):
    seen = {tuple(puma.remote("catalogue").builder().values()) for _ in range(8)}
    zygotes = {built for built, _ in seen}
    assert len(zygotes) == 1 and {serving for _, serving in seen} == {i.pid for i in mesh.instances("catalogue")}
    assert zygotes.isdisjoint({i.pid for i in mesh.instances("catalogue")})


def test_a_service_built_from_another_waits_for_it_to_start(mesh):
    assert puma.remote("uses").found_at_start() == [1, 2]


def test_decorated_methods_become_routes_envoy_retries(mesh, tmp_path: Path):
    assert mesh.config.puma_services["catalogue"].idempotent == ("search",)
    assert mesh.config.puma_services["flaky"].idempotent == ("retried",)
    flaky = puma.remote("flaky")
    reply = flaky.retried(str(tmp_path))  # its first instance died; Envoy re-sent it to the other
    assert reply["died_in"] != reply["pid"]
    wait_for(lambda: len(mesh.instances("flaky")) == 2, timeout_s=20, message="the dead instance replaced")
    with pytest.raises(puma.PumaCallError) as lost:  # not idempotent: the service may have acted
        flaky.once(str(tmp_path))
    assert lost.value.status in (502, 503) and not isinstance(lost.value, puma.PumaClientError)
    wait_for(lambda: len(mesh.instances("flaky")) == 2, timeout_s=20, message="the dead instance replaced")


def test_remote_cache_answers_a_repeated_call_from_memory_and_tells_arguments_apart(mesh):
    cached, plain = puma.remote("tick", cache=16), puma.remote("tick")
    first = cached({"genre": "comedy", "year": 1990})
    assert cached(key={"year": 1990, "genre": "comedy"}) == first  # the same arguments, keys in another order
    assert cached({"genre": "drama", "year": 1990})["at_ns"] != first["at_ns"]
    assert cached(None)["at_ns"] != first["at_ns"] and plain(None)["at_ns"] != plain(None)["at_ns"]
    assert len(cached.memo) == 3 and cached.memo.hits == 1
    catalogue = puma.remote("catalogue", parts.CatalogueApi, cache=2)
    assert catalogue.where(5) == catalogue.where(5) == parts.Point(5, 10)  # typed from memory too
    assert catalogue.search(["big"]) == [3] and catalogue.title(3) == "Big"
    assert len(catalogue.memo) == 2 and catalogue.memo.hits == 1  # at most 2: the oldest went first


def test_remote_cache_one_instance_was_told_its_siblings_do_not_ask_again(mesh):
    # `tick` answers each call differently: the number of different answers the asker's three
    # instances got is the number of times `tick` was asked (a fresh deployment's repeated work).
    asker = puma.remote("asker")
    for key in ("comedy", "drama 1990", "a film like Heat"):
        got = [asker.ask(key) for _ in range(3)]
        for _ in range(60):
            if len({g["asker"] for g in got}) == 3:
                break
            got.append(asker.ask(key))
        assert {g["asker"] for g in got} == {i.pid for i in mesh.instances("asker")}
        assert len({g["answer"]["at_ns"] for g in got}) == 1, "tick asked once per instance, not once"
        assert got[0]["answer"]["key"] == key
    assert len({asker.ask(f"new {n}")["answer"]["at_ns"] for n in range(4)}) == 4  # other arguments: asked


def test_remote_cache_hands_out_copies_and_forgets_nothing_it_failed_to_get(mesh):
    cached = puma.remote("tick", cache=4)
    mine = cached("k")
    mine["films"].append("intruder")
    assert cached("k")["films"] == ["Heat", "Alien"]
    catalogue = puma.remote("catalogue", parts.CatalogueApi, cache=4)
    for _ in range(2):
        with pytest.raises(puma.PumaNotFound):
            catalogue.title(99)
    assert len(catalogue.memo) == 0 and catalogue.memo.misses == 2


def test_remote_cache_in_the_async_form(mesh):
    async def twice() -> list:
        tick = puma.aremote("tick", cache=4)
        return [await tick("a"), await tick("a"), await tick("b")]

    a, again, b = asyncio.run(twice())
    assert a == again and b["at_ns"] != a["at_ns"]


@pytest.mark.parametrize("answer", [
    [5, 3, 9], ["Heat", None, 2.5, True], {"title": "Heat", "cast": ["Pacino", "De Niro"], "year": 1995},
    [[1, 2], {"ids": [3]}], (1, "two"), {7: "int key"}, [float("nan"), float("inf")], [b"raw"], "text", 42, None])
def test_memo_recalls_an_equal_copy_of_the_same_types_that_can_be_changed_freely(answer):
    memo = Memo(4)
    memo.remember(b"k", answer)
    first = memo.recall(b"k")
    assert repr(first) == repr(answer) and type(first) is type(answer)  # NaN: equal as text, not by ==
    if isinstance(first, list | dict):
        assert first is not answer
        first.clear()  # the caller's copy: the memory is not changed
        assert repr(memo.recall(b"k")) == repr(answer)


def test_memo_keeps_its_own_copy_of_what_it_was_given():
    memo, answer = Memo(2), {"ids": [1, 2], "film": {"title": "Heat"}}
    ids = [4, 5]
    memo.remember(b"a", answer)
    memo.remember(b"b", ids)
    answer["ids"].append(3)
    ids.append(6)
    assert memo.recall(b"a") == {"ids": [1, 2], "film": {"title": "Heat"}} and memo.recall(b"b") == [4, 5]


def test_memo_key_of_equal_arguments_is_equal_in_every_process_and_other_values_differ():
    ids = list(range(5000))
    rebuilt = {"n": 3, "like": [int(str(i)) for i in (7, 9)], "title": "".join(["He", "at"]), "ids": list(ids)}
    key = memo_key("/rank", {"ids": ids, "like": [7, 9], "n": 3, "title": "Heat"}, "db.rank")
    assert memo_key("/rank", rebuilt, "db.rank") == key  # other objects, fields in another order
    script = ("import sys; from puma.memos import memo_key; sys.stdout.write(memo_key('/rank', {'ids': "
              "list(range(5000)), 'like': [7, 9], 'n': 3, 'title': 'Heat'}, 'db.rank').hex())")
    sibling = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": "12345"}).stdout
    assert sibling == key.hex()  # a sibling instance finds what this one was told (puma.sharedcache)
    values = [[1, 2], [2, 1], [True, 2], [1.0, 2], ["1", 2], [1, 2, 3], [], None, "1,2", 0, False, 1.5, [None]]
    keys = {memo_key("/rank", {"ids": value}, "db.rank") for value in values}
    keys |= {memo_key("/search", {"ids": [1, 2]}, "db.search"), memo_key("/rank", {"idz": [1, 2]}, "db.rank")}
    assert len(keys) == len(values) + 2
    state = {"slots": {"genre": "comedy", "year": 1990}, "asked": ["genre"]}
    reordered = {"asked": ["genre"], "slots": {"year": 1990, "genre": "comedy"}}
    assert memo_key("/decide", {"state": state}, "p") == memo_key("/decide", {"state": reordered}, "p")
    assert len(memo_key("/x", {"f": [Colour.RED]}, "x")) == 16  # a type marshal refuses: keyed by its JSON


@pytest.mark.parametrize("cache", [-1, 2.5, True, False, "64", 0.0])
def test_remote_cache_must_be_a_whole_number_of_answers(cache):
    with pytest.raises(ValueError, match=r"cache: .* whole number >= 0"):
        puma.remote("tick", cache=cache)


@pytest.mark.parametrize("cache", [0, None])
def test_remote_cache_of_nothing_remembers_nothing(cache):
    assert puma.remote("tick", cache=cache).memo is None


def test_remote_to_a_service_with_no_instance_raises_a_call_error(mesh):
    down = _failure(lambda: puma.remote("stopped")(text="x"))
    assert down.status == 503 and not isinstance(down, puma.PumaClientError)


def _failure(call) -> puma.PumaCallError | None:
    try:
        call()
    except puma.PumaCallError as exc:
        return exc
    return None


def test_the_parts_example_serves_a_function_and_an_object_as_the_readme_shows():
    import httpx

    app = puma.App.load(Path(__file__).resolve().parents[1] / "examples" / "parts_app.py")
    with app.start(listener={"port": 0}) as deployment, httpx.Client(base_url=deployment.url, timeout=10) as http:
        assert http.post("/parts_app/suggest", json={"word": "al"}).json() == {"suggestion": "Alien", "year": 1979}
        assert http.post("/catalogue/search", json={"word": "i", "before": 1990}).json() == [
            {"title": "Alien", "year": 1979}, {"title": "Big", "year": 1988}]
        refused = http.post("/catalogue/search", data={"word": "i", "before": "soon"})
        assert refused.status_code == 400 and refused.json()["problems"][0]["parameter"] == "before"
        assert deployment.config.puma_services["catalogue"].idempotent == ("search",)
