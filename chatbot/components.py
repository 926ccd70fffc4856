"""The dialog manager's collaborators, each behind a small interface with JSON-able inputs and
outputs, and their in-process implementations.

The PUMA port swaps any of them for a client that makes the same call through the mesh
(``/db``, ``/policy``, ``/sentiment``); the dialog manager does not change. Example::

    parts = local_components(Catalog.load(url), Recommender.load(url))
    parts.db.search([{"slot": "genre", "values": ["comedy"], "exclude": False}])   # [ids...]
    parts.sentiment("that sounds awful")["compound"]                 # -0.4588

For the port, ``serve_db`` / ``serve_policy`` answer one JSON request each (the service
side) and ``remote_components`` builds the agent's side from three request functions.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import ConfigDict, ValidationError, validate_call

from chatbot.constraints import check
from chatbot.errors import ChatbotError, InvalidRequest, NotFound

log = logging.getLogger(__name__)

Json = dict[str, Any]
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
             limit: int | None) -> list[int]:
        """``candidate_ids`` best first, towards ``like`` and away from ``avoid``."""
        ...


@dataclass(frozen=True)
class Components:
    """Everything the dialog manager calls. Replace a field to move that part elsewhere."""

    db: Db
    nlu: NluFn
    sentiment: SentimentFn
    policy: PolicyFn


class LocalDb:
    """``Db`` over an in-memory ``Catalog`` and ``Recommender``."""

    def __init__(self, catalog: Any, recommender: Any) -> None:
        self._catalog = catalog
        self._recommender = recommender

    def vocabulary(self) -> Json:
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
             limit: int | None) -> list[int]:
        ranked = self._recommender.rank(list(candidate_ids), like=tuple(like), avoid=tuple(avoid),
                                        limit=limit)
        return [int(i) for i in ranked]


def local_components(catalog: Any, recommender: Any) -> Components:
    """All parts in this process: the monolith's wiring."""
    from chatbot.nlu import Understander
    from chatbot.policy import decide
    from chatbot.sentiment import Sentiment

    db = LocalDb(catalog, recommender)
    return Components(db=db, nlu=Understander(db.vocabulary()), sentiment=Sentiment(),
                      policy=decide)


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


# -- the same interfaces over JSON requests, for the micro-service port ----------------------

DB_OPERATIONS = ("vocabulary", "search", "movie", "find_title", "rank")


def serve_db(db: Db, request: Json) -> Json:
    """Answer one ``/db`` request ``{"op": name, "args": {...}}`` with ``{"result": ...}``.

    Example: ``serve_db(db, {"op": "search", "args": {"constraints": {"genre": ["comedy"]}}})``.
    """
    op = request.get("op") if isinstance(request, dict) else None
    if op not in DB_OPERATIONS:
        raise InvalidRequest(f"db op: {op!r} is not one of {', '.join(DB_OPERATIONS)}")
    args = request.get("args") or {}
    if not isinstance(args, dict):
        raise InvalidRequest(f"db args: expected an object, got {type(args).__name__}")
    try:
        with request_errors(f"db {op}"):
            return {"result": _checked(type(db), op)(db, **args)}
    except ValidationError as error:
        raise InvalidRequest(f"db {op}: {_problems(error)}") from None


@functools.cache
def _checked(cls: type, op: str) -> Callable[..., Any]:
    """``cls.op`` checking its arguments against its type hints (strictly: JSON's types only)."""
    return validate_call(config=ConfigDict(strict=True))(getattr(cls, op))


def _problems(error: ValidationError) -> str:
    found = [f"{'.'.join(str(p) for p in e['loc'][1:]) or 'arguments'}: {e['msg']}" for e in error.errors()]
    return "; ".join(found[:5])


@contextlib.contextmanager
def request_errors(what: str) -> Iterator[None]:
    """A part failing on data of a shape it does not read (a list where it reads a name, a number
    where it reads a stage...) is the request's fault: ``InvalidRequest`` naming the operation
    (HTTP 400), or ``NotFound`` for an id that does not exist (404). Logged, so a bug still shows."""
    try:
        yield
    except (ChatbotError, ValidationError):
        raise
    except KeyError as error:
        raise NotFound(f"{what}: {error.args[0] if error.args else error}") from None
    except (TypeError, ValueError, AttributeError, LookupError) as error:
        log.info("%s: a request of the wrong shape: %r", what, error, exc_info=True)
        raise InvalidRequest(f"{what}: the request does not fit this operation "
                             f"({type(error).__name__}: {error})") from None


def serve_policy(request: Json, policy: PolicyFn | None = None) -> Json:
    """Answer one ``/policy`` request ``{"state", "nlu", "sentiment"}`` with the decision."""
    from chatbot.policy import decide

    missing = [k for k in ("state", "nlu", "sentiment") if not isinstance(request.get(k), dict)]
    if missing:
        raise InvalidRequest(f"policy request: missing or not an object: {', '.join(missing)}")
    with request_errors("policy"):
        return (policy or decide)(request["state"], request["nlu"], request["sentiment"])


def serve_sentiment(sentiment: SentimentFn, request: Json) -> Json:
    """Answer one ``/sentiment`` request ``{"text": ...}`` with the scores."""
    text = request.get("text") if isinstance(request, dict) else None
    if not isinstance(text, str):
        raise InvalidRequest("sentiment request: \"text\" must be a string")
    return sentiment(text)


class RemoteDb:
    """``Db`` whose every call is one JSON request through ``call`` (e.g. a POST to ``/db``
    through the mesh); the other side answers with ``serve_db``."""

    def __init__(self, call: Callable[[Json], Json]) -> None:
        self._call = call

    def _request(self, op: str, **args: Any) -> Any:
        return self._call({"op": op, "args": args})["result"]

    def vocabulary(self) -> Json:
        return self._request("vocabulary")

    def search(self, constraints: Json) -> list[int]:
        return self._request("search", constraints=constraints)

    def movie(self, movie_id: int) -> Json:
        return self._request("movie", movie_id=movie_id)

    def find_title(self, text: str) -> Json | None:
        return self._request("find_title", text=text)

    def rank(self, candidate_ids: list[int], like: list[int], avoid: list[int],
             limit: int | None) -> list[int]:
        return self._request("rank", candidate_ids=candidate_ids, like=like, avoid=avoid,
                             limit=limit)


def remote_components(db_call: Callable[[Json], Json], policy_call: Callable[[Json], Json],
                      sentiment_call: Callable[[Json], Json]) -> Components:
    """Components that reach db, policy and sentiment only through the three ``*_call``
    functions (one JSON request -> one JSON reply each); understanding stays local, built
    from the remote vocabulary. Requests: db ``{"op", "args"}``, policy ``{"state", "nlu",
    "sentiment"}``, sentiment ``{"text"}``."""
    from chatbot.nlu import Understander

    db = RemoteDb(db_call)
    return Components(
        db=db,
        nlu=Understander(db.vocabulary()),
        sentiment=lambda text: sentiment_call({"text": text}),
        policy=lambda state, nlu, scores: policy_call(
            {"state": state, "nlu": nlu, "sentiment": scores}),
    )
