"""Every live region of every page says each new message once, and nothing when nothing new
happened (a poll, a keystroke, a re-render, a restore): what each region announces over a
scripted session is recorded in the browser (tests/live_regions.py) and checked for repeats.

Pages: the chat (a whole conversation; a message that fails to send, twice; the backend switch
and back; the survey with its mistakes and failed sends) and the dashboard (polls, an outage and
the return).
"""

from __future__ import annotations

from typing import Any

import pytest

import puma
from tests.live_regions import announced, record, repeats
from tests.web_helpers import CONVERSATION, bubbles, open_chat, say, wait_turn_done


def _quiet_for(page: Any, ms: int) -> None:
    start = page.evaluate("performance.now()")
    page.wait_for_function(f"() => performance.now() - {start} > {ms}")


def _texts(said: list[dict[str, Any]], region: str) -> list[str]:
    return [item["text"] for item in said if item["region"] == region]


def _mark(page: Any) -> int:
    return len(announced(page, cleared=True))


def _to_the_end(page: Any, url: str) -> None:
    open_chat(page, url, "puma")
    for number, text in enumerate(CONVERSATION, start=2):
        say(page, text, number)
    page.wait_for_selector("body[data-state=ended]")


def test_web_live_regions_chat_says_each_message_once_and_nothing_when_idle(new_page: Any, mesh: puma.Deployment) -> None:
    page = new_page()
    record(page)
    _to_the_end(page, mesh.url)
    log = _texts(announced(page), "log")
    for text in bubbles(page, "bot"):  # each of the chatbot's messages once, as the chatbot's
        assert sum(line.startswith(f"Chatbot: {text}") for line in log) == 1, (text, log)
    for text in CONVERSATION:
        assert f"You: {text}" in log
    # The film card is part of the message proposing the film: said with it, as the chatbot's.
    assert all(line.startswith(("Chatbot: ", "You: ")) for line in log), log
    proposal = [line for line in log if "Film card: " in line]
    assert len(proposal) == 1 and proposal[0].startswith("Chatbot: How about "), log
    title = page.text_content(".film-card .film-title").split(" (")[0]
    assert f"Film card: {title}, " in proposal[0], proposal
    assert _texts(announced(page), "status-announce")[-1].startswith("The conversation is over.")
    before = _mark(page)
    _quiet_for(page, 1200)  # nothing happens: nothing is said
    page.set_viewport_size({"width": 700, "height": 600})  # the status line is fitted again
    page.focus("#chat-panel")
    _quiet_for(page, 300)
    assert announced(page, before) == []
    assert repeats(announced(page, cleared=True)) == [], announced(page)


RECOVERED = "The PUMA mesh answers again"


@pytest.mark.parametrize("failure", ["server", "network"])
def test_web_live_regions_a_failed_send_is_said_once_each_time(new_page: Any, mesh: puma.Deployment, failure: str) -> None:
    """"Not sent" was heard three times for one failure: the note, the message's own label
    rewritten, and the status line; and "Resend" as if it were a message."""
    page = new_page()
    record(page)
    open_chat(page, mesh.url, "puma")

    def fail(route: Any) -> None:
        if "thriller" not in (route.request.post_data or ""):
            route.continue_()
        elif failure == "network":
            route.abort()
        else:
            route.fulfill(status=500, content_type="application/json", body='{"error": "boom"}')

    page.route("**/agent", fail)
    start = _mark(page)
    page.fill("#chat-input", "a thriller")
    page.press("#chat-input", "Enter")
    page.wait_for_selector(".note.error")
    _quiet_for(page, 400)
    page.press("#chat-input", "Enter")  # the same again, from the box: it fails again
    page.wait_for_function("() => document.querySelectorAll('.note.error').length === 2")
    _quiet_for(page, 400)
    said = announced(page, start, cleared=True)
    spoken = [item["text"] for item in said if not item.get("cleared")]
    assert sum("Not sent" in text for text in spoken) == 2, spoken  # once per failure
    assert not [text for text in spoken if text in ("Resend", "You, not sent:")], spoken
    # After a network failure the page checks whether the mesh answers; once it does (it always
    # did here), it may say so, once per failure: that is news, not the failure said again.
    statuses = [t for t in _texts(said, "status-announce") if t]
    back = [t for t in statuses if t.startswith(RECOVERED)]
    assert [t for t in statuses if t not in back] == ["It is back in the box; press Enter to try again."] * 2, said
    assert len(back) <= (2 if failure == "network" else 0), said
    line = page.text_content("#status-line") or ""
    assert line.startswith("Not sent: “a thriller” is back in the box") or back and line.startswith(RECOVERED), line
    assert repeats(said) == [], said


