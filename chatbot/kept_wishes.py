"""Wishes said again or given up that change nothing. Pure; no IO.

* A wish given up that the user never made ("forget the horror part" with no horror asked
  for) is said to be none of theirs, never an unknown-word reply: ``not_wished``.
* A wish said again that the film on the table already meets ("r rated" while an R film is
  shown) keeps that film: ``fits_current`` (the reply says it fits and asks on). Asking for
  another ("another one, r rated") still moves on.

Example::

    not_wished([{"slot": "genre", "values": ["horror"], "exclude": False}], wishes=[])
    # ['the genre horror']
    fits_current(plan, film, words=["r", "rated"])   # True when the film meets what was said
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chatbot.constraints import holds

# words asking for a film other than the one shown, whatever wish comes with them
_PEOPLE = ("actor", "director")
_ANOTHER = frozenset("another else different next other instead new".split())


def not_wished(relaxed: Sequence[Mapping[str, Any]], wishes: Sequence[Mapping[str, Any]]
               ) -> list[dict[str, Any]]:
    """The wishes given up in ``relaxed`` that no wish of ``wishes`` holds: the values of
    a slot none asked for or refused ("drop horror" with no horror wish), or a range slot
    with no wish at all ("scrap the 90s thing" with no years wished)."""
    missing: list[dict[str, Any]] = []
    for gone in relaxed:
        if gone.get("permit") or gone.get("clear") or gone.get("whole") or gone["slot"] in _PEOPLE:
            continue  # "Tom Hanks is ok": a permission, not a wish given up
        same_slot = [w for w in wishes if w["slot"] == gone["slot"]]
        if "values" in gone:
            held = {v for w in same_slot for v in w.get("values") or ()}
            values = [v for v in gone["values"] if v not in held]
            if values:
                missing.append({"slot": gone["slot"], "values": values, "exclude": False})
        elif "range" in gone and not same_slot:
            missing.append(dict(gone, exclude=False))
    return missing


def fits_current(plan: Mapping[str, Any], film: Mapping[str, Any] | None,
                 words: Sequence[str]) -> bool:
    """Whether what was just said only adds wishes ``film`` already meets, with every wish
    kept (none replaced or dropped), so the film stays on the table."""
    added = list(plan.get("added") or ())
    if not film or film.get("id") is None or not added or plan.get("replaced") or plan.get("suggest"):
        return False
    if _ANOTHER & set(words) or any(w.get("exclude") for w in added):  # a refusal moves on
        return False
    # only what was just said is checked: a wish standing before that the film misses was set
    # aside to find it ("still tom hanks" keeps The Terminal though R had to be left out)
    return all(holds(w, film) for w in added)
