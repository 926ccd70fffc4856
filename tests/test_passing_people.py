"""Pure rules of d42: liking words around a name, which bearer a surname means while a film is
shown, the rest of a message kept beside a which-question, one lighter step per message."""

from __future__ import annotations

from typing import Any

from chatbot.fondness import fond_of, points_back
from chatbot.table_surnames import about_shown_film, better_known
from chatbot.tone_once import one_tone_move
from chatbot.which_rest import beside_question


def test_fond_of_marks_the_word_after_a_liking_phrase() -> None:
    assert fond_of("we are so into villeneuve".split()) == {4}
    assert fond_of("massive fan of kurosawa".split()) == {3}
    assert fond_of("that lynch guy".split()) == {1}
    assert fond_of("scorsese is a legend".split()) == {0}
    assert fond_of("turn into a pumpkin".split()) == set()


def test_points_back_finds_pronouns_and_person_nouns() -> None:
    assert points_back("kurosawa love that man".split()) == 2
    assert points_back("kurosawa i like his films".split()) == 3
    assert points_back("kurosawa is fine".split()) is None


def test_surname_on_the_table_is_the_shown_films_only_when_the_words_point_at_it() -> None:
    assert about_shown_film("wait, is duvall in it?")
    assert about_shown_film("the actress, duvall")
    assert not about_shown_film("nah make it duvall instead")


def test_better_known_bearer_wins_by_catalogue_films() -> None:
    people: dict[str, list[dict[str, Any]]] = {"duvall": [{"name": "Robert Duvall", "sure": True, "films": {"actor": 74, "director": 4}}],
              "Shelley Duvall": [{"name": "Shelley Duvall", "sure": True, "films": {"actor": 21}}]}
    assert better_known("duvall", "Shelley Duvall", lambda said: people.get(said, []))
    assert not better_known("duvall", "Robert Duvall", lambda said: people.get(said, []))


def test_which_question_keeps_the_other_wishes() -> None:
    runtime = {"slot": "runtime", "range": [None, 100], "exclude": False}
    person = {"slot": "actor", "values": ["Brad Pitt"], "exclude": True}
    asked = {"name": "Brad Pitt", "choices": ["Brad Pitt", "Edward Norton"]}
    decided = beside_question(asked, {"act": "refine", "added": [runtime, person],
                                      "wishes": [runtime, person], "replaced": [], "reject": True})
    assert decided["act"] == "refine" and decided["suggest"] == asked
    assert decided["added"] == [runtime] and decided["wishes"] == [runtime]
    assert beside_question(asked, {"act": "reject"}) == {"act": "suggest", "suggest": asked}


def test_lighter_said_beside_a_milder_rating_moves_once() -> None:
    gentle = {"slot": "mpaa", "values": ["G", "PG"], "exclude": False}
    no_dark = {"slot": "genre", "values": ["horror", "war"], "exclude": True}
    once = one_tone_move({"constraints": [gentle, no_dark, dict(no_dark, values=["war", "horror"])],
                          "complaint": {"genres": [], "tones": [("dark", "less")]}, "notes": []})
    assert once["complaint"] is None
    assert once["constraints"] == [gentle, no_dark]
    darker = one_tone_move({"constraints": [], "complaint": {"tones": [("dark", "less")]}})
    assert darker["complaint"] == {"tones": [("dark", "less")]}
