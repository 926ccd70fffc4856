"""Films kept from young children whatever their rating says: a wish for G or PG from who
is watching ("my 6 year old", "kids 5 & 8") keeps horror out, and thrillers, war and crime
films that are no family or animated film while others are left.

Why: the catalogue's MPAA ratings include old re-ratings (Psycho, Jaws and Rear Window are
PG), so the rating alone lets frightening or violent films through for a child. A genre the
user asks for outright ("a thriller for my 10 year old") is theirs to ask: it is not kept out.
Pure; no IO. Example::

    kids = [{"slot": "mpaa", "values": ["G", "PG"], "exclude": False, "audience": True}]
    kept_out(kids)   # [{'slot': 'genre', 'values': ['horror'], 'exclude': True}]: never offered
    unsuited(kids)   # [{'slot': 'genre', 'values': ['crime', 'thriller', 'war'], ...},
                     #  {'slot': 'genre', 'values': ['animation', 'family'], 'exclude': True}]:
                     # offered only when nothing else is left
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chatbot.ratings import KID_RATINGS

FRIGHTENING = ("horror",)  # out for a child whatever else the film is
VIOLENT = ("crime", "thriller", "war")  # out unless the film is made for families
FOR_FAMILIES = ("animation", "family")


def young_audience(wishes: Sequence[Mapping[str, Any]]) -> bool:
    """A rating of G or PG wished for because children watch."""
    return any(w["slot"] == "mpaa" and w.get("audience") and not w.get("exclude")
               and set(w.get("values") or ()) <= set(KID_RATINGS) for w in wishes)


def kept_out(wishes: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Constraints every search adds for a young audience: no horror unless asked for."""
    if not young_audience(wishes) or set(FRIGHTENING) <= _asked(wishes):
        return []
    return [_genres([g for g in FRIGHTENING if g not in _asked(wishes)], exclude=True)]


def unsuited(wishes: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Constraints added to the wishes to find the films a young audience had better not be
    offered while others are left (violent genres of no family film); ``[]`` without one."""
    violent = [g for g in VIOLENT if g not in _asked(wishes)]
    if not young_audience(wishes) or not violent:
        return []
    return [_genres(violent), _genres(FOR_FAMILIES, exclude=True)]


def _asked(wishes: Sequence[Mapping[str, Any]]) -> set[str]:
    return {v for w in wishes if w["slot"] == "genre" and not w.get("exclude")
            for v in w.get("values") or ()}


def _genres(values: Sequence[str], exclude: bool = False) -> dict[str, Any]:
    return {"slot": "genre", "values": list(values), "exclude": exclude}
