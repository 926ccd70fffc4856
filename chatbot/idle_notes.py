"""A caveat that changes nothing is noise: the note of an approximated wish ("I can't see
whether a film is in colour, so I'll keep to films from before 1967") is left unsaid when the
user's own wishes in the same message already lie inside its bound ("black and white, 40s or
50s"). Pure; part of ``chatbot.nlu``. Example::

    idle_notes([COLOUR_NOTE], [(0, 2, {"slot": "year", "range": [1940, 1959], "exclude": False})])
    # []
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chatbot.lexicon import APPROXIMATIONS


def idle_notes(notes: Sequence[str], hits: Sequence[tuple]) -> list[str]:
    """``notes`` without those whose approximated bound the user's own wishes (``hits``:
    ``(start, end, constraint)``; approximations carry ``_fixed``) already keep inside."""
    own = [h[2] for h in hits if not h[2].get("_fixed") and not h[2].get("exclude")]
    idle = {note for note in notes if _bounds_of(note) and all(
        _implied(c, own) for c in _bounds_of(note))}
    return [n for n in notes if n not in idle]


def _bounds_of(note: str) -> list[Mapping[str, Any]]:
    """The year or rating bounds an approximation's ``note`` stands for ([] for others)."""
    for entry in APPROXIMATIONS.values():
        for said, found in ((entry["note"], entry.get("constraints")),
                            (entry.get("negated_note", entry["note"]), entry.get("negated"))):
            if said == note and found and all(c["slot"] in ("year", "mpaa") and not c["exclude"]
                                              for c in found):
                return list(found)
    return []


def _implied(bound: Mapping[str, Any], own: Sequence[Mapping[str, Any]]) -> bool:
    """Every wish of ``own`` in the bound's slot lies inside it (and there is one)."""
    mine = [c for c in own if c.get("slot") == bound["slot"]]
    if not mine:
        return False
    if bound["slot"] == "mpaa":
        return all(set(c.get("values") or ()) <= set(bound["values"]) and c.get("values") for c in mine)
    low, high = bound["range"]
    closed = [c for c in mine if c.get("range") and None not in c["range"]]
    mine = closed or mine  # "an old film from the 40s or 50s": the decades hold it, not "old"
    return all(c.get("range") and (low is None or c["range"][0] is not None and c["range"][0] >= low)
               and (high is None or c["range"][1] is not None and c["range"][1] <= high) for c in mine)
