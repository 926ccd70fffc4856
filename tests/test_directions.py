"""Films proposed after a one-sided year or length wish was set aside follow its direction."""

from __future__ import annotations

from typing import Any

from chatbot.directions import toward_set_aside

_RUNTIMES = {1: 151, 2: 170, 3: 138, 4: 167, 5: 170}
_YEARS = {1: 1994, 2: 1991, 3: 1996, 4: 1989}


def _search(values: dict[int, int]) -> Any:
    calls: list[dict] = []

    def search(bound: dict[str, Any]) -> list[int]:
        calls.append(bound)
        low, high = bound["range"]
        return [i for i, v in values.items()
                if (low is None or v >= low) and (high is None or v <= high)]
    search.calls = calls  # type: ignore[attr-defined]
    return search


def test_toward_set_aside_longer_gives_the_longest_films_left() -> None:
    longer = {"slot": "runtime", "range": [181, None], "exclude": False}
    assert sorted(toward_set_aside([1, 2, 3, 4, 5], [longer], _search(_RUNTIMES))) == [2, 5]
    # once those are passed over, the next longest, never a shorter film first
    assert toward_set_aside([1, 3, 4], [longer], _search(_RUNTIMES)) == [4]


def test_toward_set_aside_older_gives_the_oldest_and_shorter_the_shortest() -> None:
    older = {"slot": "year", "range": [None, 1988], "exclude": False}
    assert toward_set_aside([1, 2, 3, 4], [older], _search(_YEARS)) == [4]
    shorter = {"slot": "runtime", "range": [None, 120], "exclude": False}
    assert toward_set_aside([1, 2, 3, 4, 5], [shorter], _search(_RUNTIMES)) == [3]


def test_toward_set_aside_leaves_the_pool_alone_without_a_direction() -> None:
    search = _search(_YEARS)
    nineties = {"slot": "year", "range": [1990, 1999], "exclude": False}
    actor = {"slot": "actor", "values": ["Keanu Reeves"], "exclude": False}
    assert toward_set_aside([1, 2, 3], [nineties, actor], search) == [1, 2, 3]
    assert search.calls == []


def test_toward_set_aside_needs_few_searches() -> None:
    search = _search(_YEARS)
    toward_set_aside([1, 2, 3, 4], [{"slot": "year", "range": [2000, None], "exclude": False}], search)
    assert len(search.calls) <= 10
