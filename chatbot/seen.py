"""Films the user says they have seen ("I've already seen Star Wars, Alien and Blade Runner"):
which catalogue films each named title keeps out of the proposals. Pure apart from the ``db``
given (``chatbot.components.Components.db``).

A title that is one film's whole title keeps that film out, and its numbered sequels
("Rocky": Rocky II, Rocky III), which "seen Rocky" may mean too; a franchise's name
that is no film's whole title ("Star Wars", "Harry Potter") keeps out every film of the
franchise (its title words, and its other titles, ``chatbot.franchises``). Example::

    seen_films(db, ["Star Wars", "Alien"])
    # ([...], ["the Star Wars films", "Alien and its sequels"])
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from chatbot.titles import normalise_title, sequel_key, split_title_year

MAX_SERIES = 40  # films kept out for one franchise name (a title word shared by many is no series)


def seen_films(db: Any, titles: Sequence[str]) -> tuple[list[int], list[str]]:
    """``(ids to keep out, the names to say back)`` for the ``titles`` said as seen."""
    ids: list[int] = []
    names: list[str] = []
    for title in titles:
        movie = db.find_title(title)
        if movie is None:
            continue
        whole, series = _series(db, title, movie)
        ids += [i for i in [movie["id"], *series] if i not in ids]
        name = str(movie["title"]) if whole else f"the {_said(title)} films"
        names.append(f"{name} and its sequels" if whole and series else name)
    return ids, names


def _series(db: Any, title: str, movie: dict[str, Any]) -> tuple[bool, list[int]]:
    """Whether ``title`` is the whole title of ``movie``, and the other films it could mean:
    a franchise's films ("star wars"), or its numbered sequels ("rocky": Rocky II, Rocky
    III). A year given names the one film."""
    said = normalise_title(split_title_year(title)[0])
    whole = said == normalise_title(str(movie["title"]))
    if split_title_year(title)[1]:
        return True, []
    ids = [i for i in db.search([{"slot": "title", "values": [said], "exclude": False}])
           if i != movie["id"]]
    if not ids:  # "Se7en": a spelling of one film's title (the catalogue's fuzzy match), no series
        return True, []
    if len(ids) > MAX_SERIES:
        return whole, []
    if not whole:
        return False, ids
    numbered = re.compile(rf"{re.escape(sequel_key(said))} \d+\b")  # "rocky 2", not "casino royale"
    return True, [i for i in ids if numbered.match(sequel_key(normalise_title(str(db.movie(i)["title"]))))]


def _said(title: str) -> str:
    """The franchise as the user wrote it, capitalised when they wrote it in lower case."""
    words = title.split()
    if len(words) > 1 and words[0].lower() in ("the", "a", "an"):  # "the hobbit films"
        words = words[1:]
    said = " ".join(words)
    return said if any(c.isupper() for c in said) else said.title()
