"""The in-memory catalogue the dialog reads: search, title look-up, names, genres."""

from __future__ import annotations

import json

import pytest

from chatbot.catalog import GENRES, Catalog, Movie, canonical_genre, normalise_title


def _titles(catalog: Catalog, ids: list[int]) -> set[str]:
    return {catalog.movie(i).title for i in ids}


def test_catalog_search_comedy_with_jim_carrey_returns_only_his_comedies(catalog):
    ids = catalog.search(genre="comedy", actor="Jim Carrey")
    assert {"Liar Liar", "The Mask", "Dumb and Dumber"} <= _titles(catalog, ids)
    for movie in map(catalog.movie, ids):
        assert "comedy" in movie.genres and "Jim Carrey" in movie.cast


def test_catalog_search_ands_all_constraints(catalog):
    ids = catalog.search(genre="crime", director="Quentin Tarantino", mpaa="R")
    assert "Pulp Fiction" in _titles(catalog, ids)
    for movie in map(catalog.movie, ids):
        assert "crime" in movie.genres and "Quentin Tarantino" in movie.directors
        assert movie.mpaa == "R"


def test_catalog_search_ignores_case_of_names_and_spelling_of_mpaa(catalog):
    assert catalog.search(actor="jim carrey") == catalog.search(actor="Jim Carrey")
    assert catalog.search(mpaa="pg13") == catalog.search(mpaa="PG-13") != []


def test_catalog_search_unknown_value_matches_nothing(catalog):
    assert catalog.search(actor="Nobody Atall") == []
    assert catalog.search(genre="comedy", mpaa="Unrated") == []


def test_catalog_search_lists_best_known_films_first(catalog):
    votes = [catalog.movie(i).votes for i in catalog.search(genre="drama")]
    assert votes == sorted(votes, reverse=True)


def test_catalog_search_finds_a_name_with_an_apostrophe(catalog):
    assert "Cleopatra" in _titles(catalog, catalog.search(actor="Carroll O'Connor"))


@pytest.mark.parametrize(
    ("text", "title", "year"),
    [
        ("the matrix", "The Matrix", 1999),
        ("Matrix, The", "The Matrix", 1999),
        ("THE GODFATHR", "The Godfather", 1972),  # a typo
        ("schindlers list", "Schindler's List", 1993),
        ("amelie", "Amélie", 2001),
        ("Beauty and the Beast", "Beauty and the Beast", 1991),  # most votes among three
        ("Beauty and the Beast (1946)", "Beauty and the Beast", 1946),
    ],
)
def test_catalog_find_title_tolerates_case_articles_accents_and_typos(catalog, text, title, year):
    movie = catalog.find_title(text)
    assert movie is not None and (movie.title, movie.year) == (title, year)


def test_catalog_find_title_returns_none_for_no_film(catalog):
    assert catalog.find_title("qwxz plorf") is None
    assert catalog.find_title("  ") is None


def test_catalog_movie_fields_are_clean(catalog):
    movie = catalog.find_title("pulp fiction")
    assert movie.directors == ("Quentin Tarantino",)
    assert movie.mpaa == "R" and movie.runtime_min == 154
    assert "John Travolta" in movie.cast[:6]  # prominent actors first
    assert 3.5 < movie.rating < 5 and movie.votes > 100


def test_catalog_rating_is_vote_weighted(catalog):
    rated = [m for m in catalog if m.votes]
    few_votes = [m for m in rated if m.votes == 1]
    assert few_votes and all(2.5 < m.rating < 4.5 for m in few_votes)  # shrunk to the mean
    assert all(m.rating is None for m in catalog if not m.votes)


def test_catalog_genres_are_canonical(catalog):
    assert "sci-fi" in catalog.genres and set(catalog.genres) <= set(GENRES)
    assert canonical_genre("Science Fiction") == "sci-fi"
    assert canonical_genre("polka") is None


def test_catalog_name_lists_are_sorted_and_unique(catalog):
    assert "Jim Carrey" in catalog.actors and "Quentin Tarantino" in catalog.directors
    assert len(set(catalog.actors)) == len(catalog.actors)
    assert catalog.mpaa_ratings == ["G", "PG", "PG-13", "R", "NC-17"]


def test_catalog_movie_to_dict_is_json(catalog):
    data = catalog.find_title("the matrix").to_dict()
    assert json.loads(json.dumps(data)) == data
    assert isinstance(data["cast"], list) and data["title"] == "The Matrix"


def test_catalog_movie_unknown_id_names_it(catalog):
    with pytest.raises(KeyError, match="-1"):
        catalog.movie(-1)


def test_catalog_can_be_built_from_movies_without_a_database():
    movies = [
        Movie(1, "The Thing", 1982, ("horror",), ("John Carpenter",), ("Kurt Russell",),
              "R", 109, 4.0, 50),
        Movie(2, "Thing, The", 2011, ("horror",), ("M. van Heijningen",), ("Joel Edgerton",),
              "R", 103, 3.0, 5),
    ]
    catalog = Catalog(movies)
    assert len(catalog) == 2 and catalog.find_title("thing").id == 1
    assert catalog.find_title("The Thing (2011)").id == 2
    assert normalise_title("Thing, The") == normalise_title("the thing!") == "thing"


def test_cast_prominence_puts_leads_before_prolific_bit_players() -> None:
    from chatbot.loader import cast_prominence

    films = [{"cast": ["Lead Star", "Bit Player"] + [f"Extra {i}" for i in range(3)], "votes": 300}]
    films += [{"cast": ["Lead Star", "Co Star"], "votes": 100} for _ in range(5)]
    films += [{"cast": ["Bit Player"] + [f"Crowd {i} {j}" for i in range(60)], "votes": 300}
              for j in range(20)]
    prominence = cast_prominence(films)
    assert prominence["Lead Star"] > prominence["Co Star"] > prominence["Bit Player"]


def test_cameo_directors_are_those_acting_almost_only_in_their_own_films() -> None:
    from chatbot.catalog import cameo_directors, cameos_last

    films = [(["Ann Auteur", "Lee Lead"], ["Ann Auteur"]) for _ in range(9)]
    films += [(["Ann Auteur"], ["Someone Else"])]  # 9 of 10 credits in her own films: cameos
    films += [(["Dan Doer", "Lee Lead"], ["Dan Doer"]) for _ in range(3)]
    films += [(["Dan Doer"], ["Someone Else"]) for _ in range(5)]  # leads others' films too
    cameos = cameo_directors(films)
    assert cameos == frozenset({"Ann Auteur"})
    assert cameos_last(["Ann Auteur", "Lee Lead"], ["Ann Auteur"], cameos) == ("Lee Lead", "Ann Auteur")
    assert cameos_last(["Dan Doer", "Lee Lead"], ["Dan Doer"], cameos) == ("Dan Doer", "Lee Lead")
