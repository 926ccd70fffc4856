"""The film catalogue in memory: the read API the dialog side uses.

``Catalog.load()`` reads the whole database once (well under a second) and builds set indexes,
so ``search`` is a few set intersections. Example::

    catalog = Catalog.load()
    ids = catalog.search(genre="comedy", actor="Jim Carrey")
    catalog.movie(ids[0]).title            # 'The Truman Show'
    catalog.find_title("truman show, the")  # Movie(id=..., title='The Truman Show', ...)

Cast order: the source (Wikidata) lists cast alphabetically, with no billing order, so the
loader orders ``Movie.cast`` by prominence instead (``chatbot.loader.cast_prominence``: how
much of their films' MovieLens attention an actor tends to get, larger in the short cast lists
the source gives lesser films), then the source order; a film's own director in its cast is a
cameo, and comes last, when they act almost only in their own films (``cameo_directors``). That estimates who leads, it is not billing: the dialog
says "with A, B and C", never "stars".

Critics: ``critics_meter`` (% of reviews positive), ``critics_rating`` (their mean, 0-10) and
``critics_reviews`` (how many) are the source's Rotten Tomatoes figures, ``metascore`` its
Metacritic score (0-100); None where the source has none. The source holds no consensus text.
"""

from __future__ import annotations

import bisect
import logging
import re
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein
from sqlalchemy import Engine, select

from chatbot.constraints import RANGE_SLOTS
from chatbot.db.engine import make_engine
from chatbot.db.models import Movie as MovieRow
from chatbot.errors import UnknownFilm
from chatbot.franchises import franchise_titles
from chatbot.leet import LEET_WORD, unleet
from chatbot.text import pattern, strip_accents
from chatbot.titles import (
    FUZZY_RATIO,
    normalise_title,
    sequel_key,
    short_form_key,
    short_forms,
    spelt_key,
    split_title_year,
)

__all__ = ["GENRES", "GENRE_LABELS", "MPAA_RATINGS", "Catalog", "Movie", "canonical_genre",
           "normalise_mpaa", "normalise_title", "split_title_year"]

log = logging.getLogger(__name__)

# Canonical genre names (lowercase) and how to display them. The NLU maps synonyms onto keys.
GENRE_LABELS: dict[str, str] = {
    "action": "Action", "adventure": "Adventure", "animation": "Animation",
    "biography": "Biography", "comedy": "Comedy", "crime": "Crime",
    "documentary": "Documentary", "drama": "Drama", "family": "Family", "fantasy": "Fantasy",
    "history": "History", "horror": "Horror", "music": "Music", "musical": "Musical",
    "mystery": "Mystery", "romance": "Romance", "sci-fi": "Sci-Fi", "sport": "Sport",
    "thriller": "Thriller", "war": "War", "western": "Western",
}
GENRES: tuple[str, ...] = tuple(sorted(GENRE_LABELS))
_GENRE_ALIASES = {
    "science fiction": "sci-fi", "scifi": "sci-fi", "sci fi": "sci-fi", "sf": "sci-fi",
    "sports": "sport", "biopic": "biography", "children": "family", "children's": "family",
    "film-noir": "crime", "film noir": "crime", "historical": "history",
}
MPAA_RATINGS: tuple[str, ...] = ("G", "PG", "PG-13", "R", "NC-17")
# Pre-1990 MPAA labels and their modern equivalents; "unrated" and friends mean no rating.
_MPAA_ALIASES = {
    "PG13": "PG-13", "NC17": "NC-17", "GP": "PG", "M": "PG", "M/PG": "PG", "X": "NC-17",
}
MATCHING_CACHE_SIZE = 64  # constraint lists whose matching films are kept (at most ~10 MB)
FRANCHISE_LEAD = 3  # a franchise's best-known film wins over an exact title this many times less seen
CAMEO_OWN_SHARE = 0.75  # a director acting this share of their credits in their own films cameos there
# A listed length under this is a data error, not a film: the source lists Machuca (2004, ~2 h)
# at 1 minute and The Human Race (2013, ~1.5 h) at 4, while its shortest real entries (Disney's
# Destino, Pixar's shorts) run 7 minutes and more. Such a length is unknown, never stated.
MIN_PLAUSIBLE_RUNTIME_MIN = 5


