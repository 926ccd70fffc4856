"""The realistic-conversation suite (tests/dialog_suite): each conversation is talked through
with the in-process chatbot and judged against the catalogue read with SQL. The per-kind pass
table is printed at the end of the run (tests/plugins/dialog_suite.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chatbot.bot import Chatbot
from chatbot.catalog import Catalog
from tests.chatbot_helpers import components_for
from tests.dialog_suite.judge import KINDS, Judge, load_cases, run_case
from tests.plugins.dialog_suite import RESULTS

CASES = load_cases()


@pytest.fixture(scope="module")
def bot(chatbot_db_url: str, catalog: Catalog) -> Chatbot:
    return Chatbot(components=components_for(chatbot_db_url, catalog), seed=0)


@pytest.fixture(scope="module")
def judge(chatbot_db_url: str) -> Iterator[Judge]:
    judge = Judge(chatbot_db_url)
    yield judge
    judge.close()


def test_realistic_suite_has_six_or_more_conversations_per_kind() -> None:
    counts = {kind: sum(c["kind"] == kind for c in CASES) for kind in KINDS}
    assert len(CASES) >= 80 and min(counts.values()) >= 6, counts


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_realistic_conversation(bot: Chatbot, judge: Judge, case: dict) -> None:
    result = run_case(bot, case, judge)
    RESULTS.append(result)
    transcript = "\n".join(f"  {'user' if i % 2 == 0 else 'bot '}: {line}" for i, line in
                           enumerate(_interleave(case["say"], result.turns)))
    assert result.passed, "\n".join(result.failures) + "\n" + transcript


def _interleave(lines: list[str], turns: list) -> Iterator[str]:
    for line, turn in zip(["", *lines], turns, strict=True):
        yield line
        yield " | ".join(turn.messages)
