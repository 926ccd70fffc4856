"""Intent and entity extraction on tables of utterances (a small vocabulary; no database)."""

from __future__ import annotations

import time

import pytest

from chatbot.catalog import GENRES
from chatbot.names import NameIndex
from chatbot.nlu import Understander, intent_of
from chatbot.text import clean_input, fold, fold_utterance, indefinite_article, join_words

VOCABULARY = {
    "genres": list(GENRES),
    "mpaa": ["G", "PG", "PG-13", "R", "NC-17"],
    "actors": {"Jim Carrey": 25, "Peter O'Toole": 30, "Tom Hanks": 40, "Colin Hanks": 5,
               "Penélope Cruz": 20, "Meryl Streep": 35, "Brad Pitt": 30, "Woody Allen": 15,
               "Cher": 8, "Will Smith": 20, "Arnold Schwarzenegger": 25, "Harrison Ford": 30},
    "directors": {"Steven Spielberg": 30, "Woody Allen": 40, "Sofia Coppola": 6,
                  "Tom Hanks": 2, "Stanley Kubrick": 12, "Ron Howard": 20, "Byron Howard": 3},
}


@pytest.fixture(scope="module")
def nlu() -> Understander:
    return Understander(VOCABULARY)


@pytest.mark.parametrize(("text", "intent"), [
    ("yes", "yes"), ("Yeah, sure", "yes"), ("yes I have", "yes"), ("I've seen it", "yes"),
    ("not bad", "yes"), ("of course", "yes"),
    ("no", "no"), ("nope", "no"), ("I haven't", "no"), ("No, I have not seen it", "no"),
    ("never seen it", "no"), ("not really", "no"), ("I don't want another", "no"),
    ("no preference", "no_preference"), ("I don't care", "no_preference"),
    ("doesn't matter", "no_preference"), ("anyone", "no_preference"),
    ("surprise me", "no_preference"), ("no one in particular", "no_preference"),
    ("hi", "greeting"), ("Hello there!", "greeting"),
    ("bye", "bye"), ("Goodbye!", "bye"), ("quit", "bye"),
    ("another one", "another"), ("something else please", "another"),
    ("no, another one", "another"), ("next", "another"),
    ("the weather is nice", "unknown"), ("", "unknown"), ("folk", "unknown"),
])
def test_intent_of_table(text: str, intent: str) -> None:
    assert intent_of(fold_utterance(text).split()) == intent


@pytest.mark.parametrize(("text", "expect", "genres"), [
    ("comedy", "genre", ["comedy"]), ("Comedies", "genre", ["comedy"]),
    ("something funny", "genre", ["comedy"]), ("sci fi", "genre", ["sci-fi"]),
    ("Sci-Fi", "genre", ["sci-fi"]), ("science fiction", "genre", ["sci-fi"]),
    ("romantic", "genre", ["romance"]), ("a love story", "genre", ["romance"]),
    ("I love horror", "genre", ["horror"]), ("something scary", "genre", ["horror"]),
    ("romantic comedy", "genre", ["romance", "comedy"]), ("westerns", "genre", ["western"]),
    ("musicals", "genre", ["musical"]), ("music", "genre", ["music"]),
    ("documentaries", "genre", ["documentary"]), ("animated", "genre", ["animation"]),
    ("comdy", "genre", ["comedy"]), ("horor", "genre", ["horror"]),
    ("thriler", "genre", ["thriller"]), ("romace", "genre", ["romance"]),
    ("folk", "genre", []), ("no preference", "genre", []),
    ("comdy", "actor", []),  # typos in genres are read only when a genre was asked for
])
def test_understander_genres(nlu: Understander, text: str, expect: str, genres: list[str]) -> None:
    assert nlu(text, expect)["genres"] == genres


def test_understander_negated_genre_is_not_a_wish(nlu: Understander) -> None:
    result = nlu("anything but horror", "genre")
    assert result["genres"] == [] and result["negated_genres"] == ["horror"]


@pytest.mark.parametrize(("text", "expect", "names"), [
    ("Jim Carrey", "actor", ["Jim Carrey"]), ("jim carrey", None, ["Jim Carrey"]),
    ("Jim Carey", None, ["Jim Carrey"]), ("JIM CAREY", "actor", ["Jim Carrey"]),
    ("Peter O'Toole", "actor", ["Peter O'Toole"]), ("peter o’toole", None, ["Peter O'Toole"]),
    ("peter otoole", None, ["Peter O'Toole"]), ("peter o toole", None, ["Peter O'Toole"]),
    ("Penelope Cruz", None, ["Penélope Cruz"]), ("meryl strep", None, ["Meryl Streep"]),
    ("brad pit", None, ["Brad Pitt"]), ("arnold schwarzeneger", None, ["Arnold Schwarzenegger"]),
    ("steven speilberg", "director", ["Steven Spielberg"]),
    ("Tom Hanks and Meryl Streep", None, ["Tom Hanks", "Meryl Streep"]),
    ("Hanks", "actor", ["Tom Hanks"]),  # a lone surname, when a person was asked for
    ("Hanks", "genre", []), ("Cher", "actor", ["Cher"]), ("Cher", None, []),
    ("no preference", "actor", []), ("whoever", "actor", []), ("I like comedy", "actor", []),
    ("directed by Ron Howard", "director", ["Ron Howard"]),  # "by ron" is not "Byron"
    ("by ron howard", None, ["Ron Howard"]), ("byron howard", "director", ["Byron Howard"]),
])
def test_understander_people(nlu: Understander, text: str, expect: str | None,
                             names: list[str]) -> None:
    assert [p["name"] for p in nlu(text, expect)["people"]] == names


