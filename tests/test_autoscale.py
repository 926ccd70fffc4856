"""The autoscaling policy with a fake clock: no processes, no sleeping."""

from __future__ import annotations

from puma.autoscale import Autoscaler, Bounds, Context, decide

BOUNDS = Bounds(min_instances=1, max_instances=8, target_in_flight=2, upscale_delay_s=0.5, downscale_delay_s=10)


def _run(load, seconds, scaler, current, start=0.0, tick=0.1):
    """Feed `load(t)` every tick; apply each decision at once. Returns (t, count) history."""
    history = []
    t = start
    while t < start + seconds - 1e-9:
        t = round(t + tick, 6)
        decision = scaler.observe(t, load(t), current)
        current = decision.target
        history.append((t, current))
    return history


def test_autoscale_scales_up_fast_on_a_load_step():
    scaler = Autoscaler(BOUNDS, now_s=0.0)
    history = _run(lambda t: 1 if t < 5 else 12, 7, scaler, current=1)
    first_up = next(t for t, n in history if n > 1)
    assert 5.0 < first_up <= 5.0 + BOUNDS.upscale_delay_s + 0.11
    assert dict(history)[first_up] == 6  # straight to ceil(12 / 2), in one move


def test_autoscale_ignores_a_short_spike():
    scaler = Autoscaler(BOUNDS, now_s=0.0)
    history = _run(lambda t: 20 if 2.0 < t < 2.3 else 1, 5, scaler, current=1)
    assert {n for _, n in history} == {1}


def test_autoscale_scales_down_slowly_after_load_stops():
    scaler = Autoscaler(BOUNDS, now_s=0.0)
    history = _run(lambda t: 12 if t < 3 else 0, 30, scaler, current=1)
    counts = dict(history)
    assert counts[3.0] == 6
    assert all(n == 6 for t, n in history if 3 <= t < 3 + BOUNDS.downscale_delay_s)
    assert counts[30.0] == 1


def test_autoscale_never_oscillates_on_steady_load():
    scaler = Autoscaler(BOUNDS, now_s=0.0)
    wobble = [5, 6, 7, 6, 5, 6]
    history = _run(lambda t: wobble[int(t * 10) % len(wobble)], 120, scaler, current=1)
    changes = [(a, b) for (_, a), (_, b) in zip(history, history[1:], strict=False) if a != b]
    assert len(changes) <= 1  # one step up to fit the load, then nothing
    assert history[-1][1] == 3  # ceil(5 / 2): the load sustained through the whole up window


def test_autoscale_clamps_to_bounds():
    bounds = Bounds(2, 3, 1, 0.2, 1)
    assert decide(Context(1.0, current=1, samples=((0.0, 0.0),), last_change_s=0, bounds=bounds)).target == 2
    scaler = Autoscaler(bounds, now_s=0.0)
    history = _run(lambda t: 100, 3, scaler, current=2)
    assert max(n for _, n in history) == 3
    history = _run(lambda t: 0, 10, scaler, current=3, start=3)
    assert min(n for _, n in history) == 2


def test_autoscale_explains_each_decision():
    ctx = Context(now_s=1.0, current=1, samples=((0.4, 9.0), (1.0, 9.0)), last_change_s=0.0, bounds=BOUNDS)
    decision = decide(ctx)
    assert decision.target == 5
    assert decision.reason == "in-flight 9.0 > 2 x 1 instances for 0.5 s"
    assert decide(Context(1.0, 5, ((0.0, 9.0), (1.0, 9.0)), 0.0, BOUNDS)).reason == "steady"


def test_autoscale_restart_holds_a_count_set_by_hand_for_the_downscale_window():
    """An idle spell before a scale by hand does not undo it: the count holds a whole downscale window."""
    scaler = Autoscaler(BOUNDS, now_s=0.0)
    _run(lambda t: 0, 20, scaler, current=1)  # idle long enough that the window is covered
    scaler.restart(now_s=20.0)  # `puma scale ... 4`
    history = _run(lambda t: 0, 15, scaler, current=4, start=20.0)
    first_down = min(t for t, n in history if n < 4)
    assert 20.0 + BOUNDS.downscale_delay_s <= first_down <= 20.0 + BOUNDS.downscale_delay_s + 0.2


def test_autoscale_restart_still_answers_load_that_comes_after_it():
    scaler = Autoscaler(BOUNDS, now_s=0.0)
    _run(lambda t: 0, 20, scaler, current=1)
    scaler.restart(now_s=20.0)
    history = _run(lambda t: 12, 2, scaler, current=2, start=20.0)  # 12 in flight needs 6
    assert max(n for _, n in history) == 6
    assert min(t for t, n in history if n == 6) <= 20.0 + BOUNDS.upscale_delay_s + 0.11
