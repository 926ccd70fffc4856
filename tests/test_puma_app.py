"""The chatbot ported to PUMA: every part its own Envoy-routed service, state in the SQL store."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import puma
from chatbot import nlg
from chatbot.catalog import Catalog
from chatbot.sessions import SqlSessionStore
from legacy_socket_server import LegacyServer
from tests.chatbot_helpers import NEWCOMER_SCRIPTS, legacy_server, random_constraint_messages
from tests.helpers import chatbot_app, wait_for

SCRIPT = ["comedy with Jim Carrey", "no preference", "PG-13", "no", "no", "yes"]
# Conversations of the realistic suite's kinds (tests/dialog_suite), for the parity test: the
# new state (constraints, a pending "Did you mean ...?") and the new understanding and
# decision keys must cross the mesh as JSON and give the monolith's very words.
PARITY_SCRIPTS = {
    "original": SCRIPT,
    "negation-person-questions": [
        "no dramas, and nothing rated R", "no preference", "Tom Hanx", "yes", "no preference",
        "no preference", "who directed it?", "is it any good?", "no", "I love it"],
    "volunteered-multi-correction": [
        "a 90s comedy by the Farrelly brothers rated PG-13", "with Jim Carrey and Jeff Daniels",
        "how long is it?", "no", "actually make it a thriller", "no", "yes"],
    "watch-with-correction-dates": [
        "I want something to watch with Tom Hanks", "sorry, I meant Meg Ryan, not Tom Hanks",
        "no preference", "no preference", "yes", "sure", "from the 80s please", "no", "lovely"],
    "title-nickname-punctuation": [
        "like Alien but funnier", "leo dicaprio", "no preference", "no preference", "yes", "no"],
    "punctuation": ["comedy", "no preference", "Tom Hanks", "PG", "no", "yes"],
    "runtime": ["something short and funny", "no preference", "no preference", "no preference",
                "how long is it?", "no", "that's too long, something shorter please", "no",
                "yes"],
    # the kinds newcomer 31's report left open: a lone name, one person in two roles, shorthand
    # titles relative to the film named, ratings in passing, an answer with a question, vague asks
    "lone-roles-shorthand": [
        "pacino", "comedy, what can you do?", "r is fine", "no preference",
        "no, how long is it?", "no", "no"],
    "roles-similar-vague": [
        "a drama Eastwood directed but didn't star in", "rating doesnt matter",
        "smth like unforgiven but newer", "idk you pick", "nope havent. who is in it?", "yes"],
    # the kinds a newcomer found after the first round
    **NEWCOMER_SCRIPTS,
    # round 6: remarks about the film, shorthand, "newer" than a named film, short replies
    "remarks-shorthand-relative": [
        "something like jaws but newer, nothin 2 gory", "w/o tom cruise", "no preference",
        "no preference", "lol thats a classic, who else is in it besides the lead",
        "who's the lead?", "ok", "hmm sorta", "naw", "8/10 would watch again", "k"],
}


@pytest.fixture(scope="module")
def legacy(chatbot_db_url: str, catalog: Catalog) -> Iterator[LegacyServer]:
    """The monolith, in this process, with the same parts and seed as the deployment."""
    with legacy_server(chatbot_db_url, catalog) as server:
        yield server


@pytest.fixture(scope="module")
def mesh(chatbot_db_url: str, legacy: LegacyServer) -> Iterator[puma.Deployment]:
    app = chatbot_app()
    with pytest.MonkeyPatch.context() as env:  # the deployment's processes inherit these
        env.setenv("DATABASE_URL", chatbot_db_url)
        env.delenv("CHATBOT_SESSION_STORE", raising=False)  # the default: the SQL store
        env.setenv("LEGACY_SOCKET_ADDR", f"127.0.0.1:{legacy.port}")
        with app.start(listener={"port": 0}) as deployment:
            yield deployment


@pytest.fixture(scope="module")
def store(chatbot_db_url: str) -> Iterator[SqlSessionStore]:
    """The deployment's conversations, read directly."""
    sessions = SqlSessionStore(chatbot_db_url)
    yield sessions
    sessions.close()


@pytest.fixture(scope="module")
def http(mesh: puma.Deployment) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mesh.url, timeout=60) as client:
        yield client


