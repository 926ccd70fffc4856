"""The web UI end to end: headless Chromium (Debian's) against the real PUMA chatbot deployment
behind Envoy, and against the legacy socket server through the /legacy bridge.

Screenshots go to test-artifacts/. Skipped only when /usr/bin/chromium is absent and
scripts/ensure-system-packages.sh could not install it. Fixtures: tests/plugins/web.py.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
import pytest

import puma
from chatbot.webapp import LegacyServerDown, legacy_down
from puma.readiness import describe, refusal
from tests.helpers import wait_for
from tests.plugins.web import ARTIFACTS
from tests.web_helpers import (
    CONVERSATION,
    answer_survey,
    bubbles,
    check_recommendation,
    converse,
    open_chat,
    say,
    stored,
    wait_turn_done,
)

RPS_SHOWN = """() => {
  const value = document.querySelector("article.service[data-service='agent'] .metric:nth-child(2) .metric-value");
  return value && Number(value.textContent) > 0;
}"""


# ---------------------------------------------------------------------------- tests


def posted(page: Any, path: str) -> list[dict[str, Any]]:
    """The JSON bodies the page POSTs to `path` from now on."""
    bodies: list[dict[str, Any]] = []
    page.on("request", lambda r: bodies.append(json.loads(r.post_data or "{}"))
            if r.method == "POST" and r.url.split("?")[0].endswith(path) else None)
    return bodies


def test_web_chat_through_puma_to_a_recommendation_and_the_survey(page: Any, mesh: puma.Deployment,
                                                                   chatbot_db_url: str) -> None:
    polls, turns = posted(page, "/listener"), posted(page, "/agent")
    converse(page, mesh.url, "puma")
    # The listener service hands out a turn's later messages, as the original page design has it.
    assert polls and all(b["mode"] == "true" for b in polls)
    assert all(b["mode"] == "false" for b in turns) and len(turns) == len(CONVERSATION) + 1
    check_recommendation(page)
    assert page.locator(".film-card").count() == 1  # one film proposed, one card
    assert set(page.locator(".served-by").all_inner_texts()) == {"PUMA mesh"}
    assert all(re.fullmatch(r"\d+ ms", t) for t in page.locator(".took").all_inner_texts())
    assert page.locator(".message.bot .bubble").last.inner_text().startswith("Bye!")
    page.screenshot(path=str(ARTIFACTS / "chat-puma-end.png"), full_page=True, animations="disabled")
    comment = f"puma run {uuid.uuid4().hex} <b>good</b>"
    answer_survey(page, comment)
    row, has_conversation = stored(chatbot_db_url, comment)
    assert (row["liked"], row["engagement"], row["chatbot_before"]) == (4, 5, True)
    assert has_conversation  # the PUMA deployment keeps conversations in the shared database


def test_web_chat_through_the_legacy_bridge(page: Any, mesh: puma.Deployment, chatbot_db_url: str) -> None:
    converse(page, mesh.url, "legacy")
    check_recommendation(page)
    assert set(page.locator(".served-by").all_inner_texts()) == {"Legacy server"}
    page.screenshot(path=str(ARTIFACTS / "chat-legacy-end.png"), full_page=True, animations="disabled")
    comment = f"legacy run {uuid.uuid4().hex}"
    answer_survey(page, comment)
    row, _ = stored(chatbot_db_url, comment)
    assert (row["liked"], row["engagement"]) == (4, 5)


def test_web_chat_backend_switch_says_it_starts_a_new_conversation_and_keeps_the_old(
        page: Any, mesh: puma.Deployment) -> None:
    open_chat(page, mesh.url, "puma")
    say(page, "comedy", 2)
    page.check("input[name=backend][value=legacy]", force=True)
    wait_turn_done(page, 1)
    assert page.locator(".served-by").all_inner_texts() == ["Legacy server"]
    assert "backend=legacy" in page.url
    note = page.locator(".note").first.inner_text()
    assert "Legacy server" in note and "new conversation" in note
    assert "conversation with the PUMA mesh is kept" in note
    assert bubbles(page, "user") == []
    page.check("input[name=backend][value=puma]", force=True)  # back: the PUMA conversation
    page.wait_for_function("() => document.body.dataset.state === 'ready'"
                           " && document.querySelectorAll('.message.user').length === 1")
    assert bubbles(page, "user") == ["comedy"]
    assert "back to your conversation" in page.locator(".note").last.inner_text()
    say(page, "no preference", 1)  # it goes on where it was
    assert bubbles(page, "user") == ["comedy", "no preference"]


# What a reader sees of the conversation, item by item: who said what, each film card by title,
# which backend served each turn and how long it took, whether each message has its time.
# A card is part of the message proposing its film: listed right after that message.
SHOWN = """() => [...document.querySelectorAll('#earlier > li, #messages > li')]
  .filter(li => li.dataset.role !== 'system')
  .flatMap(li => [
    ...(li.querySelector('.bubble') ? [[li.dataset.role, li.querySelector('.bubble').textContent,
       (li.querySelector('.served-by') || {}).textContent || '', (li.querySelector('.took') || {}).textContent || '',
       Boolean(li.querySelector('.meta time'))]] : []),
    ...(li.querySelector('.film-card') ? [['card', li.querySelector('.film-title').textContent]] : [])])"""
# Two films proposed (the first not watched, not liked), then a question about the second: its card
# stays after the message proposing it, not after the answer naming its title again.
TWO_FILMS = ["comedy", "no preference", "no preference", "no preference", "no", "no", "who directed it?"]


def _restored(page: Any) -> None:
    page.wait_for_function("() => ['ready', 'ended'].includes(document.body.dataset.state)"
                           " && /restored/.test([...document.querySelectorAll('.note')].map(n => n.textContent).join(' '))")


@pytest.mark.parametrize("backend", ["puma", "legacy"])
def test_web_chat_reload_shows_the_conversation_as_it_was(new_page: Any, mesh: puma.Deployment, backend: str) -> None:
    page = new_page()
    open_chat(page, mesh.url, backend)
    for number, text in enumerate(TWO_FILMS, start=2):
        say(page, text, number)
    before = page.evaluate(SHOWN)
    assert [item[0] for item in before].count("card") == 2
    assert all(item[-1] for item in before if item[0] != "card")  # every message has its time
    page.reload()
    _restored(page)
    assert page.evaluate(SHOWN) == before  # every card in its place, times, labels, durations
    say(page, "no preference", 1)  # numbered after the restored turns: answered, not refused
    assert page.locator(".note.error").count() == 0
    assert len(bubbles(page, "bot")) > len([i for i in before if i[0] == "bot"])


def test_web_chat_dashboard_and_back_keeps_the_conversation(page: Any, mesh: puma.Deployment) -> None:
    open_chat(page, mesh.url, "puma")
    for number, text in enumerate(TWO_FILMS[:5], start=2):
        say(page, text, number)
    before = page.evaluate(SHOWN)
    page.click("a.toplink")
    page.wait_for_selector("body[data-state=live]")
    page.go_back()
    _restored(page)
    assert page.evaluate(SHOWN) == before


def test_web_chat_restores_in_a_new_tab_without_this_tabs_timings(new_page: Any, mesh: puma.Deployment) -> None:
    """What only the tab knew (how long each turn took) is left out; the rest comes from the server."""
    page = new_page()
    open_chat(page, mesh.url, "puma")
    for number, text in enumerate(TWO_FILMS[:5], start=2):
        say(page, text, number)
    before = page.evaluate(SHOWN)
    stored = page.evaluate("sessionStorage.getItem('puma-chat')")
    other = new_page()
    other.goto(f"{mesh.url}/dashboard")
    other.evaluate("s => { const d = JSON.parse(s); d.conversations.puma.turns = {};"
                   " sessionStorage.setItem('puma-chat', JSON.stringify(d)); }", stored)
    other.goto(f"{mesh.url}/?typing=15")
    _restored(other)
    assert other.evaluate(SHOWN) == [item[:3] + ["", item[4]] if item[0] == "bot" else item for item in before]


def test_web_chat_ended_conversation_reloads_ended(page: Any, mesh: puma.Deployment) -> None:
    converse(page, mesh.url, "puma")
    page.reload()
    page.wait_for_selector("body[data-state=ended] #next-button:not([hidden])")
    assert bubbles(page, "bot")[-1].startswith("Bye!")
    assert page.locator(".film-card").count() == 1 and page.is_disabled("#chat-input")


def test_web_survey_of_an_unknown_conversation_is_404(page: Any, mesh: puma.Deployment) -> None:
    open_chat(page, mesh.url, "puma")
    for sid in ("nope", uuid.uuid4().hex):
        status, body = page.evaluate("""id => fetch('/survey', {method: 'POST', headers: {'Content-Type':
            'application/json'}, body: JSON.stringify({id, liked: 3, engagement: 3})})
            .then(r => Promise.all([r.status, r.json()]))""", sid)
        assert status == 404 and f"{sid!r} is not a conversation" in body["error"]
    sid = page.evaluate("JSON.parse(sessionStorage.getItem('puma-chat')).conversations.puma.id")
    assert httpx.post(f"{mesh.url}/survey", json={"id": sid, "liked": 3, "engagement": 3}).status_code == 200


def test_web_chat_shows_markup_as_text(page: Any, mesh: puma.Deployment) -> None:
    attacks = ["<script>window.__xss = 1</script>", '<img src=x onerror="window.__xss = 2">']
    open_chat(page, mesh.url, "puma")
    for number, text in enumerate(attacks, start=2):
        say(page, text, number)
    assert page.locator(".message.user .bubble").all_inner_texts() == attacks
    assert page.evaluate("window.__xss") is None
    assert page.locator("#messages img, #messages script").count() == 0
    page.screenshot(path=str(ARTIFACTS / "chat-xss-as-text.png"), animations="disabled")


def test_web_chat_keyboard_enter_sends_and_focus_stays(page: Any, mesh: puma.Deployment) -> None:
    open_chat(page, mesh.url, "puma")
    assert page.evaluate("document.activeElement.id") == "chat-input"
    page.keyboard.type("comedy")
    page.keyboard.press("Enter")
    wait_turn_done(page, 2)
    assert page.locator(".message.user .bubble").all_inner_texts() == ["comedy"]
    assert page.input_value("#chat-input") == ""
    assert page.evaluate("document.activeElement.id") == "chat-input"
    page.keyboard.type("no preference")
    page.keyboard.press("Enter")
    wait_turn_done(page, 3)
    assert page.locator(".message.user .bubble").count() == 2


def test_web_chat_enter_while_the_bot_types_queues_the_message(page: Any, mesh: puma.Deployment) -> None:
    page.goto(f"{mesh.url}/?typing=2000&backend=puma")  # a slow typist: two messages, 4 s
    page.wait_for_selector(".message.bot")  # the first is shown, the second is being typed
    assert page.evaluate("document.body.dataset.state") == "busy"
    page.keyboard.type("comedy")
    page.keyboard.press("Enter")  # the rest of the greeting appears at once, then it is sent
    wait_turn_done(page, 2, timeout_ms=20_000)
    items = page.locator("#messages > li").evaluate_all("els => els.map(e => e.dataset.role)")
    assert items[:4] == ["bot", "bot", "user", "bot"]  # the rest of the greeting, then the message
    assert bubbles(page, "user") == ["comedy"] and page.inner_text("#status-line") == ""
    assert page.get_attribute("#status-line", "role") is None  # no empty "Status line" landmark


def test_web_chat_queues_messages_sent_while_a_turn_is_on_its_way(page: Any, mesh: puma.Deployment) -> None:
    held: list[Any] = []
    page.route("**/agent", lambda route: held.append(route) if "comedy" in (route.request.post_data or "")
               else route.continue_())
    open_chat(page, mesh.url, "puma")
    say_no_wait = ["comedy", "Jim Carrey", "no preference"]
    for text in say_no_wait:
        page.fill("#chat-input", text)
        page.press("#chat-input", "Enter")
    page.wait_for_function("() => document.querySelectorAll('.message.user').length === 1")
    # Each waiting message is shown at once, in order, below the conversation, and the line
    # above the input names every one of them.
    assert page.locator("#outbox .queued .bubble").all_inner_texts() == say_no_wait[1:]
    status = page.inner_text("#status-line")
    assert "Your 2 messages (“Jim Carrey”, “no preference”) are sent in order when the chatbot has answered" in status
    page.screenshot(path=str(ARTIFACTS / "chat-queued.png"), animations="disabled")
    held[0].continue_()
    wait_turn_done(page, 4)
    assert bubbles(page, "user") == say_no_wait
    assert page.locator("#outbox .queued").count() == 0 and page.is_hidden("#outbox")
    assert page.locator(".note.error").count() == 0


def test_web_chat_message_typed_and_entered_before_the_script_ran_is_sent_not_lost(
        page: Any, mesh: puma.Deployment) -> None:
    """On a busy machine the box shows before the page's script has loaded: a message typed there and
    Enter pressed (a newline, then) is sent once the chatbot has greeted; one typed without Enter
    stays in the box as a draft."""
    held: list[Any] = []
    page.route("**/chat.js", lambda route: held.append(route))
    page.goto(f"{mesh.url}/?typing=15&backend=puma", wait_until="commit")
    page.wait_for_selector("#chat-input")
    wait_for(lambda: held, timeout_s=30, message="the page to ask for its script")
    page.fill("#chat-input", "a comedy")
    page.press("#chat-input", "Enter")  # no script yet: the box takes the newline
    held[0].continue_()
    wait_turn_done(page, 2)
    assert bubbles(page, "user") == ["a comedy"] and page.input_value("#chat-input") == ""
    page.unroute("**/chat.js")
    page.route("**/chat.js", lambda route: held.append(route))
    page.evaluate("sessionStorage.clear()")
    page.goto(f"{mesh.url}/?typing=15&backend=puma", wait_until="commit")
    page.wait_for_selector("#chat-input")
    wait_for(lambda: len(held) == 2, timeout_s=30, message="the page to ask for its script again")
    page.fill("#chat-input", "half a thought")
    held[1].continue_()
    wait_turn_done(page, 1)
    assert page.input_value("#chat-input") == "half a thought" and bubbles(page, "user") == []


def test_web_chat_shows_the_500_character_limit(page: Any, mesh: puma.Deployment) -> None:
    open_chat(page, mesh.url, "puma")
    assert page.is_hidden("#char-count")  # short messages: no counter
    long = "la 👋 " * 120  # 600 characters (an emoji counts one), pasted; 599 sent (no trailing space)
    page.fill("#chat-input", long)
    count = page.inner_text("#char-count")
    assert "599 / 500" in count and "99 too many" in count
    assert page.get_attribute("#chat-input", "aria-invalid") == "true"
    page.press("#chat-input", "Enter")
    status = page.inner_text("#status-line")
    assert "Not sent" in status and "599 characters" in status and "500 at most" in status, status
    assert bubbles(page, "user") == [] and page.input_value("#chat-input") == long  # nothing cut
    page.fill("#chat-input", long[:500])
    assert page.inner_text("#char-count") == "499 / 500 characters"
    assert page.get_attribute("#chat-input", "aria-invalid") is None
    page.press("#chat-input", "Enter")
    wait_turn_done(page, 2)
    assert bubbles(page, "user") == [long[:500].strip()]


def test_web_chat_counter_counts_what_enter_sends_so_a_fitting_message_is_never_shown_too_long(
        page: Any, mesh: puma.Deployment) -> None:
    """A pasted text's spaces and newlines around it are not sent: the counter leaves them out too, so
    a 500-character message pasted with a trailing newline reads 500 / 500, fits, and Enter sends it."""
    open_chat(page, mesh.url, "puma")
    page.fill("#chat-input", "  " + "a" * 500 + "\n\n")
    assert page.inner_text("#char-count") == "500 / 500 characters"
    assert page.get_attribute("#chat-input", "aria-invalid") is None
    page.press("#chat-input", "Enter")
    wait_turn_done(page, 2)
    assert bubbles(page, "user") == ["a" * 500]


def test_web_chat_limit_notice_follows_the_text_as_it_is_now(page: Any, mesh: puma.Deployment) -> None:
    """A refused message's notice never describes an older text: it follows each change."""
    open_chat(page, mesh.url, "puma")
    page.fill("#chat-input", "a" * 600)
    page.press("#chat-input", "Enter")
    assert "600 characters" in page.inner_text("#status-line")
    page.fill("#chat-input", "b" * 20_000)
    count = page.inner_text("#char-count")
    assert count.startswith("Not sent: 20000 / 500") and "19500 too many" in count
    assert "600" not in page.inner_text("#status-line") + count
    page.fill("#chat-input", "c" * 450)  # within the limit: nothing refused any more
    assert "Not sent" not in page.inner_text("#status-line") + page.inner_text("#char-count")
    assert page.inner_text("#char-count") == "450 / 500 characters"