@dataclass(frozen=True)
class Movie:
    """One film as the dialog shows it; ``rating`` is the vote-weighted MovieLens mean (0-5)."""

    id: int
    title: str
    year: int | None
    genres: tuple[str, ...]
    directors: tuple[str, ...]
    cast: tuple[str, ...]
    mpaa: str | None
    runtime_min: int | None
    rating: float | None
    votes: int
    critics_meter: int | None = None
    critics_rating: float | None = None
    critics_reviews: int | None = None
    metascore: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict; tuples become lists."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def plausible_runtime(minutes: float | None) -> int | None:
    """Whole minutes of a listed length, or None when it is unknown or implausible
    (under ``MIN_PLAUSIBLE_RUNTIME_MIN``). Example: ``plausible_runtime(1)`` -> None."""
    if minutes is None or minutes < MIN_PLAUSIBLE_RUNTIME_MIN:
        return None
    return round(minutes)


def canonical_genre(name: str) -> str | None:
    """``"Science Fiction"`` -> ``"sci-fi"``, ``"Comedy"`` -> ``"comedy"``; unknown -> None."""
    key = " ".join(name.strip().lower().split())
    key = _GENRE_ALIASES.get(key, key)
    return key if key in GENRE_LABELS else None


def normalise_mpaa(value: str | None) -> str | None:
    """``"pg 13"`` -> ``"PG-13"``, ``"GP"`` -> ``"PG"``; ``"N/A"``, ``"Unrated"`` -> None."""
    if not value:
        return None
    key = re.sub(r"[\s_-]+", "", value.upper()).removeprefix("RATED")
    key = _MPAA_ALIASES.get(key, key)
    return key if key in MPAA_RATINGS else None


