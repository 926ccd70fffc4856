"""The chat page in its start-up mode when the deployment is stopped under it (Ctrl-C or `make
stop` during start-up, newcomer 83): the page must say once, in the tab's title and to a screen
reader, that the deployment stopped and how to start it again, not count "waiting for the server"
for ever. "Still starting" is told from "gone" by what answers: Envoy's 503 while it starts,
nothing at all once it stopped. The deployment is scripted in the browser (tests/
test_web_first_minutes.py's FakeMesh) and the page's clock is jumped, never waited out.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.live_regions import announced, record, repeats
from tests.test_web_first_minutes import ORIGIN, FakeMesh
from tests.web_helpers import TYPING_MS

STOPPED_TITLE = "Stopped · Movie chat · PUMA"


def _line(page: Any) -> str:
    return page.inner_text("#status-line")


def _jump(page: Any, seconds: int) -> None:
    """Let the page's timers run `seconds` of its clock, a second at a time (each poll answered)."""
    for _ in range(seconds):
        page.clock.fast_forward(1000)
        page.wait_for_timeout(15)


def _starting_chat(page: Any, mesh: FakeMesh) -> None:
    record(page)
    mesh.install(page)
    page.clock.install()
    page.goto(f"{ORIGIN}/?typing={TYPING_MS}")
    page.wait_for_function("() => /is starting: waiting for/.test(document.getElementById('status-line').textContent)")


@pytest.mark.parametrize(("waiting", "typed"), [
    (["agent"], "I want a thriller"),
    (["agent", "db", "listener", "policy"], "something funny with Jim Carrey"),
    (["agent", "sentiment"], ""),
])
def test_chat_starting_when_the_deployment_stops_says_so_once_and_how_to_start_it(
        new_page: Any, waiting: list[str], typed: str) -> None:
    mesh = FakeMesh(waiting=list(waiting), agent="starting")
    page = new_page()
    _starting_chat(page, mesh)
    if typed:
        page.fill("#chat-input", typed)
        page.press("#chat-input", "Enter")
    _jump(page, 3)
    mesh.gone = True  # Ctrl-C in the make terminal: nothing listens on the port any more
    _jump(page, 60)
    assert page.title() == STOPPED_TITLE
    line = _line(page)
    assert "so far" not in line and "is starting" not in line, line
    said = [item["text"] for item in announced(page)]
    stopped = [text for text in said if "stopped" in text]
    assert len(stopped) == 1 and "make run" in stopped[0], said  # what happened and what to do, once
    assert not any("waiting for the server" in text for text in said), said
    if typed:  # the message is given back, with what to do first
        assert page.input_value("#chat-input") == typed
        assert "make run" in line, line
    assert repeats(announced(page, cleared=True)) == [], announced(page)


def test_chat_stopped_during_start_up_says_when_it_answers_again(new_page: Any) -> None:
    mesh = FakeMesh(waiting=["agent", "db"], agent="starting")
    page = new_page()
    _starting_chat(page, mesh)
    page.fill("#chat-input", "a war film")
    page.press("#chat-input", "Enter")
    mesh.gone = True  # make stop
    _jump(page, 5)
    assert page.title() == STOPPED_TITLE
    mesh.gone, mesh.waiting, mesh.agent = False, [], "ok"  # make run again, and it is ready
    _jump(page, 5)
    page.wait_for_function("() => document.getElementById('status-line').textContent.includes('answers again')")
    assert page.title() == "Movie chat · PUMA"
    page.press("#chat-input", "Enter")
    page.wait_for_function("() => [...document.querySelectorAll('.message.bot')].some(m => m.textContent.includes('Noted'))")


def test_chat_still_starting_is_not_taken_for_stopped(new_page: Any) -> None:
    """Envoy answers 503 for a minute and more: the page waits on, and says it starts."""
    mesh = FakeMesh(waiting=["agent"], agent="starting")
    page = new_page()
    _starting_chat(page, mesh)
    page.fill("#chat-input", "a western")
    page.press("#chat-input", "Enter")
    _jump(page, 70)
    assert page.title().startswith("Starting · "), page.title()
    assert "is starting: waiting for agent" in _line(page)
    mesh.waiting, mesh.agent = [], "ok"
    _jump(page, 2)
    page.wait_for_function("() => [...document.querySelectorAll('.message.bot')].some(m => m.textContent.includes('Noted'))")


# ---------------------------------------------------------------------------- the legacy server down


@pytest.mark.parametrize(("reason", "heard"), [
    ("the legacy socket server is unreachable: nothing accepts connections at 127.0.0.1:13183 and no legacy server "
     "runs on port 13183; start it: .venv/bin/python -m legacy_socket_server --port 13183 &", "not running: start it"),
    ("the legacy socket server is unreachable: the legacy server on 127.0.0.1:13183 is starting (pid 21144, loading "
     "since 00:58:40): it accepts connections once its catalogue is loaded", "may still be loading"),
    ("", "may still be loading"),  # the bridge said nothing yet
])
def test_chat_legacy_down_tells_a_screen_reader_what_to_do(new_page: Any, reason: str, heard: str) -> None:
    """Killed legacy server (newcomer 83): the status line had the command; the polite status said only
    "Waiting for the legacy server to accept connections". It must say what to do: start it, or switch."""
    mesh = FakeMesh(legacy_reason=reason)
    page = new_page()
    record(page)
    mesh.install(page)
    page.clock.install()
    page.goto(f"{ORIGIN}/?typing={TYPING_MS}&backend=legacy")
    page.wait_for_function("() => document.querySelectorAll('.message.bot').length >= 1"
                           " && document.body.dataset.state === 'ready'")
    mesh.legacy = "down"  # kill $(cat var/legacy-server-13183.pid)
    page.fill("#chat-input", "comedy")
    page.press("#chat-input", "Enter")
    page.wait_for_function("() => /Waiting for the legacy server/.test(document.getElementById('status-line').textContent)")
    _jump(page, 3)
    said = [item["text"] for item in announced(page) if item["region"] == "status-announce"]
    last = said[-1] if said else ""
    assert heard in last and "switch to the PUMA mesh" in last, said
    assert "python -m" not in last  # the command is on the line, not read out symbol by symbol
