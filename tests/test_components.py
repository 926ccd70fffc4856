"""The dialog's collaborators as PUMA serves them: each part's own functions and methods behind
HTTP and JSON (the service side of the port, without a deployment), and the same conversation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chatbot.bot import Chatbot
from chatbot.catalog import Catalog
from chatbot.components import Components
from chatbot.policy import decide
from puma.endpoints import serve
from puma.remotes import _MISSING, Memo, _memo_key
from puma.serving import build_app
from tests.chatbot_helpers import NEWCOMER_SCRIPTS, components_for, said, talk


class OverHttp:
    """A part behind PUMA's service layer: calls become POSTs of JSON (as `puma.remote` sends
    them, arguments named from the service's interface) to a Flask test client."""

    def __init__(self, name: str, target: Any, hops: list[str]) -> None:
        self.name, self.hops = name, hops
        self.http = build_app(name, serve(target), prefix=f"/{name}", max_body_bytes=1 << 20).test_client()
        self.methods = self.http.get(f"/{name}/_puma/interface").get_json()["methods"]

    def __getattr__(self, method: str) -> Callable[..., Any]:
        return lambda *args, **kwargs: self._post(method, args, kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._post("", args, kwargs)

    def _post(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return self.post(method, self.fields(method, args, kwargs))

    def fields(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        return {**dict(zip(self.methods[method]["parameters"], args, strict=False)), **kwargs}

    def post(self, method: str, fields: dict[str, Any]) -> Any:
        self.hops.append(self.name)
        resp = self.http.post(f"/{self.name}/{method}".rstrip("/"), json=fields)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return resp.get_json()


class Remembered(OverHttp):
    """`OverHttp` that remembers answers as `puma.remote(name, cache=N)` does (`puma.remotes.Memo`,
    keyed by method and arguments): the port's agent asks its parts this way."""

    def __init__(self, name: str, target: Any, hops: list[str]) -> None:
        super().__init__(name, target, hops)
        self.memo = Memo(4096)

    def _post(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        fields = self.fields(method, args, kwargs)
        key = _memo_key(f"/{method}" if method else "", fields, f"{self.name}.{method}")
        found = self.memo.recall(key)
        if found is _MISSING:
            found = self.post(method, fields)
            self.memo.remember(key, found)
        return found


@pytest.mark.parametrize("script", [
    ["comedy with Jim Carey", "no preference", "PG-13", "no", "that sounds awful", "no", "no",
     "yes"],
    ["no dramas, and nothing rated R", "no preference", "Tom Hanx", "yes", "no preference",
     "no preference", "who directed it?", "is it any good?", "no", "I love it"],
    ["a 90s comedy by the Farrelly brothers rated PG-13", "with Jim Carrey and Jeff Daniels",
     "how long is it?", "no", "actually make it a thriller", "no", "yes"],
    ["I want something to watch with Tom Hanks", "sorry, I meant Meg Ryan, not Tom Hanks",
     "no preference", "no preference", "yes", "sure", "from the 80s please", "no", "lovely"],
    ["something short and funny", "no preference", "no preference", "no preference",
     "how long is it?", "no", "that's too long, something shorter please", "no", "yes"],
    *NEWCOMER_SCRIPTS.values(),
], ids=["original", "negation-person-questions", "volunteered-multi-correction",
        "watch-with-correction-dates", "runtime", *NEWCOMER_SCRIPTS])
def test_parts_served_over_http_give_the_same_conversation(chatbot_db_url: str, catalog: Catalog,
                                                           script: list[str]) -> None:
    local = components_for(chatbot_db_url, catalog)
    hops: list[str] = []
    served = {"db": local.db, "sentiment": local.sentiment, "policy": decide}
    remote = Components.assemble(lambda name: OverHttp(name, served[name], hops))
    expected = said(talk(Chatbot(components=local, seed=3), script))
    assert said(talk(Chatbot(components=remote, seed=3), script)) == expected
    assert {"db", "policy", "sentiment"} <= set(hops)


@pytest.mark.parametrize("script", [
    ["comedy with Jim Carey", "no preference", "PG-13", "no", "that sounds awful", "no", "no", "yes"],
    ["a 90s comedy by the Farrelly brothers rated PG-13", "with Jim Carrey and Jeff Daniels",
     "how long is it?", "no", "actually make it a thriller", "no", "yes"],
    ["no dramas, and nothing rated R", "no preference", "Tom Hanx", "yes", "no preference",
     "no preference", "who directed it?", "is it any good?", "no", "I love it"],
], ids=["original", "correction", "negation"])
def test_cached_parts_give_the_same_conversation_with_fewer_calls(chatbot_db_url: str, catalog: Catalog,
                                                                   script: list[str]) -> None:
    local = components_for(chatbot_db_url, catalog)
    served = {"db": local.db, "sentiment": local.sentiment, "policy": decide}
    plain_hops: list[str] = []
    plain = Components.assemble(lambda name: OverHttp(name, served[name], plain_hops))
    expected = said(talk(Chatbot(components=plain, seed=5), script))
    said(talk(Chatbot(components=plain, seed=5), script))  # the same conversation twice
    cached_hops: list[str] = []
    cached = Components.assemble(lambda name: Remembered(name, served[name], cached_hops))
    first = said(talk(Chatbot(components=cached, seed=5), script))
    second = said(talk(Chatbot(components=cached, seed=5), script))
    assert first == second == expected
    assert 0 < cached_hops.count("db") < plain_hops.count("db") / 2
    assert 0 < cached_hops.count("sentiment") <= plain_hops.count("sentiment") / 2


@pytest.mark.parametrize(("path", "body", "status", "needle"), [
    ("/db/drop_tables", {}, 404, "no method 'drop_tables'"),
    ("/db/search", {"nope": 1}, 400, "constraints: missing"),
    ("/db/movie", {"movie_id": "one"}, 400, "movie_id: 'one' is not valid (expected int)"),
    ("/db/movie", {"movie_id": 10**9}, 404, "no film with id"),
    ("/db/rank", {"candidate_ids": [1], "like": [], "avoid": "x", "limit": None}, 400, "avoid: 'x'"),
    ("/db/_catalog", {}, 404, "no method '_catalog'"),
    ("/db", {}, 404, "methods at /db/<method>"),
])
def test_db_service_refuses_bad_calls_naming_what_is_wrong(chatbot_db_url: str, catalog: Catalog, path: str,
                                                          body: dict[str, Any], status: int, needle: str) -> None:
    http = build_app("db", serve(components_for(chatbot_db_url, catalog).db), prefix="/db",
                     max_body_bytes=1 << 20).test_client()
    resp = http.post(path, json=body)
    assert resp.status_code == status and needle in resp.get_json()["error"], resp.get_json()


@pytest.mark.parametrize(("body", "status", "needle"), [
    ({"state": {}, "sentiment": {}}, 400, "nlu: missing"),
    ({"state": [], "nlu": {}, "sentiment": {}}, 400, "state: [] is not valid"),
    ({"state": {}, "nlu": {}, "sentiment": {"compound": "very"}}, 400, "sentiment['compound']"),
])
def test_policy_service_refuses_arguments_of_the_wrong_shape(body: dict[str, Any], status: int, needle: str) -> None:
    http = build_app("policy", decide, prefix="/policy", max_body_bytes=1 << 20).test_client()
    resp = http.post("/policy", json=body)
    assert resp.status_code == status and needle in resp.get_json()["error"], resp.get_json()


def test_sentiment_service_scores_text_and_refuses_a_number(chatbot_db_url: str, catalog: Catalog) -> None:
    http = build_app("sentiment", serve(components_for(chatbot_db_url, catalog).sentiment), prefix="/sentiment",
                     max_body_bytes=1 << 20).test_client()
    assert http.post("/sentiment", json={"text": "that sounds awful"}).get_json()["compound"] < 0
    refused = http.post("/sentiment", json={"text": 3})
    assert refused.status_code == 400 and refused.get_json()["problems"][0]["parameter"] == "text"


def test_assembled_understanding_reads_each_repeated_answer_once(chatbot_db_url: str, catalog: Catalog,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from chatbot.nlu import Understander

    local = components_for(chatbot_db_url, catalog)
    reads: list[tuple[str, str | None]] = []
    read = Understander.__call__

    def counted(self: Understander, text: str, expect: str | None = None) -> dict[str, Any]:
        reads.append((text, expect))
        return read(self, text, expect)

    monkeypatch.setattr(Understander, "__call__", counted)
    parts = Components.assemble({"db": local.db, "sentiment": local.sentiment, "policy": decide}.__getitem__)
    said_in_turn = [("no", None), ("No preference", "actor"), ("no", None), ("rated PG-13", "mpaa"),
                    ("No preference", "actor"), ("no", "genre"), ("rated PG-13", "mpaa"), ("no", None)]
    answers = [parts.nlu(text, expect) for text, expect in said_in_turn]
    assert reads == [("no", None), ("No preference", "actor"), ("rated PG-13", "mpaa"), ("no", "genre")]
    assert answers[0] == answers[2] == answers[7] and answers[1] == answers[4] and answers[3] == answers[6]
    assert answers[3]["mpaa"] == "PG-13"


@pytest.mark.parametrize("text", ["no", "comedy with Jim Carey", "nothing rated R, and no horror",
                                  "is Tom Hanks in it?", "something from the 90s please"])
def test_remembered_understanding_gives_each_caller_its_own_copy(text: str) -> None:
    from chatbot.components import RememberedNlu

    def understand(said: str, expect: str | None) -> dict[str, Any]:
        return {"text": said, "expect": expect, "people": [{"name": "x", "negated": False}], "words": said.split()}

    nlu = RememberedNlu(understand)
    first = nlu(text, "genre")
    first["people"][0]["negated"] = True  # the dialog changes what it is given ("taken", scope)
    first["words"].append("changed")
    first["taken"] = 7
    again = nlu(text, "genre")
    assert again == understand(text, "genre")
    again["people"].clear()
    assert nlu(text, "genre") == understand(text, "genre")


def test_remembered_understanding_keeps_only_the_latest_pairs() -> None:
    from chatbot.components import RememberedNlu

    reads: list[str] = []

    def understand(said: str, expect: str | None) -> dict[str, Any]:
        reads.append(said)
        return {"text": said}

    nlu = RememberedNlu(understand, size=2)
    for text in ["yes", "no", "yes", "maybe", "no", "yes"]:
        assert nlu(text, None) == {"text": text}
    assert reads == ["yes", "no", "maybe", "no", "yes"]  # "no" went out after "yes" was asked again
