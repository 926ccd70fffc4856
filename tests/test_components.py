"""The collaborators behind JSON requests: what the PUMA port swaps in."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from chatbot.bot import Chatbot
from chatbot.catalog import Catalog
from chatbot.components import (
    Components,
    remote_components,
    serve_db,
    serve_policy,
    serve_sentiment,
)
from chatbot.errors import InvalidRequest
from tests.chatbot_helpers import NEWCOMER_SCRIPTS, components_for, said, talk


def _over_json(serve: Callable[[dict], Any], log: list[str], name: str) -> Callable[[dict], Any]:
    """A fake network hop: the request and the reply must survive JSON."""

    def call(request: dict) -> Any:
        log.append(name)
        return json.loads(json.dumps(serve(json.loads(json.dumps(request)))))

    return call


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
def test_remote_components_give_the_same_conversation(chatbot_db_url: str, catalog: Catalog,
                                                      script: list[str]) -> None:
    local = components_for(chatbot_db_url, catalog)
    hops: list[str] = []
    remote: Components = remote_components(
        db_call=_over_json(lambda r: serve_db(local.db, r), hops, "db"),
        policy_call=_over_json(serve_policy, hops, "policy"),
        sentiment_call=_over_json(lambda r: serve_sentiment(local.sentiment, r), hops,
                                  "sentiment"),
    )
    expected = said(talk(Chatbot(components=local, seed=3), script))
    assert said(talk(Chatbot(components=remote, seed=3), script)) == expected
    assert {"db", "policy", "sentiment"} <= set(hops)


@pytest.mark.parametrize("request_", [
    {"op": "drop_tables"}, {"op": "search", "args": {"nope": 1}}, {"op": "movie", "args": [1]},
    "search",
])
def test_serve_db_rejects_bad_requests(chatbot_db_url: str, catalog: Catalog,
                                       request_: Any) -> None:
    with pytest.raises(InvalidRequest):
        serve_db(components_for(chatbot_db_url, catalog).db, request_)


def test_serve_policy_and_sentiment_reject_bad_requests() -> None:
    with pytest.raises(InvalidRequest, match="nlu"):
        serve_policy({"state": {}, "sentiment": {}})
    with pytest.raises(InvalidRequest, match="text"):
        serve_sentiment(lambda t: {}, {"text": 3})
