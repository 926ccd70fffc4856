"""Films the user says they have seen ("I've already seen Star Wars, Alien and Blade Runner"):
which catalogue films each named title keeps out of the proposals. Pure apart from the ``db``
given (``chatbot.components.Components.db``).

A title that is one film's whole title keeps that film out, and its numbered sequels
("Rocky": Rocky II, Rocky III), which "seen Rocky" may mean too; a franchise's name
that is no film's whole title ("Star Wars", "Harry Potter") keeps out every film of the
franchise (its title words, and its other titles, ``chatbot.franchises``). Example::

    seen_films(db, ["Star Wars", "Alien", "Us"])
    # ([...], ["the Star Wars films", "Alien and its sequels"], ["Us"])
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from chatbot.search_talk import seen_left_out, titles_unknown
from chatbot.titles import normalise_title, sequel_key, split_title_year
from chatbot.viewings import Seer

MAX_SERIES = 40  # films kept out for one franchise name (a title word shared by many is no series)
CLOSE_FAME = 0.5  # a film of the same title with this share of the votes may be the one meant


def seen_films(db: Any, titles: Sequence[str]) -> tuple[list[int], list[str], list[str]]:
    """``(ids to keep out, the names to say back, the titles the catalogue lacks)`` for the
    ``titles`` said as seen; a title it lacks keeps nothing out and is said back as unknown."""
    ids: list[int] = []
    names: list[str] = []
    unknown: list[str] = []
    for title in titles:
        movie = db.find_title(title)
        if movie is None:
            unknown.append(title.strip())
            continue
        whole, series = _series(db, title, movie)
        ids += [i for i in [movie["id"], *series] if i not in ids]
        name = catalogue_name(db, movie) if whole else f"the {_said(title)} films"
        names.append(f"{name} and its sequels" if whole and series else name)
    return ids, names, unknown


def seen_said(db: Any, titles: Sequence[str], seen_by: Sequence[Any] | None = None,
              liked: bool = False) -> tuple[list[int], list[str]]:
    """``(ids to keep out, the reply's sentences)`` for ``titles`` said as seen: the films
    left out, then the names the catalogue lacks ("I don't have Us in my catalogue ...");
    ``seen_by`` (a ``viewings.Seer``): someone else saw them ("Your son has seen Big ...");
    ``liked``: liked too, so films like them are looked for ("... and look for films like it")."""
    ids, names, unknown = seen_films(db, titles)
    said = [seen_left_out(names, Seer(*seen_by) if seen_by else None, liked)] if names else []
    return ids, said + ([titles_unknown(unknown)] if unknown else [])


def own_pick_said(db: Any, title: str) -> str:
    """``"Good choice: enjoy The Mask (1994)!"``: the user's own pick, as the catalogue names it."""
    movie = db.find_title(title)
    name = catalogue_name(db, movie) if movie is not None else title
    return f"Good choice: enjoy {name}{'' if name[-1:] in '.!?' else '!'}"


def _series(db: Any, title: str, movie: dict[str, Any]) -> tuple[bool, list[int]]:
    """Whether ``title`` is the whole title of ``movie``, and the other films it could mean:
    a franchise's films ("star wars"), or its numbered sequels ("rocky": Rocky II, Rocky
    III). A year given names the one film."""
    said = normalise_title(split_title_year(title)[0])
    whole = sequel_key(said) == sequel_key(normalise_title(str(movie["title"])))  # "oceans 11"
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
    # "rocky 2", not "casino royale", nor "the brave one" (whose "one" reads 1) for "brave"
    numbered = re.compile(rf"{re.escape(sequel_key(said))} (?:[2-9]|\d\d)\b")
    return True, [i for i in ids if numbered.match(sequel_key(normalise_title(str(db.movie(i)["title"]))))]


def catalogue_name(db: Any, movie: dict[str, Any]) -> str:
    """``movie`` named as the catalogue names it, with its year when another film shares its
    title, a number spelt either way ("Heat (1995)", "Ocean's Eleven (2001)"; "Alien")."""
    shared = bool(namesakes(db, movie))
    return f"{movie['title']} ({movie['year']})" if shared and movie.get("year") else str(movie["title"])


def namesakes(db: Any, movie: dict[str, Any]) -> list[dict[str, Any]]:
    """The other films of ``movie``'s title (remakes; "Ocean's 11" for *Ocean's Eleven*),
    best-known first."""
    key = normalise_title(str(movie["title"]))
    values = list(dict.fromkeys([key, sequel_key(key)]))
    others = db.search([{"slot": "title", "values": values, "exclude": False}])[:MAX_SERIES]
    return [db.movie(i) for i in others if i != movie["id"] and sequel_key(
        normalise_title(str(db.movie(i)["title"]))) == sequel_key(key)]


def close_namesake(db: Any, movie: dict[str, Any]) -> dict[str, Any] | None:
    """A film of the same title nearly as well known as ``movie`` (at least ``CLOSE_FAME`` of
    its votes: *The Parent Trap*, 1961 and 1998), which the user may have meant; else None."""
    near = [m for m in namesakes(db, movie) if int(m.get("votes") or 0) >= CLOSE_FAME * max(
        int(movie.get("votes") or 0), 1)]
    return max(near, key=lambda m: int(m.get("votes") or 0)) if near else None


def _said(title: str) -> str:
    """The franchise as the user wrote it, capitalised when they wrote it in lower case."""
    words = title.split()
    if len(words) > 1 and words[0].lower() in ("the", "a", "an"):  # "the hobbit films"
        words = words[1:]
    said = " ".join(words)
    return said if any(c.isupper() for c in said) else said.title()
