"""Words after the goodbye that take it back: "another", "actually one more", "nope wait".

The conversation ends on a film taken ("Enjoy Heat."), but people often change their mind at
once: a request for another film is one (proposed with the wishes kept, the film taken left
out), and a bare "wait" / "hold on" takes the goodbye back, so "another?" is asked again.
Pure; no IO. Example::

    retracted(["nope", "wait"])     # True: the "no" before it is taken back
    retracted(["no", "thanks"])     # False
    reopens("actually one more", {"intent": "another", "words": [...]})   # "another"
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chatbot.acts import split_question

# "wait", "hold on", "hang on", "wait up": the words before them are taken back
_TAKE_BACKS = (("wait",), ("hold", "on"), ("hang", "on"), ("wait", "up"), ("wait", "a", "sec"),
               ("one", "sec"), ("wait", "actually"), ("actually", "wait"))
# what may stand before a take-back: a yes, a no or a filler ("no no wait", "oh wait")
_BEFORE = frozenset("""no nope nah naw yes yeah yep ok okay oh um uh hmm hm ah oops sorry
    actually hey erm er no""".split())
_MOST_WORDS = 5


def retracted(words: Sequence[str]) -> bool:
    """``words`` (folded) end on a take-back and say nothing else: "nope wait", "oh wait",
    "no no hold on"."""
    words = [w for w in words if w.isalnum()]
    if not words or len(words) > _MOST_WORDS:
        return False
    for back in _TAKE_BACKS:
        if tuple(words[-len(back):]) == back:
            return all(w in _BEFORE for w in words[: -len(back)])
    return False


def reopens(text: str, nlu: Mapping[str, Any]) -> str | None:
    """How ``text`` (understood as ``nlu``) said after the goodbye reopens the chat: "ask"
    ("nope wait": "another?" asked again), "another" ("one more pls", "wait, something
    shorter?", "actually make it a comedy"), or None: a question about the film taken
    ("wait, is Ford in it?", "one more question: is it long") is answered and the chat stays
    over, and a new search said with no change of mind ("find me something with Tom Hanks
    now") is told how to start again."""
    words = list(nlu.get("words") or ())
    if "question" in words or "questions" in words:
        return None
    if retracted(words):
        return "ask"
    wishes = bool(nlu.get("asks_other") or nlu.get("constraints") or nlu.get("people"))
    if nlu.get("about_film") and not wishes or split_question(text) and not nlu.get("request"):
        return None
    if nlu.get("intent") == "another":
        return "another"
    return "another" if _takes_back(words) and nlu.get("request") and wishes else None


def _takes_back(words: Sequence[str]) -> bool:
    """The words open on a change of mind: "wait ...", "hmm actually ...", "oh hold on ..."."""
    rest = list(words)
    while rest and rest[0] in _BEFORE - {"actually"}:
        rest = rest[1:]
    return bool(rest) and (rest[0] in ("wait", "actually") or tuple(rest[:2]) in (
        ("hold", "on"), ("hang", "on"), ("on", "second")))