def test_web_chat_limit_refusal_is_announced_once_not_at_every_key_and_its_end_once(
        page: Any, mesh: puma.Deployment) -> None:
    """Over the limit, Enter: the refusal is said once; keys typed after it (still over, then back
    under) change the counter, not the live region, until the text fits: that is said once."""
    open_chat(page, mesh.url, "puma")
    page.evaluate(RECORD_ANNOUNCEMENTS)  # (defined below, with the other announcement tests)
    page.fill("#chat-input", "x" * 505)
    page.press("#chat-input", "Enter")
    page.type("#chat-input", "abc")
    for _ in range(9):
        page.press("#chat-input", "Backspace")
    page.wait_for_timeout(300)  # let the observer's records land
    said = page.evaluate("window.__said")
    assert len([s for s in said if "Not sent" in s]) == 1, said
    assert len([s for s in said if "fits now" in s]) == 1 and "500 of 500" in said[-1], said
    assert page.inner_text("#char-count") == "499 / 500 characters"


def test_web_chat_limit_refusal_is_in_the_live_region_when_enter_is_handled(
        page: Any, mesh: puma.Deployment) -> None:
    """The next key (a fast typist, a key repeat, a busy machine) can arrive before any timer the
    page sets fires, and typing withdraws the refusal: so the refusal Enter earned is in the live
    region when Enter's handling ends, not a moment later (CI once heard it withdrawn unsaid)."""
    open_chat(page, mesh.url, "puma")
    page.fill("#chat-input", "x" * 505)
    region_after_enter = page.evaluate("""() => {
      const box = document.querySelector('#chat-input');
      box.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true, cancelable: true}));
      return document.getElementById('status-announce').textContent;  // before any other task runs
    }""")
    assert "Not sent" in region_after_enter and "505 characters" in region_after_enter, region_after_enter
    assert bubbles(page, "user") == []


