"""Constraints: the shape of a wish, its checks, and search by constraints on the catalogue."""

from __future__ import annotations

import pytest

from chatbot.catalog import Catalog
from chatbot.constraints import (
    check,
    describe_minutes,
    describe_range,
    exclude,
    holds,
    include,
    minutes,
    years,
)
from chatbot.errors import InvalidRequest
from puma.endpoints import serve
from puma.serving import build_app
from tests.chatbot_helpers import components_for

HEAT = {"title": "Heat", "year": 1995, "runtime_min": 170, "genres": ["action", "crime"], "cast": ["Al Pacino"],
        "directors": ["Michael Mann"], "mpaa": "R"}


@pytest.mark.parametrize(("constraint", "expected"), [
    (include("genre", "crime"), True), (include("genre", "comedy", "crime"), True),
    (exclude("genre", "crime"), False), (exclude("actor", "Tom Hanks"), True),
    (include("mpaa", "PG-13"), False), (exclude("mpaa", "PG-13"), True),
    (years(1990, 1999), True), (years(1996, None), False), (years(None, 1995), True),
    (years(1990, 1999, excluded=True), False), (include("director", "Michael Mann"), True),
    (minutes(None, 100), False), (minutes(150, None), True), (minutes(None, 100, excluded=True), True),
])
def test_constraint_holds_table(constraint: dict, expected: bool) -> None:
    assert holds(constraint, HEAT) is expected


@pytest.mark.parametrize(("given", "needle"), [
    ("comedy", "expected a list"), ([{"slot": "plot"}], "[0].slot"),
    ([{"slot": "genre", "values": []}], "[0].values"),
    ([{"slot": "genre", "values": ["x"], "exclude": "yes"}], "[0].exclude"),
    ([{"slot": "year", "range": [2005, 1995]}], "runs backwards"),
    ([{"slot": "year", "range": [None, None]}], "not both"),
    ([{"slot": "year", "range": ["1990", 1999]}], "integer years"),
    ([{"slot": "runtime", "range": [None, "2h"]}], "minutes"),
    ({"genre": ["comedy"], "plot": "x"}, "constraints.plot"),
])
def test_check_names_the_path_and_the_fix(given: object, needle: str) -> None:
    with pytest.raises(InvalidRequest, match=needle.replace("[", r"\[").replace("]", r"\]")):
        check(given)


def test_check_accepts_the_older_slot_dict() -> None:
    assert check({"genre": ["comedy", "crime"], "actor": "Jim Carrey", "mpaa": None}) == [
        include("genre", "comedy"), include("genre", "crime"), include("actor", "Jim Carrey")]


@pytest.mark.parametrize(("span", "text"), [
    ((1980, 1989), "the 1980s"), ((2011, None), "2011 or later"), ((None, 1979), "1979 or earlier"),
    ((1995, 2005), "1995 to 2005"), ((1994, 1994), "1994"),
])
def test_describe_range_table(span: tuple, text: str) -> None:
    assert describe_range(*span) == text


def test_describe_minutes_table() -> None:
    assert describe_minutes(None, 100) == "100 minutes or shorter"
    assert describe_minutes(150, None) == "150 minutes or longer"


def test_catalog_matching_agrees_with_each_film(catalog: Catalog) -> None:
    wishes = [include("genre", "comedy", "horror"), exclude("genre", "drama"),
              years(1980, 1989), exclude("mpaa", "R"), exclude("actor", "Bill Murray"),
              minutes(None, 100)]
    found = catalog.matching(wishes)
    expected = {m.id for m in catalog if all(holds(w, m.to_dict()) for w in wishes)}
    assert found and set(found) == expected
    assert catalog.matching([]) == catalog.matching([years(None, 2100)])


def test_db_search_over_http_takes_constraints_and_rejects_bad_ones(
        chatbot_db_url: str, catalog: Catalog) -> None:
    db = build_app("db", serve(components_for(chatbot_db_url, catalog).db), prefix="/db",
                   max_body_bytes=1 << 20).test_client()
    wishes = [include("actor", "Tom Hanks", "Meg Ryan"), years(1993, 1993)]
    ids = db.post("/db/search", json={"constraints": wishes}).get_json()
    assert {catalog.movie(i).title for i in ids} >= {"Sleepless in Seattle", "Philadelphia"}
    refused = db.post("/db/search", json={"constraints": [{"slot": "year", "range": 5}]})
    assert refused.status_code == 400 and "range" in refused.get_json()["error"]
