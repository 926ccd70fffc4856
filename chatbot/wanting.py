"""Wanting the film shown is taking it: "i'll take it", "still want it", "we watch it",
"seen it, i'll take it anyway", "we'll go with that one". Pure; no IO.

Said to a proposal these are a plan to watch it (``watching="future"``), whatever else the
message says about having seen it: "seen it, i'll take it anyway" takes the film ("Enjoy X"),
never "I won't propose it again", and "no i havent, i'll take it" at "another one?" takes it,
never a new film. A denial before the verb ("don't want it", "won't take that") or words
after the object that make it a wish ("want it shorter", "want that one with Pacino") take
the reading away; a bare present "watch it" is a plan only after "I"/"we" ("we watch it"),
never a habit ("we watch it every christmas"). Example::

    wants_film("yes seen it ill take it anyway bye".split())   # True
    wants_film("i want it shorter".split())                     # False
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chatbot.acceptance import told_as_past

# before the verb: a person or a modal that makes it theirs (folded: "I'll" is "ill",
# "we'll" is "well", "I'd" is "id")
_TAKERS = frozenset("i we ill well id wed gonna will still lets let ok okay yes yeah sure "
                    "fine then def definitely totally".split())
_MODALS = frozenset("ill well id wed gonna will lets let shall".split())
_VERBS = frozenset("take want have pick choose watch do".split())
_NEEDS_MODAL = frozenset(("have", "do"))  # "I have it" (own it), "I do it" are no plans
_OBJECTS = frozenset("it that this".split())
_DENIALS = frozenset("not dont wont never cant nah wouldnt didnt doesnt hardly no nope "
                     "neither nor".split())
# after the object: the film wished otherwise, or a habit ("watch it every year")
_WISHING = frozenset("with without but if from like less more to as than instead every "
                     "all alot each on".split())


def wants_film(words: Sequence[str]) -> bool:
    """Whether the folded, unpunctuated ``words`` take the film on the table."""
    for i, word in enumerate(words):
        if word in _VERBS and _object_at(words, i + 1) and _taken_by(words, i):
            return True
        if word == "go" and words[i + 1 : i + 2] == ["with"] and _object_at(words, i + 2) and _taken_by(words, i):
            return True  # "we'll go with that one"
    return False


def with_wanting(understood: dict[str, Any], expect: str | None) -> dict[str, Any]:
    """``understood`` with the film taken (``watching="future"``) when its words take it."""
    if expect is not None or understood.get("question") or understood.get("verdict") == "disliked":
        return understood
    if not wants_film(understood.get("words") or ()):
        return understood
    return dict(understood, watching="future")


def _object_at(words: Sequence[str], at: int) -> bool:
    if at >= len(words) or words[at] not in _OBJECTS:
        return False
    after = at + 1 + (words[at + 1 : at + 2] in (["one"], ["film"], ["movie"]))
    following = words[after : after + 1]
    if told_as_past(words, after):  # "yes, i watch it already": watched, no plan
        return False
    return not following or following[0] not in _WISHING and not following[0].endswith("er")


def _taken_by(words: Sequence[str], i: int) -> bool:
    """Someone takes it: a person or modal just before the verb, and no denial."""
    before = words[max(0, i - 3) : i]
    if set(before) & _DENIALS and not _answer_no(words, i):
        return False
    near = words[max(0, i - 2) : i]
    if words[i] in _NEEDS_MODAL:
        return bool(set(near) & _MODALS)
    if words[i] == "watch":  # "we watch it": a plan; "ill watch it" is read already
        return near[-1:] in (["we"], ["i"], ["ill"], ["well"])
    return bool(set(near) & _TAKERS)


def _answer_no(words: Sequence[str], i: int) -> bool:
    """The denial answers the question before ("no i havent seen it, ill take it"): a
    seen-it verb stands between it and this verb."""
    before = words[max(0, i - 3) : i]
    return "seen" in words[:i] and not set(before) & {"not", "dont", "wont", "never", "cant"}
