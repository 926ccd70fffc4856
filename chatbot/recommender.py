"""Ranking candidate films: vote-weighted rating + collaborative + content similarity.

The model (scikit-learn, fitted in about a second, so it is fitted at start-up from the
``ml_ratings`` table rather than persisted — nothing to keep in sync with the data):

- *quality*: each film's Bayesian mean MovieLens rating (shrunk towards the global mean by
  ``prior_votes``), plus a small bonus for how many people rated it;
- *collaborative similarity*: item factors from ``TruncatedSVD`` of the user x film matrix of
  who rated what; cosine between films;
- *content similarity*: cosine of TF-IDF-weighted genres, directors and leading cast.

``rank(candidates, like=..., avoid=...)`` scores each candidate as quality plus its similarity
to the liked films minus its greatest similarity to any avoided film. Example::

    recommender = Recommender.load()
    recommender.rank(catalog.search(genre="comedy"), like=[matrix_id], avoid=[rejected_id])
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse
from sqlalchemy import select

from chatbot.catalog import Catalog, Movie
from chatbot.db.engine import make_engine
from chatbot.db.models import MlMovie, MlRating

if TYPE_CHECKING:
    import pandas as pd  # pandas and scikit-learn are imported when fitting: a cached model needs neither

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Params:
    """Model weights. Defaults were tuned on a validation split carved from the *training*
    ratings of ``chatbot eval`` (see ``chatbot.evaluate.tune``), never on its test split."""

    n_factors: int = 48
    prior_votes: float = 10.0
    w_quality: float = 0.2
    w_popularity: float = 0.25
    w_collaborative: float = 1.0
    w_content: float = 1.0
    w_avoid: float = 0.3  # not measurable offline: set so one rejection demotes look-alikes
    lead_cast: int = 5
    seed: int = 0


class Recommender:
    """Scores films; ``rank`` is deterministic (ties broken by id)."""

    def __init__(
        self,
        ids: np.ndarray,
        quality: np.ndarray,
        factors: np.ndarray,
        content: sparse.csr_matrix,
        params: Params,
    ) -> None:
        self.params = params
        self._ids = ids
        self._row = {int(movie_id): i for i, movie_id in enumerate(ids)}
        self._quality = quality
        self._factors = factors
        self._content = content

    @classmethod
    def load(
        cls, url: str | None = None, *, catalog: Catalog | None = None, params: Params | None = None
    ) -> Recommender:
        """Fit from the database at ``url`` (default: settings); pass ``catalog`` if loaded.

        A model fitted before on the same load of the data, with the same parameters and code,
        is read back from the on-disk cache instead (``chatbot.artefacts``: ~0.05 s, not ~2 s).
        """
        from chatbot import artefacts

        params = params or Params()
        return artefacts.recommender(
            url, params,
            fit=lambda: cls.fit(read_ratings(url), catalog if catalog is not None else Catalog.load(url), params=params),
            read=lambda arrays: cls.from_arrays(arrays, params))

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The fitted model as plain arrays (``from_arrays`` inverts it); for the on-disk cache."""
        content = self._content
        return {"ids": self._ids, "quality": self._quality, "factors": self._factors,
                "content_data": content.data, "content_indices": content.indices,
                "content_indptr": content.indptr, "content_shape": np.array(content.shape)}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], params: Params) -> Recommender:
        """The model ``to_arrays`` described, fitted with ``params``."""
        content = sparse.csr_matrix(
            (arrays["content_data"], arrays["content_indices"], arrays["content_indptr"]),
            shape=tuple(int(n) for n in arrays["content_shape"]))
        return cls(arrays["ids"], arrays["quality"], arrays["factors"], content, params)

    @classmethod
    def fit(
        cls, ratings: pd.DataFrame, movies: Iterable[Movie], *, params: Params | None = None
    ) -> Recommender:
        """Fit on ``ratings`` (columns user_id, movie_id, rating) about ``movies``."""
        started = time.perf_counter()
        params = params or Params()
        films = sorted(movies, key=lambda m: m.id)
        ids = np.array([m.id for m in films], dtype=np.int64)
        ratings = ratings[ratings["movie_id"].isin(ids)]
        model = cls(
            ids,
            _quality(ratings, ids, params),
            _item_factors(ratings, ids, params),
            _content_matrix(films, params),
            params,
        )
        log.info("recommender fitted on %d ratings, %d films in %.2f s",
                 len(ratings), len(ids), time.perf_counter() - started)
        return model

    def rank(
        self,
        candidate_ids: Iterable[int],
        *,
        like: Sequence[int] = (),
        avoid: Sequence[int] = (),
        limit: int | None = None,
        boost: Mapping[int, float] | None = None,
    ) -> list[int]:
        """Candidates best first, without the liked, avoided and unknown ids; ``boost`` adds
        to a film's score (by id).

        Example: ``rank(catalog.search(genre="comedy"), like=[liar_liar_id], limit=10)``.
        """
        left_out = {*like, *avoid}
        known = [c for c in dict.fromkeys(candidate_ids) if c in self._row and c not in left_out]
        if not known:
            return []
        rows = np.array([self._row[c] for c in known])
        scores = self.scores(rows, like=like, avoid=avoid)
        if boost:
            scores = scores + np.array([boost.get(c, 0.0) for c in known])
        order = np.lexsort((self._ids[rows], -scores))  # score desc, then id asc
        ranked = [int(i) for i in self._ids[rows][order]]
        return ranked if limit is None else ranked[:limit]

    def scores(
        self, rows: np.ndarray, *, like: Sequence[int] = (), avoid: Sequence[int] = ()
    ) -> np.ndarray:
        """Scores of the films at matrix ``rows`` given liked and avoided film ids."""
        p = self.params
        score = self._quality[rows].copy()
        liked = self._rows_of(like)
        if liked.size:
            score += p.w_collaborative * (self._factors[rows] @ self._factors[liked].mean(axis=0))
            profile = np.asarray(self._content[liked].mean(axis=0)).ravel()
            score += p.w_content * (self._content[rows] @ profile)
        avoided = self._rows_of(avoid)
        if avoided.size:
            # only positive similarity counts: unlike a rejected film is not a reason to promote
            score -= p.w_avoid * np.clip(self._similarity(rows, avoided).max(axis=1), 0.0, None)
        return score

    def similar(self, movie_id: int, limit: int = 10) -> list[int]:
        """Films most like ``movie_id`` (itself excluded); [] for an unknown id."""
        if movie_id not in self._row:
            return []
        rows = np.arange(len(self._ids))
        sims = self._similarity(rows, self._rows_of([movie_id]))[:, 0]
        order = np.lexsort((self._ids, -sims))
        return [int(self._ids[i]) for i in order if self._ids[i] != movie_id][:limit]

    def _similarity(self, rows: np.ndarray, others: np.ndarray) -> np.ndarray:
        """Blended collaborative + content cosine, shape (len(rows), len(others))."""
        p = self.params
        collaborative = self._factors[rows] @ self._factors[others].T
        content = (self._content[rows] @ self._content[others].T).toarray()
        return (p.w_collaborative * collaborative + p.w_content * content) / (
            p.w_collaborative + p.w_content
        )

    def _rows_of(self, movie_ids: Sequence[int]) -> np.ndarray:
        return np.array([self._row[m] for m in dict.fromkeys(movie_ids) if m in self._row], dtype=np.int64)