@pytest.mark.parametrize("typed", ["", "   ", "\n\n"])
def test_web_chat_enter_with_nothing_typed_says_there_is_nothing_to_send(
        page: Any, mesh: puma.Deployment, typed: str) -> None:
    open_chat(page, mesh.url, "puma")
    page.evaluate(RECORD_ANNOUNCEMENTS)  # (defined below, with the other announcement tests)
    page.fill("#chat-input", typed)
    page.press("#chat-input", "Enter")
    page.wait_for_function("() => window.__said.length > 0", timeout=5_000)
    assert "Nothing to send" in page.evaluate("window.__said")[-1]
    assert bubbles(page, "user") == []


def _covered(page: Any) -> bool:
    """Whether the last message's time row is hidden under the composer (or below the panel)."""
    return page.evaluate("""() => {
      const meta = [...document.querySelectorAll('#messages .message .meta')].pop().getBoundingClientRect();
      const panel = document.querySelector('#chat-panel').getBoundingClientRect();
      const composer = document.querySelector('#composer').getBoundingClientRect();
      return meta.bottom > Math.min(panel.bottom, composer.top) + 1;
    }""")


@pytest.mark.parametrize("text", ["word " * 99, "first line\nsecond line\nthird line\nfourth line"])
def test_web_chat_composer_grows_to_show_the_message_and_keeps_the_conversation_in_view(
        page: Any, mesh: puma.Deployment, text: str) -> None:
    open_chat(page, mesh.url, "puma")
    say(page, "comedy", 2)
    one_line = page.evaluate("document.querySelector('#chat-input').clientHeight")
    page.click("#chat-input")
    for number, line in enumerate(text.split("\n")):
        if number:
            page.keyboard.press("Shift+Enter")  # a new line, not a send
        page.keyboard.insert_text(line)
    box = page.evaluate("(() => { const t = document.querySelector('#chat-input');"
                        " return [t.clientHeight, t.scrollHeight]; })()")
    assert box[0] > one_line * 2 and box[1] <= box[0] + 2  # taller, and all of it in view
    assert bubbles(page, "user") == ["comedy"]  # Shift+Enter sent nothing
    assert not _covered(page), "the composer covers the end of the conversation"
    page.screenshot(path=str(ARTIFACTS / "chat-composer-grown.png"), animations="disabled")
    page.keyboard.press("Enter")
    wait_turn_done(page, 3)
    assert bubbles(page, "user")[-1] == text.strip()
    assert page.evaluate("document.querySelector('#chat-input').clientHeight") <= one_line + 2  # back to one line
    assert not _covered(page)


