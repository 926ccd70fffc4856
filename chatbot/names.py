"""Finding actors and directors named in an utterance, tolerant of case, accents, apostrophes
and small typos, over tens of thousands of names in well under a millisecond per turn.

How: names are folded (``chatbot.text.fold``) into token tuples. A window of the utterance
matches a name when its tokens are equal, equal once joined (``"o toole"`` = ``"otoole"``), or
equal after one token is swapped for a vocabulary word within a small edit distance. Those
neighbours come from a deletion index (SymSpell-style): every vocabulary word is stored under
each of its one-letter deletions, so a typo costs a handful of dict look-ups, not a scan.

Example::

    index = NameIndex({"Jim Carrey": 25, "Peter O'Toole": 30}, {"Ron Howard": 12})
    [m.name for m in index.find("comedy with jim carey".split())]   # ['Jim Carrey']
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from chatbot.text import edit_distance, fold

MAX_NAME_TOKENS = 4
_MIN_FUZZY_LEN = 3
_LONG_TOKEN_LEN = 8  # tokens this long may carry two typos
_CACHE_LIMIT = 4096

STOPWORDS = frozenset(
    """a about all an and any anything are as at be but by can could did do does dont for
    from good great have he her him his how i if in is it just like likes love me more movie
    movies my no not nothing of ok okay on one or please really see she so some something
    star stars starring sure than thanks that the them then there they this to very want
    was watch we well what which who will with would yes you your film films director
    directed actor actress prefer preference maybe none never""".split()
)


@dataclass(frozen=True)
class Person:
    """A name from the catalogue and how many films credit it in each role."""

    name: str
    actor_films: int = 0
    director_films: int = 0

    def films_as(self, role: str | None) -> int:
        if role == "actor":
            return self.actor_films
        if role == "director":
            return self.director_films
        return self.actor_films + self.director_films

    @property
    def roles(self) -> list[str]:
        return [r for r, n in (("actor", self.actor_films), ("director", self.director_films)) if n]


@dataclass(frozen=True)
class NameMatch:
    """``person`` found at utterance tokens ``[start, end)`` with ``distance`` typos."""

    person: Person
    start: int
    end: int
    distance: int

    @property
    def name(self) -> str:
        return self.person.name


class NameIndex:
    """Exact, joined and typo-tolerant look-up of people over folded token windows."""

    def __init__(
        self,
        actors: Mapping[str, int],
        directors: Mapping[str, int],
        *,
        reserved: Iterable[str] = (),
    ) -> None:
        self._people = _merge_people(actors, directors)
        self._reserved = STOPWORDS | {fold(w) for w in reserved}
        self._by_tokens: dict[tuple[str, ...], list[int]] = defaultdict(list)
        self._by_joined: dict[str, list[int]] = defaultdict(list)
        self._by_last: dict[str, list[int]] = defaultdict(list)
        for pid, person in enumerate(self._people):
            tokens = tuple(fold(person.name).split())
            if not tokens or len(tokens) > MAX_NAME_TOKENS:
                continue
            self._by_tokens[tokens].append(pid)
            self._by_joined["".join(tokens)].append(pid)
            if len(tokens) > 1:
                self._by_last[tokens[-1]].append(pid)
        self._vocabulary = {t for tokens in self._by_tokens for t in tokens}
        self._deletions = _deletion_index(self._vocabulary)
        self._neighbour_cache: dict[str, list[tuple[str, int]]] = {}

    def __len__(self) -> int:
        return len(self._people)

    def find(self, tokens: list[str], *, role: str | None = None) -> list[NameMatch]:
        """People named in folded ``tokens``, left to right, without overlaps.

        ``role`` ("actor"/"director") is the slot being asked about: it breaks ties between
        namesakes and allows a lone surname ("Carrey") or a one-word name ("Cher").
        """
        found = [m for m in self._candidates(tokens, role) if m is not None]
        found.sort(key=lambda m: (m.distance, -(m.end - m.start), m.start))
        chosen: list[NameMatch] = []
        taken: set[int] = set()
        for match in found:
            span = set(range(match.start, match.end))
            if not span & taken:
                chosen.append(match)
                taken |= span
        if not chosen and role:
            chosen = self._surnames(tokens, role)
        return sorted(chosen, key=lambda m: m.start)

    def _candidates(self, tokens: list[str], role: str | None) -> Iterable[NameMatch | None]:
        for size in range(min(MAX_NAME_TOKENS, len(tokens)), 0, -1):
            for start in range(len(tokens) - size + 1):
                window = tuple(tokens[start : start + size])
                if size == 1 and not (role and self._may_stand_alone(window[0])):
                    continue
                yield self._exact(window, start, role)
                if size > 1:
                    yield self._fuzzy(window, start, role)

    def _exact(self, window: tuple[str, ...], start: int, role: str | None) -> NameMatch | None:
        # Joined spellings ("de niro" for "De Niro") never swallow a cue word: "by ron howard"
        # must not read as "Byron Howard".
        joinable = len(window) > 1 and not any(t in self._reserved for t in window)
        pids = self._by_tokens.get(window) or (self._by_joined.get("".join(window)) if joinable else None)
        return self._best(pids, start, start + len(window), 0, role)

    def _fuzzy(self, window: tuple[str, ...], start: int, role: str | None) -> NameMatch | None:
        """One token of the window replaced by a near vocabulary word; the others exact."""
        if all(t in self._reserved for t in window):
            return None
        best: NameMatch | None = None
        for i, token in enumerate(window):
            if token in self._reserved or len(token) < _MIN_FUZZY_LEN:
                continue
            for neighbour, distance in self.neighbours(token):
                pids = self._by_tokens.get(window[:i] + (neighbour,) + window[i + 1 :])
                match = self._best(pids, start, start + len(window), distance, role)
                if match and (best is None or _better(match, best, role)):
                    best = match
        return best

    def _surnames(self, tokens: list[str], role: str) -> list[NameMatch]:
        for i, token in enumerate(tokens):
            if self._may_stand_alone(token) and token in self._by_last:
                match = self._best(self._by_last[token], i, i + 1, 1, role, min_films=3)
                if match:
                    return [match]
        return []

    def _may_stand_alone(self, token: str) -> bool:
        return len(token) >= 3 and token not in self._reserved and not token.isdigit()

    def _best(
        self,
        pids: list[int] | None,
        start: int,
        end: int,
        distance: int,
        role: str | None,
        min_films: int = 1,
    ) -> NameMatch | None:
        people = [self._people[p] for p in pids or ()]
        if role:
            people = [p for p in people if p.films_as(role) >= min_films] or (
                people if min_films == 1 else []
            )
        if not people:
            return None
        person = max(people, key=lambda p: (p.films_as(role), p.films_as(None), p.name))
        return NameMatch(person, start, end, distance)

    def neighbours(self, token: str) -> list[tuple[str, int]]:
        """Vocabulary words within 1 edit of ``token`` (2 for long tokens), nearest first."""
        cached = self._neighbour_cache.get(token)
        if cached is not None:
            return cached
        limit = 2 if len(token) >= _LONG_TOKEN_LEN else 1
        keys = {token} | _deletions(token)
        if limit == 2:
            keys |= {d2 for d1 in _deletions(token) for d2 in _deletions(d1)}
        words = {w for key in keys for w in self._deletions.get(key, ())}
        words |= {key for key in keys if key in self._vocabulary}
        found = sorted(
            (d, w) for w in words if w != token and (d := edit_distance(token, w, limit)) <= limit
        )
        result = [(w, d) for d, w in found]
        if len(self._neighbour_cache) >= _CACHE_LIMIT:
            self._neighbour_cache.clear()
        self._neighbour_cache[token] = result
        return result


def _better(a: NameMatch, b: NameMatch, role: str | None) -> bool:
    return (a.distance, -a.person.films_as(role)) < (b.distance, -b.person.films_as(role))


def _merge_people(actors: Mapping[str, int], directors: Mapping[str, int]) -> list[Person]:
    names = sorted(set(actors) | set(directors))
    return [Person(n, int(actors.get(n, 0)), int(directors.get(n, 0))) for n in names]


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _deletion_index(vocabulary: Iterable[str]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for word in vocabulary:
        if len(word) >= _MIN_FUZZY_LEN:
            for key in itertools.chain((word,), _deletions(word)):
                index.setdefault(key, []).append(word)
    return index
