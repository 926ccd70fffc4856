"""`puma.sharedcache`: the answers a host's instances remember, shared through a SQLite file in the
run directory, so what one instance was told its siblings (forked processes) need not ask again; a
store that cannot work never fails a call."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

import puma
from puma import sharedcache
from puma.remotes import _MISSING, Memo
from puma.sharedcache import SharedAnswers, share_in, shared_store


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[Path]:
    share_in(tmp_path / "answers")
    yield tmp_path / "answers"
    share_in(None)


def _in_a_forked_child(work) -> object:
    """Run `work()` in a forked child (as the zygote forks instances); what it returns, as JSON."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.write(write, json.dumps(work()).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(data)


def test_shared_answers_what_one_forked_instance_was_told_a_sibling_recalls(tmp_path):
    share_in(tmp_path / "answers", forker=True)  # as a zygote: it forks the instances, opens nothing
    try:
        def first() -> object:
            memo = Memo(8, shared_store("db", 8))
            memo.remember(b"search-comedy", [3, 1, 2])
            memo.remember(b"movie-7", {"title": "Heat", "year": 1995, "cast": ["Pacino", "De Niro"]})
            return memo.misses

        def sibling() -> object:
            memo = Memo(8, shared_store("db", 8))  # its own memory, empty
            got = [memo.recall(b"search-comedy"), memo.recall(b"movie-7"), memo.recall(b"movie-8") is _MISSING]
            return [got, memo.hits, memo.shared_hits, memo.misses]

        assert _in_a_forked_child(first) == 0
        assert _in_a_forked_child(sibling) == [[[3, 1, 2], {"title": "Heat", "year": 1995,
                                                            "cast": ["Pacino", "De Niro"]}, True], 2, 2, 1]
        assert shared_store("db", 8).get(b"movie-7") is None  # the forker itself never opens the file
        assert sorted(p.name for p in (tmp_path / "answers").iterdir())[0] == "db.sqlite3"
    finally:
        share_in(None)


def test_shared_answers_a_child_of_a_process_that_had_the_file_open_does_not_use_it(shared):
    # SQLite forbids using, in a child, what its parent opened: such a child remembers alone.
    store = shared_store("policy", 8)
    assert store is not None
    store.put(b"k", '{"act":"ask"}')

    def child() -> object:
        memo = Memo(8, shared_store("policy", 8))
        memo.remember(b"j", [1])
        inherited = shared_store("policy", 8)
        return [memo.recall(b"k") is _MISSING, memo.recall(b"j"), inherited is not None and inherited.off is not None]

    assert _in_a_forked_child(child) == [True, [1], True]
    memo = Memo(8, store)  # the parent's store is untouched by its child
    assert memo.recall(b"k") == {"act": "ask"} and memo.recall(b"j") is _MISSING and store.off is None


def test_shared_answers_each_recall_is_the_callers_own_copy(shared):
    Memo(4, shared_store("db", 4)).remember(b"ids", [1, 2, 3])
    memo = Memo(4, shared_store("db", 4))
    first = memo.recall(b"ids")
    first.append(99)
    assert memo.recall(b"ids") == [1, 2, 3] and shared_store("db", 4).get(b"ids") == "[1,2,3]"


