"""One conversation suite on every shared store: SQLite, PostgreSQL (a throwaway cluster) and
DynamoDB (moto) through PUMA's Envoy. The dialog reads the catalogue of the SQL database under
test; with DynamoDB it reads the SQLite one."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

import puma
from chatbot import nlg
from chatbot.bot import Chatbot
from chatbot.catalog import Catalog
from chatbot.components import Components
from chatbot.db import SurveyAnswer, Transcript, make_engine
from chatbot.dynamo_store import MAX_ENTRY_BYTES, DynamoSessionStore, ItemTooLarge, ensure_table
from chatbot.errors import SessionConflict, TurnOutOfOrder, UnknownSession
from chatbot.sessions import MemorySessionStore, SessionStore, SqlSessionStore
from chatbot.stores import session_store
from tests.apps import basic
from tests.chatbot_helpers import components_for, films, proposed, stored_transcript, talk
from tests.helpers import envoy_admin

SKIP = "no preference"
SURVEY = {"liked": 4, "engagement": "5", "chatbot_before": "no", "comments": "nice"}
SURVEY_STORED = {"liked": 4, "engagement": 5, "chatbot_before": False, "comments": "nice"}


@dataclass
class Backend:
    name: str
    components: Components
    make_store: Callable[[], SessionStore]
    surveys: Callable[[str], list[dict[str, Any]]]


# moto's threaded server (what `"dynamodb": {}` starts) is not atomic under concurrent writes:
# a cancelled transaction restores a snapshot of the whole table, undoing other clients' writes.
# One request at a time gives the atomicity DynamoDB itself guarantees, which the race tests need.
@pytest.fixture(scope="module")
def dynamo_mesh() -> Iterator[puma.Deployment]:
    """A small PUMA deployment with the `dynamodb` key: DynamoDB calls go through its Envoy."""
    app = puma.App()
    app.configure({"dynamodb": {}, "puma_services": {"echo": "/echo"}})  # PUMA starts a local moto
    app.add_services({"echo": basic.echo})
    with app.start(listener={"port": 0}) as deployment:
        yield deployment


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "dynamodb"])
def backend(request: pytest.FixtureRequest, chatbot_db_url: str, catalog: Catalog) -> Iterator[Backend]:
    with ExitStack() as stack:
        if request.param == "dynamodb":
            request.getfixturevalue("dynamo_mesh")
            yield _dynamo_backend(components_for(chatbot_db_url, catalog))
        elif request.param == "postgresql":
            url = request.getfixturevalue("postgres_url")
            yield _sql_backend(stack, "postgresql", url, components_for(url, Catalog.load(url)))
        else:
            yield _sql_backend(stack, "sqlite", chatbot_db_url, components_for(chatbot_db_url, catalog))


def _sql_backend(stack: ExitStack, name: str, url: str, components: Components) -> Backend:
    engine = make_engine(url)
    stack.callback(engine.dispose)

    def make_store() -> SessionStore:
        store = SqlSessionStore(url)
        stack.callback(store.close)
        return store

    def surveys(userid: str) -> list[dict[str, Any]]:
        fields = [SurveyAnswer.liked, SurveyAnswer.engagement, SurveyAnswer.chatbot_before,
                  SurveyAnswer.comments]
        with engine.connect() as conn:
            rows = conn.execute(select(*fields).where(SurveyAnswer.userid == userid)
                                .order_by(SurveyAnswer.id)).mappings()
            return [dict(row) for row in rows]

    return Backend(name, components, make_store, surveys)


def _dynamo_backend(components: Components) -> Backend:
    table = f"chatbot-{uuid.uuid4().hex[:8]}"

    def make_store() -> DynamoSessionStore:
        return DynamoSessionStore(puma.dynamodb(), table=table)

    def surveys(userid: str) -> list[dict[str, Any]]:
        return [{k: v for k, v in found.items() if k in SURVEY}
                for found in make_store().surveys(userid)]

    return Backend("dynamodb", components, make_store, surveys)


@pytest.fixture
def bot(backend: Backend) -> Chatbot:
    return Chatbot(store=backend.make_store(), components=backend.components, seed=0)


def _history(bot: Chatbot, session_id: str) -> list[dict[str, list[str]]]:
    return stored_transcript(bot, session_id)["history"]


def test_store_happy_path_conversation(bot: Chatbot) -> None:
    turns = talk(bot, ["comedy", "Jim Carrey", SKIP, "PG-13", "no", "yes"])
    film = proposed(turns[4])
    assert "comedy" in film["genres"] and "Jim Carrey" in film["cast"] and film["mpaa"] == "PG-13"
    assert turns[5].messages == [nlg.LIKE]
    assert turns[6].signal == "end" and turns[6].messages[-1].startswith("Bye!")
    state, version = bot.store.get(turns[0].session_id)
    assert state["turn_no"] == 7 and version == 7


def test_store_no_preference_conversation(bot: Chatbot) -> None:
    turns = talk(bot, [SKIP, "don't care", "no", "whatever"])
    assert turns[-1].recommendation is not None and nlg.THINKING in turns[-1].messages


def test_store_rejected_films_stay_rejected(bot: Chatbot) -> None:
    turns = talk(bot, ["comedy", SKIP, SKIP, SKIP] + ["no", "no"] * 3)
    proposed = films(turns)
    assert len({film["id"] for film in proposed}) == 4
    assert all("comedy" in film["genres"] for film in proposed)
    state, _ = bot.store.get(turns[0].session_id)
    assert len(json.dumps(state)) < 20_000  # far below a DynamoDB item (see the size policy)


def test_store_turn_resent_with_its_request_key_is_answered_once(bot: Chatbot) -> None:
    first = bot.turn(None, "", request_key="req-1")
    sid = first.session_id
    second = bot.turn(sid, "comedy", request_key="req-2")
    assert bot.turn(sid, "comedy", request_key="req-2") == second  # re-sent by Envoy: answered once
    third = bot.turn(sid, "no preference", request_key="req-3")
    assert third.turn_no == 3
    assert [entry["u"] for entry in _history(bot, sid)] == [[], ["comedy"], ["no preference"]]


def test_store_request_key_never_crosses_sessions(bot: Chatbot) -> None:
    """A key chosen by a client (x-request-id) is scoped to its session: another client sending
    the same key starts its own conversation and never sees the first one's."""
    victim = bot.turn(None, "a horror film with Jack Nicholson", request_key="victim-req-1")
    other = bot.turn(None, "hi", request_key="victim-req-1")
    assert other.session_id != victim.session_id and other.turn_no == 1
    again = bot.turn(None, "a horror film with Jack Nicholson", request_key="victim-req-1")
    assert again.session_id not in (victim.session_id, other.session_id)  # a new conversation: a new id
    mine = bot.turn(other.session_id, "comedy", request_key="shared")
    theirs = bot.turn(victim.session_id, "comedy", request_key="shared")
    assert mine.turn_no == theirs.turn_no == 2 and mine.session_id != theirs.session_id


