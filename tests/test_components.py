"""The dialog's collaborators as PUMA serves them: each part's own functions and methods behind
HTTP and JSON (the service side of the port, without a deployment), and the same conversation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chatbot.bot import Chatbot
from chatbot.catalog import Catalog
from chatbot.components import CachedDb, CachedSentiment, Components
from chatbot.policy import decide
from puma.endpoints import serve
from puma.service import build_app
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
        self.hops.append(self.name)
        fields = {**dict(zip(self.methods[method]["parameters"], args, strict=False)), **kwargs}
        resp = self.http.post(f"/{self.name}/{method}".rstrip("/"), json=fields)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return resp.get_json()


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
    wrap = {"db": CachedDb, "sentiment": CachedSentiment, "policy": lambda part: part}
    cached = Components.assemble(lambda name: wrap[name](OverHttp(name, served[name], cached_hops)))
    first = said(talk(Chatbot(components=cached, seed=5), script))
    second = said(talk(Chatbot(components=cached, seed=5), script))
    assert first == second == expected
    assert 0 < cached_hops.count("db") < plain_hops.count("db") / 2
    assert 0 < cached_hops.count("sentiment") <= plain_hops.count("sentiment") / 2


class CountingDb:
    """A `Db` that counts its calls; `movie(0)` fails the way a missing film does."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def movie(self, movie_id: int) -> dict[str, Any]:
        self.calls.append(("movie", movie_id))
        if movie_id == 0:
            raise LookupError("no film with id 0")
        return {"id": movie_id, "cast": ["A", "B"]}

    def search(self, constraints: Any) -> list[int]:
        self.calls.append(("search", constraints))
        return [3, 1, 2]

    def find_title(self, text: str) -> dict[str, Any] | None:
        self.calls.append(("find_title", text))
        return None

    def rank(self, candidate_ids: list[int], like: list[int], avoid: list[int], limit: int | None,
             genres: list[str] | None = None, actors: list[str] | None = None) -> list[int]:
        self.calls.append(("rank", limit))
        return sorted(candidate_ids)[:limit]


def test_cached_db_answers_a_repeated_lookup_from_memory_and_keeps_different_ones_apart() -> None:
    inner = CountingDb()
    db = CachedDb(inner)  # type: ignore[arg-type]  # a counting stand-in for the db
    wish = [{"slot": "genre", "values": ["comedy"], "exclude": False}]
    reordered = [{"exclude": False, "values": ["comedy"], "slot": "genre"}]
    assert db.search(wish) == db.search(reordered) == [3, 1, 2]
    assert db.search([{**wish[0], "exclude": True}]) == [3, 1, 2]
    assert db.rank([3, 1, 2], [], [], 1) == db.rank([3, 1, 2], [], [], 1) == [1]
    assert db.rank([3, 1, 2], [], [], 2) == [1, 2]
    assert db.rank([3, 1, 2], [], [], 2, ["comedy"]) == db.rank([3, 1, 2], [], [], 2, ["comedy"])  # asked genres: a key
    assert db.find_title("Alien") is None and db.find_title("Alien") is None
    assert [c[0] for c in inner.calls] == ["search", "search", "rank", "rank", "rank", "find_title"]


def test_cached_db_hands_out_copies_so_a_caller_cannot_change_the_next_answer() -> None:
    db = CachedDb(CountingDb())  # type: ignore[arg-type]  # a counting stand-in for the db
    db.movie(7)["cast"].append("intruder")
    db.search([])[:] = []
    assert db.movie(7) == {"id": 7, "cast": ["A", "B"]}
    assert db.search([]) == [3, 1, 2]


def test_cached_db_does_not_remember_a_failure_and_stays_within_its_bound() -> None:
    inner = CountingDb()
    db = CachedDb(inner, max_entries=3)  # type: ignore[arg-type]  # a counting stand-in for the db
    for _ in range(2):
        with pytest.raises(LookupError):
            db.movie(0)
    assert inner.calls.count(("movie", 0)) == 2
    for movie_id in (1, 2, 3, 4):
        db.movie(movie_id)
    db.movie(1)  # the least recently used went first
    assert inner.calls.count(("movie", 1)) == 2 and len(db.memo) == 3


@pytest.mark.parametrize(("path", "body", "status", "needle"), [
    ("/db/drop_tables", {}, 404, "no method 'drop_tables'"),
    ("/db/search", {"nope": 1}, 400, "constraints: missing"),
    ("/db/movie", {"movie_id": "one"}, 400, "movie_id: 'one' is not valid (expected int)"),
    ("/db/movie", {"movie_id": 10**9}, 404, "no film with id"),
    ("/db/rank", {"candidate_ids": [1], "like": [], "avoid": "x", "limit": None}, 400, "avoid: 'x'"),
    ("/db/_catalog", {}, 404, "no method '_catalog'"),
    ("/db", {}, 404, "methods at <prefix>/<method>"),
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


def test_cached_sentiment_scores_each_text_once_and_hands_out_its_own_dict() -> None:
    asked: list[str] = []

    def score(text: str) -> dict[str, float]:
        asked.append(text)
        return {"compound": -0.5 if "awful" in text else 0.5}

    sentiment = CachedSentiment(score)
    first = sentiment("that sounds awful")
    first["compound"] = 99.0
    assert sentiment("that sounds awful") == {"compound": -0.5}
    assert sentiment("sounds great") == {"compound": 0.5}
    assert sentiment("That sounds awful") == {"compound": -0.5}  # another text: asked again
    assert asked == ["that sounds awful", "sounds great", "That sounds awful"]
