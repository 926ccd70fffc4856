"""chatbot.bearers: a lone surname several people bear is the one the conversation means."""

from __future__ import annotations

from typing import Any

from chatbot.bearers import in_context

# a toy catalogue: id -> (year, genres, actors)
FILMS = {1: (1962, {"western"}, {"James Stewart", "John Wayne"}), 2: (1950, {"western"}, {"James Stewart"}),
         3: (1954, {"crime"}, {"James Stewart"}), 4: (1996, {"sci-fi"}, {"Patrick Stewart"}),
         5: (2000, {"sci-fi"}, {"Patrick Stewart"}), 6: (1939, {"western"}, {"John Wayne"}),
         7: (2012, {"drama"}, {"Kristen Stewart"})}


def _search(constraints: list[dict[str, Any]]) -> list[int]:
    def meets(film: tuple, wish: dict[str, Any]) -> bool:
        year, genres, actors = film
        if wish["slot"] == "year":
            return wish["range"][0] <= year <= wish["range"][1]
        return bool(set(wish["values"]) & (genres if wish["slot"] == "genre" else actors))
    return [i for i, film in FILMS.items() if all(meets(film, w) for w in constraints)]


def _movie(movie_id: int) -> dict[str, Any]:
    return {"id": movie_id, "year": FILMS[movie_id][0]}


def _bearer(name: str, notable: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"name": name, "roles": ["actor"], "known_for": ["actor"], "notable": list(notable),
            "films": {"actor": 30, "director": 0}, "fame": {"actor": 5.0, "director": 0.0}}


def _stewart(**extra: Any) -> dict[str, Any]:
    bearers = [_bearer("Patrick Stewart"), _bearer("James Stewart"), _bearer("Kristen Stewart")]
    return {"name": "Patrick Stewart", "sure": False, "negated": False, "cue": "actor", "group": 0,
            "choices": [b["name"] for b in bearers], "bearers": bearers} | extra


def test_in_context_the_genre_wished_names_the_bearer() -> None:
    said = {"constraints": [{"slot": "genre", "values": ["western"], "exclude": False}],
            "people": [_stewart()]}
    person = in_context(said, [], _search, _movie)["people"][0]
    assert (person["name"], person["sure"]) == ("James Stewart", True)
    later = in_context({"people": [_stewart()]}, [{"slot": "genre", "values": ["sci-fi"], "exclude": False}],
                       _search, _movie)["people"][0]
    assert (later["name"], later["sure"]) == ("Patrick Stewart", True)


def test_in_context_a_name_beside_gives_its_era() -> None:
    wayne = {"name": "John Wayne", "sure": True, "negated": False, "cue": "actor", "group": 0}
    people = in_context({"people": [wayne, _stewart()]}, [], _search, _movie)["people"]
    assert [p["name"] for p in people] == ["John Wayne", "James Stewart"]


def test_in_context_leaves_refusals_and_famous_choices_to_ask() -> None:
    said = {"constraints": [{"slot": "genre", "values": ["western"], "exclude": False}]}
    refused = in_context(said | {"people": [_stewart(negated=True)]}, [], _search, _movie)["people"][0]
    assert refused["sure"] is False  # every Stewart it may mean is left out (chatbot.wishes)
    famous = _stewart(bearers=[_bearer("Patrick Stewart", ("actor",)), _bearer("James Stewart")])
    asked = in_context(said | {"people": [famous]}, [], _search, _movie)["people"][0]
    assert asked["sure"] is False and asked["choices"][0] == "Patrick Stewart"
