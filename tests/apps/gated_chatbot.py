"""The chatbot's agent with a start-up held open by the test (tests/test_web_startup.py)."""

from __future__ import annotations

from tests.apps.basic import wait_for_gate


def warm_agent_after_gate() -> None:
    """The agent's warm-up, once the file named by $PUMA_TEST_GATE exists."""
    from chatbot.services import parts

    wait_for_gate(timeout_s=120.0)
    parts()