def test_web_live_regions_survey_says_each_problem_once(new_page: Any, mesh: puma.Deployment) -> None:
    page = new_page()
    record(page)
    _to_the_end(page, mesh.url)
    page.click("#next-button")
    page.wait_for_selector("#survey-panel:not([hidden])")
    start = _mark(page)
    page.click("#survey-submit")  # nothing answered: one alert naming both questions
    page.wait_for_selector("#survey-error:not([hidden])")
    _quiet_for(page, 200)
    page.click("#survey-submit")  # the same again: nothing new to say (the focus goes to the question)
    _quiet_for(page, 200)
    # Arrow keys through the first scale (each one answers it anew): the alert does not interrupt
    # them (newcomer 91: it re-fired at every key, over the radio's own "2 of 5").
    for _ in range(3):
        page.keyboard.press("ArrowRight")
        _quiet_for(page, 100)
    assert [a for a in _texts(announced(page, start), "survey-error") if a][1:] == [], announced(page, start)
    page.focus("#comments")
    page.keyboard.type("Good film, quick chat.", delay=5)  # typing says nothing
    _quiet_for(page, 200)
    page.click("#survey-submit")  # one left: said at the submit
    _quiet_for(page, 200)
    page.click("label.scale-option:has(input[name=engagement][value='5'])")  # all answered: the alert goes
    page.route("**/survey", lambda route: route.abort())
    for _ in range(2):  # the network fails, twice: said each time
        page.click("#survey-submit")
        page.wait_for_function("() => /could not be saved/.test(document.getElementById('survey-error').textContent)"
                               " && !document.getElementById('survey-submit').disabled")
        _quiet_for(page, 300)
    page.unroute("**/survey")
    page.click("#survey-submit")
    page.wait_for_selector("#thanks-panel:not([hidden])")
    _quiet_for(page, 300)
    said = announced(page, start, cleared=True)
    alerts = _texts(said, "survey-error")
    assert [a for a in alerts if a] == [
        alerts[0], alerts[1], "Your answers could not be saved: the network failed. Please try again.",
        "Your answers could not be saved: the network failed. Please try again."], alerts
    assert "how much you liked" in alerts[0] and "how engaging" in alerts[0], alerts
    assert "how much you liked" not in alerts[1] and "how engaging" in alerts[1], alerts
    assert repeats(said) == [], said


def test_web_live_regions_switching_backends_reads_out_only_what_is_new(new_page: Any, mesh: puma.Deployment) -> None:
    page = new_page()
    record(page)
    open_chat(page, mesh.url, "puma")
    say(page, "comedy", 2)
    page.check("input[name=backend][value=legacy]")
    wait_turn_done(page, 1)
    _quiet_for(page, 200)
    back = _mark(page)
    page.check("input[name=backend][value=puma]")  # back: the conversation is shown again, not read out
    page.wait_for_function("() => [...document.querySelectorAll('.note')].some(n => /restored/.test(n.textContent))")
    _quiet_for(page, 300)
    said = announced(page, back)
    assert not [item for item in said if item["text"].startswith(("Chatbot:", "You:"))], said
    assert any("back to your conversation" in item["text"] for item in said), said
    assert repeats(announced(page, cleared=True)) == [], announced(page)


def test_web_live_regions_dashboard_says_changes_only(new_page: Any, mesh: puma.Deployment) -> None:
    page = new_page()
    record(page)
    page.goto(f"{mesh.url}/dashboard?interval=250")
    page.wait_for_selector("article.service")
    _quiet_for(page, 1500)  # six polls: "live" once, then nothing
    assert _texts(announced(page), "live-state") == ["live"], announced(page)
    page.route("**/_puma/status", lambda route: route.abort())
    page.wait_for_selector("#dash-error:not([hidden])")
    _quiet_for(page, 1500)
    page.unroute("**/_puma/status")
    page.wait_for_selector("#dash-error", state="hidden")
    _quiet_for(page, 1000)
    said = announced(page, cleared=True)
    assert _texts(announced(page), "live-state") == ["live", "disconnected", "live"], said
    assert len(_texts(announced(page), "dash-error")) == 1, said
    assert repeats(said) == [], said


# What a live region may not read out: a shell command, a path, a URL, an address with its port.
_TECHNICAL = (r"(\.venv/|python -m|--\w|2>&1|>>|`|https?://|\b\d{1,3}(\.\d{1,3}){3}\b|"
              r"\bvar/[\w.-]+|/tmp/|\.log\b|\.pid\b)")


_FAILURES = [
    # the legacy server stopped: its start command (newcomer 61, finding 4)
    {"status": 503, "body": {"error": "service unavailable", "service": "legacy", "backend": "legacy",
                             "reason": "the legacy server: nothing accepts connections at 127.0.0.1:13877 (connection "
                                       "refused) and no legacy server runs on port 13877; start it: .venv/bin/python -m "
                                       "legacy_socket_server --port 13877 --pid-file var/legacy-server-13877.pid >> "
                                       "var/legacy-server-13877.log 2>&1 &"}},
    # a server error naming a file and an address
    {"status": 500, "body": {"error": "the catalogue at /tmp/puma-run/movies.sqlite could not be opened; see "
                                      "http://127.0.0.1:8080/dashboard or var/agent.log"}},
    # the deployment gone: the commands that run it
    {"network": True},
]


