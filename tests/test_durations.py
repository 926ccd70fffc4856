"""Lengths as people say them (chatbot.durations), read into runtime bounds (chatbot.cues),
and catalogue lengths too short to be true (chatbot.catalog.plausible_runtime)."""

from __future__ import annotations

import pytest

from chatbot.catalog import MIN_PLAUSIBLE_RUNTIME_MIN, plausible_runtime
from chatbot.cues import clause_tokens, runtime_ranges
from chatbot.durations import minutes_at, spell_compact


@pytest.mark.parametrize(("text", "minutes"), [
    ("an hour 45", 105), ("2 hours", 120), ("90 minutes", 90), ("an hour and a half", 90),
    ("hour and a half", 90), ("one and a half hours", 90), ("half an hour", 30),
    ("2 hours and 15 minutes", 135), ("1 hour 20 mins", 80), ("two hours 10", 130),
])
def test_minutes_at_reads_spoken_lengths(text: str, minutes: int) -> None:
    tokens = text.split()
    assert minutes_at(tokens, 0) == (minutes, len(tokens))


def test_minutes_at_leaves_other_numbers_alone() -> None:
    assert minutes_at("2 people".split(), 0) is None
    assert minutes_at("2 hours 3 hours".split(), 0) == (120, 2)  # a second length is no minutes
    assert minutes_at("an hour a day".split(), 0) == (60, 2)


@pytest.mark.parametrize(("text", "spelt"), [
    ("under 1h45", "under 105 minutes"), ("1h 30m max", "90 minutes max"),
    ("1.5 hours", "90 minutes"), ("1,5h", "90 minutes"), ("under 1:45", "under 105 minutes"),
    ("2:10 hours", "130 minutes"), ("90min", "90 minutes"), ("2hrs", "120 minutes"),
    ("see you at 5:30", "see you at 5:30"), ("the 1990s", "the 1990s"), ("top 10", "top 10"),
])
def test_spell_compact_writes_compact_lengths_in_minutes(text: str, spelt: str) -> None:
    assert spell_compact(text) == spelt


@pytest.mark.parametrize(("text", "bounds"), [
    ("under an hour 45", (None, 104)), ("1h45 max", (None, 105)), ("under 1:30", (None, 89)),
    ("no more than 1.5 hours", (None, 90)), ("an hour 40 tops", (None, 100)),
    ("at least 2 hours and 10 minutes", (130, None)), ("90 minutes or more", (90, None)),
    ("nothing longer than hour and a half", (None, 90)), ("something short", (None, 100)),
])
def test_runtime_ranges_bounds_said_before_or_after_the_length(text: str, bounds: tuple) -> None:
    assert [r[2:] for r in runtime_ranges(clause_tokens(text))] == [bounds]


def test_runtime_ranges_no_length_in_a_time_of_day() -> None:
    assert runtime_ranges(clause_tokens("movie night at 7:30, a comedy")) == []


def test_plausible_runtime_treats_a_few_minutes_as_unknown() -> None:
    assert plausible_runtime(1) is None and plausible_runtime(4) is None
    assert plausible_runtime(None) is None
    assert plausible_runtime(MIN_PLAUSIBLE_RUNTIME_MIN) == MIN_PLAUSIBLE_RUNTIME_MIN
    assert plausible_runtime(7) == 7 and plausible_runtime(776.4) == 776  # Destino; Out 1
