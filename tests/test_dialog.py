"""Whole scripted conversations on the real loaded catalogue."""

from __future__ import annotations

import re

import pytest

from chatbot import nlg
from chatbot.bot import Chatbot
from chatbot.catalog import Catalog
from tests.chatbot_helpers import (
    components_for,
    films,
    proposed,
    random_constraint_messages,
    said,
    talk,
)

SKIP = "no preference"


@pytest.fixture(scope="module")
def bot(chatbot_db_url: str, catalog: Catalog) -> Chatbot:
    return Chatbot(components=components_for(chatbot_db_url, catalog), seed=0)


def test_dialog_happy_path(bot: Chatbot) -> None:
    turns = talk(bot, ["comedy", "Jim Carrey", SKIP, "PG-13", "no", "yes"])
    assert turns[0].messages[0].startswith("Hi, I'm Chatbot.")
    assert turns[0].messages[1] in nlg.QUESTIONS["genre"]
    assert turns[1].messages[-1] in nlg.QUESTIONS["actor"]
    assert turns[2].messages[-1] in nlg.QUESTIONS["director"]
    assert turns[3].messages[-1] in nlg.QUESTIONS["mpaa"]
    proposal = turns[4].messages
    assert proposal[proposal.index(nlg.THINKING) + 1].startswith("How about ")
    assert re.fullmatch(r"How about .+ \(\d{4}\)\?", proposal[-4])
    assert ", with Jim Carrey" in proposal[-3]  # the asked-for actor first; no billing claimed
    assert re.fullmatch(r"This film is \d+ minutes long\. It is an? .+ movie, and is rated PG-13\.",
                        proposal[-2])
    assert proposal[-1] == nlg.WATCHED
    film = proposed(turns[4])
    assert "comedy" in film["genres"] and "Jim Carrey" in film["cast"] and film["mpaa"] == "PG-13"
    assert turns[5].messages == [nlg.LIKE]
    assert turns[6].messages[-1].startswith("Bye!") and turns[6].signal == "end"
    assert all(turn.signal is None for turn in turns[:-1])


def test_dialog_no_preference_everywhere(bot: Chatbot) -> None:
    turns = talk(bot, [SKIP, "don't care", "no", "whatever"])
    assert turns[-1].recommendation is not None
    assert nlg.THINKING in turns[-1].messages
    assert not any(nlg.NO_EXACT_MATCH in m for m in said(turns))


def test_dialog_not_understood_asks_again(bot: Chatbot) -> None:
    turns = talk(bot, ["folk", "comedy"])
    assert turns[1].messages[0] == nlg.NOT_UNDERSTOOD
    assert turns[1].messages[1] in nlg.QUESTIONS["genre"]
    assert turns[2].messages[-1] in nlg.QUESTIONS["actor"]


def test_dialog_repeated_misses_hint_at_no_preference(bot: Chatbot) -> None:
    turns = talk(bot, ["folk", "blah"])
    # the second miss leaves the question open in words: never re-asked and waived at once
    assert nlg.still_not_understood("genre") in turns[2].messages
    assert nlg.NOT_UNDERSTOOD not in turns[2].messages and "Okay, any genre." not in turns[2].messages


def test_dialog_impossible_combination_relaxes_and_says_so(bot: Chatbot, catalog: Catalog) -> None:
    assert catalog.search(genre="western", actor="Jim Carrey") == []
    turns = talk(bot, ["western", "Jim Carrey", SKIP, SKIP])
    notice = [m for m in said(turns) if m.startswith(nlg.NO_EXACT_MATCH)]
    assert notice and "Jim Carrey" in notice[0]
    assert "western" in proposed(turns[-1])["genres"]


