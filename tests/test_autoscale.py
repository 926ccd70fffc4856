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
    assert decision.reason == "in-flight 9.0 > 2 x 1 instance for 0.5 s"
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


# -- the default settings, ticked as the control loop ticks them ------------------------------------

def _default_bounds() -> Bounds:
    from puma.config import parse_config
    from puma.control import bounds

    config = parse_config({"puma_services": {"s": {"prefix": "/s", "instances": {"min": 1, "max": 8}}}})
    return bounds(config.puma_services["s"])


def _control_loop(load, seconds, bounds, phase=0.0):
    """Tick as `puma.control` does: every QUIET_TICK_S while nothing is in flight, every TICK_S once
    something is. Returns (t, count) after each tick."""
    from puma.control import QUIET_TICK_S, TICK_S

    scaler, current, t, history = Autoscaler(bounds, now_s=0.0), bounds.min_instances, phase, []
    while t < seconds:
        in_flight = load(t)
        current = scaler.observe(t, in_flight, current).target
        history.append((t, current))
        t = round(t + (TICK_S if in_flight else QUIET_TICK_S), 6)
    return history


def _reversals(history):
    counts = [n for _, n in history]
    moves = [b > a for a, b in zip(counts, counts[1:], strict=False) if a != b]
    return sum(1 for a, b in zip(moves, moves[1:], strict=False) if a != b)


def test_autoscale_defaults_answer_a_load_step_from_idle_within_the_quiet_tick_and_window():
    bounds = _default_bounds()
    for phase in (0.0, 0.07, 0.13, 0.19, 0.24):  # where the step falls between two quiet ticks
        history = _control_loop(lambda t: 0 if t < 5.0 else 12, 8, bounds, phase)
        first_up = next(t for t, n in history if n > 1)
        assert first_up - 5.0 <= 0.6 + 1e-6, (phase, first_up)  # of the 1 s budget; start and routing take the rest
        assert dict(history)[first_up] == 6


def test_autoscale_defaults_ignore_bursts_shorter_than_the_upscale_window():
    bounds = _default_bounds()
    for start, length in ((3.0, 0.1), (3.05, 0.15), (4.2, 0.2)):
        history = _control_loop(lambda t, s=start, n=length: 20 if s <= t < s + n else 1, 10, bounds)
        assert {n for _, n in history} == {1}, (start, length)


def test_autoscale_defaults_never_reverse_on_noisy_steady_load():
    import random

    bounds = _default_bounds()
    for seed in range(5):
        rng = random.Random(seed)
        history = _control_loop(lambda t, r=rng: r.uniform(4.0, 9.0), 120, bounds)
        assert _reversals(history) == 0, seed  # up to fit the load, then it holds: never down and up again
        assert history[-1][1] <= 5  # ceil(9 / 2): never more than the highest load needs


# -- the benchmark's account of the time to capacity ------------------------------------------------

def test_bench_breakdown_splits_the_time_to_capacity_at_its_events():
    from puma.bench.autoscale import breakdown

    events = [{"t": 0.1, "kind": "up"}, {"t": 2.5, "kind": "scale", "from": 1, "to": 4},
              {"t": 2.53, "kind": "up"}, {"t": 9.0, "kind": "scale", "from": 4, "to": 1}]
    requests = [(2.0 + i / 100, 0.02, 200, 11) for i in range(5)] + [(2.56, 0.02, 200, 22), (2.6, 0.02, 503, 0)]
    parts = breakdown(2.0, events, requests, first_pids={11}, target_in_flight=2)
    assert parts == {"ramp_s": 0.02, "detection_s": 0.48, "start_s": 0.03, "routing_s": 0.05,
                     "time_to_capacity_s": 0.58}
    assert breakdown(2.0, events[:1], requests[:5], {11}, 2)["time_to_capacity_s"] is None  # never scaled


def test_bench_reversals_count_changes_of_direction_only():
    from puma.bench.autoscale import reversals

    def live(*counts):
        return [{"live": n} for n in counts]

    assert reversals(live(1, 1, 2, 4, 4, 1)) == 1  # up, then down after the load: no oscillation
    assert reversals(live(1, 4, 1, 4, 1)) == 3
    assert reversals(live(2, 2, 2)) == 0
