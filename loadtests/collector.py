"""What a held load saw: each turn's latency and each finished conversation, timed from its start.

Shared by the stepped comparison (``loadtests.runner``) and the held loads of the fault and
cores steps (``loadtests.load``), so neither imports the other.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from loadtests.checks import Conversation, Failure

MAX_SPAWN_RATE = 100
"""Users Locust starts per second, at most."""


class Collector:
    """Turn latencies (from Locust's request events) and finished conversations, timed from
    ``t0``; ``failures`` is a running count for the progress line."""

    def __init__(self, t0: float) -> None:
        self.t0 = t0
        self.turns: list[tuple[float, float, bool]] = []
        self.conversations: list[dict[str, Any]] = []
        self.failures = 0

    def on_request(self, name: str, response_time: float, exception: Any, **_: Any) -> None:
        if name == "turn":
            self.turns.append((time.monotonic() - self.t0, response_time, exception is None))

    def on_conversation(self, conversation: Conversation, failures: list[Failure]) -> None:
        self.failures += len(failures)
        self.conversations.append({
            "t": time.monotonic() - self.t0, "t_start": round(conversation.started_at - self.t0, 3),
            "persona": conversation.persona.kind,
            "session_id": conversation.session_id, "turns": conversation.turns,
            "retries": sum(e.attempts - 1 for e in conversation.exchanges),
            "failures": [asdict(f) for f in failures]})
