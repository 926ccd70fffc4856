"""Rating refusals and films the catalogue has no rating for. Pure; no IO.

"Nothing rated R, my mom is watching too": a film with no MPAA rating in the catalogue meets
the refusal only because nothing is known of it (The Usual Suspects is R in reality). So the
films known to have another rating come first; only when none is left is an unrated one
proposed, and then the reply says its rating is unknown. Example::

    allowed_ratings([{"slot": "mpaa", "values": ["R", "NC-17"], "exclude": True}])
    # {'slot': 'mpaa', 'values': ['G', 'PG', 'PG-13'], 'exclude': False}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chatbot.catalog import MPAA_RATINGS
from chatbot.text import join_words


def refused_ratings(wishes: Sequence[Mapping[str, Any]]) -> list[str]:
    """The MPAA ratings the wishes refuse, in the catalogue's order."""
    refused = {v for w in wishes if w["slot"] == "mpaa" and w["exclude"] for v in w.get("values") or ()}
    return [r for r in MPAA_RATINGS if r in refused]


def allowed_ratings(wishes: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """A wish for the ratings a refusal leaves (known ratings only), or None without one."""
    refused = refused_ratings(wishes)
    left = [r for r in MPAA_RATINGS if r not in refused]
    return {"slot": "mpaa", "values": left, "exclude": False} if refused and left else None


def unknown_rating_note(movie: Mapping[str, Any], wishes: Sequence[Mapping[str, Any]]) -> str | None:
    """"My catalogue has no rating for X, so I can't promise it isn't R." for an unrated film
    proposed under a rating refusal; None otherwise."""
    refused = refused_ratings(wishes)
    if not refused or movie.get("mpaa"):
        return None
    said = join_words(refused).replace(" and ", " or ")
    return f"My catalogue has no rating for {movie['title']}, so I can't promise it isn't {said}."