def test_store_request_key_reused_for_another_text_applies_the_turn(bot: Chatbot) -> None:
    """A client that sends one fixed x-request-id with every turn loses none of them."""
    sid = bot.turn(None, "hi", request_key="fixed-B").session_id
    bot.turn(sid, "comedy", request_key="fixed-B")
    answer = bot.turn(sid, "Tom Hanks", request_key="fixed-B")
    assert answer.turn_no == 3 and "Tom Hanks" in " ".join(answer.messages)
    assert [entry["u"] for entry in _history(bot, sid)] == [["hi"], ["comedy"], ["Tom Hanks"]]


def test_store_resent_turn_is_answered_once(bot: Chatbot) -> None:
    first = bot.turn(None, "", turn_no=1)
    sid = first.session_id
    assert bot.turn(sid, "", turn_no=1) == first
    second = bot.turn(sid, "comedy", turn_no=2)
    assert bot.turn(sid, " comedy ", turn_no=2) == second  # the same words: a retry
    with pytest.raises(TurnOutOfOrder, match="turn_no: 2 was already answered"):
        bot.turn(sid, "drama instead", turn_no=2)
    assert bot.store.get(sid)[1] == 2
    assert [entry["u"] for entry in _history(bot, sid)] == [[], ["comedy"]]


