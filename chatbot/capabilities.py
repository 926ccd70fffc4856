"""Questions about what the bot can tell ("can you tell me how long a movie is or who's in
it?", "what do you actually know about?") and impatience with its questions ("I don't want to
answer twenty questions", "just give me a good movie"). Pure; no IO. Read by ``chatbot.nlu``;
the reply is ``CAPABILITIES``. Example::

    asks_capability("can you tell me how long a movie is".split())   # True
    impatient("stop asking me questions".split())                      # True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

CAPABILITIES = (
    "Yes: for any film in my catalogue (it goes up to 2014) I can tell you its cast, director, "
    "year, length, MPAA rating and genres, and what critics thought of it, with their figures; "
    "I can also name a person's shortest, longest, newest or oldest film. Ask about the film I "
    "propose, or name one (\"how long is Heat?\"). I have no plot summaries, and I can't tell "
    "how a film feels.")
_ABLE = (("can", "you"), ("could", "you"), ("do", "you"), ("are", "you", "able", "to"),
         ("can", "u"), ("do", "u"), ("will", "you"))
_TELLING = frozenset("tell say know find look give show check".split())
# a film in general, not the one on the table: "how long *a movie* is"
_ANY_FILM = frozenset(("a movie", "a film", "movies", "films", "any movie", "any film",
                       "a movies", "each movie", "each film"))
_KNOWING = (("what", "do", "you", "know"), ("what", "do", "you", "actually", "know"),
            ("what", "can", "i", "ask"), ("what", "can", "you", "tell"),
            ("what", "do", "u", "know"), ("what", "kind", "of", "questions"),
            ("what", "sort", "of", "questions"))
_THE_FILM = frozenset("it this that its".split())
_IMPATIENT = (("twenty", "questions"), ("20", "questions"), ("so", "many", "questions"),
              ("too", "many", "questions"), ("stop", "asking"), ("no", "more", "questions"),
              ("enough", "questions"), ("enough", "with", "the", "questions"),
              ("just", "give", "me"), ("just", "recommend"), ("just", "suggest"),
              ("just", "show", "me"), ("just", "find", "me"), ("skip", "the", "questions"),
              ("all", "these", "questions"), ("quit", "asking"), ("just", "tell", "me", "one"),
              # hurry said beside a wish: "whatever, any action movie, go", "a horror film, asap"
              ("just", "pick"), ("just", "choose"), ("hurry",), ("hurry", "up"), ("asap",),
              ("right", "now"), ("quick",), ("quickly",), ("come", "on"), ("get", "on", "with", "it"),
              ("cut", "to", "the", "chase"), ("film", "already"), ("movie", "already"),
              ("one", "already"), ("just", "go"), ("lets", "go"), ("go", "go"), ("chop", "chop"),
              # the asking itself too slow: "meh this is taking too long", "this takes forever"
              ("taking", "too", "long"), ("takes", "too", "long"), ("taking", "so", "long"),
              ("taking", "forever"), ("takes", "forever"), ("taking", "ages"), ("takes", "ages"),
              ("take", "forever"), ("this", "is", "slow"), ("so", "slow"), ("too", "slow"),
              ("any", "day", "now"), ("any", "time", "now"), ("have", "all", "day"),
              ("still", "waiting"), ("speed", "this", "up"), ("speed", "it", "up"),
              ("how", "many", "more"), ("more", "questions"), ("these", "questions"),
              ("get", "to", "the", "point"), ("just", "a", "movie"), ("just", "a", "film"),
              ("just", "anything"), ("can", "we", "skip"), ("over", "these"), ("are", "we", "done"),
              ("done", "yet"), ("there", "yet"))


def asks_capability(words: Sequence[str]) -> bool:
    """A question about what the bot can tell of films in general: "can you tell me how long
    a movie is?", "do you know who's in films?", "what do you actually know about?"."""
    if set(words) & _THE_FILM:  # "what else can you tell me about it?": about the film
        return False
    if _has(words, _KNOWING):
        return True
    ends = [i + len(p) for p in _ABLE for i in range(len(words)) if tuple(words[i : i + len(p)]) == p]
    if not any(set(words[end : end + 2]) & _TELLING for end in ends):
        return False
    text = f" {' '.join(words)} "
    return any(f" {phrase} " in text for phrase in _ANY_FILM)


