"""The dialog manager's collaborators, each behind a small interface with JSON-able inputs and
outputs, and their in-process implementations.

``Components.assemble(part)`` asks ``part(name)`` for each collaborator by its name (``"db"``,
``"sentiment"``, ``"policy"``) and builds the understanding from the db's vocabulary; the
monolith's ``part`` is a dict of in-process objects, the PUMA port's is ``puma.remote`` (each
a proxy of the service of that name). The dialog manager does not change. Example::

    parts = local_components(Catalog.load(url), Recommender.load(url))
    parts.db.search([{"slot": "genre", "values": ["comedy"], "exclude": False}])   # [ids...]
    parts.sentiment("that sounds awful")["compound"]                 # -0.4588
"""

from __future__ import annotations

import copy
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from chatbot.constraints import check

log = logging.getLogger(__name__)

Json = dict[str, Any]
GENRE_FIT_WEIGHT = 0.45  # against quality (~0 to 0.45): a central genre outranks fame a little
# Genres that set a film's tone: a film carrying one the user did not ask for is another kind
# of film ("a sci-fi horror" is not Young Frankenstein, a comedy; a horror-comedy is not
# Apocalypse Now, tagged war), unless they asked for a genre whose films often carry that tone
# (a family film or a romance may well be a comedy). Its fit in that genre, times
# TONE_CLASH_WEIGHT, is taken off its score.
TONE_COMPANIONS = {"comedy": frozenset({"family", "animation", "musical", "romance"}),
                   "horror": frozenset({"thriller", "mystery", "fantasy"}),
                   "war": frozenset({"history", "action", "drama"})}
TONE_GENRES = tuple(TONE_COMPANIONS)
TONE_CLASH_WEIGHT = 0.3
LEAD_WEIGHT = 0.25  # an asked actor's lead role outranks any fame gap; a cameo ranks by fame
NluFn = Callable[[str, "str | None"], Json]
"""``(text, expected_slot) -> understanding``; see ``chatbot.nlu.Understander``."""
SentimentFn = Callable[[str], Json]
"""``text -> {"neg", "neu", "pos", "compound"}``; see ``chatbot.sentiment.Sentiment``."""
PolicyFn = Callable[[Json, Json, Json], Json]
"""``(state, understanding, sentiment) -> decision``; see ``chatbot.policy.decide``."""


class Db(Protocol):
    """Catalogue and recommender operations the dialog needs; all arguments and results JSON."""

    def vocabulary(self) -> Json:
        """``{"genres": [...], "mpaa": [...], "actors": {name: films}, "directors": {...},
        "titles": [...], "years": [first, last], "fame": {"actor": {name: votes},
        "director": {...}}}`` (fame: the attention a person's films in that role get, each film
        giving sqrt(MovieLens votes + 1) shared by the people credited in the role)."""
        ...

    def search(self, constraints: list[Json] | Json) -> list[int]:
        """Ids meeting every constraint (``chatbot.constraints``: a list of
        ``{"slot", "values", "exclude"}`` / ``{"slot": "year", "range", "exclude"}``), best-known
        first; the older ``{"genre": [g, ...], "actor", "director", "mpaa"}`` is accepted too.
        Malformed constraints raise ``InvalidRequest`` naming the path and the fix."""
        ...

    def movie(self, movie_id: int) -> Json:
        """The film as ``Movie.to_dict()``."""
        ...

    def find_title(self, text: str) -> Json | None:
        """The film called ``text``, as a dict, or None."""
        ...

    def rank(self, candidate_ids: list[int], like: list[int], avoid: list[int],
             limit: int | None, genres: list[str] | None = None,
             actors: list[str] | None = None) -> list[int]:
        """``candidate_ids`` best first, towards ``like`` and away from ``avoid``; with
        ``genres`` (asked for), films those genres are central to first; with ``actors``
        (asked for), films they lead first, before those they only appear in."""
        ...


@dataclass(frozen=True)
class Components:
    """Everything the dialog manager calls. Replace a field to move that part elsewhere."""

    db: Db
    nlu: NluFn
    sentiment: SentimentFn
    policy: PolicyFn

    @classmethod
    def assemble(cls, part: Callable[[str], Any]) -> Components:
        """The collaborators named ``"db"``, ``"sentiment"`` and ``"policy"``, each ``part(name)``,
        and the understanding built from the db's vocabulary. Example: ``Components.assemble(
        {"db": db, "sentiment": Sentiment(), "policy": decide}.__getitem__)``."""
        from chatbot.nlu import Understander

        db = part("db")
        log.info("reading the vocabulary of the catalogue")  # these lines are the start-up's progress
        vocabulary = db.vocabulary()
        log.info("building the understander")
        return cls(db=db, nlu=RememberedNlu(Understander(vocabulary)), sentiment=part("sentiment"),
                   policy=part("policy"))


