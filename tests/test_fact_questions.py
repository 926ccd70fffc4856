"""Yes-or-no and comparison questions about the film on the table, about facts the catalogue holds
(its year, its length, critics' figures), are answered with the figures, never "I can't tell that
from my catalogue: it has the ... year, length ..." (a newcomer's probe: "was it made before 2000?",
"is it longer than jurassic park?", "how old is that one", "is the 1960 one better?")."""

from __future__ import annotations

import pytest

from chatbot.bot import Chatbot
from chatbot.catalog import Catalog
from tests.chatbot_helpers import components_for

CANNOT = "I can't tell that from my catalogue"


@pytest.fixture(scope="module")
def bot(chatbot_db_url: str, catalog: Catalog) -> Chatbot:
    return Chatbot(components=components_for(chatbot_db_url, catalog), seed=0)


def _on_table(bot: Chatbot, catalog: Catalog, title: str) -> tuple[str, dict]:
    """A conversation with `title` proposed (asked for by name), its session id and the film."""
    turn = bot.turn(None, "")
    movie = catalog.find_title(title)
    assert movie is not None, title
    said = " ".join(bot.turn(turn.session_id, f"i want to watch {movie.title}").messages)
    assert movie.title in said, said
    return turn.session_id, movie.to_dict() if hasattr(movie, "to_dict") else vars(movie)


def _ask(bot: Chatbot, session: str, line: str) -> str:
    return " ".join(bot.turn(session, line).messages)


@pytest.mark.parametrize(("title", "question", "yes"), [
    ("Heat", "was it made before 2000?", True),
    ("Heat", "is it from after 2005??", False),
    ("Heat", "is it longer than 2 hours", True),
    ("Heat", "is it shorter than 90 min?", False),
    ("Inception", "was that one released in the 2010s?", True),
])
def test_a_yes_or_no_question_on_the_year_or_length_is_answered_with_the_figure(
        bot: Chatbot, catalog: Catalog, title: str, question: str, yes: bool) -> None:
    session, movie = _on_table(bot, catalog, title)
    said = _ask(bot, session, question)
    assert CANNOT not in said, said
    assert said.startswith("Yes: " if yes else "No: "), said
    assert str(movie["year"]) in said or str(movie["runtime_min"]) in said, said


@pytest.mark.parametrize(("title", "question", "other", "yes"), [
    ("Heat", "is it longer than jurassic park?", "Jurassic Park", True),
    ("Heat", "is it newer than titanic?", "Titanic", False),
    ("Titanic", "is it older than the matrix", "The Matrix", True),
    ("Heat", "is it better than inception?", "Inception", None),
    ("Inception", "did critics like it more than forrest gump", "Forrest Gump", None),
])
def test_a_comparison_with_another_film_gives_both_figures(
        bot: Chatbot, catalog: Catalog, title: str, question: str, other: str, yes: bool | None) -> None:
    session, _movie = _on_table(bot, catalog, title)
    said = _ask(bot, session, question)
    assert CANNOT not in said and other in said, said
    if yes is not None:
        assert said.startswith("Yes: " if yes else "No: "), said
    else:
        assert "%" in said and "more" in said, said  # both critics' figures, and which is higher


@pytest.mark.parametrize("question", ["how old is that one", "how much time it dure?", "how long does it last"])
def test_learners_and_everyday_forms_of_year_and_length_questions_are_answered(
        bot: Chatbot, catalog: Catalog, question: str) -> None:
    session, movie = _on_table(bot, catalog, "Heat")
    said = _ask(bot, session, question)
    assert CANNOT not in said and (f"came out in {movie['year']}" in said or
                                   f"{movie['runtime_min']} minutes long" in said), said


def test_a_comparison_with_a_film_the_catalogue_lacks_says_so_and_gives_its_own_figure(
        bot: Chatbot, catalog: Catalog) -> None:
    session, movie = _on_table(bot, catalog, "Heat")
    said = _ask(bot, session, "is it longer than tenet")
    assert "not in my catalogue" in said and f"{movie['runtime_min']} minutes" in said, said
    assert not said.startswith(("Yes", "No")), said


@pytest.mark.parametrize("question", ["is it newer than heat?", "is it longer than Heat"])
def test_a_comparison_with_the_film_shown_itself_says_so_not_its_figure_twice(
        bot: Chatbot, catalog: Catalog, question: str) -> None:
    session, movie = _on_table(bot, catalog, "Heat")
    said = _ask(bot, session, question)
    assert "the film you named itself" in said and said.count(movie["title"]) == 1, said