@pytest.mark.parametrize("answer", _FAILURES)
def test_web_live_regions_commands_and_paths_are_shown_not_spoken(
        new_page: Any, mesh: puma.Deployment, answer: dict[str, Any]) -> None:
    """A failure's note shows the command (or path, or address) to use, as code to copy; screen
    readers hear what to do in words ("start it with the command shown"), never the symbols, and
    find the command itself in the note when they browse the conversation."""
    import json
    import re
    page = new_page()
    record(page)
    open_chat(page, mesh.url, "puma")

    def fail(route: Any) -> None:
        if "thriller" not in (route.request.post_data or ""):
            route.continue_()
        elif answer.get("network"):
            route.abort()
        else:
            route.fulfill(status=answer["status"], content_type="application/json", body=json.dumps(answer["body"]))

    page.context.route("**/agent", fail)
    page.clock.install()
    start = _mark(page)
    page.fill("#chat-input", "a thriller")
    page.press("#chat-input", "Enter")
    if answer.get("status") == 503:  # the page waits for the legacy server first (30 s): jumped over
        page.wait_for_function("() => /Waiting for the legacy server/.test(document.getElementById('status-line').textContent)")
        page.clock.fast_forward(31_000)
    page.wait_for_selector(".note.error", timeout=60_000)
    page.clock.run_for(500)
    spoken = [item["text"] for item in announced(page, start)]
    assert spoken and not [text for text in spoken if re.search(_TECHNICAL, text)], spoken
    note = page.inner_text(".note.error")  # shown in full, as code: a whole command to copy
    code = page.locator(".note.error code").all_inner_texts()
    assert code and all(piece in note for piece in code), (note, code)
    if answer.get("status") == 503:
        assert any(piece.startswith(".venv/bin/python -m legacy_socket_server --port 13877")
                   and piece.endswith("2>&1 &") for piece in code), code
        assert any("with the command shown" in text for text in spoken), spoken
    # Browsing the log reads the words that were said (the note does not change after it was said).
    browsed = page.evaluate("""() => [...document.querySelectorAll('.note.error')].map(n => n.cloneNode(true))
        .map(n => { n.querySelectorAll('[aria-hidden=true]').forEach(h => h.remove()); return n.textContent; })""")
    assert browsed and not [text for text in browsed if re.search(_TECHNICAL, text)], browsed


def _fail_sends(page: Any, answer: dict[str, Any]) -> None:
    import json

    def fail(route: Any) -> None:
        if "thriller" not in (route.request.post_data or ""):
            route.continue_()
        elif answer.get("network"):
            route.abort()
        else:
            route.fulfill(status=answer["status"], content_type="application/json", body=json.dumps(answer["body"]))

    page.context.route("**/agent", fail)


@pytest.mark.parametrize("answer", _FAILURES)
def test_web_live_regions_a_failure_note_is_said_once_in_words_and_never_rewritten(
        new_page: Any, mesh: puma.Deployment, answer: dict[str, Any]) -> None:
    """Newcomer 91: each "Not sent" note reached the log twice, in words and then as the code
    unwrapped inside the log (its aria-busy, set and removed in one task, hid nothing). Recorded
    here as the browser sees it: a busy that ends in its own task hides nothing."""
    import re
    page = new_page()
    record(page, busy_in_one_task=False)
    open_chat(page, mesh.url, "puma")
    _fail_sends(page, answer)
    page.clock.install()
    start = _mark(page)
    page.fill("#chat-input", "a thriller")
    for attempt in (1, 2):  # a failure, then the same again from the box: one note each time
        page.press("#chat-input", "Enter")
        if answer.get("status") == 503:
            page.wait_for_function("() => /Waiting for the legacy server/.test(document.getElementById('status-line').textContent)")
            page.clock.fast_forward(31_000)
        page.wait_for_function(f"() => document.querySelectorAll('.note.error').length === {attempt}", timeout=60_000)
        page.clock.run_for(1000)
    said = announced(page, start)
    notes = [item["text"] for item in said if item["region"] == "log" and "Not sent" in item["text"]]
    assert len(notes) == 2 and notes[0] == notes[1], said  # once per failure, in the same words
    assert not [item for item in said if re.search(_TECHNICAL, item["text"])], said
    fragments = [item for item in said if item["text"].rstrip(": ").lower() in ("you, not sent yet", "you, not sent")]
    assert fragments == [], said


def test_web_live_regions_dashboard_outage_alert_is_said_once_in_words(new_page: Any, mesh: puma.Deployment) -> None:
    import re
    page = new_page()
    record(page, busy_in_one_task=False)
    page.goto(f"{mesh.url}/dashboard?interval=250")
    page.wait_for_selector("article.service")
    page.route("**/_puma/status", lambda route: route.abort())
    page.wait_for_selector("#dash-error:not([hidden])")
    _quiet_for(page, 1500)
    alerts = _texts(announced(page), "dash-error")
    assert len(alerts) == 1 and "make run" in alerts[0], alerts
    assert not re.search(_TECHNICAL, alerts[0]), alerts
    assert page.locator("#dash-error code").count() >= 1  # shown as code to copy
