"""Helpers for the dialog tests: one set of in-process components per database, and a way to
run a scripted conversation."""

from __future__ import annotations

import functools
import random
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from chatbot.bot import Chatbot, Turn
from chatbot.catalog import Catalog
from chatbot.components import Components, local_components
from chatbot.dialog import Step
from chatbot.recommender import Recommender
from chatbot.sessions import MemorySessionStore, SessionStore
from legacy_socket_server import LegacyServer

# Conversations of the kinds a newcomer found on the first round:
# questions while a film is proposed, answers about watching, tone, restart, titles, ages,
# bounds, negation scope, known-for roles, running out of matches, "A or B?".
NEWCOMER_SCRIPTS = {
    "questions-while-proposed": [
        "crime", "no preference", "no preference", "no preference", "is Samuel L. Jackson in it?",
        "does it end happily?", "cast?", "no", "no", "which film did you show me first?", "no",
        "yes"],
    "watched-tone-restart": [
        "drama", "no preference", "no preference", "no preference", "saw it as a teenager",
        "another one please", "only saw the trailer", "meh", "👎", "start over", "a western",
        "no preference", "no preference", "no preference"],
    "titles-ages-older": [
        "like harry potter for my 10 year old", "hanks", "no preference", "is titanic any good?",
        "no", "something older", "no", "yes"],
    "scope-bounds-known-for": [
        "action, but not directed by Michael Bay", "spielberg", "nothing above PG-13", "no", "no",
        "another one please", "no", "yes"],
    "out-of-matches": [
        "a 90s sci-fi with Keanu Reeves", "no preference", "no preference", "yes", "next", "yes",
        "next", "yes", "next", "yes", "next", "yes", "next", "no"],
    "approximations-choices": [
        "a superhero flick from the 70s or 80s", "anderson", "wes", "no horror please", "no",
        "no preference", "no", "yeah it sucks", "ok bye"],
}


@functools.cache
def components_for(url: str, catalog: Catalog) -> Components:
    """Catalogue, recommender and name index are built once per test session (~6 s)."""
    return local_components(catalog, Recommender.load(url, catalog=catalog))


@contextmanager
def legacy_server(url: str, catalog: Catalog) -> Iterator[LegacyServer]:
    """The monolith in this process, on a free port, with the same parts and seed as the tests' bots."""
    bot = Chatbot(store=MemorySessionStore(), components=components_for(url, catalog))
    server = LegacyServer(bot, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join()


def talk(bot: Chatbot, lines: Iterable[str], session_id: str | None = None) -> list[Turn]:
    """Open a conversation (unless ``session_id``) and send ``lines``; every turn, in order."""
    turns = [] if session_id else [bot.turn(None, "")]
    sid = session_id or turns[0].session_id
    for line in lines:
        turns.append(bot.turn(sid, line))
    return turns


def said(turns: list[Turn]) -> list[str]:
    """All bot messages of ``turns``, flattened."""
    return [message for turn in turns for message in turn.messages]


def proposed(turn: Turn | Step) -> dict[str, Any]:
    """The film ``turn`` proposes; the test fails, quoting what the bot said instead, if it proposes none."""
    assert turn.recommendation is not None, f"no film proposed; the bot said {turn.messages}"
    return turn.recommendation


def stored_transcript(source: Chatbot | SessionStore, session_id: str) -> dict[str, Any]:
    """The transcript ``source`` holds for ``session_id``; the test fails if it holds none."""
    found = source.transcript(session_id)
    assert found is not None, f"no transcript stored for session {session_id!r}"
    return found


def films(turns: list[Turn]) -> list[dict[str, Any]]:
    """The distinct films proposed, in order."""
    seen: dict[int, dict[str, Any]] = {}
    for turn in turns:
        if turn.recommendation:
            seen.setdefault(turn.recommendation["id"], turn.recommendation)
    return list(seen.values())


# Constraint phrases of every shape the understanding reads (ranges asked for and ruled out,
# open and closed, years and lengths; values asked for and ruled out), to be joined at random
# into one message: no combination may raise (issue 17: "a 90s movie but nothing from 1995"
# once gave HTTP 500).
CONSTRAINT_PHRASES = (
    "a 90s movie", "nothing from 1995", "not too old", "not too new", "nothing too recent",
    "recent", "from 2000 onwards", "before the 80s", "after the 90s", "nothing before 1970",
    "between 1985 and 1995", "the 70s or 80s", "an old classic", "made after 2005",
    "something short", "a long one", "not too long", "under two hours", "nothing over three hours",
    "at least 90 minutes", "not under an hour", "a comedy", "no horror", "with Tom Hanks",
    "not with Adam Sandler", "directed by Steven Spielberg", "rated PG-13", "nothing rated R",
    "maybe not him", "actually", "wait no", "instead", "or", "but", "and",
)


def random_constraint_messages(count: int, seed: int, most: int = 5) -> list[str]:
    """``count`` messages of 2 to ``most`` phrases of ``CONSTRAINT_PHRASES`` each, seeded."""
    rng = random.Random(seed)
    joins = (", ", " and ", " but ", " ", ". ")
    return ["".join(rng.choice(joins) + p if i else p for i, p in
                    enumerate(rng.sample(CONSTRAINT_PHRASES, rng.randint(2, most))))
            for _ in range(count)]


def wishes_of(understood: dict) -> list[tuple]:
    """An understanding's constraints as ``(slot, values or range, exclude)`` tuples, in order."""
    return [(c["slot"], tuple(c.get("values") or c.get("range")), c["exclude"])
            for c in understood["constraints"]]
