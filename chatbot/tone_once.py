"""One lighter step however many ways a message says it. "hmm maybe something less intense,
like lighter", "something less heavy, a bit less intense" and "a tamer, lighter one" each ask
once for a gentler film: the milder ratings (and no horror or war) that "less intense" or
"tamer" asks for alone, never those and then a move to comedies for "lighter" on top, nor
two notes saying what the catalogue cannot measure. Pure; no IO. Example::

    once = one_tone_move({"constraints": [{"slot": "mpaa", "values": ["G", "PG"],
                                           "exclude": False}],
                          "complaint": {"tones": [("dark", "less")]}, "notes": []})
    once["complaint"]["tones"]   # []
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chatbot.lexicon import APPROXIMATIONS

_MILD = frozenset(("G", "PG", "PG-13"))
_LIGHTER = ("dark", "less")
# a film kept from being sad says less than one kept gentle, which leaves horror and war out too
_SAD_NOTES = frozenset(str(APPROXIMATIONS[k].get("negated_note", APPROXIMATIONS[k]["note"]))
                       for k in ("sad", "sad film"))
_GENTLE_NOTE = str(APPROXIMATIONS["gentle"]["note"])


def one_tone_move(understood: Mapping[str, Any]) -> dict[str, Any]:
    """``understood`` with a lighter tone said beside a milder rating wish read as that wish
    alone, and the wishes and notes it repeated said once."""
    constraints = list(understood.get("constraints") or ())
    if not any(_milder(c) for c in constraints):
        return dict(understood)
    found = dict(understood)
    complaint = understood.get("complaint")
    if complaint and any(tuple(t) == _LIGHTER for t in complaint.get("tones") or ()):
        rest = dict(complaint, tones=[t for t in complaint["tones"] if tuple(t) != _LIGHTER])
        found["complaint"] = rest if any(rest.values()) else None  # nothing else complained of
    notes = list(understood.get("notes") or ())
    if _GENTLE_NOTE in notes:
        found["notes"] = [n for n in notes if n not in _SAD_NOTES]
    found["constraints"] = _distinct(constraints)
    return found


def _milder(wish: Mapping[str, Any]) -> bool:
    values = set(wish.get("values") or ())
    return wish.get("slot") == "mpaa" and not wish.get("exclude") and bool(values) and values <= _MILD


def _distinct(constraints: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """"no war or horror" said twice (by "less heavy" and "less intense") is one wish."""
    seen: set[tuple[str, bool, frozenset[str]]] = set()
    kept = []
    for wish in constraints:
        key = (str(wish.get("slot")), bool(wish.get("exclude")), frozenset(map(str, wish.get("values") or ())))
        if key not in seen:
            seen.add(key)
            kept.append(wish)
    return kept