@pytest.mark.parametrize("status", [503, 502, 500])
def test_web_chat_resends_a_failed_turn_with_the_same_turn_no(page: Any, mesh: puma.Deployment,
                                                              status: int) -> None:
    """503 (not ready): resent once /_puma/ready says so; another 5xx: retried once."""
    sent: list[dict[str, Any]] = []

    def flaky(route: Any) -> None:
        body = json.loads(route.request.post_data or "{}")
        sent.append(body)
        if body.get("text") == "comedy" and sum(b.get("text") == "comedy" for b in sent) == 1:
            route.fulfill(status=status, content_type="application/json", body='{"error": "injected"}')
        else:
            route.continue_()

    page.route("**/agent", flaky)
    open_chat(page, mesh.url, "puma")
    say(page, "comedy", 2)
    assert [b["turn_no"] for b in sent if b.get("text") == "comedy"] == [2, 2]
    assert page.locator(".took").last.inner_text().endswith("retried")
    assert page.locator(".note.error").count() == 0


def test_web_chat_fits_360_px_without_horizontal_scroll(browser: Any, mesh: puma.Deployment) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2)
    try:
        page = context.new_page()
        open_chat(page, mesh.url, "puma")
        for number, text in enumerate([*CONVERSATION[:4], "x" * 300], start=2):
            say(page, text, number)
        check_recommendation(page)
        page.screenshot(path=str(ARTIFACTS / "chat-360px.png"), animations="disabled")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert page.locator("#chat-input").is_visible() and page.locator("#send-button").is_visible()
    finally:
        context.close()


def test_web_dashboard_shows_services_and_instance_counts(page: Any, mesh: puma.Deployment) -> None:
    status = httpx.get(f"{mesh.url}/_puma/status", timeout=10).json()
    page.goto(f"{mesh.url}/dashboard?interval=300")
    page.wait_for_selector("body[data-state=live]")
    for name, svc in status["services"].items():
        card = page.locator(f"article.service[data-service='{name}']")
        assert card.get_attribute("data-instances") == str(len(svc["instances"]))
        assert card.locator(".service-prefix").inner_text() == svc["prefix"]
        assert card.locator(".instance").count() == len(svc["instances"])
    agent = mesh.config.puma_services["agent"].instances  # autoscaled: anywhere in its bounds
    shown = int(page.locator("article.service[data-service='agent']").get_attribute("data-instances"))
    assert agent.min <= shown <= agent.upper
    assert page.locator("article.service[data-service='policy']").get_attribute("data-instances") == "2"
    assert page.locator("#sum-services").inner_text() == str(len(status["services"]))
    with httpx.Client(base_url=mesh.url, timeout=30) as client:  # traffic shows up live
        for _ in range(30):
            client.post("/agent", json={"id": "-1", "text": "", "mode": "false"})
    page.wait_for_function(RPS_SHOWN, timeout=20_000, polling=100)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True, animations="disabled")



