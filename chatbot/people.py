"""The people of the catalogue as the name index sees them: films and fame in each role, and
the roles each is known for. Pure.

A person's **fame** in a role is the attention their films in that role get (each film
giving ``sqrt(MovieLens votes + 1)`` shared among the people credited in that role); film
counts stand in when no fame is given. A person is **notable** in a role when their fame ranks
among the first ``NOTABLE_RANK[role]`` there. Everyone else is **known for** the role where
their fame ranks far higher (``KNOWN_FOR_RANK_RATIO`` times: Al Pacino ranks ~290th among
actors, ~1,500th among directors, so he is known as an actor), or for both when neither rank
dwarfs the other. Example::

    people = merge_people({"Al Pacino": 44}, {"Al Pacino": 2})
    people[0].known_for    # ('actor',): film counts stand in for fame here
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

NOTABLE_RANK = {"actor": 150, "director": 300}  # known for a role: among its most famous
KNOWN_FOR_RANK_RATIO = 3.0  # a rank this many times better in one role: known for that one


@dataclass(frozen=True)
class Person:
    """A name from the catalogue, how many films credit it in each role, and its fame there
    (MovieLens votes of those films; None when unknown, then film counts stand in).
    ``notable``: the roles where they are among the most famous; ``known_for``: the roles
    a name alone should fill (``notable`` if any, else by the ranks of their fame)."""

    name: str
    actor_films: int = 0
    director_films: int = 0
    actor_fame: float | None = None
    director_fame: float | None = None
    notable: tuple[str, ...] = ()
    known_for: tuple[str, ...] = ()

    def films_as(self, role: str | None) -> int:
        if role == "actor":
            return self.actor_films
        if role == "director":
            return self.director_films
        return self.actor_films + self.director_films

    def fame_as(self, role: str | None) -> float:
        """Fame in ``role`` (the larger of both for None); film counts without fame."""
        if self.actor_fame is None or self.director_fame is None:
            return self.films_as(role)
        if role == "actor":
            return self.actor_fame
        if role == "director":
            return self.director_fame
        return max(self.actor_fame, self.director_fame)

    @property
    def roles(self) -> list[str]:
        return [r for r, n in (("actor", self.actor_films), ("director", self.director_films)) if n]


def merge_people(actors: Mapping[str, int], directors: Mapping[str, int],
                 fame: Mapping[str, Mapping[str, float]] | None = None) -> list[Person]:
    """One ``Person`` per name of either table, sorted by name; ``fame`` as
    ``{"actor": {name: votes}, "director": {...}}`` (film counts stand in without it)."""
    names = sorted(set(actors) | set(directors))
    acted = (fame or {}).get("actor") or {n: float(v) for n, v in actors.items()}
    directed = (fame or {}).get("director") or {n: float(v) for n, v in directors.items()}
    ranks = {role: {n: i + 1 for i, n in enumerate(sorted(table, key=lambda k: (-table[k], k)))
                    if table[n] > 0}
             for role, table in (("actor", acted), ("director", directed))}
    notable: dict[str, tuple[str, ...]] = {}
    if fame:
        for role in ("actor", "director"):
            for name, rank in ranks[role].items():
                if rank <= NOTABLE_RANK[role]:
                    notable[name] = (*notable.get(name, ()), role)
    people = []
    for n in names:
        known = notable.get(n) or _known_by_rank(ranks["actor"].get(n), ranks["director"].get(n))
        if fame:
            people.append(Person(n, int(actors.get(n, 0)), int(directors.get(n, 0)),
                                 float(acted.get(n, 0)), float(directed.get(n, 0)),
                                 notable.get(n, ()), known))
        else:
            people.append(Person(n, int(actors.get(n, 0)), int(directors.get(n, 0)),
                                 known_for=known))
    return people


def _known_by_rank(actor_rank: int | None, director_rank: int | None) -> tuple[str, ...]:
    if actor_rank is None or director_rank is None:
        return ("actor",) if actor_rank else ("director",) if director_rank else ()
    if actor_rank * KNOWN_FOR_RANK_RATIO <= director_rank:
        return ("actor",)
    if director_rank * KNOWN_FOR_RANK_RATIO <= actor_rank:
        return ("director",)
    return ("actor", "director")