def turn(http: httpx.Client, sid: str, text: str, turn_no: int) -> dict[str, Any]:
    """One user turn as a careful client sends it: the same turn_no again on a failure."""
    payload = {"UUID": sid, "chatText": text, "mode": "false", "turn_no": turn_no}
    for attempt in range(8):
        try:
            resp = http.post("/agent", json=payload)
        except httpx.TransportError:
            resp = None
        if resp is not None and resp.status_code < 500:
            assert resp.status_code == 200, resp.text
            return resp.json()
        time.sleep(0.05 * 2 ** attempt)  # client back-off between re-sends
    raise AssertionError(f"turn {turn_no} of {sid} failed 8 times")


def drain(http: httpx.Client, sid: str) -> list[dict[str, Any]]:
    """Poll /listener until the queue of the last turn is empty."""
    polls = [http.post("/listener", data={"UUID": sid, "mode": "true"}).json()]
    while polls[-1]["passiveLen"]:
        polls.append(http.post("/listener", data={"UUID": sid, "mode": "true"}).json())
    return polls


def scripts(catalog: Catalog, count: int) -> list[tuple[str, str, str]]:
    """(genre, actor, rating) wishes that some well-known film meets, one actor each."""
    films = sorted((m for m in catalog if m.mpaa and m.cast and m.genres), key=lambda m: -m.votes)
    wishes: dict[str, tuple[str, str, str]] = {}
    for film in films:
        assert film.mpaa is not None  # the filter above
        wishes.setdefault(film.cast[0], (film.genres[0], film.cast[0], film.mpaa))
        if len(wishes) == count:
            break
    return list(wishes.values())


def run_conversation(http: httpx.Client, wish: tuple[str, str, str],
                     done: list[int]) -> dict[str, Any]:
    genre, actor, rating = wish
    sid = uuid.uuid4().hex  # chosen by the client, so even the first turn can be re-sent
    texts = ["", genre, actor, "no preference", rating, "no", "yes"]
    replies = []
    for turn_no, text in enumerate(texts, start=1):
        replies.append(turn(http, sid, text, turn_no))
        done.append(1)
    return {"sid": sid, "wish": wish, "texts": texts, "replies": replies, "polls": drain(http, sid)}