SPANS = """() => [...document.querySelectorAll("svg.chart-plot")].map(svg => ({
  chart: svg.closest("figure").querySelector(".chart-name").textContent,
  service: svg.closest("article").dataset.service,
  width: svg.getBoundingClientRect().width,
  paths: [...svg.querySelectorAll("path.series")].map(p => {
    const box = p.getBBox();
    return {series: p.dataset.series, x: box.x, width: box.width};
  }),
}))"""


def assert_charts_span(charts: list[dict[str, Any]]) -> None:
    assert charts
    for chart in charts:
        assert chart["paths"], chart
        for path in chart["paths"]:
            assert path["x"] <= 1 and path["width"] >= chart["width"] - 1, chart


def test_web_dashboard_charts_span_their_width_from_the_first_sample(new_page: Any,
                                                                      mesh: puma.Deployment) -> None:
    first = new_page()
    first.goto(f"{mesh.url}/dashboard?interval=600000")  # one sample during this test
    first.wait_for_selector("body[data-state=live]")
    charts = first.evaluate(SPANS)
    assert len(charts) == 4 * len(mesh.pools)  # requests, errors, latency, instances per service
    # Not yet drawn: an error rate (it needs two samples) and the latency of an unused service.
    assert_charts_span([c for c in charts if c["chart"] == "Requests/s" or c["chart"] == "Instances ready"
                        or (c["chart"] == "Latency" and c["service"] == "agent")])
    later = new_page(viewport={"width": 700, "height": 900})
    later.goto(f"{mesh.url}/dashboard?interval=250")
    later.wait_for_function("() => document.querySelectorAll('svg.chart-plot path.series').length > 0")
    with httpx.Client(base_url=mesh.url, timeout=30) as client:
        for _ in range(5):
            client.post("/agent", json={"id": "-1", "text": "", "mode": "false"})
    later.wait_for_timeout(1000)  # a few samples later, still edge to edge
    assert_charts_span([c for c in later.evaluate(SPANS) if c["chart"] != "Latency"])


def test_web_dashboard_draws_each_series_on_its_own_axis_and_marks_scaling(
        page: Any, mesh: puma.Deployment) -> None:
    page.goto(f"{mesh.url}/dashboard?interval=250")
    page.wait_for_selector("body[data-state=live]")
    card = page.locator("article.service[data-service='policy']")
    charts = {c["chart"]: [p["series"] for p in c["paths"]] for c in page.evaluate(SPANS)
              if c["service"] == "policy"}
    assert charts["Requests/s"] == ["rps"] and charts["Instances ready"] == ["ready"]
    ready_axis = card.locator("figure:has(.chart-name:text-is('Instances ready')) text").first
    assert ready_axis.text_content() == "2"  # instances, not requests/s: its own scale
    try:
        mesh.scale("policy", 3, reason="test: one more")
        page.wait_for_function("() => document.querySelector(\"article[data-service='policy']\").dataset.ready === '3'")
    finally:
        mesh.scale("policy", 2, reason="test: back to two")
    page.wait_for_function("() => document.querySelector(\"article[data-service='policy']\").dataset.instances === '2'",
                           timeout=30_000)
    page.wait_for_function("() => document.querySelectorAll(\"article[data-service='policy'] g.mark\").length >= 2")
    marks = card.locator("g.mark title").all_text_contents()
    assert any("2 → 3: test: one more" in m for m in marks) and any("3 → 2" in m for m in marks)
    assert card.locator("g.mark text").all_text_contents()[:2] == ["2→3", "3→2"]
    events = page.locator("#events li.scale").all_inner_texts()
    assert any("policy" in e and "scaled 2 -> 3" in e for e in events)
    page.screenshot(path=str(ARTIFACTS / "dashboard-scaling.png"), full_page=True, animations="disabled")


def test_web_dashboard_opened_after_a_scaling_shows_it_and_the_bounds_that_apply(
        page: Any, mesh: puma.Deployment) -> None:
    # A decision made before the page was opened is on its chart (from the recent events) and in
    # the event list; the card's bounds are those that apply: a fixed count is what was set, not
    # the config's min-max; each chart's accessible name says its title once.
    try:
        mesh.scale("policy", 3, reason="test: set before the page opened")
        wait_for(lambda: len(mesh.instances("policy")) == 3, timeout_s=60, message="policy at 3")
        page.goto(f"{mesh.url}/dashboard?interval=300")
        page.wait_for_selector("body[data-state=live]")
        card = page.locator("article.service[data-service='policy']")
        page.wait_for_function("() => document.querySelector(\"article[data-service='policy']\").dataset.ready === '3'")
        count = card.locator(".service-count").inner_text()
        assert re.fullmatch(r"3 / 3 ready · fixed count \(puma scale sets it\)", count), count
        for name, svc in mesh.config.puma_services.items():  # every card: the bounds of its kind
            shown = page.locator(f"article.service[data-service='{name}'] .service-count").inner_text()
            wanted = f"autoscales {svc.instances.min}–{svc.instances.upper}" if svc.autoscaled else "fixed count"
            assert wanted in shown, (name, shown)
        assert any("2 → 3: test: set before the page opened" in m for m in card.locator("g.mark title").all_text_contents())
        plot = card.get_by_role("img", name=re.compile(r"^policy: Instances ready, last"))
        assert "2 → 3: test: set before the page opened" in (plot.get_attribute("aria-label") or "")
        assert any("policy" in e and "scaled 2 -> 3" in e for e in page.locator("#events li.scale").all_inner_texts())
        for title in ("Requests/s", "Errors, % of requests", "Latency", "Instances ready"):
            assert card.get_by_role("figure", name=title, exact=True).count() == 1, title
    finally:
        mesh.scale("policy", 2, reason="test: back to two")


def test_web_every_html_page_has_one_title_scheme(mesh: puma.Deployment) -> None:
    # The pages, the web service's 404, Envoy's 404 (no route, an internal service) and 405: one
    # scheme "<what> · PUMA", and one title for one kind of page whoever serves it.
    browser = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    titles: dict[int, set[str]] = {}
    for path in ("/", "/dashboard", "/nosuch", "/no/such/page.html", "/db/search", "/policy", "/agent"):
        page = httpx.get(mesh.url + path, headers=browser, timeout=30)
        assert page.headers["content-type"].startswith("text/html"), (path, page.status_code)
        found = re.search(r"<title>([^<]*)</title>", page.text)
        assert found and re.fullmatch(r"[^·]+ · PUMA", found.group(1)), (path, found and found.group(1))
        titles.setdefault(page.status_code, set()).add(found.group(1))
    assert titles[404] == {"Page not found · PUMA"}, titles
    assert titles[405] == {"Not a page to open · PUMA"}, titles