class Catalog:
    """All films, indexed by genre, actor, director, MPAA rating and normalised title."""

    def __init__(self, movies: Iterable[Movie], title_keys: dict[int, str] | None = None) -> None:
        """Index ``movies``; ``title_keys`` (id -> ``normalise_title(title)``) saves recomputing."""
        self._movies = {m.id: m for m in movies}
        keys = title_keys or {}
        self._order = {m.id: i for i, m in enumerate(sorted(self._movies.values(), key=_popularity))}
        films = self._movies.values()
        self._by_genre = _index(films, lambda m: m.genres)
        self._by_actor = _index(films, lambda m: m.cast)
        self._by_director = _index(films, lambda m: m.directors)
        self._by_mpaa = _index(films, lambda m: (m.mpaa,) if m.mpaa else ())
        self._by_year = _index(films, lambda m: (m.year,) if m.year is not None else ())
        self._by_runtime = _index(films, lambda m: (m.runtime_min,) if m.runtime_min else ())
        self._sets = {name: {k: frozenset(v) for k, v in index.items()} for name, index in (
            ("genre", self._by_genre), ("actor", self._by_actor),
            ("director", self._by_director), ("mpaa", self._by_mpaa), ("year", self._by_year),
            ("runtime", self._by_runtime), ("votes", _index(films, lambda m: (m.votes,))),
            ("critics", _index(films, lambda m: () if m.critics_meter is None else (m.critics_meter,))))}
        self._ranked = sorted(self._movies, key=self._order.__getitem__)
        self._by_title = _index(films, lambda m: (keys.get(m.id) or normalise_title(m.title),))
        self._by_sequel = _index(films, lambda m: (sequel_key(keys.get(m.id) or normalise_title(m.title)),))
        self._by_short = _index(films, lambda m: tuple(dict.fromkeys(short_forms(m.title))))
        self._title_keys = sorted(self._by_title)
        self._sequel_keys = sorted(self._by_sequel)
        self._title_word_set = {w for k in self._title_keys for w in k.split()}
        self._title_words = sorted(self._title_word_set)
        self._names = {n.casefold(): n for n in (*self._by_actor, *self._by_director)}
        self._matched: dict[tuple, tuple[int, ...]] = {}
        self.genres: list[str] = sorted(self._by_genre)
        self.actors: list[str] = sorted(self._by_actor, key=str.casefold)
        self.directors: list[str] = sorted(self._by_director, key=str.casefold)
        self.mpaa_ratings: list[str] = [r for r in MPAA_RATINGS if r in self._by_mpaa]

    @classmethod
    def load(cls, url: str | None = None) -> Catalog:
        """Read every film from the database at ``url`` (default: settings) into memory."""
        started = time.perf_counter()
        engine = make_engine(url)
        try:
            catalog = cls(*_read_movies(engine))
        finally:
            engine.dispose()
        log.info("catalogue: %d films in %.2f s", len(catalog), time.perf_counter() - started)
        return catalog

    def __len__(self) -> int:
        return len(self._movies)

    def __iter__(self) -> Iterator[Movie]:
        """Films in id order."""
        return iter(sorted(self._movies.values(), key=lambda m: m.id))

    def __contains__(self, movie_id: object) -> bool:
        return movie_id in self._movies

    def movie(self, movie_id: int) -> Movie:
        """The film with ``movie_id``; ``UnknownFilm`` (a ``KeyError``, HTTP 404) naming the id when there is none."""
        try:
            return self._movies[movie_id]
        except KeyError:
            raise UnknownFilm(f"no film with id {movie_id!r} in the catalogue") from None

    def search(
        self,
        *,
        genre: str | None = None,
        actor: str | None = None,
        director: str | None = None,
        mpaa: str | None = None,
    ) -> list[int]:
        """Ids of films meeting every given constraint, best-known first.

        Values are canonical (``genre="sci-fi"``, ``mpaa="PG-13"``); names match ignoring case.
        No constraint returns every film. Example: ``search(genre="comedy", actor="Jim Carrey")``.
        """
        constraints = [
            (self._by_genre, genre, genre and genre.lower()),
            (self._by_actor, actor, actor and self._names.get(actor.casefold())),
            (self._by_director, director, director and self._names.get(director.casefold())),
            (self._by_mpaa, mpaa, mpaa and normalise_mpaa(mpaa)),
        ]
        found: set[int] | None = None
        for index, given, key in constraints:
            if given is None:
                continue
            ids = index.get(key, ()) if key else ()
            found = set(ids) if found is None else found.intersection(ids)
        chosen = self._movies.keys() if found is None else found
        return sorted(chosen, key=self._order.__getitem__)

    def matching(self, constraints: Iterable[Mapping[str, Any]]) -> list[int]:
        """Ids of films meeting every constraint (see ``chatbot.constraints``), best-known first.

        Example: ``matching([include("genre", "comedy"), years(1980, 1989)])``. Names match
        ignoring case; an unknown value matches no film. ``[]`` of constraints: every film.
        The catalogue never changes, so recent answers are kept (a turn asks the same twice).
        """
        constraints = list(constraints)
        key = tuple((c["slot"], tuple(c.get("values") or c.get("range") or ()),
                     bool(c.get("exclude"))) for c in constraints)
        found_ids = self._matched.get(key)
        if found_ids is None:
            if len(self._matched) >= MATCHING_CACHE_SIZE:
                self._matched.clear()
            found_ids = self._matched[key] = tuple(self._match(constraints))
        return list(found_ids)

    def _match(self, constraints: list[Mapping[str, Any]]) -> list[int]:
        found: frozenset[int] | None = None
        excluded: list[frozenset[int]] = []
        for constraint in constraints:
            ids = self._ids_with(constraint)
            if constraint.get("exclude"):
                excluded.append(ids)
            else:
                found = ids if found is None else found & ids
        if found is None:
            return [i for i in self._ranked if not any(i in e for e in excluded)]
        result = found.difference(*excluded)
        if len(result) * 8 > len(self._ranked):  # large: filter the ranked list, no sort
            return [i for i in self._ranked if i in result]
        return sorted(result, key=self._order.__getitem__)

    def _ids_with(self, constraint: Mapping[str, Any]) -> frozenset[int]:
        """Films that have one of the constraint's values, or a year in its range."""
        slot = constraint["slot"]
        if slot == "title":  # "not pirates": every film with those words in its title
            said = {words for v in constraint["values"] for words in franchise_titles(normalise_title(v))}
            return frozenset(i for key in self._title_keys for words in said
                             if f" {words} " in f" {key} " for i in self._by_title[key])
        index = self._sets[slot]
        if slot in RANGE_SLOTS:
            first, last = constraint["range"]
            keys = [y for y in index if (first is None or y >= first) and (last is None or y <= last)]
        else:
            key = {"genre": str.lower, "mpaa": normalise_mpaa}.get(
                slot, lambda v: self._names.get(v.casefold()))
            keys = [key(v) for v in constraint["values"]]
        sets = [index[k] for k in keys if k in index]
        return sets[0] if len(sets) == 1 else frozenset().union(*sets)

    def find_title(self, text: str) -> Movie | None:
        """The film called ``text`` ("the matrix", "Matrix, The (1999)"), or None.

        Tolerates case, accents, articles, punctuation, sequel numbers ("godfather 2") and
        small typos (``rapidfuzz``); a franchise's start ("harry potter") is its best-known
        film, which also wins over a far less seen film of exactly that title ("the lord of
        the rings": the 2001 one, not the 1978 cartoon). Among films sharing a title it
        prefers the year given, then the best-known (most votes).
        """
        title, year = split_title_year(text)
        key = normalise_title(title)
        if not key:
            return None
        leet = LEET_WORD.search(key) is not None  # "se7en", "m3gan": digits for letters
        short = self._by_short.get(short_form_key(title), [])  # "ET", "A.I.", "LOTR"
        ids = self._titled(key, year, fuzzy=not leet and not short) or list(short)
        if not ids and leet:  # spelt so on purpose: read exactly, never near ("m3gan": no *Megane*)
            ids = next((found for said in unleet(key) if (found := self._titled(said, year, fuzzy=False))), [])
        elif not ids:  # "terminater 2", "harry poter": each word spelt as the titles spell it
            respelt = self._respelt(key)
            ids = self._titled(respelt, year) if respelt != key else []
        if not ids:
            return None
        # "the mask": The Mask (1994), not Mask (1985); but a number in digits or words is one
        # spelling, so "oceans 11" is the Ocean's Eleven most people mean (2001), not Ocean's 11
        spelt = sequel_key(spelt_key(title))
        best = min(ids, key=lambda i: (year is not None and self._movies[i].year != year,
                                       sequel_key(spelt_key(self._movies[i].title)) != spelt,
                                       self._order[i]))
        return self._movies[best]


    def _titled(self, key: str, year: int | None, fuzzy: bool = True) -> list[int]:
        """The films a title key names: exactly (a number in digits or words alike), as a
        franchise's start, or (``fuzzy``) within a typo."""
        ids = list(dict.fromkeys([*self._by_title.get(key, ()), *self._by_sequel.get(sequel_key(key), ())]))
        series = self._franchise(key) or self._franchise(sequel_key(key), sequels=True)
        if len(series) == 1 and not _subtitled(key, self._movies[series[0]].title):
            series = []  # "Get Out" is not *Get Out Your Handkerchiefs*; "Borat" is *Borat: ...*
        if series and year is None and (not ids or self._votes(series) >= FRANCHISE_LEAD * max(
                self._votes(ids), 1)):
            ids = series
        if not ids and fuzzy:
            close = process.extractOne(key, self._title_keys, scorer=fuzz.ratio,
                                       score_cutoff=FUZZY_RATIO)
            ids = list(self._by_title[close[0]]) if close else []
        return ids

    def _respelt(self, key: str) -> str:
        """``key`` with each word that is in no title replaced by the nearest title word
        (one edit; two for words of seven letters or more), if there is one."""
        words = key.split()
        for i, word in enumerate(words):
            if word in self._title_word_set or len(word) < 4:
                continue
            limit = 2 if len(word) >= 7 else 1
            near = process.extractOne(word, self._title_words, scorer=Levenshtein.distance,
                                      score_cutoff=limit)
            if near is not None:
                words[i] = near[0]
        return " ".join(words)

    def _franchise(self, key: str, sequels: bool = False) -> list[int]:
        """Films whose title key (or sequel key) starts with the words of ``key``."""
        keys, index = (self._sequel_keys, self._by_sequel) if sequels else (
            self._title_keys, self._by_title)
        if len(key) < 5:
            return []
        found: list[int] = []
        at = bisect.bisect_left(keys, key + " ")
        while at < len(keys) and keys[at].startswith(key + " "):
            found += index[keys[at]]
            at += 1
        return found

    def _votes(self, ids: Iterable[int]) -> int:
        return max((self._movies[i].votes for i in ids), default=0)


