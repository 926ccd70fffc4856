"""The film description and other replies."""

from __future__ import annotations

import random

import pytest

from chatbot import answers, nlg
from chatbot.constraints import RANGE_SLOTS

HEAT = {"id": 1, "title": "Heat", "year": 1995, "runtime_min": 170,
        "genres": ["action", "crime", "drama", "thriller"],
        "cast": ["Al Pacino", "Robert De Niro", "Val Kilmer", "Jon Voight"],
        "directors": ["Michael Mann"], "mpaa": "R"}


def test_describe_full_film() -> None:
    assert nlg.describe(HEAT) == [
        "How about Heat (1995)?",
        "Heat is directed by Michael Mann, with Al Pacino, Robert De Niro and Val Kilmer.",
        "This film is 170 minutes long. It is an action, crime and drama movie, and is rated R.",
    ]


def test_describe_leads_with_what_was_asked_and_never_claims_billing() -> None:
    said = nlg.describe(HEAT, {"genre": ["thriller"], "actor": ["Jon Voight"]})
    assert said[1] == "Heat is directed by Michael Mann, with Jon Voight, Al Pacino and Robert De Niro."
    assert said[2].endswith("It is a thriller, action, crime and drama movie, and is rated R.")
    assert not any(" stars " in s for s in nlg.describe(HEAT))


def test_sentences_ending_on_a_title_or_name_get_one_mark() -> None:
    rng = random.Random(0)
    for title in ("Airplane!", "What About Bob?", "Mars Attacks!"):
        assert nlg.pick(nlg.ACCEPTED, rng, title=title).endswith(f"Enjoy {title}")
    shaft = HEAT | {"title": "Shaft", "directors": ["Gordon Parks Jr."], "cast": []}
    assert nlg.describe(shaft)[1] == "Shaft is directed by Gordon Parks Jr."
    assert nlg.acknowledge({"director": "Gordon Parks Jr."}) == "Got it: the director Gordon Parks Jr."
    assert nlg.like_title({"title": "Airplane!"}) == "Got it, something like Airplane!"


def test_describe_leaves_out_missing_fields() -> None:
    bare = {"id": 2, "title": "Untitled", "year": None, "runtime_min": None, "genres": [],
            "cast": [], "directors": [], "mpaa": None}
    assert nlg.describe(bare) == ["How about Untitled?"]
    unrated = HEAT | {"mpaa": None, "cast": ["Al Pacino"], "directors": [], "genres": ["comedy"]}
    assert nlg.describe(unrated)[1:] == ["Heat is a film with Al Pacino.",
                                        "This film is 170 minutes long. It is a comedy movie."]
    rated_only = HEAT | {"genres": [], "runtime_min": None, "directors": ["A", "B"], "cast": []}
    assert nlg.describe(rated_only)[1:] == ["Heat is directed by A and B.", "It is rated R."]


def test_question_paraphrases_follow_the_seed() -> None:
    picks = [nlg.question("genre", random.Random(f"7:{n}")) for n in range(10)]
    assert picks == [nlg.question("genre", random.Random(f"7:{n}")) for n in range(10)]
    assert len(set(picks)) > 1 and set(picks) <= set(nlg.QUESTIONS["genre"])


def test_relaxed_names_what_was_left_out() -> None:
    assert nlg.relaxed([["actor", "Jim Carrey"], ["mpaa", "G"]]) == (
        f"{nlg.NO_EXACT_MATCH} I had to leave out the actor Jim Carrey and the rating G.")


def test_rating_text_says_a_rating_came_after_the_release() -> None:
    assert nlg.rating_text({"mpaa": "PG-13", "year": 1971}) == (
        "rated PG-13 (a rating given after its release)")
    assert nlg.rating_text({"mpaa": "PG", "year": 1942}).endswith("after its release)")
    assert nlg.rating_text({"mpaa": "PG-13", "year": 1990}) == "rated PG-13"
    assert nlg.rating_text({"mpaa": None, "year": 1990}) == ""


def test_did_you_mean_offers_the_choices() -> None:
    assert nlg.did_you_mean("Tom Hanks") == "Did you mean Tom Hanks?"
    assert nlg.did_you_mean("Ridley Scott", ["Ridley Scott", "Tony Scott"]) == (
        "Did you mean Ridley Scott or Tony Scott?")


def test_answers_about_people_genres_history_and_what_is_unknown() -> None:
    film = {"title": "Heat", "year": 1995, "cast": ["Al Pacino", "Robert De Niro"],
            "directors": ["Michael Mann"], "genres": ["crime", "drama"]}
    assert answers.answer(["person"], film, people=[{"name": "Al Pacino"}]) == [
        "Yes, Al Pacino is in Heat."]
    assert answers.answer(["person"], film, people=[{"name": "Tom Hanks"}]) == [
        "No, Tom Hanks is not in Heat; its cast includes Al Pacino and Robert De Niro."]
    assert answers.answer(["person"], film, people=[{"name": "Michael Mann", "cue": "director"}]) == [
        "Yes, Heat was directed by Michael Mann."]
    assert answers.answer(["genre_check"], film, genres=["crime"]) == ["Yes, it is a crime and drama movie."]
    assert answers.answer(["genre_check"], film, genres=["romance"])[0].startswith(
        "My catalogue doesn't list Heat as romance")
    assert answers.answer(["history"], film, shown=[{"title": "Alien", "year": 1979}]) == [
        "Before Heat I suggested Alien (1979)."]
    assert answers.answer(["other"], film)[0].startswith("I can't tell that from my catalogue")


@pytest.mark.parametrize("slot", RANGE_SLOTS)
@pytest.mark.parametrize(("old", "new"), [((None, 1979), (1990, None)), ((75, None), (None, 20)), ((10, 20), (30, 40))])
def test_nlg_a_range_wish_replaced_by_another_is_acknowledged_with_both_spans(slot, old, new):
    # Every range slot (year, runtime, critics, votes ...) holds a range and no values: replacing
    # one ("less famous" then "not old stuff") once answered a 500 (KeyError: 'values').
    said = nlg.acknowledge([{"slot": slot, "range": list(new)}], [{"slot": slot, "range": list(old)}])
    assert said.startswith("Got it: ") and " instead of " in said, said


@pytest.mark.parametrize("slot", RANGE_SLOTS)
def test_nlg_every_range_wish_given_up_or_excluded_is_described(slot):
    wish = {"slot": slot, "range": [10, 20]}
    for replaced in ([wish], [dict(wish, exclude=True)]):
        assert nlg.acknowledge([], replaced).startswith("Got it: "), replaced
    assert nlg.describe_wish(dict(wish, exclude=True))
