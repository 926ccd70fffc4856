"""Small measures over a run's turns (no Locust import: the pure parts of the steps use them)."""

from __future__ import annotations


def turns_per_s(turns: list[tuple[float, float, bool]], start_s: float, end_s: float) -> float:
    """Answered turns per second between two times of a run; ``turns`` are (t, ms, ok)."""
    span = end_s - start_s
    return sum(1 for t, _, ok in turns if ok and start_s <= t < end_s) / span if span > 0 else 0.0
