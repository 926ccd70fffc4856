"""Autoscaling: a pure policy (context in, decision out; time injected) and a small stateful wrapper.

The signal is in-flight requests (active + pending at Envoy) summed over a service's instances.

* Up fast: if even the *lowest* in-flight seen over the last `upscale_delay_s` needs more
  instances than run now, scale straight to what it needs — a load step is answered in one move.
* Down slowly: only if even the *highest* in-flight over the last `downscale_delay_s` fits in
  fewer instances, and no change happened within that window.
* Steady load never oscillates: with load L and target T the count settles at ceil(L/T); the
  up rule needs min > count·T and the down rule needs max ≤ (count-1)·T, and neither holds.

>>> cfg = Bounds(min_instances=1, max_instances=8, target_in_flight=2, upscale_delay_s=0.5, downscale_delay_s=10)
>>> decide(Context(now_s=1.0, current=1, samples=((0.4, 9.0), (0.7, 10.0), (1.0, 9.0)), last_change_s=0.0, bounds=cfg))
Decision(target=5, reason='in-flight 9.0 > 2 x 1 instance for 0.5 s')
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Bounds:
    min_instances: int
    max_instances: int
    target_in_flight: float
    upscale_delay_s: float
    downscale_delay_s: float


@dataclass(frozen=True)
class Context:
    now_s: float
    current: int
    samples: tuple[tuple[float, float], ...]  # (time_s, in-flight over all instances), oldest first
    last_change_s: float
    bounds: Bounds


@dataclass(frozen=True)
class Decision:
    target: int
    reason: str

    def changes(self, current: int) -> bool:
        return self.target != current


def _clamp(n: int, b: Bounds) -> int:
    return max(b.min_instances, min(b.max_instances, n))


def _window(ctx: Context, seconds: float) -> list[float] | None:
    """In-flight samples of the last `seconds`, or None if history does not yet cover that span."""
    start = ctx.now_s - seconds
    if not ctx.samples or ctx.samples[0][0] > start + 1e-9:
        return None
    # The sample in force at `start` (the last one at or before it) counts too.
    before = [v for t, v in ctx.samples if t <= start]
    inside = [v for t, v in ctx.samples if t > start]
    return before[-1:] + inside


def decide(ctx: Context) -> Decision:
    """The instance count `ctx.current` should become, and why. Pure."""
    b = ctx.bounds
    if ctx.current != _clamp(ctx.current, b):
        return Decision(_clamp(ctx.current, b), f"{ctx.current} instances is outside [{b.min_instances}, {b.max_instances}]")
    up = _window(ctx, b.upscale_delay_s)
    if up is not None:
        low = min(up)
        need = _clamp(math.ceil(low / b.target_in_flight), b)
        if need > ctx.current:
            many = "instance" if ctx.current == 1 else "instances"  # "1 instance": counts agree in number
            return Decision(need, f"in-flight {low:.1f} > {b.target_in_flight:g} x {ctx.current} {many} "
                                  f"for {b.upscale_delay_s:g} s")
    down = _window(ctx, b.downscale_delay_s)
    if down is not None and ctx.now_s - ctx.last_change_s >= b.downscale_delay_s:
        high = max(down)
        need = _clamp(math.ceil(high / b.target_in_flight), b)
        if need < ctx.current:
            return Decision(need, f"in-flight at most {high:.1f} for {b.downscale_delay_s:g} s fits "
                                  f"{need} x {b.target_in_flight:g}")
    return Decision(ctx.current, "steady")


class Autoscaler:
    """Keeps the sample history of one service and asks `decide` what to do. Time is passed in."""

    def __init__(self, bounds: Bounds, now_s: float) -> None:
        self.bounds = bounds
        self.samples: deque[tuple[float, float]] = deque()
        self.last_change_s = now_s

    def observe(self, now_s: float, in_flight: float, current: int) -> Decision:
        self.samples.append((now_s, in_flight))
        horizon = now_s - max(self.bounds.upscale_delay_s, self.bounds.downscale_delay_s) - 1.0
        while len(self.samples) > 2 and self.samples[1][0] < horizon:
            self.samples.popleft()
        decision = decide(Context(now_s, current, tuple(self.samples), self.last_change_s, self.bounds))
        if decision.changes(current):
            self.last_change_s = now_s
        return decision

    def restart(self, now_s: float) -> None:
        """Forget the history: a count set by hand (`puma scale`) holds at least `downscale_delay_s`
        from `now_s`, and only load seen after it may change it (an idle spell from before the
        scale must not undo it at the next tick)."""
        self.samples.clear()
        self.last_change_s = now_s