def test_store_two_bots_alternate_turns(backend: Backend) -> None:
    one, two = (Chatbot(store=backend.make_store(), components=backend.components, seed=0)
                for _ in range(2))
    first = one.turn(None, "", turn_no=1)
    sid = first.session_id
    assert two.turn(sid, "comedy with Jim Carrey", turn_no=2).turn_no == 2
    one.turn(sid, SKIP, turn_no=3)
    fourth = two.turn(sid, SKIP, turn_no=4)
    assert "Jim Carrey" in proposed(fourth)["cast"]
    assert one.turn(sid, SKIP, turn_no=4) == fourth  # a retry from the other bot
    with pytest.raises(TurnOutOfOrder):
        one.turn(sid, "another text", turn_no=4)
    assert len(_history(two, sid)) == 4


def test_store_write_race_has_exactly_one_winner(backend: Backend) -> None:
    stores = [backend.make_store() for _ in range(6)]
    sid = uuid.uuid4().hex
    stores[0].create(sid, {"writer": None}, transcript_entry={"u": [], "c": ["Hi"]})
    ready = threading.Barrier(len(stores))

    def write(i: int) -> int | None:
        _, version = stores[i].get(sid)
        ready.wait(timeout=10)
        try:
            return stores[i].put(sid, {"writer": i}, version,
                                 transcript_entry={"u": [f"writer {i}"], "c": []})
        except SessionConflict:
            return None

    with ThreadPoolExecutor(len(stores)) as pool:
        results = list(pool.map(write, range(len(stores))))
    winners = [i for i, result in enumerate(results) if result == 2]
    assert len(winners) == 1 and results.count(None) == len(stores) - 1, results
    assert stores[0].get(sid) == ({"writer": winners[0]}, 2)
    transcript = stored_transcript(stores[0], sid)["history"]
    assert [entry["u"] for entry in transcript] == [[], [f"writer {winners[0]}"]]


def test_store_racing_turn_gets_the_winners_reply(backend: Backend) -> None:
    """An instance that read before another one wrote loses, re-reads, and replays its reply if
    it was the same turn (same text); a different text under the same number is refused."""
    bot = Chatbot(store=backend.make_store(), components=backend.components, seed=0)
    sid = bot.turn(None, "").session_id
    stale = [bot.store.get(sid), bot.store.get(sid)]
    winner = bot.turn(sid, "comedy", turn_no=2)
    slow = backend.make_store()
    fresh_get = slow.get
    slow.get = lambda session_id: stale.pop() if stale else fresh_get(session_id)  # type: ignore[method-assign]  # a store whose reads lag
    loser = Chatbot(store=slow, components=backend.components, seed=0)
    assert loser.turn(sid, "comedy", turn_no=2) == winner
    with pytest.raises(TurnOutOfOrder, match="turn_no: 2 was already answered"):
        loser.turn(sid, "drama", turn_no=2)
    assert [entry["u"] for entry in _history(bot, sid)] == [[], ["comedy"]]