class RememberedNlu:
    """``nlu(text, expected_slot)`` remembered for the last ``size`` different pairs.

    Understanding is a pure function of the text and the slot asked (the vocabulary and the
    year are fixed when it is built), and answers repeat: "no", "yes", "no preference" to each
    slot, "rated PG-13". Reading one costs ~1-2 ms of CPU, a third of the agent's turn; a
    remembered one a deep copy (~50 us), as the dialog changes the understanding it is given.
    Example: ``RememberedNlu(Understander(db.vocabulary()))("no", None)["intent"]``."""

    def __init__(self, understand: NluFn, size: int = 2048) -> None:
        self._understand = understand
        self._size = size
        self._kept: OrderedDict[tuple[str, str | None], Json] = OrderedDict()
        self._lock = threading.Lock()  # one per process; the instance's request threads share it

    def __call__(self, text: str, expect: str | None = None) -> Json:
        if type(text) is not str or (expect is not None and type(expect) is not str):
            return self._understand(text, expect)  # no key to keep it by: read it as it is
        key = (text, expect)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
        if kept is not None:
            return copy.deepcopy(kept)
        understanding = self._understand(text, expect)
        with self._lock:
            self._kept[key] = copy.deepcopy(understanding)
            if len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return understanding


def clashing_tones(genres: tuple[str, ...] | list[str]) -> list[str]:
    """The tone genres a film asked for by ``genres`` should not carry: those not asked for
    whose companions are not asked for either. Example: ``clashing_tones(["sci-fi", "horror"])``
    -> ``['comedy', 'war']``; ``clashing_tones(["family"])`` -> ``['horror', 'war']``."""
    return [t for t in TONE_GENRES if t not in genres and not TONE_COMPANIONS[t] & set(genres)]