def _popularity(movie: Movie) -> tuple[int, float, int]:
    return (-movie.votes, -(movie.rating or 0.0), movie.id)


def _index(movies: Iterable[Movie], keys: Any) -> dict[Any, list[int]]:
    """key -> ids of the films having it (each film's keys are unique, so no duplicates)."""
    index: dict[Any, list[int]] = defaultdict(list)
    for movie in movies:
        for key in keys(movie):
            index[key].append(movie.id)
    return dict(index)


def cameo_directors(movies: Iterable[tuple[Sequence[str], Sequence[str]]]) -> frozenset[str]:
    """Directors who act almost only in their own films (``CAMEO_OWN_SHARE`` of their acting
    credits or more): there it is a cameo (Hitchcock, 30 of 31), unlike a director who also
    leads other people's films (Eastwood, 23 of 57; Woody Allen, 29 of 46).

    ``movies``: ``(cast, directors)`` pairs. Example: ``cameo_directors([(["A. H."], ["A. H."])])``
    -> ``frozenset({"A. H."})``.
    """
    acted: dict[str, int] = defaultdict(int)
    own: dict[str, int] = defaultdict(int)
    for cast, directors in movies:
        for name in cast:
            acted[name] += 1
            own[name] += name in directors
    return frozenset(n for n, k in own.items() if k and k >= CAMEO_OWN_SHARE * acted[n])


