"""Replies to "Have you watched this movie before?" that are no plain yes or no, read the same
whatever their form. Pure; part of ``chatbot.proposal_answers``.

- Indifference ("whatever", "fine whatever", "idc", "meh whatever") says nothing of having
  watched it: every form is read alike, as not seen (the bot asks whether they like it).
- Boredom told of the film ("fell asleep halfway through", "dozed off", "snoozefest", "couldn't
  finish it") has watched it and disliked it: another film.
- A thumbs-down ("👎", "thumbs down") is a dislike of the film shown, never "not seen".
- The choice left to the bot ("just pick", "omg you decide") while a film is shown takes it.

Example::

    indifferent(["fine", "whatever"])                  # True
    bored_by_it(["fell", "asleep", "halfway", "through"])  # True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

_INDIFFERENT = frozenset("whatever whatevs whatev whatevr idc idgaf".split())
# words that leave a "whatever" indifferent ("fine whatever", "ok whatever lol")
_INDIFFERENT_FILLERS = frozenset("""fine ok okay k sure yeah yea ya yes meh eh i guess so um hmm
    lol tbh honestly really then just man bro dude ugh""".split())
_ASLEEP = frozenset("asleep dozed dozing snoozed snoozing snoozefest snoozer yawn yawnfest yawner "
                    "boring bored zzz zzzz".split())
_GAVE_UP = (("turned", "it", "off"), ("switched", "it", "off"), ("gave", "up", "on"), ("walked", "out"),
            ("to", "sleep"))  # "put me to sleep"
_FINISH = frozenset("finish finished finishing".split())
_NOT = frozenset("not never didnt couldnt cant".split())
_THUMBS_DOWN = (("thumbs", "down"), ("thumb", "down"))


def indifferent(nlu: Mapping[str, Any]) -> bool:
    """"whatever", "fine whatever", "idc", "don't care": no answer either way."""
    words = [w for w in nlu.get("words") or () if w.isalnum()]
    if nlu.get("watching") or nlu.get("verdict") or nlu.get("delegate"):
        return False  # "ok whatever you think" leaves the choice to the bot: ``delegates``
    if nlu.get("intent") == "no_preference":
        return True
    return bool(_INDIFFERENT & set(words)) and all(w in _INDIFFERENT or w in _INDIFFERENT_FILLERS
                                                   for w in words)


def bored_by_it(words: Sequence[str]) -> bool:
    """"fell asleep halfway through tbh", "couldn't finish it": watched, and disliked."""
    said = [w for w in words if w.isalnum()]
    unfinished = any(w in _FINISH and _NOT & set(said[max(0, i - 3) : i]) for i, w in enumerate(said))
    return bool(_ASLEEP & set(said)) or _has(said, _GAVE_UP) or unfinished  # "couldn't even finish it"


def thumbs_down(nlu: Mapping[str, Any]) -> bool:
    """"👎", "thumbs down": a dislike of the film shown."""
    said = [w for w in nlu.get("words") or () if w.isalnum()]
    return nlu.get("social") == "emoji" and nlu.get("intent") == "no" or _has(said, _THUMBS_DOWN)


def delegates(nlu: Mapping[str, Any]) -> bool:
    """"just pick", "omg you decide", "your call" while a film is shown: the bot decides, so
    the film shown is taken; "pick another" asks for another one instead."""
    return bool(nlu.get("delegate")) and not nlu.get("asks_other") and nlu.get("intent") not in (
        "another", "no") and not nlu.get("question")


def _has(words: Sequence[str], phrases: Sequence[tuple[str, ...]]) -> bool:
    return any(tuple(words[i : i + len(p)]) == p for p in phrases for i in range(len(words)))
