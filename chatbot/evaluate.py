"""``chatbot eval``: offline quality of the recommender against a popularity baseline.

Split: per user, ratings ordered by time; the last 20 % are held out (users with at least
5 ratings). Relevant films: held-out ratings of 4 stars or more. For each user with a relevant
film, every catalogue film the user did not rate in training is ranked:

- *model*: ``Recommender`` fitted on the training ratings only, with the user's
  training films rated >= 4 as ``like`` (what "something like <title>" does in the dialog);
- *popularity*: most training ratings first.

Metrics: NDCG@10 (binary gains) and recall@10 (hits / relevant films), averaged over users.
``tune`` picks weights on a validation split carved out of the training ratings the same way,
so the test split is never looked at while tuning. Example::

    result = evaluate("sqlite:///var/chatbot.sqlite3")
    result["model"]["ndcg@10"] > result["popularity"]["ndcg@10"]

The dialog section (``evaluate_dialogs``): the realistic-conversation suite of the source
checkout (``tests/dialog_suite``: conversations in kinds such as negation, release dates or
corrections, and the kinds a newcomer's session found after the first round -- negation scope
over people and ratings, questions while a film is proposed, answers about watching, restart,
running out of matches, ...), each talked through with ``Chatbot.turn`` and judged against the
catalogue read with SQL; the pass rate per kind and the p50/p90 of ``Chatbot.turn``.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
import logging
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chatbot.catalog import Catalog, Movie
from chatbot.recommender import Params, Recommender, read_ratings

log = logging.getLogger(__name__)

DIALOG_SUITE = Path(__file__).resolve().parents[1] / "tests" / "dialog_suite" / "judge.py"
K = 10
HOLDOUT_FRACTION = 0.2
MIN_USER_RATINGS = 5
LIKED_STARS = 4.0
TUNING_GRID: dict[str, tuple[Any, ...]] = {
    "n_factors": (32, 48, 64),
    "w_popularity": (0.1, 0.25, 0.5),
    "w_content": (0.5, 1.0, 2.0),
}


def temporal_split(ratings: pd.DataFrame, fraction: float = HOLDOUT_FRACTION) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test): each user's last ``fraction`` of ratings by time is test.

    Users with fewer than ``MIN_USER_RATINGS`` ratings stay wholly in train.
    """
    ordered = ratings.sort_values(["user_id", "timestamp", "movie_id"], kind="stable")
    position = ordered.groupby("user_id").cumcount()
    size = ordered.groupby("user_id")["movie_id"].transform("size")
    held_out = (size >= MIN_USER_RATINGS) & (position >= np.ceil(size * (1 - fraction)))
    return ordered[~held_out].reset_index(drop=True), ordered[held_out].reset_index(drop=True)