def test_dialog_watched_before_offers_another(bot: Chatbot) -> None:
    turns = talk(bot, ["drama", SKIP, SKIP, SKIP, "yes I have", "yes"])
    assert turns[5].messages == [nlg.ANOTHER]
    first, second = films(turns)
    assert first["id"] != second["id"]
    assert turns[6].messages[-1] == nlg.WATCHED
    ending = talk(bot, ["yes", "no"], session_id=turns[0].session_id)
    assert ending[-1].signal == "end" and ending[-1].messages[-1].startswith("Bye!")


def test_dialog_rejecting_three_films_in_a_row(bot: Chatbot) -> None:
    script = ["comedy", SKIP, SKIP, SKIP] + ["no", "no"] * 3
    turns = talk(bot, script)
    proposed = films(turns)
    assert len(proposed) == 4
    assert len({f["id"] for f in proposed}) == 4
    assert all("comedy" in f["genres"] for f in proposed)
    assert turns[-1].messages[-1] == nlg.WATCHED


def test_dialog_sounds_awful_counts_as_no(bot: Chatbot) -> None:
    turns = talk(bot, ["horror", SKIP, SKIP, SKIP, "no", "that sounds awful"])
    first, second = films(turns)
    assert first["id"] != second["id"]


def test_dialog_bye_ends_at_any_point(bot: Chatbot) -> None:
    turns = talk(bot, ["comedy", "bye"])
    assert turns[-1].signal == "end" and turns[-1].messages[-1].startswith("Bye!")
    after = bot.turn(turns[0].session_id, "hello?")
    assert after.messages == [nlg.ENDED] and after.signal == "end"


def test_dialog_name_with_apostrophe(bot: Chatbot) -> None:
    turns = talk(bot, [SKIP, "peter o'toole", SKIP, SKIP])
    assert "Peter O'Toole" in proposed(turns[-1])["cast"]


def test_dialog_typos_in_genre_and_name(bot: Chatbot) -> None:
    turns = talk(bot, ["comdy", "Jim Carey", SKIP, SKIP])
    film = proposed(turns[-1])
    assert "comedy" in film["genres"] and "Jim Carrey" in film["cast"]


def test_dialog_comedy_with_jim_carrey_in_one_answer(bot: Chatbot) -> None:
    turns = talk(bot, ["comedy with Jim Carrey", SKIP, SKIP])
    assert turns[1].messages[-1] in nlg.QUESTIONS["director"]  # the actor was already given
    film = proposed(turns[-1])
    assert "comedy" in film["genres"] and "Jim Carrey" in film["cast"]


@pytest.mark.parametrize(("answer", "rating"), [("R", "R"), ("pg13", "PG-13"), ("rated pg", "PG")])
def test_dialog_mpaa_constraint_honoured(bot: Chatbot, answer: str, rating: str) -> None:
    turns = talk(bot, ["drama", SKIP, SKIP, answer, "no", "no"])
    assert [f["mpaa"] for f in films(turns)] == [rating, rating]


def test_dialog_director_constraint_honoured(bot: Chatbot) -> None:
    turns = talk(bot, [SKIP, SKIP, "Steven Spielberg", SKIP])
    assert "Steven Spielberg" in proposed(turns[-1])["directors"]


def test_dialog_out_of_candidates_relaxes_the_weakest_wish(bot: Chatbot, catalog: Catalog) -> None:
    ids = catalog.search(director="Stanley Kubrick", genre="comedy")
    turns = talk(bot, ["comedy", SKIP, "Stanley Kubrick", SKIP] + ["no", "no"] * len(ids))
    shown = films(turns)
    assert sorted(f["id"] for f in shown[: len(ids)]) == sorted(ids)
    assert len(shown) == len(ids) + 1 and turns[-1].signal != "end"
    assert any("leave out the director Stanley Kubrick" in m for m in turns[-1].messages)
    assert "comedy" in shown[-1]["genres"]


