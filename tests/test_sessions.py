"""Session stores: optimistic versions, transcripts, surveys; the SQL store shared by bots."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatbot.bot import Chatbot
from chatbot.catalog import Catalog
from chatbot.errors import InvalidRequest, SessionConflict, TurnOutOfOrder, UnknownSession
from chatbot.sessions import MemorySessionStore, SessionStore, SqlSessionStore, validate_survey
from tests.chatbot_helpers import components_for


@pytest.fixture
def sql_store(chatbot_db_url: str) -> Iterator[SqlSessionStore]:
    store = SqlSessionStore(chatbot_db_url)
    yield store
    store.close()


@pytest.fixture(params=["memory", "sql"])
def store(request: pytest.FixtureRequest, chatbot_db_url: str) -> Iterator[SessionStore]:
    if request.param == "memory":
        yield MemorySessionStore()
        return
    sql = SqlSessionStore(chatbot_db_url)
    yield sql
    sql.close()


def _sid() -> str:
    return uuid.uuid4().hex


def test_session_store_round_trip_and_versions(store: SessionStore) -> None:
    sid = _sid()
    assert store.create(sid, {"stage": "genre", "n": [1, 2]}) == 1
    assert store.get(sid) == ({"stage": "genre", "n": [1, 2]}, 1)
    assert store.put(sid, {"stage": "actor"}, 1) == 2
    assert store.get(sid) == ({"stage": "actor"}, 2)


def test_session_store_stale_writer_loses(store: SessionStore) -> None:
    sid = _sid()
    store.create(sid, {"stage": "genre"})
    store.put(sid, {"writer": "a"}, 1)
    with pytest.raises(SessionConflict, match="version 2, not 1"):
        store.put(sid, {"writer": "b"}, 1)
    assert store.get(sid)[0] == {"writer": "a"}


def test_session_store_create_twice_conflicts(store: SessionStore) -> None:
    sid = _sid()
    store.create(sid, {})
    with pytest.raises(SessionConflict):
        store.create(sid, {})


def test_session_store_unknown_and_delete(store: SessionStore) -> None:
    sid = _sid()
    with pytest.raises(UnknownSession):
        store.get(sid)
    with pytest.raises(UnknownSession):
        store.put(sid, {}, 1)
    store.create(sid, {})
    store.delete(sid)
    with pytest.raises(UnknownSession):
        store.get(sid)
    store.delete(sid)


def test_session_store_transcript_written_with_the_state(store: SessionStore) -> None:
    sid = _sid()
    store.create(sid, {}, transcript_entry={"u": [], "c": ["Hi", "Genre?"]})
    store.put(sid, {}, 1, transcript_entry={"u": ["comedy"], "c": ["Actor?"]})
    store.append_transcript(sid, {"u": ["bye"], "c": ["Bye!"]})
    transcript = store.transcript(sid)
    assert transcript is not None
    assert transcript["userid"] == sid and transcript["timestamp"]
    assert transcript["history"] == [{"c": ["Hi", "Genre?"], "u": []},
                                     {"c": ["Actor?"], "u": ["comedy"]},
                                     {"c": ["Bye!"], "u": ["bye"]}]
    assert store.transcript(_sid()) is None


def test_session_store_saves_survey(store: SessionStore) -> None:
    store.save_survey(_sid(), {"liked": 4, "engagement": "5", "chatbot_before": "no",
                               "comments": "nice"})
    with pytest.raises(InvalidRequest, match="liked"):
        store.save_survey(_sid(), {"liked": 9})


@pytest.mark.parametrize(("answers", "error"), [
    ({"liked": 0}, "outside 1-5"), ({"engagement": "lots"}, "not a whole number"),
    ({"chatbot_before": "maybe"}, "yes/no"), ({"comments": "x" * 6000}, "5000"),
    ({"stars": 5}, "unknown field"),
])
def test_validate_survey_names_the_problem(answers: dict, error: str) -> None:
    with pytest.raises(InvalidRequest, match=error):
        validate_survey(answers)


def test_memory_store_forgets_least_recent_and_expired() -> None:
    now = [0.0]
    store = MemorySessionStore(max_sessions=2, ttl_s=100, clock=lambda: now[0])
    for sid in ("a", "b", "c"):
        store.create(sid, {})
    with pytest.raises(UnknownSession):
        store.get("a")
    now[0] = 150.0
    with pytest.raises(UnknownSession):
        store.get("c")
    assert len(store) == 0


def test_sql_store_shared_by_two_chatbots(chatbot_db_url: str, catalog: Catalog) -> None:
    parts = components_for(chatbot_db_url, catalog)
    stores = [SqlSessionStore(chatbot_db_url), SqlSessionStore(chatbot_db_url)]
    try:
        one, two = (Chatbot(store=s, components=parts, seed=0) for s in stores)
        first = one.turn(None, "", turn_no=1)
        second = two.turn(first.session_id, "comedy with Jim Carrey", turn_no=2)
        assert second.turn_no == 2
        third = one.turn(first.session_id, "no preference", turn_no=3)
        fourth = two.turn(first.session_id, "no preference", turn_no=4)
        assert third.messages[-1].endswith("?") and fourth.recommendation is not None
        assert "Jim Carrey" in fourth.recommendation["cast"]
        assert one.turn(first.session_id, "no preference", turn_no=4) == fourth  # a retry: the stored reply
        with pytest.raises(TurnOutOfOrder, match="already answered for another text"):
            one.turn(first.session_id, "another text", turn_no=4)
        assert len((one.transcript(first.session_id) or {})["history"]) == 4
    finally:
        for store in stores:
            store.close()


def test_sql_store_conflicting_turns_answered_once(chatbot_db_url: str, catalog: Catalog,
                                                   sql_store: SqlSessionStore) -> None:
    """Two instances racing on the same turn: the loser re-reads and returns the winner's reply."""
    bot = Chatbot(store=sql_store, components=components_for(chatbot_db_url, catalog), seed=0)
    sid = bot.turn(None, "").session_id
    record, version = sql_store.get(sid)
    winner = bot.turn(sid, "comedy", turn_no=2)

    class Stale(SqlSessionStore):
        reads = 0

        def get(self, session_id: str) -> tuple[dict, int]:
            Stale.reads += 1
            return (record, version) if Stale.reads == 1 else super().get(session_id)

    stale = Stale(chatbot_db_url)
    try:
        loser = Chatbot(store=stale, components=components_for(chatbot_db_url, catalog), seed=0)
        assert loser.turn(sid, "comedy", turn_no=2) == winner  # the same turn, re-sent: the winner's reply
        Stale.reads = 0
        with pytest.raises(TurnOutOfOrder, match="already answered for another text"):
            loser.turn(sid, "drama", turn_no=2)  # another text under that number is not given its reply
        assert len((sql_store.transcript(sid) or {})["history"]) == 2
    finally:
        stale.close()