@pytest.mark.parametrize("same_text", [True, False], ids=["same-text", "six-genres"])
def test_store_turns_sent_together_with_one_number_apply_once(backend: Backend, same_text: bool) -> None:
    """Six clients send turn 2 at once: exactly one is applied; each other one gets that turn's
    reply (same text) or a refusal naming the turn (another text), never another text's reply."""
    bots = [Chatbot(store=backend.make_store(), components=backend.components, seed=0) for _ in range(6)]
    sid = bots[0].turn(None, "", turn_no=1).session_id
    texts = ["comedy"] * 6 if same_text else ["comedy", "horror", "drama", "romance", "western", "thriller"]
    ready = threading.Barrier(len(bots))

    def send(i: int) -> Any:
        ready.wait(timeout=10)
        try:
            return bots[i].turn(sid, texts[i], turn_no=2)
        except TurnOutOfOrder as refused:
            return refused

    with ThreadPoolExecutor(len(bots)) as pool:
        results = list(pool.map(send, range(len(bots))))
    [stored] = [entry["u"] for entry in _history(bots[0], sid)][1:]
    applied = texts.index(stored[0])
    for i, result in enumerate(results):
        if texts[i] == stored[0]:
            assert result == results[applied], (texts[i], result)
        else:
            assert isinstance(result, TurnOutOfOrder) and "turn_no: 2" in str(result), (texts[i], result)
    assert bots[0].store.get(sid)[1] == 2


def test_store_transcript_text_follows_the_store_rule(backend: Backend) -> None:
    """What a user said is stored as said (first 2,000 characters, spaces collapsed): lone
    surrogates and NUL become U+FFFD, as in the survey, never '?' or a space."""
    bot = Chatbot(store=backend.make_store(), components=backend.components, seed=0)
    sid = bot.turn(None, "hi\x00there \ud800 comedy\udfff  !").session_id
    bot.turn(sid, "tab\there\u200bzero-width \x01ctrl")
    said = [entry["u"] for entry in _history(bot, sid)]
    assert said == [["hi\ufffdthere \ufffd comedy\ufffd !"], ["tab here\u200bzero-width \x01ctrl"]]
    bot.save_survey(sid, {"liked": 3, "engagement": 3, "comments": "hi\x00there \ud800"})
    assert backend.surveys(sid)[0]["comments"] == "hi\ufffdthere \ufffd"


def test_store_keeps_one_survey_per_conversation_the_latest(backend: Backend, bot: Chatbot) -> None:
    sid = bot.turn(None, "").session_id
    bot.save_survey(sid, SURVEY)
    bot.save_survey(sid, SURVEY)  # the page re-sent it
    assert backend.surveys(sid) == [SURVEY_STORED]
    bot.save_survey(sid, {"liked": 1, "engagement": 2})  # the user changed their mind
    assert backend.surveys(sid) == [{"liked": 1, "engagement": 2, "chatbot_before": None, "comments": None}]


def test_store_saves_transcript_and_survey(backend: Backend, bot: Chatbot) -> None:
    said = ["", "comedy", "bye"]
    turns = talk(bot, said[1:])
    sid = turns[0].session_id
    transcript = stored_transcript(bot, sid)
    assert transcript["userid"] == sid and transcript["timestamp"]
    assert all(re.match(r"\d{4}-\d\d-\d\dT", e.pop("at")) for e in transcript["history"])  # when said
    assert [{k: v for k, v in e.items() if k != "film"} for e in transcript["history"]] == [
        {"c": turn.messages, "u": [text] if text else []} for turn, text in zip(turns, said, strict=True)]
    bot.save_survey(sid, SURVEY)
    assert backend.surveys(sid) == [SURVEY_STORED]
    assert bot.transcript(uuid.uuid4().hex) is None


def test_store_keeps_any_text_with_unstorable_characters_replaced(backend: Backend) -> None:
    store, sid = backend.make_store(), uuid.uuid4().hex
    odd = "a\ud800b\x00c\udfff"  # lone surrogates (no UTF-8 for them) and NUL (PostgreSQL refuses it)
    store.create(sid, {"note": odd}, transcript_entry={"u": [odd], "c": ["ok"]})
    store.append_transcript(sid, {"u": ["x\x00"], "c": [odd]})
    store.save_survey(sid, {"liked": 2, "engagement": 5, "comments": odd})
    assert store.get(sid)[0] == {"note": odd}  # state is stored as JSON text, escapes and all
    assert [{k: v for k, v in e.items() if k not in ("at", "film")} for e in stored_transcript(store, sid)["history"]] == [
        {"u": ["a\ufffdb\ufffdc\ufffd"], "c": ["ok"]}, {"u": ["x\ufffd"], "c": ["a\ufffdb\ufffdc\ufffd"]}]
    assert backend.surveys(sid)[0]["comments"] == "a\ufffdb\ufffdc\ufffd"


