"""chatbot.referents: the person an answer named, and a film's person, become wishes."""

from __future__ import annotations

from typing import Any

from chatbot.referents import REFERENT_TURNS, ambiguous, remember, resolve

FILMS = {"jaws": {"directors": ["Steven Spielberg"], "cast": ["Roy Scheider", "Robert Shaw"]}}


def _find(title: str) -> dict[str, Any] | None:
    return FILMS.get(title.lower())


def test_resolve_spells_a_pronoun_after_a_cue_as_the_answered_person() -> None:
    state: dict[str, Any] = {"turns": 2}
    remember(state, [("Steven Spielberg", "director")])
    state["turns"] = 3
    assert resolve("ok something by him", state, _find) == "ok something by Steven Spielberg"
    assert resolve("more of his films", state, _find) == "more of films by Steven Spielberg"


def test_resolve_forgets_the_person_after_a_few_turns_or_when_several_were_named() -> None:
    state: dict[str, Any] = {"turns": 0}
    remember(state, [("Steven Spielberg", "director")])
    state["turns"] = REFERENT_TURNS + 1
    assert resolve("something by him", state, _find) == "something by him"
    remember(state, [("Joel Coen", "director"), ("Ethan Coen", "director")])
    assert resolve("something by him", state, _find) == "something by him"


def test_resolve_names_a_films_director_or_lead_after_a_wish_cue_only() -> None:
    state: dict[str, Any] = {"turns": 0}
    assert resolve("anything by the director of jaws, but funny", state, _find) == (
        "anything by Steven Spielberg, but funny")
    assert resolve("with the star of jaws", state, _find) == "with Roy Scheider"
    assert resolve("who is the director of jaws?", state, _find) == "who is the director of jaws?"
    assert resolve("by the director of nothing known", state, _find) == "by the director of nothing known"


def _after_cast_list(wishes: list[dict[str, Any]]) -> dict[str, Any]:
    state: dict[str, Any] = {"turns": 5, "wishes": wishes, "current": {
        "title": "Goodfellas", "directors": ["Martin Scorsese"],
        "cast": ["Robert De Niro", "Mike Starr", "Catherine Scorsese"]}}
    remember(state, [("Robert De Niro", "actor"), ("Mike Starr", "actor")])
    state["turns"] = 6
    return state


def test_resolve_pronoun_after_a_cast_list_is_the_person_the_user_asked_for() -> None:
    state = _after_cast_list([{"slot": "director", "values": ["Martin Scorsese"], "exclude": False}])
    assert ambiguous("something else from him", state) == []
    assert resolve("something else from him", state, _find) == "something else by Martin Scorsese"
    assert resolve("more of his", state, _find) == "more films by Martin Scorsese"


def test_resolve_pronoun_after_a_cast_list_with_no_wish_is_still_asked_about() -> None:
    state = _after_cast_list([])
    assert ambiguous("something with him", state) == ["Robert De Niro", "Mike Starr"]


def test_resolve_same_director_is_the_director_of_the_film_on_the_table() -> None:
    state = _after_cast_list([])
    assert resolve("same director pls", state, _find) == "by Martin Scorsese pls"
    assert resolve("who's that director?", state, _find) == "who's that director?"