class LocalDb:
    """``Db`` over an in-memory ``Catalog`` and ``Recommender``."""

    def __init__(self, catalog: Any, recommender: Any) -> None:
        self._catalog = catalog
        self._recommender = recommender
        self._fit: dict[str, dict[int, float]] | None = None
        self._boosts: dict[tuple[str, ...], dict[int, float]] = {}
        # Built once: every agent instance asks for it while warming up, all at once after a
        # deployment starts; computed per call, a CPU-starved db answered none within its timeout.
        self._vocabulary: Json | None = None
        self._vocabulary_lock = threading.Lock()

    @classmethod
    def load(cls, database_url: str | None = None) -> LocalDb:
        """The catalogue and the recommender of the database at ``database_url`` (default: settings),
        prepared first if it is not (migrations and data: about 25 s on a busy 2-core machine)."""
        from chatbot.catalog import Catalog
        from chatbot.db.prepare import ensure_prepared
        from chatbot.recommender import Recommender

        ensure_prepared(database_url)
        log.info("loading the catalogue")
        catalog = Catalog.load(database_url)
        log.info("loading the recommender")
        return cls(catalog, Recommender.load(database_url, catalog=catalog))

    def vocabulary(self) -> Json:
        with self._vocabulary_lock:
            if self._vocabulary is None:
                self._vocabulary = self._build_vocabulary()
            return self._vocabulary

    def _build_vocabulary(self) -> Json:
        actors: dict[str, int] = {}
        directors: dict[str, int] = {}
        fame: dict[str, dict[str, float]] = {"actor": {}, "director": {}}
        for movie in self._catalog:
            attention = math.sqrt(movie.votes + 1)
            for role, names, counts in (("actor", movie.cast, actors),
                                        ("director", movie.directors, directors)):
                for name in names:
                    counts[name] = counts.get(name, 0) + 1
                    fame[role][name] = fame[role].get(name, 0.0) + attention / len(names)
        years = [m.year for m in self._catalog if m.year is not None]
        fame = {role: {n: round(v, 2) for n, v in table.items()} for role, table in fame.items()}
        return {"genres": list(self._catalog.genres), "mpaa": list(self._catalog.mpaa_ratings),
                "actors": actors, "directors": directors, "fame": fame,
                "titles": sorted({m.title for m in self._catalog}),
                "years": [min(years), max(years)] if years else None}

    def search(self, constraints: list[Json] | Json) -> list[int]:
        return self._catalog.matching(check(constraints))

    def movie(self, movie_id: int) -> Json:
        return self._catalog.movie(int(movie_id)).to_dict()

    def find_title(self, text: str) -> Json | None:
        movie = self._catalog.find_title(text)
        return movie.to_dict() if movie is not None else None

    def rank(self, candidate_ids: list[int], like: list[int], avoid: list[int],
             limit: int | None, genres: list[str] | None = None,
             actors: list[str] | None = None) -> list[int]:
        boost = self._genre_boost(tuple(sorted(set(genres)))) if genres else None
        if actors:
            leads = self._lead_boost(candidate_ids, actors)
            boost = {i: leads.get(i, 0.0) + (boost or {}).get(i, 0.0) for i in leads}
        ranked = self._recommender.rank(list(candidate_ids), like=tuple(like), avoid=tuple(avoid),
                                        limit=limit, boost=boost)
        return [int(i) for i in ranked]

    def _lead_boost(self, candidate_ids: list[int], actors: list[str]) -> dict[int, float]:
        """``LEAD_WEIGHT`` times how much the ``actors`` lead each film: ``2 / (2 + position)``
        in its cast order (prominence, cameos last: 1 first, 0.5 third), averaged over them."""
        boost = {}
        for movie_id in candidate_ids:
            cast = self._catalog.movie(movie_id).cast
            fits = [2 / (2 + cast.index(a)) if a in cast else 0.0 for a in actors]
            boost[movie_id] = LEAD_WEIGHT * sum(fits) / len(fits)
        return boost

    def _genre_boost(self, genres: tuple[str, ...]) -> dict[int, float]:
        """Score added to each film of any of ``genres``: ``GENRE_FIT_WEIGHT`` times the mean
        fit (``_genre_fit``) over them, less ``TONE_CLASH_WEIGHT`` times its fit in each tone
        genre they clash with (``clashing_tones``); worked out once per set of genres (a turn's ranking
        then looks films up instead of summing over every candidate: 5,568 comedies took
        ~17 ms a turn that way)."""
        boost = self._boosts.get(genres)
        if boost is None:
            fit = self._genre_fit()
            boost = {}
            for genre in genres:
                for movie_id, weight in fit.get(genre, {}).items():
                    boost[movie_id] = boost.get(movie_id, 0.0) + GENRE_FIT_WEIGHT * weight / len(genres)
            for tone in clashing_tones(genres):
                for movie_id, weight in fit.get(tone, {}).items():
                    if movie_id in boost:
                        boost[movie_id] -= TONE_CLASH_WEIGHT * weight
            if len(self._boosts) >= 64:  # a few dozen genre sets are ever asked
                self._boosts.clear()
            self._boosts[genres] = boost
        return boost

    def _genre_fit(self) -> dict[str, dict[int, float]]:
        """How central each genre is to each film (genre -> film id -> fit): its TF-IDF weight
        among the film's genres (L2-normalised), so "comedy" counts less for a
        comedy-action-crime film than for a comedy, and a rare tag more than a common one."""
        if self._fit is None:
            films = list(self._catalog)
            counts: dict[str, int] = {}
            for movie in films:
                for genre in movie.genres:
                    counts[genre] = counts.get(genre, 0) + 1
            idf = {g: math.log((1 + len(films)) / (1 + n)) + 1 for g, n in counts.items()}
            fit: dict[str, dict[int, float]] = {g: {} for g in counts}
            for movie in films:
                norm = math.sqrt(sum(idf[g] ** 2 for g in movie.genres)) or 1.0
                for genre in movie.genres:
                    fit[genre][movie.id] = idf[genre] / norm
            self._fit = fit
        return self._fit


def local_components(catalog: Any, recommender: Any) -> Components:
    """All parts in this process, around this catalogue and recommender."""
    return in_process(LocalDb(catalog, recommender))


def in_process(db: Db) -> Components:
    """All parts in this process, around ``db``: the monolith's wiring."""
    from chatbot.policy import decide
    from chatbot.sentiment import Sentiment

    return Components.assemble({"db": db, "sentiment": Sentiment(), "policy": decide}.__getitem__)


def constraints_of(items: list[Any]) -> list[Json]:
    """The constraint list ``Db.search`` takes, from wishes: constraint dicts pass through,
    and older ``[slot, value]`` pairs become includes.

    Example: ``constraints_of([["genre", "comedy"], {"slot": "year", "range": [1980, 1989],
    "exclude": False}])`` -> ``[{"slot": "genre", "values": ["comedy"], "exclude": False},
    {"slot": "year", "range": [1980, 1989], "exclude": False}]``.
    """
    found: list[Json] = []
    for item in items:
        if isinstance(item, dict):
            found.append(dict(item))
        else:
            slot, value = item
            found.append({"slot": slot, "values": [value], "exclude": False})
    return found