def test_store_versions_conflicts_and_unknown_sessions(backend: Backend) -> None:
    store, sid = backend.make_store(), uuid.uuid4().hex
    with pytest.raises(UnknownSession):
        store.put(sid, {}, 1, transcript_entry={"u": ["x"], "c": []})
    assert store.create(sid, {"stage": "genre", "n": [1, 2.5]}) == 1
    with pytest.raises(SessionConflict, match="already exists"):
        store.create(sid, {}, transcript_entry={"u": ["x"], "c": []})
    assert store.put(sid, {"writer": "a"}, 1) == 2
    with pytest.raises(SessionConflict, match="version 2, not 1"):
        store.put(sid, {"writer": "b"}, 1, transcript_entry={"u": ["lost"], "c": []})
    assert store.get(sid) == ({"writer": "a"}, 2)
    assert store.transcript(sid) is None  # the losers' turns were not written
    store.delete(sid)
    store.delete(sid)
    with pytest.raises(UnknownSession):
        store.get(sid)


def test_dynamo_store_goes_through_envoy_and_reuses_its_table(dynamo_mesh: puma.Deployment) -> None:
    def requests() -> int:
        stats = envoy_admin(dynamo_mesh).get("/stats?filter=^cluster.dynamodb.upstream_rq_total$")
        return int(stats.split(":")[1])

    before = requests()
    table = f"reuse-{uuid.uuid4().hex[:8]}"
    first = DynamoSessionStore(endpoint_url=dynamo_mesh.internal_url, table=table)  # internal: not for clients
    first.create("abc", {"n": 1})
    assert DynamoSessionStore(puma.dynamodb(), table=table).get("abc") == ({"n": 1}, 1)
    assert requests() >= before + 4
    puma.dynamodb().create_table(
        TableName="wrong-keys", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    with pytest.raises(ValueError, match="not pk .HASH. and sk .RANGE."):
        ensure_table(puma.dynamodb(), "wrong-keys")


def test_dynamo_store_size_policy(dynamo_mesh: puma.Deployment) -> None:
    store, sid = DynamoSessionStore(puma.dynamodb(), table="sizes"), uuid.uuid4().hex
    with pytest.raises(ItemTooLarge, match="over the 350,000"):
        store.create(sid, {"blob": "x" * 400_000})
    with pytest.raises(UnknownSession):
        store.get(sid)
    store.append_transcript(sid, {"u": ["é" * 300_000], "c": ["m" * 1000] * 500})
    turn = stored_transcript(store, sid)["history"][0]
    assert len(json.dumps(turn, ensure_ascii=False).encode()) <= MAX_ENTRY_BYTES
    assert turn["u"][0].startswith("éé") and turn["u"][0].endswith("…") and len(turn["c"]) == 100


def test_settings_choose_the_session_store(monkeypatch: pytest.MonkeyPatch, chatbot_db_url: str,
                                           dynamo_mesh: puma.Deployment) -> None:
    monkeypatch.setenv("DATABASE_URL", chatbot_db_url)
    monkeypatch.delenv("CHATBOT_SESSION_STORE", raising=False)
    assert isinstance(session_store(), SqlSessionStore)
    monkeypatch.setenv("CHATBOT_SESSION_STORE", "memory")
    assert isinstance(session_store(), MemorySessionStore)
    monkeypatch.setenv("CHATBOT_SESSION_STORE", "dynamodb")
    assert isinstance(session_store(), DynamoSessionStore)
    monkeypatch.setenv("CHATBOT_SESSION_STORE", "redis")
    with pytest.raises(ValueError, match="CHATBOT_SESSION_STORE: 'redis' is not one of"):
        session_store()


def _port_dynamodb_key(**env: str) -> str:
    show = ("from tests.helpers import chatbot_app; print(chatbot_app().resolved_config().model_dump("
            "exclude_unset=True).get('dynamodb'))")
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "CHATBOT_SESSION_STORE"}
    done = subprocess.run([sys.executable, "-c", show], env={**base, **env}, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_puma_port_gets_the_dynamodb_key_when_the_store_is_dynamodb() -> None:
    assert _port_dynamodb_key(CHATBOT_SESSION_STORE="dynamodb") == "{}"  # a local moto server
    assert _port_dynamodb_key(CHATBOT_SESSION_STORE="sql") == "None"
    assert _port_dynamodb_key() == "None"


def test_puma_port_takes_dynamodb_endpoint_and_region_from_the_standard_aws_variables() -> None:
    found = _port_dynamodb_key(CHATBOT_SESSION_STORE="dynamodb", AWS_REGION="eu-west-1",
                               AWS_ENDPOINT_URL_DYNAMODB="https://dynamodb.eu-west-1.amazonaws.com")
    assert found == "{'endpoint': 'https://dynamodb.eu-west-1.amazonaws.com', 'region': 'eu-west-1'}"
    assert _port_dynamodb_key(CHATBOT_SESSION_STORE="dynamodb", AWS_DEFAULT_REGION="ap-south-1") == \
        "{'region': 'ap-south-1'}"


@pytest.mark.parametrize(("given", "env", "expected"), [
    ({}, {}, {}),
    ({}, {"AWS_ENDPOINT_URL_DYNAMODB": "http://db.internal:8000"}, {"endpoint": "http://db.internal:8000"}),
    ({"endpoint": "https://mine.example"}, {"AWS_ENDPOINT_URL_DYNAMODB": "http://other:8000"},
     {"endpoint": "https://mine.example"}),  # the config's own wins
    ({"local": True}, {"AWS_ENDPOINT_URL_DYNAMODB": "http://other:8000"}, {"local": True}),
    ({"region": "us-west-2"}, {"AWS_REGION": "eu-west-1"}, {"region": "us-west-2"}),
    ({}, {"AWS_REGION": " ", "AWS_DEFAULT_REGION": "eu-north-1"}, {"region": "eu-north-1"}),
])
def test_dynamodb_key_fills_only_what_it_leaves_out_from_the_environment(
        monkeypatch: pytest.MonkeyPatch, given: dict[str, Any], env: dict[str, str], expected: dict[str, Any]) -> None:
    from puma.app import dynamodb_from_env

    for name in ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert dynamodb_from_env(given) == expected


@pytest.mark.parametrize("url_fixture", ["chatbot_db_url", "postgres_url"])
def test_sql_store_transcript_grows_as_the_json_of_every_entry(request: pytest.FixtureRequest,
                                                               url_fixture: str) -> None:
    """Appended in the database turn by turn, the stored history is still exactly the JSON of
    the whole list (another reader of the table parses it), whatever the entries hold."""
    url = request.getfixturevalue(url_fixture)
    store = SqlSessionStore(url)
    sid = uuid.uuid4().hex
    entries: list[dict[str, Any]] = [{"c": ["Hi", "Genre?"], "u": []}, {"c": ["Ça va, ]", "你好"], "u": ["comédie ]", "[]"]},
               {"c": [], "u": ["\u00e9t\u00e9 ', ]"], "film": {"id": 3, "title": "A, [B]"}}]
    try:
        store.create(sid, {}, transcript_entry=entries[0])
        store.put(sid, {}, 1, transcript_entry=entries[1])
        store.append_transcript(sid, entries[2])
        store.append_transcript(uuid.uuid4().hex + "-alone", {"u": ["only"], "c": []})
        engine = make_engine(url)
        with engine.connect() as conn:
            text = conn.execute(select(Transcript.history).where(Transcript.userid == sid)).scalar_one()
        engine.dispose()
        assert text == json.dumps(entries)
        assert stored_transcript(store, sid)["history"] == entries
    finally:
        store.close()
