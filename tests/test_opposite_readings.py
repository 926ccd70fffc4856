"""A complaint or remark is never read as the opposite wish (newcomer 74): a remark on what was
refused, a kind asked back and refused, a denial tagged "is it", a subject or a studio refused;
and a feeling beside a question about the film shown is no verdict (chatbot.viewer_remarks)."""

from __future__ import annotations

from typing import Any

import pytest

from chatbot.catalog import GENRES
from chatbot.franchises import franchise_titles, subject
from chatbot.nlu import Understander
from chatbot.viewer_remarks import context_remark, remark_offer
from tests.chatbot_helpers import wishes_of

VOCABULARY: dict[str, Any] = {
    "genres": list(GENRES), "mpaa": ["G", "PG", "PG-13", "R", "NC-17"],
    "actors": {"Tom Hanks": 60}, "directors": {"Steven Spielberg": 30}, "years": [1940, 2014]}


@pytest.fixture(scope="module")
def nlu() -> Understander:
    return Understander(VOCABULARY)




@pytest.mark.parametrize("text", ["R please, no pg13 those are never scary",
                                  "only R. those pg-13 ones never get creepy",
                                  "R, nothing pg-13, theyre always so tame and never frightening"])
def test_remark_on_refused_ratings_wishes_no_genre(nlu: Understander, text: str) -> None:
    assert not [w for w in wishes_of(nlu(text, "mpaa")) if w[0] == "genre"]


@pytest.mark.parametrize(("text", "genre"), [("documentary?? no", "documentary"),
                                             ("westerns? nah", "western"),
                                             ("a musical? hell no lol", "musical")])
def test_kind_asked_back_and_refused_is_refused(nlu: Understander, text: str, genre: str) -> None:
    assert wishes_of(nlu(text)) == [("genre", (genre,), True)]


@pytest.mark.parametrize("text", ["not really action tho is it", "not a comedy, is it",
                                  "never that scary though is it"])
def test_denial_tagged_is_it_asks_and_refuses_nothing(nlu: Understander, text: str) -> None:
    result = nlu(text)
    assert result["interrogative"] and not [w for w in wishes_of(result) if w[2]]


@pytest.mark.parametrize(("text", "kept"), [("horror not zombies", ("genre", ("horror",), False)),
                                            ("horror but no vampires please", ("genre", ("horror",), False))])
def test_subject_refused_by_title_words_keeps_its_genre(nlu: Understander, text: str, kept: tuple) -> None:
    wishes = wishes_of(nlu(text))
    assert kept in wishes and not [w for w in wishes if w[0] == "genre" and w[2]]
    assert [w for w in wishes if w[0] == "title" and w[2]]


def test_subject_titles_cover_films_without_the_word() -> None:
    assert subject("zombies") == "zombie" and "of the dead" in franchise_titles("zombies")
    assert subject("comedy") is None


@pytest.mark.parametrize("text", ["sci-fi but not star wars, star trek or anything marvel",
                                  "nothing marvel", "action, no marvel or dc stuff"])
def test_studio_refused_is_no_genre_wish(nlu: Understander, text: str) -> None:
    result = nlu(text)
    titles = [v for c in result["constraints"] if c["slot"] == "title" and c["exclude"] for v in c["values"]]
    assert "marvel" in titles
    assert ("genre", ("action",), False) not in wishes_of(result) or "action" in text
    assert not any("superhero" in n for n in result["notes"])


@pytest.mark.parametrize("text", ["she cries at everything", "we just had a rough week",
                                  "I have heard the ending is upsetting."])
def test_feeling_beside_a_question_is_context(nlu: Understander, text: str) -> None:
    assert context_remark(nlu(text), {"act": "reject"}, {"mpaa": "PG"})


@pytest.mark.parametrize(("text", "mpaa", "kept"), [("my son is 7", "PG", True), ("my son is 7", "R", False),
                                                    ("never heard of it", "PG", False),
                                                    ("something shorter please", "PG", False)])
def test_viewer_age_keeps_the_film_only_when_it_suits(nlu: Understander, text: str, mpaa: str,
                                                      kept: bool) -> None:
    assert context_remark(nlu(text), {"act": "reject"}, {"mpaa": mpaa}) is kept


def test_sadness_gets_a_lighter_offer_only() -> None:
    assert "feel-good" in (remark_offer("is it sad? she cries at everything", None) or "")
    assert remark_offer("is it long? my son is 7", None) is None
