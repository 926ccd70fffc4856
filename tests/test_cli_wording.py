"""What the CLI and the load-test report say in the corner cases a newcomer met: a suggested fix
that is one of the choices just listed, and summaries that never claim what did not happen."""

from __future__ import annotations

from typing import Any

import pytest

from loadtests import report
from puma import running, runs
from puma.errors import PumaError


def _runs(*pairs: tuple[int, str]) -> list[dict[str, Any]]:
    return [{"url": f"http://127.0.0.1:{port}", "cwd": cwd, "pid": 100 + i, "app": "app.py"}
            for i, (port, cwd) in enumerate(pairs)]


@pytest.mark.parametrize(("pairs", "here", "words"), [
    (((18135, "/w/a"), (18133, "/w/a")), "/w/a/examples", "started from this directory or one above it"),
    (((18135, "/w/a"), (18133, "/w/b")), "/elsewhere", "none was started from this directory or one above it"),
])
def test_cli_wording_scale_suggests_a_url_among_the_running_ones(monkeypatch: pytest.MonkeyPatch, pairs: Any,
                                                                 here: str, words: str) -> None:
    monkeypatch.delenv("PUMA_URL", raising=False)
    monkeypatch.chdir("/")
    found = _runs(*pairs)
    monkeypatch.setattr(runs, "running", lambda: found)
    monkeypatch.setattr(runs, "started_here", lambda runs: [r for r in runs if here.startswith(r["cwd"])])
    with pytest.raises(PumaError) as caught:
        running.deployment_url(None, changes=True)
    text = str(caught.value)
    assert words in text
    suggested = text.split("--url ")[-1].rstrip(")")
    assert int(suggested) in {port for port, _ in pairs}, text  # not a port nothing runs on


def _target(p99s: list[float], rates: list[float]) -> dict[str, Any]:
    steps = [{"users": users, "turn_p50_ms": 1.0, "turn_p95_ms": 1.0, "turn_p99_ms": p99, "conversations_per_s": rate}
             for users, p99, rate in zip((1, 2, 4, 8, 16), p99s, rates, strict=False)]
    best = max(steps, key=lambda r: r["conversations_per_s"])
    return {"steps": steps, "max_users_p99_under_goal": report._max_users_under_goal(steps),
            "saturation": {"users": best["users"], "conversations_per_s": best["conversations_per_s"]}}


def test_cli_wording_load_summary_never_says_up_to_0_users_or_saturation_that_did_not_happen() -> None:
    never = report._p99_words(_target([900, 950, 990], [1, 2, 3]))
    assert "up to 0" not in never and ">= 250 ms at every step: 1 user (900.0 ms)" in never
    assert "< 250 ms at 1 user (10.0 ms), 2 users (20.0 ms); >= 250 ms at 4 users (900.0 ms)" in report._p99_words(
        _target([10, 20, 900], [1, 2, 3]))
    rising = report._throughput_words(_target([10, 20, 30], [1.0, 2.0, 13.4]))
    assert "not saturated" in rising and "saturation" not in rising.replace("not saturated", "")
    peaked = report._throughput_words(_target([10, 20, 30], [1.0, 5.0, 3.0]))
    assert peaked.startswith("saturation 5.00 conversations/s at 2 users")


def _said(words: str) -> dict[int, tuple[str, float]]:
    """{users: (side of the goal, p99 ms)} from a p99 sentence, one entry per step it names."""
    said = {}
    for group in words.removeprefix("p99 turn latency ").split("; "):
        sign, _, rest = group.partition(" 250 ms at ")
        for item in rest.removeprefix("every step: ").split("), "):
            users, _, ms = item.partition(" user")
            said[int(users)] = (sign, float(ms.split("(")[1].rstrip(") ms")))
    return said


def _table(target: dict[str, Any]) -> dict[int, float]:
    """{users: p99 ms} as the summary's side-by-side table prints it."""
    rows = report._side_by_side({"puma": target})[2:]
    return {int(row.split(" | ")[0].strip("| ")): float(row.split(" | ")[1].split(" / ")[2]) for row in rows}


