"""Questions about what the bot can tell ("can you tell me how long a movie is or who's in
it?", "what do you actually know about?") and impatience with its questions ("I don't want to
answer twenty questions", "just give me a good movie"). Pure; no IO. Read by ``chatbot.nlu``;
the reply is ``CAPABILITIES``. Example::

    asks_capability("can you tell me how long a movie is".split())   # True
    impatient("stop asking me questions".split())                      # True
"""

from __future__ import annotations

from collections.abc import Sequence

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
              ("one", "already"), ("just", "go"), ("lets", "go"), ("go", "go"), ("chop", "chop"))


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


def impatient(words: Sequence[str]) -> bool:
    """Impatience with being asked: "I don't want to answer twenty questions", "did you not
    read what I wrote? just give me a good movie", "stop asking and pick something"."""
    return _has(words, _IMPATIENT) or bool(words) and words[-1] == "go" and len(words) > 1 and (
        words[-2] not in _GO_OBJECTS)  # "any action movie, go" (not "where did it go")


_GO_OBJECTS = frozenset("it they he she did does will would to can should could".split())


def _has(words: Sequence[str], phrases: Sequence[tuple[str, ...]]) -> bool:
    return any(tuple(words[i : i + len(p)]) == p for p in phrases for i in range(len(words)))