def read_ratings(url: str | None = None) -> pd.DataFrame:
    """MovieLens ratings joined to catalogue films: user_id, movie_id, rating, timestamp."""
    engine = make_engine(url)
    query = (
        select(MlRating.user_id, MlMovie.movie_id, MlRating.rating, MlRating.timestamp)
        .join(MlMovie, MlMovie.id == MlRating.ml_movie_id)
        .where(MlMovie.movie_id.is_not(None))
    )
    try:
        with engine.connect() as conn:
            rows = conn.execute(query).all()
    finally:
        engine.dispose()
    import pandas as pd

    frame = pd.DataFrame(rows, columns=["user_id", "movie_id", "rating", "timestamp"])
    # Two MovieLens entries can map to one film: keep a user's latest rating of it.
    return frame.sort_values("timestamp", kind="stable").drop_duplicates(
        ["user_id", "movie_id"], keep="last"
    ).reset_index(drop=True)


def _quality(ratings: pd.DataFrame, ids: np.ndarray, p: Params) -> np.ndarray:
    """Weighted Bayesian mean (centred) + popularity bonus; unrated films get the prior."""
    stats = ratings.groupby("movie_id")["rating"].agg(["sum", "count"]).reindex(ids, fill_value=0)
    prior = float(ratings["rating"].mean()) if len(ratings) else 3.5
    bayes = (stats["sum"].to_numpy() + p.prior_votes * prior) / (stats["count"].to_numpy() + p.prior_votes)
    votes = stats["count"].to_numpy(dtype=float)
    popularity = np.log1p(votes) / np.log1p(max(votes.max(initial=0.0), 1.0))
    return p.w_quality * (bayes - prior) + p.w_popularity * popularity


def _item_factors(ratings: pd.DataFrame, ids: np.ndarray, p: Params) -> np.ndarray:
    """SVD item vectors of the binary user x film matrix, centred and L2-normalised.

    Centring removes the direction all films share (being popular), so cosine says "rated
    by the same people" rather than "both well known". Unrated films get zero vectors.
    """
    import pandas as pd
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import normalize

    users = pd.factorize(ratings["user_id"])[0]
    items = np.searchsorted(ids, ratings["movie_id"].to_numpy())
    n_users = int(users.max()) + 1 if len(users) else 0
    k = min(p.n_factors, max(n_users - 1, 1), max(len(ids) - 1, 1))
    if n_users < 2:
        return np.zeros((len(ids), 1))
    matrix = sparse.csr_matrix(
        (np.ones(len(items)), (users, items)), shape=(n_users, len(ids))
    )
    svd = TruncatedSVD(n_components=k, random_state=p.seed)
    svd.fit(matrix)
    vectors = svd.components_.T * svd.singular_values_
    rated = np.bincount(items, minlength=len(ids)) > 0
    vectors[rated] -= vectors[rated].mean(axis=0)
    vectors[~rated] = 0.0
    return normalize(vectors)


def _content_matrix(films: list[Movie], p: Params) -> sparse.csr_matrix:
    """TF-IDF over genre, director and leading-cast tokens; rows L2-normalised."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import TfidfTransformer

    features = [
        {f"g:{g}": 1 for g in m.genres}
        | {f"d:{d}": 1 for d in m.directors}
        | {f"a:{a}": 1 for a in m.cast[: p.lead_cast]}
        for m in films
    ]
    counts = DictVectorizer().fit_transform(features)
    return sparse.csr_matrix(TfidfTransformer(norm="l2").fit_transform(counts))