def test_sql_store_locked_answers_503_naming_the_database(chatbot_db_url: str, catalog: Catalog) -> None:
    """A turn while another process holds the database's write lock: the client is told to retry
    (503 + Retry-After, naming the store), and the turn applies once the lock is gone."""
    import sqlite3

    from puma.media import DEFAULT_CONTENT_TYPES
    from puma.serving import build_app

    store = SqlSessionStore(chatbot_db_url)
    bot = Chatbot(store=store, components=components_for(chatbot_db_url, catalog), seed=0)

    def agent(chatText: str, turn_no: int) -> dict:  # noqa: N803 - the page's field names
        return {"turn_no": bot.turn(None, chatText, turn_no=turn_no).turn_no}
    client = build_app("agent", agent, max_body_bytes=10_000, content_types=DEFAULT_CONTENT_TYPES).test_client()
    holder = sqlite3.connect(chatbot_db_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        resp = client.post("/", json={"chatText": "", "turn_no": 1})
        body = resp.get_json()
        assert resp.status_code == 503 and resp.headers["retry-after"] == "1", body
        named = f"the SQLite database {Path(chatbot_db_url.removeprefix('sqlite:///')).resolve()}"
        assert body["unavailable"] == named and "locked" in body["error"], body
    finally:
        holder.close()
        assert client.post("/", json={"chatText": "", "turn_no": 1}).status_code == 200
        store.close()