@pytest.mark.parametrize("p99s", [
    [273.6, 222.1],  # the newcomer's run: over at 1 user, under at 4
    [249.96, 250.0, 120.0],  # the edges: 249.96 prints as 250.0, so it is not called under
    [100.0, 300.0, 90.0, 260.0, 240.0],  # crossing back and forth
    [10.0], [900.0], [900.0, 950.0, 990.0], [10.0, 20.0, 30.0, 40.0],
])
def test_cli_wording_load_summary_p99_sentence_agrees_with_its_table(p99s: list[float]) -> None:
    target = _target(p99s, [1.0] * len(p99s))
    said, table = _said(report._p99_words(target)), _table(target)
    assert set(said) == set(table), (said, table)
    for step in target["steps"]:
        sign, ms = said[step["users"]]
        assert ms == table[step["users"]], (said, table)
        assert sign == ("<" if ms < report.P99_GOAL_MS else ">="), (step, said)  # the printed figure decides
    sentence = report._p99_words(target)
    assert ("every step" in sentence) == (len(p99s) > 1 and len({s for s, _ in said.values()}) == 1), sentence


def _rows(step_s: float, done: list[int]) -> list[dict[str, Any]]:
    return [{"users": users, "measured_s": step_s, "conversations": n, "conversations_per_s": n / step_s,
             "turn_p50_ms": 5.0, "turn_p95_ms": 9.0, "turn_p99_ms": 12.0}
            for users, n in zip((1, 4, 8, 16), done, strict=False)]


@pytest.mark.parametrize(("step_s", "done"), [
    (5.0, [2, 1]),  # README's short run: the first step "peaked" on two conversations
    (5.0, [3, 9, 4]),
    (60.0, [40, 4, 3]),  # long enough, but the steps after the best hold too few to compare
    (10.0, [30, 60, 50]),  # many, but steps too short
])
def test_cli_wording_load_summary_names_no_saturation_from_too_little_data(step_s: float, done: list[int]) -> None:
    target = {**report.step_figures(_rows(step_s, done)), "failures": {}}
    words = report._throughput_words(target)
    assert "too little data to name a saturation point" in words, words
    assert not words.startswith("saturation") and " 1 users" not in words, words
    other = {**report.step_figures(_rows(60.0, [30, 90, 80])), "failures": {}}
    goals = report._goal_lines({"targets": {"puma": target, "legacy": other},
                                "goals": report._goals({"puma": target, "legacy": other}), "params": {"step_s": step_s}})
    ratio_line = next(line for line in goals if "at saturation" in line)
    assert "too little data" in ratio_line and "met" not in ratio_line, ratio_line


@pytest.mark.parametrize(("step_s", "warm_up_s"), [(30.0, 8.0), (29.996, 8.0), (45.0, 12.0)])
def test_cli_wording_load_summary_takes_steps_as_long_as_it_advises(step_s: float, warm_up_s: float) -> None:
    """The words advise "steps of at least 30 s": a run of such steps (each measured after its
    warm-up, so over fewer seconds) names its saturation, never "too little data"."""
    rows = [{**row, "step_s": step_s, "measured_s": step_s - warm_up_s}
            for row in _rows(step_s - warm_up_s, [300, 900, 800])]
    target = {**report.step_figures(rows), "failures": {}}
    words = report._throughput_words(target)
    assert words.startswith("saturation") and "too little data" not in words, words


def test_cli_wording_load_summary_names_a_saturation_measured_over_long_steps() -> None:
    target = {**report.step_figures(_rows(60.0, [30, 90, 80])), "failures": {}}
    assert report._throughput_words(target).startswith("saturation 1.50 conversations/s at 4 users")
    one = {**report.step_figures(_rows(60.0, [40, 20])), "failures": {}}
    assert report._throughput_words(one) == "saturation 0.67 conversations/s at 1 user"