def test_dialog_something_like_a_title(bot: Chatbot, catalog: Catalog) -> None:
    liar_liar = catalog.find_title("Liar Liar")
    assert liar_liar is not None, "the test catalogue has Liar Liar"
    turns = talk(bot, ["something like Liar Liar", SKIP, SKIP, SKIP])
    assert turns[1].messages[0].startswith("Got it, something like Liar Liar")
    assert turns[1].messages[-1] in nlg.QUESTIONS["actor"]
    assert proposed(turns[-1])["id"] != liar_liar.id


def test_dialog_new_wish_while_a_film_is_proposed(bot: Chatbot) -> None:
    turns = talk(bot, [SKIP, SKIP, SKIP, SKIP, "something with Tom Hanks instead"])
    assert "Tom Hanks" in proposed(turns[-1])["cast"]


def test_dialog_strong_negative_mood_gets_empathy(bot: Chatbot) -> None:
    turns = talk(bot, ["I feel so sad and lonely today"])
    assert turns[1].messages[0] in nlg.EMPATHY
    assert turns[1].messages[-1] in nlg.QUESTIONS["genre"]


def test_dialog_first_message_may_already_answer(bot: Chatbot) -> None:
    turn = bot.turn(None, "a comedy with Jim Carrey")
    assert turn.messages[0] == nlg.INTRO
    assert turn.messages[-1] in nlg.QUESTIONS["director"]


def test_dialog_same_seed_same_messages(bot: Chatbot, chatbot_db_url: str, catalog: Catalog) -> None:
    script = ["hi", "scary", "no", SKIP, "R", "no", "no", "no", "yes"]
    twin = Chatbot(components=components_for(chatbot_db_url, catalog), seed=0)
    first, second = talk(bot, script), talk(twin, script)
    assert first[0].session_id != second[0].session_id
    assert [t.messages for t in first] == [t.messages for t in second]
    others = [said(talk(Chatbot(components=components_for(chatbot_db_url, catalog), seed=s),
                        script)) for s in (1, 2, 3)]
    assert any(other != said(first) for other in others)


def test_dialog_replies_never_empty(bot: Chatbot) -> None:
    script = ["", " ", "?", "comedy", "", SKIP, SKIP, SKIP, "", "maybe", "no", "", "hmm"]
    for turn in talk(bot, script):
        assert turn.messages and all(m.strip() for m in turn.messages)
        assert not any("rated ." in m or "  " in m for m in turn.messages)


def test_dialog_reads_a_version_1_state(chatbot_db_url: str, catalog: Catalog) -> None:
    from chatbot.dialog import STATE_VERSION, DialogManager, new_state

    manager = DialogManager(components_for(chatbot_db_url, catalog))
    old = {k: v for k, v in new_state(0).items() if k not in ("wishes", "suggestion", "last_slot")}
    old |= {"v": 1, "stage": "director", "turns": 3, "answered": ["genre", "actor"],
            "prefs": {"genre": ["comedy"], "actor": "Jim Carrey"}, "dropped": [["mpaa", "G"]]}
    step = manager.step(old, SKIP)
    assert step.messages[-1] in nlg.QUESTIONS["mpaa"] and step.state["v"] == STATE_VERSION
    film = proposed(manager.step(step.state, SKIP))
    assert "comedy" in film["genres"] and "Jim Carrey" in film["cast"]


def test_dialog_question_about_the_film_is_answered_then_the_question_repeated(bot: Chatbot) -> None:
    turns = talk(bot, ["western", SKIP, SKIP, SKIP, "who directed it?", "how long is it?"])
    film = proposed(turns[4])
    assert turns[5].messages == [f"{film['title']} was directed by {film['directors'][0]}.",
                                 nlg.WATCHED] or len(film["directors"]) > 1
    assert f"{film['runtime_min']} minutes" in turns[6].messages[0]
    assert turns[6].messages[-1] == nlg.WATCHED and turns[6].recommendation == film


# -- kinds from a newcomer's session on the first round ----------