def test_web_dashboard_draws_the_public_view_of_the_status(page: Any, mesh: puma.Deployment) -> None:
    """What a visitor from another host sees: the same cards, without pids and ports."""
    direct = f"http://127.0.0.1:{mesh.status_server.port}/_puma/status"

    def as_remote(route: Any) -> None:  # the status server's answer to a peer that is not local
        public = httpx.get(direct, headers={"x-puma-peer": "198.51.100.7"}, timeout=10)
        route.fulfill(status=public.status_code, content_type="application/json", body=public.text)

    page.route("**/_puma/status", as_remote)
    page.goto(f"{mesh.url}/dashboard?interval=300")
    page.wait_for_selector("body[data-state=live]")
    assert page.locator("#sum-envoy").inner_text() == "up"
    titles = page.locator(".instance").evaluate_all("dots => dots.map(d => d.title)")
    assert titles and all("pid" not in t and "undefined" not in t and ": ready" in t for t in titles), titles
    shown = int(page.locator("article.service[data-service='agent']").get_attribute("data-instances"))
    assert shown == len(httpx.get(direct, timeout=10).json()["services"]["agent"]["instances"])


# ---------------------------------------------------------------------------- for people


def test_web_survey_is_a_history_entry_back_returns_to_the_conversation(page: Any, mesh: puma.Deployment) -> None:
    converse(page, mesh.url, "puma")
    said = bubbles(page, "bot")
    page.click("#next-button")
    page.wait_for_selector("#survey-panel:not([hidden])")
    assert page.url.endswith("#survey")
    page.go_back()  # the browser's Back: the conversation, not the site before
    page.wait_for_selector("#chat-panel:not([hidden])")
    assert page.is_hidden("#survey-panel") and bubbles(page, "bot") == said and page.is_visible("#next-button")
    page.go_forward()
    page.wait_for_selector("#survey-panel:not([hidden])")
    page.go_back()
    page.click("#next-button")  # Next again, after Back: one survey entry, not a pile
    page.wait_for_selector("#survey-panel:not([hidden])")
    assert page.evaluate("history.length") <= 3


def _history(page: Any) -> tuple[int, str]:
    return page.evaluate("history.length"), page.url


@pytest.mark.parametrize("backs_first", [0, 1])
def test_web_survey_sent_back_leaves_the_chat_for_the_page_before(page: Any, mesh: puma.Deployment,
                                                                  backs_first: int) -> None:
    """After "Thank you!", Back leaves for the page the chat was opened from (here the dashboard),
    not for a copy of the same URL showing a new conversation, with the site a second Back away;
    Forward never shows the sent survey again. `backs_first`: Back to the conversation and Forward
    to the survey once before answering it."""
    page.goto(f"{mesh.url}/dashboard")
    page.wait_for_selector("article.service")
    converse(page, mesh.url, "puma")
    chat_url = page.url
    if backs_first:
        page.click("#next-button")
        page.wait_for_selector("#survey-panel:not([hidden])")
        page.go_back()
        page.wait_for_selector("#chat-panel:not([hidden])")
        page.go_forward()
        page.wait_for_selector("#survey-panel:not([hidden])")
        page.click("label.scale-option:has(input[name=liked][value='4'])")
        page.click("label.scale-option:has(input[name=engagement][value='5'])")
        page.click("#survey-submit")
        page.wait_for_selector("#thanks-panel:not([hidden])")
    else:
        answer_survey(page, "Back after this")
    page.wait_for_function(f"() => location.href === {chat_url!r}")  # the chat's own entry, no #survey
    assert page.is_visible("#thanks-panel") and page.title().startswith("Thank you")
    page.go_forward()  # to the sent survey's entry: the thank-you stays, on the chat's entry
    page.wait_for_function(f"() => location.href === {chat_url!r}")
    assert page.is_visible("#thanks-panel") and page.is_hidden("#survey-panel")
    page.go_back()
    page.wait_for_url("**/dashboard")
    page.wait_for_selector("article.service")


def test_web_survey_errors_sit_by_their_questions_and_the_scale_is_in_each_name(page: Any,
                                                                               mesh: puma.Deployment) -> None:
    converse(page, mesh.url, "puma")
    page.click("#next-button")
    page.click("#survey-submit")  # nothing answered
    for name, field in (("liked", "#liked-field"), ("engagement", "#engagement-field")):
        error = page.locator(f"{field} .field-error")
        assert error.is_visible() and "Please answer" in error.inner_text()
        radio = page.locator(f"input[name={name}][value='3']")
        assert radio.get_attribute("aria-describedby") == f"{name}-error"
        assert radio.get_attribute("aria-invalid") == "true"
        # the message is by its question: between its legend and the next question
        box, legend = error.bounding_box(), page.locator(f"{field} legend").bounding_box()
        assert 0 <= box["y"] - (legend["y"] + legend["height"]) < 60, (box, legend)
    names = [page.get_by_role("radio", name=n, exact=True).count() for n in
             ("1 of 5: not at all", "3 of 5", "5 of 5: very much", "1 of 5: dull", "5 of 5: very engaging")]
    assert names == [1, 2, 1, 1, 1]  # "3 of 5" is in both scales
    page.click("label.scale-option:has(input[name=liked][value='4'])")
    assert page.is_hidden("#liked-field .field-error") and page.is_visible("#engagement-field .field-error")
    assert page.locator("input[name=liked]").first.get_attribute("aria-describedby") is None
    page.click("label.scale-option:has(input[name=engagement][value='2'])")
    assert page.is_hidden("#engagement-field .field-error") and page.is_hidden("#survey-error")


# What the bridge answers while the legacy server is down, as PUMA refuses for it (its readiness
# check failed), on a port other than the default: the page must name this one.
LEGACY_DOWN_PORT = 13150
LEGACY_DOWN = json.dumps(refusal("legacy", describe(LegacyServerDown(legacy_down(("127.0.0.1", LEGACY_DOWN_PORT),
                                                                                 "connection refused"))), 2.0)[1])