def ndcg_at_k(ranked: list[int], relevant: set[int], k: int = K) -> float:
    """Binary-gain NDCG: ``ndcg_at_k([3, 1, 2], {1})`` == 1 / log2(3)."""
    dcg = sum(1.0 / np.log2(i + 2) for i, item in enumerate(ranked[:k]) if item in relevant)
    ideal = sum(1.0 / np.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


def recall_at_k(ranked: list[int], relevant: set[int], k: int = K) -> float:
    """Share of the relevant films found in the top ``k``."""
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


def score_split(
    train: pd.DataFrame, test: pd.DataFrame, movies: list[Movie], params: Params
) -> dict[str, dict[str, float]]:
    """Mean NDCG@10 and recall@10 of the model and of popularity on one split."""
    model = Recommender.fit(train, movies, params=params)
    popularity = _popularity_order(train, movies)
    relevant = test[test["rating"] >= LIKED_STARS].groupby("user_id")["movie_id"].agg(set)
    seen = train.groupby("user_id")["movie_id"].agg(set)
    liked = train[train["rating"] >= LIKED_STARS].groupby("user_id")["movie_id"].agg(list)
    ids = np.array(sorted(m.id for m in movies))
    rows = np.arange(len(ids))
    metrics: dict[str, list[tuple[float, float]]] = {"model": [], "popularity": []}
    for user, wanted in relevant.items():
        exclude = seen.get(user, set())
        scores = model.scores(rows, like=liked.get(user, []))
        top_model = _top_k(ids, scores, exclude)
        top_popular = list(itertools.islice((m for m in popularity if m not in exclude), K))
        for name, top in (("model", top_model), ("popularity", top_popular)):
            metrics[name].append((ndcg_at_k(top, wanted), recall_at_k(top, wanted)))
    return {
        name: {
            "ndcg@10": float(np.mean([v[0] for v in values])) if values else 0.0,
            "recall@10": float(np.mean([v[1] for v in values])) if values else 0.0,
            "users": len(values),
        }
        for name, values in metrics.items()
    }


def tune(ratings: pd.DataFrame, movies: list[Movie], base: Params | None = None) -> list[dict[str, Any]]:
    """Grid search on a validation split of the *training* part; best (by NDCG@10) first."""
    train, _test = temporal_split(ratings)
    fit_part, validation = temporal_split(train)
    results = []
    for values in itertools.product(*TUNING_GRID.values()):
        params = dataclasses.replace(base or Params(), **dict(zip(TUNING_GRID, values, strict=True)))
        scores = score_split(fit_part, validation, movies, params)["model"]
        results.append({**dict(zip(TUNING_GRID, values, strict=True)), **scores})
        log.info("tune %s -> ndcg@10 %.4f", results[-1], scores["ndcg@10"])
    return sorted(results, key=lambda r: -r["ndcg@10"])


def evaluate(url: str | None = None, *, params: Params | None = None) -> dict[str, Any]:
    """Fit on the training split of the database's ratings and score the held-out split."""
    started = time.perf_counter()
    params = params or Params()
    movies = list(Catalog.load(url))
    ratings = read_ratings(url)
    train, test = temporal_split(ratings)
    result = score_split(train, test, movies, params)
    return {
        **result,
        "split": {"kind": "per-user temporal", "holdout_fraction": HOLDOUT_FRACTION,
                  "train_ratings": len(train), "test_ratings": len(test),
                  "relevant_stars": LIKED_STARS, "k": K},
        "params": dataclasses.asdict(params),
        "seed": params.seed,
        "git_revision": git_revision(),
        "seconds": round(time.perf_counter() - started, 2),
    }


def evaluate_dialogs(url: str | None = None, suite: Path = DIALOG_SUITE) -> dict[str, Any]:
    """Pass rates per kind of the realistic-conversation suite at ``suite``, and turn latency.

    Returns ``{"kinds": {kind: {"passed", "total", "rate"}, ..., "all": ...}, "failed": [ids],
    "turn_latency_ms": {"p50", "p90", "turns"}, "conversations": n}``, or ``{"error": ...}``
    when the suite is not there (an install without the source checkout's tests/).
    """
    if not suite.is_file():
        return {"error": f"no conversation suite at {suite}: run from a source checkout"}
    from chatbot.bot import Chatbot
    from chatbot.settings import database_url

    spec = importlib.util.spec_from_file_location("chatbot_dialog_suite", suite)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {suite} as a module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    url = url or database_url()
    judge = module.Judge(url)
    try:
        results = module.run_suite(Chatbot(database_url=url, seed=0), judge)
    finally:
        judge.close()
    return {"kinds": module.pass_rates(results),
            "failed": [r.case["id"] for r in results if not r.passed],
            "turn_latency_ms": module.turn_latency_ms(results), "conversations": len(results)}


def format_dialog_table(dialog: dict[str, Any]) -> str:
    """The dialog section as a small text table: pass rate per kind of conversation."""
    if "error" in dialog:
        return f"dialog: {dialog['error']}"
    lines = [f"{'conversations':<20}{'passed':>8}{'total':>7}{'rate':>7}"]
    for kind, row in dialog["kinds"].items():
        lines.append(f"{kind:<20}{row['passed']:>8}{row['total']:>7}{row['rate']:>7.0%}")
    latency = dialog["turn_latency_ms"]
    lines.append(f"Chatbot.turn p50 {latency['p50']} ms, p90 {latency['p90']} ms")
    return "\n".join(lines)


def format_table(result: dict[str, Any]) -> str:
    """The two rows (model, popularity) as a small text table."""
    lines = [f"{'ranker':<12}{'NDCG@10':>10}{'recall@10':>11}{'users':>7}"]
    for name in ("model", "popularity"):
        row = result[name]
        lines.append(f"{name:<12}{row['ndcg@10']:>10.4f}{row['recall@10']:>11.4f}{row['users']:>7}")
    return "\n".join(lines)


def git_revision(cwd: Path | None = None) -> str | None:
    """The current commit id, or None outside a git checkout or before the first commit."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd or Path(__file__).resolve().parent,
            capture_output=True, text=True, timeout=5, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def _popularity_order(train: pd.DataFrame, movies: Iterable[Movie]) -> list[int]:
    counts = train["movie_id"].value_counts()
    ids = pd.Index(sorted(m.id for m in movies))
    votes = counts.reindex(ids, fill_value=0).to_numpy()
    return [int(ids[i]) for i in np.lexsort((ids.to_numpy(), -votes))]


def _top_k(ids: np.ndarray, scores: np.ndarray, exclude: set[int], k: int = K) -> list[int]:
    scores = scores.copy()
    if exclude:
        scores[np.searchsorted(ids, np.fromiter(exclude, dtype=np.int64))] = -np.inf
    best = np.argpartition(-scores, k)[: k * 2] if len(scores) > 2 * k else np.arange(len(scores))
    order = best[np.lexsort((ids[best], -scores[best]))]
    return [int(ids[i]) for i in order[:k] if np.isfinite(scores[i])]