def test_dialog_restart_forgets_every_wish(bot: Chatbot) -> None:
    turns = talk(bot, ["horror", "Tom Hanks", "let's start from scratch", "a western", SKIP,
                       SKIP, SKIP])
    assert turns[3].messages[0] == nlg.RESTARTED and turns[3].messages[1] in nlg.QUESTIONS["genre"]
    film = proposed(turns[-1])
    assert "western" in film["genres"] and "horror" not in said(turns[4:])[0]
    assert "Got it: the genre western." in turns[4].messages


def test_dialog_restart_after_the_end_starts_again(bot: Chatbot) -> None:
    turns = talk(bot, ["comedy", SKIP, SKIP, SKIP, "no", "yes", "start over"])
    assert turns[-2].signal == "end" and turns[-1].signal is None
    assert turns[-1].messages[-1] in nlg.QUESTIONS["genre"]


def test_dialog_bye_before_any_film_wishes_no_movie(bot: Chatbot) -> None:
    turn = talk(bot, ["ok bye"])[-1]
    assert turn.signal == "end" and turn.messages[-1] in nlg.BYES_NO_FILM


def test_dialog_an_exclusion_asks_the_question_again(bot: Chatbot) -> None:
    turns = talk(bot, ["no horror", "a thriller", SKIP, SKIP, SKIP])
    assert turns[1].messages == ["Got it: no horror.", nlg.QUESTIONS_AFTER_EXCLUSION["genre"]]
    film = proposed(turns[-1])
    assert "thriller" in film["genres"] and "horror" not in film["genres"]


def test_dialog_question_while_proposed_keeps_the_film(bot: Chatbot) -> None:
    turns = talk(bot, ["crime", SKIP, SKIP, SKIP, "is Bruce Willis in it?", "who directed it?"])
    film = proposed(turns[4])
    assert turns[5].recommendation == film and turns[6].recommendation == film
    answer = turns[5].messages[0]
    assert answer.startswith("Yes," if "Bruce Willis" in film["cast"] else "No,")
    assert turns[5].messages[-1] == nlg.WATCHED


def test_dialog_reports_unknown_people_and_films_by_name(bot: Chatbot) -> None:
    turns = talk(bot, ["like Gorgonzola Quest 7", "comedy", "Ebenezer Quimbleworth", "qwzx vbnm"])
    assert 'Sorry, I don\'t know a film called "Gorgonzola Quest 7".' in turns[1].messages
    assert nlg.unknown_person("Ebenezer Quimbleworth") in turns[3].messages
    assert nlg.still_not_understood("actor") in turns[4].messages  # no vowels: no name
    assert not any("Qwzx" in m for m in turns[4].messages)


def test_dialog_says_what_an_approximation_means(bot: Chatbot) -> None:
    turns = talk(bot, ["a superhero movie"])
    assert turns[1].messages[:2] == ["Got it: the genre action.",
                                    "I have no superhero category, so I'll look for action films."]


@pytest.mark.parametrize("stage_lines", [[], ["comedy"], ["comedy", SKIP, SKIP, SKIP]],
                         ids=["first", "second", "proposed"])
def test_dialog_any_mix_of_constraint_phrases_in_one_message_is_answered(
        bot: Chatbot, stage_lines: list[str]) -> None:
    """Ranges asked for and ruled out in one message ("a 90s movie but nothing from 1995",
    "a long one, nothing over three hours") once raised KeyError (HTTP 500)."""
    for text in random_constraint_messages(150, seed=len(stage_lines)):
        turns = talk(bot, [*stage_lines, text])
        assert turns[-1].messages, text
        assert not any(map(_contradicts, turns[-1].messages)), (text, turns[-1].messages)


def _contradicts(message: str) -> bool:
    """"films from 2010 or later and nothing from 2010 or later": one range both ways."""
    asked = set(re.findall(r"films from (.+?)(?= and |, |\.|$)", message))
    return bool(asked & set(re.findall(r"nothing from (.+?)(?= and |, |\.|$)", message)))
