"""Corrections, complaints about repeated picks and "more like this" said back in the form
the understanding reads surely (``chatbot.restatements``); everything else left alone."""

from __future__ import annotations

import pytest

from chatbot.restatements import complained, more_like_named, replaced

WISHES = [{"slot": "director", "values": ["Steven Spielberg"], "exclude": False},
          {"slot": "actor", "values": ["Harrison Ford"], "exclude": False},
          {"slot": "genre", "values": ["sci-fi"], "exclude": False}]


@pytest.mark.parametrize(("said", "meant"), [
    ("actually forget spielberg, i want tarantino", "forget steven spielberg, tarantino instead"),
    ("actually no harrison ford, keanu reeves pls", "forget harrison ford, keanu reeves instead"),
    ("nah scrap spielberg, wes anderson", "forget steven spielberg, wes anderson instead"),
    ("not spielberg but tarantino", "forget steven spielberg, tarantino instead"),
    ("swap ford for keanu", "forget harrison ford, keanu instead"),
    ("instead of spielberg, nolan", "forget steven spielberg, nolan instead"),
    ("ok forget spielberg i'd like nolan", "forget steven spielberg, nolan instead"),
    ("Actually NO Harrison Ford — Keanu Reeves pls!", "forget harrison ford, keanu reeves instead"),
    ("id rather have nolan than spielberg", "forget steven spielberg, nolan instead"),
    ("keanu reeves not harrison ford", "forget harrison ford, keanu reeves instead"),
    ("drop spielberg for nolan", "forget steven spielberg, nolan instead"),
])
def test_a_wish_replaced_is_said_as_forget_x_y_instead(said: str, meant: str) -> None:
    assert replaced(said, WISHES) == meant


@pytest.mark.parametrize("said", ["no thanks, bye", "no idea, you pick", "no spielberg", "forget spielberg",
                                  "no, spielberg is fine", "no tarantino, wes anderson"])
def test_no_correction_without_a_wish_replaced(said: str) -> None:
    assert replaced(said, WISHES) is None


@pytest.mark.parametrize(("said", "meant"), [
    ("why is it always star wars smh", "you keep showing me these, no more star wars"),
    ("why do you keep showing me tom cruise", "you keep showing me these, no more tom cruise"),
    ("seriously another star wars movie?", "you keep showing me these, no more star wars"),
    ("enough with the star wars films", "you keep showing me these, no more star wars"),
    ("why is it always the same stuff", "you keep showing me these"),
    ("seriously another harrison ford film?", "you keep showing me these"),  # a wish: kept
    ("ugh star wars again?", "you keep showing me these, no more star wars"),
    ("why do i keep getting star wars", "you keep showing me these, no more star wars"),
    ("stop giving me old movies", "you keep showing me these, too old"),
    ("why is it always such long films", "you keep showing me these, too long"),
])
def test_complaints_of_repeats_ask_for_another(said: str, meant: str) -> None:
    assert complained(said, WISHES) == meant


@pytest.mark.parametrize("said", ["why is it so long", "another one please", "is it always this dark?",
                                  "harrison ford again pls", "why is it always so boring",
                                  "stop suggesting stuff we've seen"])
def test_other_questions_are_no_complaints(said: str) -> None:
    assert complained(said, WISHES) is None


@pytest.mark.parametrize("said", ["more like this pls", "same vibe", "similar stuff", "anything similar?",
                                  "same kind of stuff pls", "something along those lines"])
def test_more_like_this_is_the_last_film_named(said: str) -> None:
    assert more_like_named(said, ["Inception (2010)"]) == "something like Inception (2010)"
    assert more_like_named(said, []) is None
