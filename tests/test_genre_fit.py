"""Ranking by genre fit (chatbot.components.LocalDb.rank) on the packaged catalogue: a tone
genre (comedy, horror, war) the user did not ask for makes another kind of film."""

from __future__ import annotations

import pytest

from chatbot.catalog import Catalog
from chatbot.components import clashing_tones
from chatbot.constraints import include
from tests.chatbot_helpers import components_for


@pytest.mark.parametrize("genres", [("sci-fi", "horror"), ("crime", "thriller"),
                                    ("action", "thriller"), ("sport",)])
def test_rank_first_films_carry_no_tone_genre_not_asked_for(chatbot_db_url: str, catalog: Catalog,
                                                            genres: tuple[str, ...]) -> None:
    db = components_for(chatbot_db_url, catalog).db
    pool = db.search([include("genre", g) for g in genres])
    first = [catalog.movie(i) for i in db.rank(pool, [], [], 3, list(genres))]
    clashing = set(clashing_tones(genres))
    assert first and all(not clashing & set(m.genres) for m in first), [
        (m.title, m.genres) for m in first]


def test_clashing_tones_spare_the_companions_of_a_tone() -> None:
    assert clashing_tones(["sci-fi", "horror"]) == ["comedy", "war"]
    assert clashing_tones(["family"]) == ["horror", "war"]  # a family film may well be a comedy
    assert clashing_tones(["thriller"]) == ["comedy", "war"]
    assert clashing_tones(["action", "thriller"]) == ["comedy"]


def test_rank_asked_tone_genre_is_no_clash(chatbot_db_url: str, catalog: Catalog) -> None:
    db = components_for(chatbot_db_url, catalog).db
    pool = db.search([include("genre", "horror"), include("genre", "comedy")])
    first = catalog.movie(db.rank(pool, [], [], 1, ["comedy", "horror"])[0])
    assert {"comedy", "horror"} <= set(first.genres) and "war" not in first.genres
