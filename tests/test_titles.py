"""Film titles in utterances and in the catalogue (chatbot.titles, Catalog.find_title)."""

from __future__ import annotations

import pytest

from chatbot.catalog import Catalog
from chatbot.titles import TitleIndex, normalise_title, sequel_key

INDEX = TitleIndex(["Alien", "The Godfather Part II", "Harry Potter and the Goblet of Fire",
                    "Toy Story 3", "Dial M for Murder", "The Lady", "Heat", "Blade Runner"])


@pytest.mark.parametrize(("text", "titles", "rest"), [
    ("like Alien but funnier", ["Alien"], "but funnier"),
    ("something like godfather 2", ["The Godfather Part II"], ""),
    ("like harry potter for my 9 year old", ["harry potter"], "for my 9 year old"),
    ("similar to Dial M for Murder please", ["Dial M for Murder"], "please"),
    ("like Blade Runner 3000", ["Blade Runner 3000"], ""),
    ("stuff like lady bird or heat", ["lady bird", "Heat"], ""),
    ("something like toy story 3, with Tom Hanks", ["Toy Story 3"], ", with Tom Hanks"),
])
def test_title_spans_end_where_a_clause_could(text: str, titles: list[str], rest: str) -> None:
    found, after, cue = INDEX.split(text)
    assert cue and found == titles and after.rstrip().endswith(rest)


def test_a_kind_of_film_after_like_is_no_title() -> None:
    assert INDEX.split("something like a feel good movie") == (
        [], "something like a feel good movie", False)


def test_sequel_keys_read_numbers_alike() -> None:
    keys = {sequel_key(normalise_title(t)) for t in
            ("The Godfather: Part II", "godfather 2", "Godfather part two", "the godfather ii")}
    assert keys == {"godfather 2"}


@pytest.mark.parametrize(("said", "title", "year"), [
    ("harry potter", "Harry Potter and the Philosopher's Stone", 2001),
    ("star wars", "Star Wars: Episode IV – A New Hope", 1977),
    ("lord of the rings", "The Lord of the Rings: The Fellowship of the Ring", 2001),
    ("the lord of the rings (1978)", "The Lord of the Rings", 1978),
    ("godfather 2", "The Godfather Part II", 1974),
    ("back to the future part two", "Back to the Future Part II", 1989),
    ("alien", "Alien", 1979),
    ("the shawshank redemtion", "The Shawshank Redemption", 1994),
])
def test_find_title_franchise_sequel_and_typo(catalog: Catalog, said: str, title: str,
                                              year: int) -> None:
    movie = catalog.find_title(said)
    assert movie is not None and (movie.title, movie.year) == (title, year)


@pytest.mark.parametrize("said", ["blade runner 3000", "interstellar wars returns", "lady bird"])
def test_find_title_reports_unknown_films(catalog: Catalog, said: str) -> None:
    assert catalog.find_title(said) is None


LISTED = TitleIndex(["The Ring", "It Follows", "Heat", "Crash", "Signs", "Her", "Up", "Them!",
                     "Signs and Wonders", "Right at Your Door", "Right Cross"])


@pytest.mark.parametrize(("text", "titles"), [
    ("we've seen The Ring and It Follows", ["The Ring", "It Follows"]),
    ("seen Heat & Crash plus Signs", ["Heat", "Crash", "Signs"]),
    ("we have seen Her, Us and Split already", ["Her", "Us", "Split"]),
    ("watched Signs and it was slow", ["Signs"]),
    ("youve seen Heat right", ["Heat"]),
    ("seen Heat and I loved it", ["Heat"]),
])
def test_seen_lists_find_each_title_of_everyday_words(text: str, titles: list[str]) -> None:
    assert LISTED.seen(text)[0] == titles


def test_titles_differing_by_article_keep_their_own_spelling() -> None:
    index = TitleIndex(["Mask", "The Mask"])
    assert (index.exact("the mask"), index.exact("mask")) == ("The Mask", "Mask")


@pytest.mark.parametrize(("said", "title", "year"), [
    ("the mask", "The Mask", 1994), ("Mask", "Mask", 1985),
])
def test_find_title_prefers_the_article_said(catalog: Catalog, said: str, title: str,
                                             year: int) -> None:
    movie = catalog.find_title(said)
    assert movie is not None and (movie.title, movie.year) == (title, year)


@pytest.mark.parametrize("said", ["get out", "Get Out"])
def test_find_title_a_longer_title_opening_with_the_words_is_another_film(
        catalog: Catalog, said: str) -> None:
    assert catalog.find_title(said) is None  # only *Get Out Your Handkerchiefs* (1978)
