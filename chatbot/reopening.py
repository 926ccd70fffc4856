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

from chatbot.acts import inner_question, split_question

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
    ("nope wait": "another?" asked again), "another" ("one more pls", "another but older"),
    or None: a question ("wait, is Ford in it?", "one more question: is it long") is
    answered about the film taken and the chat stays over."""
    words = list(nlu.get("words") or ())
    if split_question(text) or inner_question(text) or "question" in words or "questions" in words:
        return None
    if retracted(words):
        return "ask"
    return "another" if nlu.get("intent") == "another" else None
