"""Prints the realistic-conversation suite's per-kind pass table at the end of the run."""

from __future__ import annotations

from typing import Any

import pytest

RESULTS: list[Any] = []
"""``CaseResult``s of the conversations run in this session (filled by the suite's tests)."""


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not RESULTS:
        return
    from tests.dialog_suite.judge import format_pass_table, turn_latency_ms

    terminalreporter.write_sep("=", "realistic conversations: pass rate per kind")
    terminalreporter.write_line(format_pass_table(RESULTS))
    latency = turn_latency_ms(RESULTS)
    terminalreporter.write_line(f"Chatbot.turn over these conversations: p50 {latency['p50']} ms, "
                                f"p90 {latency['p90']} ms ({latency['turns']} turns)")