def skip_the_down_budget(page: Any) -> None:
    """Once the page waits for the legacy server, its clock jumps over the page's whole budget for
    that (DOWN_BUDGET_MS, 30 s) instead of the test waiting it out: the page's own timers fire as
    they would at that time, so it gives up exactly as it does after 30 s of real time."""
    page.wait_for_function("() => document.getElementById('status-line').textContent"
                           ".includes('Waiting for the legacy server')", timeout=60_000)
    # What the 503 says (the server's port, the command that starts it) is shown at once, not after 30 s.
    line = page.text_content("#status-line") or ""
    assert f"start it: .venv/bin/python -m legacy_socket_server --port {LEGACY_DOWN_PORT}" in line, line
    code = page.text_content("#status-line code") or ""  # shown as code, without the CLI's backticks
    assert code.startswith(f".venv/bin/python -m legacy_socket_server --port {LEGACY_DOWN_PORT}") and "`" not in line
    # The wait and its bound come first (a cut line still shows them); a server that runs nowhere
    # is not said to be loading: start it, and the message goes.
    assert line.startswith("Waiting for the legacy server") and "at most 30 s: none runs. Start it" in line, line
    assert "loading" not in line, line
    assert page.get_attribute("#status-line", "role") == "region"  # a landmark while it says something
    if page.evaluate("() => { const s = document.getElementById('status-line'); return s.scrollHeight > s.clientHeight + 1; }"):
        assert "overflows" in (page.get_attribute("#status-line", "class") or "")  # cut: the sign that more follows
    page.clock.fast_forward(31_000)


def test_web_chat_legacy_down_stops_typing_says_so_and_keeps_everything_over_a_reload(
        new_page: Any, mesh: puma.Deployment) -> None:
    """The bridge's 503 while the legacy server is down (as it answers then), for longer than the
    page waits: typing stops, the message is given back, and a reload loses nothing."""
    page = new_page()
    page.clock.install()  # the page's own clock, running on its own until the waits are jumped over
    open_chat(page, mesh.url, "legacy")
    say(page, "a western", 2)
    before = bubbles(page, "bot")
    page.context.route("**/legacy", lambda route: route.fulfill(status=503, content_type="application/json",
                                                                body=LEGACY_DOWN))
    page.fill("#chat-input", "with Clint Eastwood")
    page.press("#chat-input", "Enter")
    skip_the_down_budget(page)
    page.wait_for_selector(".note.error", timeout=60_000)
    note = page.inner_text(".note.error")
    assert "does not answer after 30 s" in note and f"legacy_socket_server --port {LEGACY_DOWN_PORT}" in note, note
    assert "13113" not in note and note.startswith("Not sent: “with Clint Eastwood”."), note
    assert page.is_hidden("#typing") and page.input_value("#chat-input") == "with Clint Eastwood"
    assert bubbles(page, "user") == ["a western"]  # shown once: in the box, its bubble withdrawn
    page.reload()  # still down: the earlier turns are kept, not shown; the message is still in the box
    skip_the_down_budget(page)
    page.wait_for_selector(".note.error", timeout=60_000)
    assert page.input_value("#chat-input") == "with Clint Eastwood"
    assert "is kept" in page.inner_text(".note.error") and page.is_hidden("#typing")
    page.context.unroute("**/legacy")  # it runs again: sending shows the conversation, then answers
    page.press("#chat-input", "Enter")
    page.wait_for_function("() => [...document.querySelectorAll('.message.user .bubble')]"
                           ".some(b => b.textContent === 'with Clint Eastwood')", timeout=60_000)
    wait_turn_done(page, 3)
    assert bubbles(page, "bot")[: len(before)] == before
    assert bubbles(page, "user") == ["a western", "with Clint Eastwood"]


# The bridge's public 503 (as the page gets it from the mesh): a reason with no command in it.
LEGACY_DOWN_PUBLIC = json.dumps({
    "error": "service 'legacy' is not ready: the legacy socket server is unreachable: nothing accepts connections "
             "(connection refused) and no legacy server runs on port 13150; retry after the time in Retry-After",
    "status": 503, "service": "legacy", "retry_after_s": 2.0,
    "reason": "the legacy socket server is unreachable: nothing accepts connections (connection refused) and no "
              "legacy server runs on port 13150"})


def test_web_chat_legacy_down_says_where_its_start_command_is_when_the_line_shows_none(
        page: Any, mesh: puma.Deployment) -> None:
    """The public 503 names no command: neither the line nor what a screen reader hears may send the
    user to "the command shown" (none is); both say where it is (make run's terminal, PUMA status)."""
    open_chat(page, mesh.url, "legacy")
    page.context.route("**/legacy", lambda route: route.fulfill(status=503, content_type="application/json",
                                                                body=LEGACY_DOWN_PUBLIC))
    page.fill("#chat-input", "a western")
    page.press("#chat-input", "Enter")
    page.wait_for_function("() => /none runs/.test(document.getElementById('status-line').textContent)"
                           " && document.getElementById('status-announce').textContent", timeout=60_000)
    line, spoken = page.text_content("#status-line") or "", page.text_content("#status-announce") or ""
    assert page.locator("#status-line code").count() == 0, line  # no command on the line
    for text in (line, spoken):
        assert "command shown" not in text and "terminal of make run" in text and "PUMA status page" in text, text
    assert page.get_by_role("link", name="PUMA status").is_visible()  # the page it names is one link away


