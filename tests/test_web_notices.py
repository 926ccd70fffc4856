"""What the chat page and the dashboard tell a keyboard and screen-reader user in their first
minutes (newcomer 65): a notice about the box lives until the box changes and is said once per
event, never joined to another; waiting counts the seconds truthfully; the backend coming back
after an outage is said once; the survey asks only about what happened; the focus lands on the
region reached (Back from the survey, a dashboard link); a touch screen's keyboard is not opened
unasked."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest

import puma
from tests.live_regions import announced, record
from tests.web_helpers import TYPING_MS, bubbles, open_chat, wait_turn_done

NOTHING = "Nothing to send"


def _status_said(page: Any, since: int = 0) -> list[str]:
    return [item["text"] for item in announced(page, since) if item["region"] == "status-announce"]


def _mark(page: Any) -> int:
    return len(announced(page, cleared=True))


def _line(page: Any) -> str:
    return page.text_content("#status-line") or ""


def _wait_ms(page: Any, ms: int) -> None:
    start = page.evaluate("performance.now()")
    page.wait_for_function(f"() => performance.now() - {start} > {ms}")


@pytest.mark.parametrize("empty", ["", "   ", "\n"])
def test_web_notices_nothing_to_send_is_said_each_enter_and_goes_once_a_message_is_typed(
        new_page: Any, mesh: puma.Deployment, empty: str) -> None:
    page = new_page()
    record(page)
    open_chat(page, mesh.url, "puma")
    mark = _mark(page)
    for _ in range(3):  # three Enters: three events, each heard
        page.fill("#chat-input", empty)
        page.press("#chat-input", "Enter")
        _wait_ms(page, 600)
    assert sum(NOTHING in text for text in _status_said(page, mark)) == 3, _status_said(page, mark)
    assert NOTHING in _line(page)
    page.type("#chat-input", "a drama")
    assert NOTHING not in _line(page)  # the box changed: the notice no longer applies
    page.press("#chat-input", "Enter")
    page.type("#chat-input", "no preference")  # while the chatbot answers: queued
    page.press("#chat-input", "Enter")
    wait_turn_done(page, 3)
    _wait_ms(page, 500)
    said = _status_said(page, mark)
    assert sum(NOTHING in text for text in said) == 3, said  # never again
    assert all(text.startswith(NOTHING) == (NOTHING in text) for text in said), said  # never joined
    assert all(not text.startswith(NOTHING) or text == "Nothing to send: type a message first." for text in said), said
    assert NOTHING not in _line(page)
    assert bubbles(page, "user") == ["a drama", "no preference"]


def test_web_notices_a_refusal_goes_when_the_text_changes_and_is_not_heard_again(
        new_page: Any, mesh: puma.Deployment) -> None:
    page = new_page()
    record(page)
    open_chat(page, mesh.url, "puma")
    mark = _mark(page)
    page.fill("#chat-input", "y" * 520)
    page.press("#chat-input", "Enter")
    assert "Not sent" in _line(page)
    page.fill("#chat-input", "a short comedy")
    assert "Not sent" not in _line(page) and "520" not in _line(page)
    page.press("#chat-input", "Enter")
    wait_turn_done(page, 2)
    _wait_ms(page, 400)
    said = _status_said(page, mark)
    assert sum("520 characters" in text for text in said) == 1, said


def _hold_start_up(page: Any, held: dict[str, bool]) -> None:
    """The mesh starting, as the page sees it: the agent answers 503, /_puma/ready names it."""
    def agent(route: Any) -> None:
        if held["on"]:
            route.fulfill(status=503, content_type="application/json", body='{"error": "no healthy upstream"}')
        else:
            route.continue_()

    def ready(route: Any) -> None:
        if held["on"]:
            body = {"ready": False, "waiting_for": ["agent"], "not_ready": {}}
            route.fulfill(status=503, content_type="application/json", body=json.dumps(body))
        else:
            route.continue_()
    page.route("**/agent", agent)
    page.route("**/_puma/ready", ready)


def test_web_notices_the_start_up_wait_counts_each_second_it_waits(new_page: Any, mesh: puma.Deployment) -> None:
    page = new_page()
    record(page)
    held = {"on": True}
    _hold_start_up(page, held)
    page.goto(f"{mesh.url}/?typing={TYPING_MS}&backend=puma")
    page.wait_for_function("() => document.getElementById('status-line').textContent.includes('waiting for agent')")
    start = time.monotonic()
    seen: dict[int, float] = {}
    while time.monotonic() - start < 6.5:
        found = re.search(r"\((\d+) s so far\)", _line(page))
        if found:
            seen.setdefault(int(found.group(1)), time.monotonic() - start)
        time.sleep(0.2)
    assert len(seen) >= 5, seen  # a count that moves every second, not in 15-s steps
    for shown, at in seen.items():
        assert abs(shown - at) <= 2.5, seen  # and says the time truthfully
    said = _status_said(page)
    assert not any("so far" in text for text in said), said  # the seconds are shown, not read out
    held["on"] = False
    wait_turn_done(page, 1)
    assert "so far" not in _line(page)


def test_web_notices_the_backend_answering_again_after_an_outage_is_said_once(
        new_page: Any, mesh: puma.Deployment) -> None:
    page = new_page()
    record(page)
    open_chat(page, mesh.url, "puma")
    down = {"on": True}

    def outage(route: Any) -> None:  # `make stop`: nothing answers on the port
        if down["on"]:
            route.abort("connectionrefused")
        else:
            route.continue_()
    page.route("**/agent", outage)
    page.route("**/_puma/ready", outage)
    page.fill("#chat-input", "Brad Pitt")
    page.press("#chat-input", "Enter")
    page.wait_for_function("() => document.getElementById('status-line').textContent.includes('back in the box')")
    page.wait_for_function("() => document.title.startsWith('Not answering')")
    mark = _mark(page)
    _wait_ms(page, 3000)
    assert not any("answers again" in text for text in _status_said(page, mark))  # still down: not said
    down["on"] = False  # `make run` again
    page.wait_for_function("() => document.getElementById('status-line').textContent.includes('answers again')",
                           timeout=15_000)
    assert page.title() == "Movie chat · PUMA"
    assert "press Enter" in _line(page) and "back in the box" not in _line(page)
    _wait_ms(page, 4500)
    said = _status_said(page, mark)
    assert sum("answers again" in text for text in said) == 1, said
    page.press("#chat-input", "Enter")
    wait_turn_done(page, 2)
    assert "Brad Pitt" in bubbles(page, "user") and "answers again" not in _line(page)


def _to_the_survey(page: Any, url: str, answers: list[str]) -> None:
    open_chat(page, url, "puma")
    for number, text in enumerate(answers, start=2):
        page.fill("#chat-input", text)
        page.press("#chat-input", "Enter")
        wait_turn_done(page, number)
    page.wait_for_selector("body[data-state=ended]")
    page.click("#next-button")
    page.wait_for_selector("#survey-panel:not([hidden])")


def test_web_notices_survey_without_a_film_offered_asks_nothing_about_a_film(
        new_page: Any, mesh: puma.Deployment) -> None:
    page = new_page()
    _to_the_survey(page, mesh.url, ["bye"])
    assert page.locator(".film-card").count() == 0
    assert page.is_hidden("#liked-field") and "recommended movie" not in page.inner_text("#survey-panel")
    assert page.evaluate("document.activeElement.name") == "engagement"
    sent: list[dict[str, Any]] = []
    page.on("request", lambda r: sent.append(json.loads(r.post_data or "{}")) if r.url.endswith("/survey") else None)
    page.click("label.scale-option:has(input[name=engagement][value='3'])")
    page.click("#survey-submit")
    page.wait_for_selector("#thanks-panel:not([hidden])")
    assert sent and sent[0]["liked"] is None and sent[0]["engagement"] == 3


def test_web_notices_back_from_the_survey_puts_the_focus_on_the_conversation(
        new_page: Any, mesh: puma.Deployment) -> None:
    page = new_page()
    _to_the_survey(page, mesh.url, ["bye"])
    page.keyboard.press("ArrowRight")  # on a scale: the focus is inside the survey
    page.go_back()
    page.wait_for_selector("#chat-panel:not([hidden])")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'chat-panel'")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Conversation"
    page.go_forward()
    page.wait_for_selector("#survey-panel:not([hidden])")
    assert page.evaluate("document.activeElement.closest('#survey-panel') !== null")


def test_web_notices_a_dashboard_service_link_moves_the_focus_to_its_card(
        new_page: Any, mesh: puma.Deployment) -> None:
    page = new_page()
    page.goto(f"{mesh.url}/dashboard?interval=250")
    page.wait_for_selector("a.index-link")
    links = page.locator("a.index-link")
    for i in (links.count() - 1, 0):  # the last card (far down the page) and the first
        link = links.nth(i)
        target = link.get_attribute("href").lstrip("#")
        link.focus()
        page.keyboard.press("Enter")
        page.wait_for_function("id => document.activeElement && document.activeElement.id === id", arg=target)
        heading = page.evaluate("document.activeElement.getAttribute('aria-labelledby')")
        assert heading and page.is_visible(f"#{heading}")
        page.keyboard.press("Tab")  # on from the card, not from the top of the page
        assert page.evaluate(f"document.getElementById('{target}').contains(document.activeElement)")


PHONE = {"viewport": {"width": 390, "height": 664}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True,
         "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 15_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                       "Version/15.0 Mobile/15E148 Safari/604.1"}


@pytest.mark.parametrize("backend", ["puma", "legacy"])
def test_web_notices_a_touch_screen_is_not_given_the_box_focus_unasked(
        new_page: Any, mesh: puma.Deployment, backend: str) -> None:
    phone = new_page(**PHONE)
    assert phone.evaluate("matchMedia('(pointer: coarse)').matches")
    open_chat(phone, mesh.url, backend)
    _wait_ms(phone, 300)
    assert phone.evaluate("document.activeElement.id") != "chat-input"
    phone.tap("#chat-input")  # asked: typed, sent, and the box keeps the focus for the next one
    phone.keyboard.type("a comedy")
    phone.keyboard.press("Enter")
    wait_turn_done(phone, 2)
    assert phone.evaluate("document.activeElement.id") == "chat-input"
    desk = new_page()
    open_chat(desk, mesh.url, backend)
    assert desk.evaluate("document.activeElement.id") == "chat-input"  # a keyboard: ready to type