def test_understander_person_cue_says_the_role(nlu: Understander) -> None:
    by = nlu("a drama by Woody Allen", "genre")["people"][0]
    with_ = nlu("a comedy with Woody Allen", "genre")["people"][0]
    assert (by["cue"], with_["cue"]) == ("director", "actor")
    assert set(by["roles"]) == {"actor", "director"}


@pytest.mark.parametrize(("text", "expect", "mpaa"), [
    ("PG-13", "mpaa", "PG-13"), ("pg13", "mpaa", "PG-13"), ("pg 13", None, "PG-13"),
    ("nc17", None, "NC-17"), ("NC-17", None, "NC-17"), ("rated r", None, "R"),
    ("R", "mpaa", "R"), ("r", "genre", None), ("g", "mpaa", "G"), ("PG please", None, "PG"),
    ("no preference", "mpaa", None),
])
def test_understander_mpaa(nlu: Understander, text: str, expect: str | None,
                           mpaa: str | None) -> None:
    assert nlu(text, expect)["mpaa"] == mpaa


@pytest.mark.parametrize(("text", "title"), [
    ("something like The Matrix", "The Matrix"),
    ("movies similar to Liar Liar, please", "Liar Liar"),
    ("Anything like \"Heat\"", "Heat"),
    ("I would like a comedy", None),
])
def test_understander_something_like_title(nlu: Understander, text: str, title: str | None) -> None:
    assert nlu(text, "genre")["title"] == title


def test_understander_several_entities_at_once(nlu: Understander) -> None:
    result = nlu("a sci-fi film with Harrison Ford, rated PG-13", "genre")
    assert result["genres"] == ["sci-fi"]
    assert [p["name"] for p in result["people"]] == ["Harrison Ford"]
    assert result["mpaa"] == "PG-13"


def test_understander_result_is_json_and_rest_drops_entities(nlu: Understander) -> None:
    import json

    result = nlu("a horror with Jim Carrey", "genre")
    assert json.loads(json.dumps(result)) == result
    assert "horror" not in result["rest"] and "Carrey" not in result["rest"]


@pytest.mark.parametrize("text", ["", "\x00\x01\x1b[31m", "\ud800 lone", "x" * 100_000,
                                  "🎬🍿", "comedy " * 5000])
def test_understander_survives_malformed_text(nlu: Understander, text: str) -> None:
    assert nlu(text, "genre")["intent"] in ("unknown", "no_preference")


def test_name_index_answers_fast_over_many_names() -> None:
    actors = {f"Actor{i} Surname{i % 997}": 1 + i % 7 for i in range(40_000)}
    actors["Jim Carrey"] = 25
    index = NameIndex(actors, {f"Director{i} Name{i}": 1 for i in range(10_000)})
    tokens = fold_utterance("I want a comedy with jim carey and maybe surname12 please").split()
    started = time.perf_counter()
    for _ in range(20):
        found = index.find(tokens, role="actor")
    per_turn_ms = (time.perf_counter() - started) / 20 * 1000
    assert [m.name for m in found] == ["Jim Carrey"]
    assert per_turn_ms < 20, per_turn_ms


@pytest.mark.parametrize(("raw", "cleaned"), [
    ("hi\x00 there", "hi there"), ("  a\n\tb  ", "a b"), (b"caf\xe9", "caf\ufffd"),
    ("\ud800x", "?x"), (None, ""), (42, "42"),
])
def test_clean_input_table(raw: object, cleaned: str) -> None:
    assert clean_input(raw)[0] == cleaned


def test_clean_input_cuts_long_text() -> None:
    text, truncated = clean_input("a" * 100_000)
    assert truncated and len(text) == 2000


@pytest.mark.parametrize(("items", "joined"), [
    ([], ""), (["x"], "x"), (["x", "y"], "x and y"), (["x", "y", "z"], "x, y and z"),
])
def test_join_words_table(items: list[str], joined: str) -> None:
    assert join_words(items) == joined


@pytest.mark.parametrize(("word", "article"), [
    ("action", "an"), ("comedy", "a"), ("horror", "a"), ("animation", "an"), ("hour", "an"),
    ("university", "a"),
])
def test_indefinite_article_table(word: str, article: str) -> None:
    assert indefinite_article(word) == article


def test_fold_table() -> None:
    assert fold("Peter O’Toole") == fold("peter o'toole") == "peter otoole"
    assert fold("Penélope  Cruz!") == "penelope cruz"
