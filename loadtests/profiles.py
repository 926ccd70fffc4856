"""The stepped load of `python -m loadtests compare`, apart from Locust: the command line reads
its defaults (its help says them) and tests read them, without importing Locust (`loadtests.runner`
does, and patches the standard library for gevent on import)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """The stepped load applied to each deployment (times in seconds)."""

    steps: tuple[int, ...] = (1, 4, 16, 64)
    step_s: float = 40.0
    settle_s: float = 8.0
    drain_s: float = 20.0
    think_min_s: float = 0.2
    think_max_s: float = 1.0
    seed: int = 0

    @classmethod
    def quick(cls) -> Profile:
        return cls(steps=(1, 4, 16), step_s=6.0, settle_s=1.0, drain_s=10.0,
                   think_min_s=0.05, think_max_s=0.2)