@pytest.mark.parametrize("bound", [1, 16, 64])
def test_shared_answers_forget_the_oldest_written_past_the_bound(shared, bound):
    store = shared_store("db", bound)
    assert store is not None
    for n in range(200):
        store.put(f"key {n}".encode(), json.dumps(n))
    assert store.get(b"key 199") == "199" and store.get(b"key 0") is None
    with sqlite3.connect(shared / "db.sqlite3") as db:
        rows = db.execute("SELECT count(*) FROM answers").fetchone()[0]
    assert bound <= rows < bound + max(1, bound // 16)


def test_shared_answers_keep_to_the_service_they_came_from(shared):
    Memo(4, shared_store("db", 4)).remember(b"same key", "db's answer")
    assert Memo(4, shared_store("sentiment", 4)).recall(b"same key") is _MISSING
    assert Memo(4, shared_store("db", 4)).recall(b"same key") == "db's answer"


@pytest.mark.parametrize("answer", [{1, 2}, float("nan"), {"when": object()}, (1, 2)])
def test_shared_answers_an_answer_json_cannot_carry_stays_in_its_process(shared, answer):
    memo = Memo(4, shared_store("db", 4))
    memo.remember(b"k", answer)
    assert memo.recall(b"k") is not _MISSING  # this process remembers it
    sibling = Memo(4, shared_store("db", 4))
    assert (sibling.recall(b"k") is _MISSING) == (not isinstance(answer, tuple))  # a tuple travels as a list


def _broken_by_a_file_where_the_directory_goes(tmp_path: Path) -> Path:
    (tmp_path / "blocker").write_text("not a directory")
    return tmp_path / "blocker" / "answers"


def _broken_by_a_file_that_is_no_database(tmp_path: Path) -> Path:
    (tmp_path / "answers").mkdir()
    (tmp_path / "answers" / "db.sqlite3").write_bytes(b"this is not a SQLite database, just bytes " * 50)
    return tmp_path / "answers"


def _broken_by_a_table_of_another_shape(tmp_path: Path) -> Path:
    (tmp_path / "answers").mkdir()
    with sqlite3.connect(tmp_path / "answers" / "db.sqlite3") as db:
        db.execute("CREATE TABLE answers (film TEXT)")
    return tmp_path / "answers"


@pytest.mark.parametrize("broken", [_broken_by_a_file_where_the_directory_goes, _broken_by_a_file_that_is_no_database,
                                    _broken_by_a_table_of_another_shape])
def test_shared_answers_a_store_that_cannot_work_never_fails_a_call(tmp_path, caplog, broken):
    share_in(broken(tmp_path))
    try:
        memo = Memo(4, shared_store("db", 4))
        with caplog.at_level(logging.WARNING, logger=sharedcache.__name__):
            assert memo.recall(b"k") is _MISSING
            memo.remember(b"k", [1, 2])
            memo.remember(b"j", [3])
        assert memo.recall(b"k") == [1, 2] and memo.recall(b"j") == [3]  # remembered in this process
        warned = [r for r in caplog.records if "no longer shared" in r.getMessage()]
        assert len(warned) == 1 and "db.sqlite3" in warned[0].getMessage()  # said once, naming the file
    finally:
        share_in(None)


def test_shared_answers_text_that_is_not_json_is_asked_again(shared):
    store = shared_store("db", 4)
    assert store is not None
    store.put(b"k", "\x80\x04 not json")
    memo = Memo(4, store)
    assert memo.recall(b"k") is _MISSING
    memo.remember(b"k", [5])
    assert Memo(4, shared_store("db", 4)).recall(b"k") == [5]  # written over


@pytest.mark.parametrize("name", ["../db", "db/../../etc", "", "1db", "db name", "x" * 200])
def test_shared_answers_only_for_a_name_that_is_a_service_name(shared, name):
    assert shared_store(name, 8) is None
    assert not any(p.name != f"{name}.sqlite3" for p in shared.parent.rglob("*.sqlite3"))


def test_shared_answers_none_outside_a_deployment():
    share_in(None)
    assert shared_store("db", 8) is None
    assert puma.remote("db", cache=8).memo.shared is None
    assert isinstance(SharedAnswers(Path("/nonexistent/x.sqlite3"), 1).get(b"k"), type(None))


@pytest.mark.parametrize("answer", [
    "Amélie — ½ 🎬", 2**70, -0.1, 1e300, True, None, [], {}, [1, 2.5, "x", None, False],
    {"films": [{"title": "Léon", "year": 1994, "rating": 7.5}], "total": 1},
    list(range(5000)),
])
def test_shared_answers_every_kind_of_json_answer_comes_back_equal_and_of_its_types(shared, answer):
    Memo(4, shared_store("db", 4)).remember(b"k", answer)
    got = Memo(4, shared_store("db", 4)).recall(b"k")
    assert got == answer and json.dumps(got) == json.dumps(answer)  # bool stays bool, int stays int


def test_shared_answers_never_outlive_the_deployment_nor_reach_the_next_in_the_same_run_dir(tmp_path):
    from puma.remotes import _memo_key
    from puma.supervisor import Deployment
    from tests.apps import parts

    stale = {"key": "x", "at_ns": -1, "pid": -1, "films": ["from a previous deployment"]}
    share_in(sharedcache.answers_dir(tmp_path))  # as the last deployment in this run dir left it
    shared_store("tick", 16).put(_memo_key("", {"key": "x"}, "puma.remote('tick')"), json.dumps(stale))
    share_in(None)
    app = puma.App()
    app.configure({"puma_services": {"asker": {"instances": 2}, "tick": {}}})
    app.add_services({"asker": "tests.apps.parts:Asker", "tick": parts.tick})
    with Deployment(app.resolved_config(listener={"port": 0}), run_dir=tmp_path,
                    import_paths=app.import_paths).start():
        answer = puma.remote("asker").ask("x")["answer"]
        assert answer["at_ns"] > 0 and answer["films"] == ["Heat", "Alien"]  # asked, not the old answer
        assert (sharedcache.answers_dir(tmp_path) / "tick.sqlite3").exists()  # this deployment's own
    assert not sharedcache.answers_dir(tmp_path).exists() and (tmp_path / "logs").exists()


def test_shared_answers_a_huge_answer_stays_in_its_process(shared):
    huge = "x" * (sharedcache.MAX_ANSWER_CHARS + 1)
    memo = Memo(4, shared_store("db", 4))
    memo.remember(b"huge", huge)
    memo.remember(b"small", "y")
    assert memo.recall(b"huge") == huge  # its own process remembers it
    sibling = Memo(4, shared_store("db", 4))
    assert sibling.recall(b"huge") is _MISSING and sibling.recall(b"small") == "y"


@pytest.mark.parametrize("answer_chars", [1_000, 40_000, 300_000])
def test_shared_answers_a_services_file_keeps_at_most_its_text_bound(shared, monkeypatch, answer_chars):
    monkeypatch.setattr(sharedcache, "MAX_STORE_CHARS", 1_000_000)
    store = shared_store("db", 100_000)  # the count bound far away: the text bound decides
    assert store is not None
    for n in range(60):
        store.put(f"key {n}".encode(), json.dumps("z" * answer_chars))
    with sqlite3.connect(shared / "db.sqlite3") as db:
        kept = db.execute("SELECT sum(length(answer)) FROM answers").fetchone()[0]
    slack = sharedcache.MAX_STORE_CHARS // 16 + answer_chars + 2  # written since the last trim
    assert kept <= sharedcache.MAX_STORE_CHARS + slack
    assert store.get(b"key 59") is not None and (answer_chars < 20_000 or store.get(b"key 0") is None)