# accounts and lists kept elsewhere, which the bot cannot read: "based on my letterboxd?"
_ACCOUNTS = frozenset("letterboxd letterbox imdb trakt netflix hulu spotify goodreads mubi "
                      "watchlist account profile history ratings reviews diary".split())
_FROM_ACCOUNT = (("based", "on"), ("use",), ("read",), ("look", "at"), ("check",), ("import",),
                 ("connect",), ("link",), ("sync",), ("access",), ("see",), ("from",), ("off",))
_MINE = frozenset("my our".split())
# several values for one wish: "can i give you more than one actor?", "can i name two directors?"
_SEVERAL = (("more", "than", "one"), ("two",), ("several",), ("multiple",), ("a", "few"),
            ("a", "couple"), ("2",), ("3",), ("three",), ("many",), ("both",))
_ASKING_ME = (("can", "i"), ("could", "i"), ("may", "i"), ("is", "it", "ok", "to"), ("do", "you", "take"),
              ("can", "you", "take"), ("can", "you", "handle"), ("can", "you", "do"), ("is", "it", "possible"))
SLOT_WORDS = {"actor": "actor", "actors": "actor", "actress": "actor", "actresses": "actor",
              "stars": "actor", "people": "actor", "director": "director", "directors": "director",
              "genre": "genre", "genres": "genre", "ratings": "mpaa", "decades": "year"}


def asks_account(words: Sequence[str]) -> str | None:
    """"can you recommend based on my letterboxd?", "could you use my netflix history": the
    account named (which the bot cannot read), else None."""
    for i, word in enumerate(words):
        if word in _ACCOUNTS and i and words[i - 1] in _MINE and any(
                tuple(words[k : k + len(p)]) == p for p in _FROM_ACCOUNT for k in range(max(0, i - 5), i)):
            return word
    return None


def asks_several(words: Sequence[str]) -> str | None:
    """"can i give you more than one actor?": the slot asked about, else None."""
    if not _has(words[:6], _ASKING_ME) or not _has(words, _SEVERAL):
        return None
    return next((SLOT_WORDS[w] for w in words if w in SLOT_WORDS), None)


_NAMES = {"letterboxd": "Letterboxd", "letterbox": "Letterboxd", "imdb": "IMDb", "trakt": "Trakt",
          "netflix": "Netflix", "hulu": "Hulu", "spotify": "Spotify", "goodreads": "Goodreads",
          "mubi": "MUBI"}
_TOGETHER = {"actor": ("Tom Hanks and Meg Ryan", "Tom Hanks or Meg Ryan"),
             "director": ("Joel Coen and Ethan Coen", "Spielberg or Scorsese"),
             "genre": ("horror and comedy", "horror or comedy"),
             "mpaa": ("", "PG or PG-13"), "year": ("", "the 70s or the 80s")}


def capability_reply(decision: Mapping[str, Any]) -> str:
    """What the bot can do, as asked: an account it can't read, several values for one wish,
    films after its catalogue's last year (a truthful "No"), else ``CAPABILITIES``."""
    if decision.get("account"):
        account = str(decision["account"])
        named = f"your {_NAMES[account]}" if account in _NAMES else f"your {account}"
        return (f"No, I can't read {named} or any list of yours; I only go by what you tell me "
                "here: a genre, actors, a director, years, length and rating, or films you "
                "loved (\"something like Heat\").")
    if decision.get("several"):
        both, either = _TOGETHER[str(decision["several"])]
        return "Yes: name them in one message" + (f', "{both}" for both' if both else "") + (
            f', "{either}" for either.')
    if decision.get("after") and decision.get("last_year"):
        last = decision["last_year"]
        return (f"No: my catalogue ends in {last}, so I have no films from {decision['after']}. "
                f"Ask for \"the last few years\" for my newest ones (up to {last}).")
    return CAPABILITIES


def impatient(words: Sequence[str]) -> bool:
    """Impatience with being asked: "I don't want to answer twenty questions", "did you not
    read what I wrote? just give me a good movie", "stop asking and pick something"."""
    return _has(words, _IMPATIENT) or bool(words) and words[-1] == "go" and len(words) > 1 and (
        words[-2] not in _GO_OBJECTS)  # "any action movie, go" (not "where did it go")


_GO_OBJECTS = frozenset("it they he she did does will would to can should could".split())


def _has(words: Sequence[str], phrases: Sequence[tuple[str, ...]]) -> bool:
    return any(tuple(words[i : i + len(p)]) == p for p in phrases for i in range(len(words)))
