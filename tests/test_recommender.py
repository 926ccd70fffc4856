"""The recommender: vote-weighted ranking, "something like", steering away from rejections."""

from __future__ import annotations

import pytest

from chatbot.catalog import Catalog
from chatbot.recommender import Recommender


@pytest.fixture(scope="module")
def recommender(chatbot_db_url: str, catalog: Catalog) -> Recommender:
    return Recommender.load(chatbot_db_url, catalog=catalog)


def _id(catalog: Catalog, title: str) -> int:
    movie = catalog.find_title(title)
    assert movie is not None, title
    return movie.id


def test_recommender_ranks_well_rated_known_films_first(recommender, catalog):
    top = [catalog.movie(i) for i in recommender.rank(catalog.search(genre="drama"), limit=10)]
    assert all(movie.votes >= 50 and movie.rating >= 3.8 for movie in top)


def test_recommender_like_pulls_similar_films_up(recommender, catalog):
    comedies = catalog.search(genre="comedy")
    sequel = _id(catalog, "Ace Ventura: When Nature Calls")
    plain = recommender.rank(comedies)
    liked = recommender.rank(comedies, like=[_id(catalog, "Ace Ventura: Pet Detective")])
    assert liked.index(sequel) < 20 < plain.index(sequel)


def test_recommender_never_returns_liked_or_avoided_films(recommender, catalog):
    comedies = catalog.search(genre="comedy", actor="Jim Carrey")
    liked, avoided = comedies[:2], comedies[2:4]
    ranked = recommender.rank(comedies, like=liked, avoid=avoided)
    assert not set(ranked) & {*liked, *avoided}
    assert set(ranked) == set(comedies) - {*liked, *avoided}


def test_recommender_avoid_pushes_similar_films_down(recommender, catalog):
    comedies = catalog.search(genre="comedy", actor="Jim Carrey")
    look_alike = _id(catalog, "The Mask")
    plain = recommender.rank(comedies)
    steered = recommender.rank(comedies, avoid=[_id(catalog, "Dumb and Dumber")])
    assert steered.index(look_alike) > plain.index(look_alike)


def test_recommender_something_like_the_matrix_finds_its_sequels(recommender, catalog):
    similar = recommender.similar(_id(catalog, "The Matrix"), limit=5)
    assert _id(catalog, "The Matrix Reloaded") in similar


def test_recommender_rank_is_deterministic_and_honours_limit(recommender, catalog, chatbot_db_url):
    candidates = catalog.search(genre="sci-fi")
    first = recommender.rank(candidates, like=[_id(catalog, "Alien")], limit=15)
    again = Recommender.load(chatbot_db_url, catalog=catalog).rank(
        list(reversed(candidates)), like=[_id(catalog, "Alien")], limit=15
    )
    assert first == again and len(first) == 15


def test_recommender_ignores_unknown_and_duplicate_ids(recommender, catalog):
    matrix = _id(catalog, "The Matrix")
    assert recommender.rank([matrix, matrix, -5]) == [matrix]
    assert recommender.rank([], like=[matrix]) == []
    assert recommender.similar(-5) == []