def cameos_last(cast: Sequence[str], directors: Sequence[str],
                cameos: frozenset[str]) -> tuple[str, ...]:
    """The cast with the film's directors who are ``cameos`` (``cameo_directors``) moved last.

    Example: ``cameos_last(["Alfred Hitchcock", "James Stewart"], ["Alfred Hitchcock"],
    frozenset({"Alfred Hitchcock"}))`` -> ``("James Stewart", "Alfred Hitchcock")``.
    """
    crew = set(directors) & cameos
    return tuple([c for c in cast if c not in crew] + [c for c in cast if c in crew])


def _read_movies(engine: Engine) -> tuple[list[Movie], dict[int, str]]:
    columns = (
        MovieRow.id, MovieRow.title, MovieRow.title_key, MovieRow.year, MovieRow.genres,
        MovieRow.directors, MovieRow.cast, MovieRow.mpaa, MovieRow.runtime_min,
        MovieRow.rating, MovieRow.votes, MovieRow.critics_meter, MovieRow.critics_rating,
        MovieRow.critics_reviews, MovieRow.metascore,
    )
    with engine.connect() as conn:
        rows = conn.execute(select(*columns)).all()
    cameos = cameo_directors((row.cast or (), row.directors or ()) for row in rows)
    movies = [
        Movie(
            id=row.id, title=row.title, year=row.year, genres=tuple(row.genres or ()),
            directors=tuple(row.directors or ()),
            cast=cameos_last(row.cast or (), row.directors or (), cameos), mpaa=row.mpaa,
            runtime_min=plausible_runtime(row.runtime_min), rating=row.rating, votes=row.votes or 0,
            critics_meter=row.critics_meter, critics_rating=row.critics_rating,
            critics_reviews=row.critics_reviews, metascore=row.metascore,
        )
        for row in rows
    ]
    return movies, {row.id: row.title_key for row in rows}


def _subtitled(key: str, title: str) -> bool:
    """``title`` is the film ``key`` names, then a subtitle ("borat" in *Borat: Cultural
    Learnings ...*, "dr strangelove" in *Dr. Strangelove or: How I ...*), not a longer title
    that starts with the same words ("get out" in *Get Out Your Handkerchiefs*)."""
    words = r"\W+".join(re.escape(w) for w in key.split())
    opening = rf"^\W*(?:(?:the|a|an)\s+)?{words}\W*?(?:\s*[:(\[,–—-]|\s+or\b|\s+\d+\b|\s+[ivx]+\b)"
    return pattern(opening).match(strip_accents(title).lower()) is not None