def run_all(http: httpx.Client, wishes: list[tuple[str, str, str]], done: list[int]) -> list[dict[str, Any]]:
    results: list[Any] = [None] * len(wishes)

    def one(i: int) -> None:
        results[i] = run_conversation(http, wishes[i], done)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(wishes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def check_conversation(result: dict[str, Any], store: SqlSessionStore) -> None:
    """Ends with a fitting film (or the no-match notice), then `end`; each turn stored once."""
    sid, (genre, actor, rating) = result["sid"], result["wish"]
    replies, said = result["replies"], [m for r in result["replies"] for m in r["messages"]]
    assert all(r["userid"] == sid for r in replies + result["polls"])
    assert [r["turn_no"] for r in replies] == list(range(1, len(replies) + 1))
    films = [r["recommendation"] for r in replies if r.get("recommendation")]
    if nlg.NO_EXACT_MATCH not in said and nlg.NO_RECOMMENDATION not in said:
        assert films and genre in films[-1]["genres"] and actor in films[-1]["cast"]
        assert films[-1]["mpaa"] == rating
    assert said[-1].startswith("Bye!") and result["polls"][-1]["signal"] == "end"
    transcript = store.transcript(sid)
    assert transcript is not None
    assert [h["u"] for h in transcript["history"]] == [[t] if t else [] for t in result["texts"]]
    assert [h["c"] for h in transcript["history"]] == [r["messages"] for r in replies]


def test_puma_app_config_gives_each_part_its_own_cluster() -> None:
    services = chatbot_app().resolved_config().puma_services
    assert {n: s.prefix for n, s in services.items()} == {
        "agent": "/agent", "listener": "/listener", "policy": "/policy", "sentiment": "/sentiment",
        "db": "/db", "web": "/", "survey": "/survey", "legacy": "/legacy"}
    assert services["agent"].idempotent and services["agent"].instances.min == 3
    assert services["policy"].instances.min == 2 and services["web"].target == "chatbot.webapp:serve_static"


@pytest.mark.parametrize("name", list(PARITY_SCRIPTS))
def test_puma_app_gives_the_same_messages_as_the_legacy_server(
        http: httpx.Client, legacy: LegacyServer, name: str) -> None:
    script = PARITY_SCRIPTS[name]
    with socket.create_connection(("127.0.0.1", legacy.port), timeout=30) as sock, \
            sock.makefile("rwb") as stream:
        expected = [_over_socket(stream, "-1", "", 1)]
        for turn_no, text in enumerate(script, start=2):
            expected.append(_over_socket(stream, expected[0]["userid"], text, turn_no))
    first = http.post("/agent", data={"UUID": "-1", "chatText": "", "mode": "false"}).json()
    got = [first] + [turn(http, first["userid"], text, n) for n, text in enumerate(script, start=2)]
    assert [r["messages"] for r in got] == [r["messages"] for r in expected]
    assert any(r["recommendation"] for r in got)
    assert not any(nlg.NOT_UNDERSTOOD in r["messages"] for r in got)
    bridged = [http.post("/legacy", data={"id": "-1", "text": "", "mode": "false"}).json()]
    for turn_no, text in enumerate(script, start=2):  # the page's "Legacy server" switch
        bridged.append(http.post("/legacy", data={"id": bridged[0]["userid"], "text": text,
                                                  "turn_no": turn_no}).json())
    assert [r["messages"] for r in bridged] == [r["messages"] for r in expected]


def test_puma_app_any_mix_of_constraint_phrases_gets_the_legacy_servers_answer(
        http: httpx.Client, legacy: LegacyServer) -> None:
    """One message asking for and ruling out ranges of one kind once gave HTTP 500 on both."""
    texts = random_constraint_messages(12, seed=17)
    with socket.create_connection(("127.0.0.1", legacy.port), timeout=30) as sock, \
            sock.makefile("rwb") as stream:
        expected = [_over_socket(stream, _over_socket(stream, "-1", "", 1)["userid"], text, 2)
                    for text in texts]
    got = [turn(http, http.post("/agent", data={"UUID": "-1", "chatText": "", "mode": "false"}
                                ).json()["userid"], text, 2) for text in texts]
    assert [r["messages"] for r in got] == [r["messages"] for r in expected]
    assert all(r["messages"] for r in got)


SIGNALS = {"listen", "end", "talk"}  # chatbot/listener.py: every reply carries one of them


@pytest.mark.parametrize("name", ["original", "negation-person-questions", "roles-similar-vague",
                                  "remarks-shorthand-relative"])
def test_puma_app_every_reply_carries_the_legacy_servers_signal(
        http: httpx.Client, legacy: LegacyServer, name: str) -> None:
    """Turns, polls by index and transcripts over a whole conversation: the same documented signal
    from the port and the monolith, never absent or null (newcomer 68 finding 12)."""
    script = ["", *PARITY_SCRIPTS[name]]
    with socket.create_connection(("127.0.0.1", legacy.port), timeout=30) as sock, \
            sock.makefile("rwb") as stream:
        def over_socket(request: dict[str, Any]) -> dict[str, Any]:
            stream.write(json.dumps(request).encode() + b"\n")
            stream.flush()
            return json.loads(stream.readline())
        expected = _signals(over_socket, script)

    def over_http(request: dict[str, Any]) -> dict[str, Any]:
        return http.post("/listener" if request["mode"] != "false" else "/agent", json=request).json()
    got = _signals(over_http, script)
    assert got == expected
    assert all(signal in SIGNALS for _, signal, _ in got), got
    assert got[-1][1] in ("end", "talk") and any(signal == "talk" for _, signal, _ in got), got


def _signals(send: Any, script: list[str]) -> list[tuple[str, Any, int]]:
    """(what was asked, its signal, passiveLen) of every reply of a conversation: each turn, each
    of its queued messages polled by index, and its transcript."""
    out: list[tuple[str, Any, int]] = []
    sid = "-1"
    for turn_no, text in enumerate(script, start=1):
        reply = send({"id": sid, "text": text, "mode": "false", "turn_no": turn_no})
        sid = reply["userid"]
        out.append((f"turn {turn_no}", reply.get("signal", "absent"), reply["passiveLen"]))
        for k in range(1, reply["passiveLen"] + 1):
            polled = send({"id": sid, "mode": "true", "index": k, "turn_no": turn_no})
            out.append((f"poll {turn_no}.{k}", polled.get("signal", "absent"), polled["passiveLen"]))
        out.append((f"transcript {turn_no}", send({"id": sid, "mode": "transcript"}).get("signal", "absent"), 0))
    return out


def _over_socket(stream: Any, sid: str, text: str, turn_no: int) -> dict[str, Any]:
    stream.write(json.dumps({"id": sid, "text": text, "mode": "false", "turn_no": turn_no}).encode() + b"\n")
    stream.flush()
    return json.loads(stream.readline())


def test_puma_app_20_concurrent_conversations_over_3_agents_complete_apart(
        mesh: puma.Deployment, http: httpx.Client, store: SqlSessionStore, catalog: Catalog) -> None:
    assert len(mesh.instances("agent")) == 3 and mesh.config.lb_policy("agent") == "round_robin"
    results = run_all(http, scripts(catalog, 20), done=[])
    for result in results:
        check_conversation(result, store)
    assert len({r["sid"] for r in results}) == 20


def test_puma_app_killing_an_agent_and_a_policy_instance_loses_no_conversation(
        mesh: puma.Deployment, http: httpx.Client, store: SqlSessionStore, catalog: Catalog) -> None:
    victims = [mesh.instances("agent")[0].pid, mesh.instances("policy")[0].pid]
    done: list[int] = []
    killer = threading.Thread(target=_kill_when, args=(done, 30, victims))
    killer.start()
    results = run_all(http, scripts(catalog, 20), done)
    killer.join()
    for result in results:
        check_conversation(result, store)
    assert all(result["replies"][-1]["turn_no"] == 7 for result in results)
    assert not set(victims) & {i.pid for n in ("agent", "policy") for i in mesh.instances(n)}
    wait_for(lambda: len(mesh.instances("agent")) == 3 and len(mesh.instances("policy")) == 2,
             timeout_s=20, message="the killed instances to be replaced")


def _kill_when(done: list[int], turns: int, pids: list[int]) -> None:
    wait_for(lambda: len(done) >= turns, timeout_s=60, message=f"{turns} turns")
    for pid in pids:
        os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize(("body", "content_type", "status", "needle"), [
    (b'{"UUID": "-1", "chatText": ', "application/json", 400, "malformed JSON"),
    (b'{"chatText": "hello", "mode": "false"}', "application/json", 400, "UUID: missing"),
    (b"UUID=-1&chatText=hi&admin=1", "application/x-www-form-urlencoded", 400, "unknown field"),
    (b'["UUID", "-1"]', "application/json", 400, "JSON object"),
    (b'{"UUID": "no-such-session", "chatText": "hi"}', "application/json", 404, "unknown session"),
    (b'{"UUID": "-1", "chatText": "hi", "turn_no": 4}', "application/json", 409, "turn 1"),
    (json.dumps({"UUID": "-1", "chatText": "x" * 1_000_000}).encode(), "application/json", 413,
     "too large"),
    (os.urandom(4096), "application/octet-stream", 415, "not accepted"),
    (b"\xff\xfe\x00garbage\x80", "application/json", 400, "malformed JSON"),
], ids=["malformed-json", "missing-uuid", "unknown-field", "json-array", "unknown-session",
        "out-of-order", "1mb-text", "binary-garbage", "non-utf8-json"])
def test_puma_app_bad_input_gets_a_clear_error_and_the_agent_keeps_serving(
        mesh: puma.Deployment, http: httpx.Client, body: bytes, content_type: str, status: int,
        needle: str) -> None:
    pids = {i.pid for i in mesh.instances("agent")}
    resp = http.post("/agent", content=body, headers={"content-type": content_type})
    assert resp.status_code == status
    error = resp.json()
    assert needle in f"{error.get('error')} {error.get('detail', '')}"
    ok = http.post("/agent", data={"UUID": "-1", "chatText": "", "mode": "false"})
    assert ok.status_code == 200 and ok.json()["response"] == nlg.INTRO
    assert {i.pid for i in mesh.instances("agent")} == pids


def test_puma_app_listener_only_polls(http: httpx.Client) -> None:
    sid = http.post("/agent", json={"UUID": "-1", "chatText": "", "mode": "false"}).json()["userid"]
    refused = http.post("/listener", data={"UUID": sid, "chatText": "comedy", "mode": "false"})
    assert refused.status_code == 400 and "/agent" in refused.json()["error"]
    polled = http.post("/listener", json={"UUID": sid, "mode": "true"}).json()
    assert polled["userid"] == sid and polled["passiveLen"] == 0 and polled["response"]
    assert http.post("/listener", data={"UUID": "nobody", "mode": "true"}).status_code == 404