def _assert_marked_not_sent(page: Any, text: str) -> None:
    """The bubble itself says it was not sent: in words (not colour alone), to screen readers too."""
    unsent = page.locator(".message.user.not-sent")
    assert unsent.count() == 1 and unsent.locator(".bubble").inner_text() == text
    assert unsent.locator(".not-sent-label").is_visible() and unsent.locator(".not-sent-label").inner_text() == "Not sent"
    assert unsent.locator(".visually-hidden").first.text_content() == "You, not sent: "
    assert unsent.get_by_role("button", name=f"Resend “{text}”").is_visible()
    assert unsent.locator(".not-sent-flag").get_attribute("aria-hidden") is None  # read out, not only shown
    # "Not sent" read once: the hidden prefix says it, the visible tag is not read again.
    read = unsent.evaluate("""li => [...li.querySelectorAll('*')].filter(n => n.childElementCount === 0
        && !n.closest('[aria-hidden=true]') && !n.closest('[hidden]')).map(n => n.textContent).join(' ')""")
    assert read.lower().count("not sent") == 1, read
    # Its description (read when browsing the log) no longer says it was sent.
    described = unsent.evaluate("li => document.getElementById(li.getAttribute('aria-describedby')).textContent")
    assert "Sent at" not in described and "not sent" in described, described


@pytest.mark.parametrize("draft", ["", "and a comedy too"], ids=["box-free", "draft-typed"])
def test_web_chat_unreachable_deployment_shows_the_message_once_and_says_what_is_down(
        new_page: Any, mesh: puma.Deployment, draft: str) -> None:
    """A network failure (the deployment stopped): the note says what the dashboard says (what is
    down, what to do), and the message is shown once, with one way to send it again: back in the
    box (Enter), or, a draft typed meanwhile in the box, on its bubble marked not sent (Resend)."""
    page = new_page()
    open_chat(page, mesh.url, "puma")
    held: list[Any] = []
    mode = {"now": "hold"}  # in flight, then `make stop` (refused), then `make run` again

    def agent(route: Any) -> None:
        if mode["now"] == "hold":
            held.append(route)
        elif mode["now"] == "down":
            route.abort("connectionrefused")
        else:
            route.continue_()
    page.context.route("**/agent", agent)
    page.fill("#chat-input", "with Jack Nicholson")
    page.press("#chat-input", "Enter")
    page.wait_for_function("() => document.querySelectorAll('.message.user').length === 1")
    if draft:
        page.fill("#chat-input", draft)
    for _ in range(250):
        if held:
            break
        page.wait_for_timeout(20)
    mode["now"] = "down"
    held.pop().abort("connectionrefused")
    page.wait_for_selector(".note.error", timeout=30_000)
    note = page.inner_text(".note.error")
    assert note.startswith("Not sent: “with Jack Nicholson”. Could not reach the PUMA mesh.") and \
        "it has stopped, or is restarting (is make run or puma run still running?)" in note, note
    # The commands are shown as code (to copy), and said in words, not symbol by symbol.
    assert page.locator(".note.error code").all_inner_texts() == ["make run", "puma run"]
    assert "network failed" not in note
    if draft:
        _assert_marked_not_sent(page, "with Jack Nicholson")
        assert page.input_value("#chat-input") == draft
    else:
        assert page.input_value("#chat-input") == "with Jack Nicholson"
        assert page.locator(".message.user").count() == 0 and page.locator("button.resend").count() == 0
    mode["now"] = "up"
    if draft:
        page.get_by_role("button", name="Resend “with Jack Nicholson”").click()
    else:
        page.press("#chat-input", "Enter")
    wait_turn_done(page, 2)
    assert bubbles(page, "user") == ["with Jack Nicholson"] and page.locator(".not-sent").count() == 0
    assert page.input_value("#chat-input") == draft and page.evaluate("document.activeElement.id") == "chat-input"


def test_web_chat_legacy_down_with_nothing_typed_gives_nothing_back(new_page: Any, mesh: puma.Deployment) -> None:
    """The greeting fails (nothing was typed): the note names the port to start the server on, and
    says nothing about a message in the box or a message not sent."""
    page = new_page()
    page.clock.install()  # the page's 30 s budget is jumped over, not waited out
    page.context.route("**/legacy", lambda route: route.fulfill(status=503, content_type="application/json",
                                                                body=LEGACY_DOWN))
    page.goto(f"{mesh.url}/?backend=legacy")
    skip_the_down_budget(page)
    page.wait_for_selector(".note.error", timeout=60_000)
    note = page.inner_text(".note.error")
    assert f"--port {LEGACY_DOWN_PORT}" in note and "box" not in note and "Not sent" not in note, note
    assert page.input_value("#chat-input") == "" and page.locator(".message.user").count() == 0


# Every text the polite status region (#status-announce) is given, in order, as a screen reader
# would hear it (a MutationObserver from the page's first script on).
RECORD_ANNOUNCEMENTS = """() => {
  window.__said = [];
  const start = () => {
    const region = document.getElementById('status-announce');
    if (!region) return setTimeout(start, 5);
    new MutationObserver(() => region.textContent && window.__said.push(region.textContent))
      .observe(region, {childList: true, characterData: true, subtree: true});
  };
  start();
}"""


@pytest.mark.parametrize("typed", [["comedy"], ["comedy", "with Jack Nicholson"]])
def test_web_chat_queued_message_given_back_is_announced_once_without_a_contradiction(
        new_page: Any, mesh: puma.Deployment, typed: list[str]) -> None:
    """Legacy down from the start, messages typed while the page waits: when the page gives up,
    screen readers hear that they are back in the box, and never, on the way, that they will be sent."""
    page = new_page()
    page.clock.install()
    page.add_init_script(f"({RECORD_ANNOUNCEMENTS})()")
    page.context.route("**/legacy", lambda route: route.fulfill(status=503, content_type="application/json",
                                                                body=LEGACY_DOWN))
    page.goto(f"{mesh.url}/?backend=legacy")
    for text in typed:
        page.fill("#chat-input", text)
        page.press("#chat-input", "Enter")
    skip_the_down_budget(page)
    page.wait_for_function("() => window.__said.some(t => t.startsWith('Not sent'))", timeout=60_000)
    page.clock.run_for(1000)  # anything said just after the give-up is recorded too
    said: list[str] = page.evaluate("window.__said")
    given_back = next(i for i, t in enumerate(said) if t.startswith("Not sent"))
    assert all("when the chatbot has answered" not in t for t in said), said  # a state passed through
    assert all("is sent" not in t and "are sent" not in t for t in said[given_back:]), said
    assert said[given_back].count("Not sent") == 1 and "back in the box" in said[given_back], said
    assert page.input_value("#chat-input") == " ".join(typed)
