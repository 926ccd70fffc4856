"""The start-up line `puma run` shows: on a terminal it fits the width, the most useful part first."""

from __future__ import annotations

import pytest

from puma.waiting import describe

# As a first chatbot start shows it: long warm-up messages, counts and routine phases mixed.
FIRST_START = {
    "agent": "waiting for the db service (the understander needs its vocabulary), 5 s",
    "listener": "importing", "policy": "0/2 instances", "web": "importing", "survey": "warming up",
    "db": "loading films and MovieLens ratings (first start: about 15 s)",
}
OTHER = {"api": "importing", "model": "loading weights 3/7 (about 40 s)", "cache": "1/3 instances",
         "search": "building the index of 1,200,000 titles", "ui": "warming up"}


@pytest.mark.parametrize("waiting", [FIRST_START, OTHER])
@pytest.mark.parametrize("width", [40, 60, 80, 100, 132])
def test_waiting_line_fits_the_terminal(waiting: dict[str, str], width: int) -> None:
    line = describe(waiting, 12.34, ready=(2, 8), width=width)
    assert len(line) <= width, line
    assert line.startswith("starting (12.3 s, 2/8 ready):")


def test_waiting_line_leads_with_what_a_warm_up_does_and_counts_what_it_leaves_out() -> None:
    line = describe(FIRST_START, 30.0, ready=(2, 8), width=80)
    assert line.split(": ", 1)[1].startswith("db loading films")  # not "agent waiting for the db service"
    assert line.endswith("; +5 more")  # every service not shown is counted
    wide = describe(OTHER, 3.0, width=200)
    assert wide.index("model loading") < wide.index("cache 1/3") < wide.index("api importing")


def test_waiting_line_groups_services_in_the_same_phase() -> None:
    line = describe({"a": "importing", "b": "importing", "c": "warming up"}, 0.5, ready=(0, 3))
    assert line == "starting (0.5 s, 0/3 ready): a, b importing; c warming up"


def test_waiting_line_in_a_log_is_whole() -> None:
    line = describe(FIRST_START, 1.0)
    assert all(phase in line for phase in FIRST_START.values()) and "more" not in line
