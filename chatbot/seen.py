"""Films the user says they have seen ("I've already seen Star Wars, Alien and Blade Runner"):
which catalogue films each named title keeps out of the proposals. Pure apart from the ``db``
given (``chatbot.components.Components.db``).

A title that names one film keeps that film out; a franchise's name that is no film's whole
title ("Star Wars", "Harry Potter") keeps out every film of the franchise (its title words,
and the franchise's other titles, ``chatbot.franchises``), since the user cannot have meant
only one of them. Example::

    seen_films(db, ["Star Wars", "Alien"])
    # ([ids of the Star Wars films..., id of Alien], ['the Star Wars films', 'Alien'])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chatbot.titles import normalise_title, split_title_year

MAX_SERIES = 40  # films kept out for one franchise name (a title word shared by many is no series)


def seen_films(db: Any, titles: Sequence[str]) -> tuple[list[int], list[str]]:
    """``(ids to keep out, the names to say back)`` for the ``titles`` said as seen."""
    ids: list[int] = []
    names: list[str] = []
    for title in titles:
        movie = db.find_title(title)
        if movie is None:
            continue
        series = _series(db, title, movie)
        ids += [i for i in [movie["id"], *series] if i not in ids]
        names.append(f"the {_said(title)} films" if series else str(movie["title"]))
    return ids, names


def _series(db: Any, title: str, movie: dict[str, Any]) -> list[int]:
    """Every film of the franchise ``title`` names, when it names no one film by its title."""
    said = normalise_title(split_title_year(title)[0])
    if said == normalise_title(str(movie["title"])) or split_title_year(title)[1]:
        return []
    ids = db.search([{"slot": "title", "values": [said], "exclude": False}])
    return list(ids) if 1 < len(ids) <= MAX_SERIES else []


def _said(title: str) -> str:
    """The franchise as the user wrote it, capitalised when they wrote it in lower case."""
    words = title.split()
    if len(words) > 1 and words[0].lower() in ("the", "a", "an"):  # "the hobbit films"
        words = words[1:]
    said = " ".join(words)
    return said if any(c.isupper() for c in said) else said.title()
