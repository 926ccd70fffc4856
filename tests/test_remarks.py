"""Remarks about the film on the table are told apart from wishes; short replies by shape."""

from __future__ import annotations

from chatbot.cues import clause_tokens
from chatbot.remarks import question_clause, remark_mask, with_leads_topic, without_remarks
from chatbot.replies import acknowledges_only, declines_slot


def _remarked_words(text: str) -> list[str]:
    tokens = clause_tokens(text)
    return [t for t, r in zip(tokens, remark_mask(tokens, text), strict=True) if r]


def test_remark_mask_covers_what_is_said_about_the_film() -> None:
    assert _remarked_words("yes obviously its a classic, another one?") == ["yes", "obviously", "its", "a", "classic"]
    assert _remarked_words("lol thats not even scary. got anything with jamie lee curtis") == [
        "lol", "thats", "not", "even", "scary"]
    assert _remarked_words("that one's a bit old, seen it") == ["that", "ones", "a", "bit", "old"]


def test_remark_mask_leaves_requests_and_confirmation_questions() -> None:
    assert "something" not in _remarked_words("it's too long, something shorter please")
    assert _remarked_words("it's rated g, right?") == []
    assert _remarked_words("a comedy from the 90s") == []


def test_question_clause_finds_a_question_without_a_question_mark() -> None:
    tokens = clause_tokens("yeah seen it, who else is in it besides kurt russell")
    start, end = question_clause(tokens) or (0, 0)
    assert tokens[start:end][:3] == ["who", "else", "is"]


def test_with_leads_topic_marks_a_question_about_the_lead() -> None:
    assert with_leads_topic(["cast"], ["who", "is", "the", "lead", "actress"]) == ["leads"]
    assert with_leads_topic(["cast"], ["who", "is", "in", "it"]) == ["cast"]


def test_without_remarks_drops_remarked_wishes_and_people() -> None:
    classic = {"slot": "year", "range": [None, 1979], "exclude": False}
    nlu = {"constraints": [classic], "remarked": [classic],
           "people": [{"name": "Kurt Russell", "remark": True}], "notes": []}
    kept = without_remarks(nlu)
    assert kept["constraints"] == [] and kept["people"] == []


def test_short_replies_by_shape() -> None:
    assert acknowledges_only(["ok"]) and acknowledges_only(["k"])
    assert not acknowledges_only(["ok", "another", "one"])
    assert declines_slot(["it", "is", "egal", "no", "actor"], "actor")
    assert not declines_slot(["no", "actor"], "director")
