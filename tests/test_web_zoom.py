"""The pages at high zoom: 400 % of a 1280x1024 screen is a 320x256 CSS px viewport (WCAG 1.4.10
reflow), and a phone held sideways is as short. The conversation keeps most of the height, and
nothing lies on top of the message box, however the page is scrolled; the survey and the
dashboard keep their content in view too. Fixtures: tests/plugins/web.py.
"""

from __future__ import annotations

from typing import Any

import pytest

import puma
from tests.plugins.web import ARTIFACTS
from tests.web_helpers import CONVERSATION, open_chat, say

SHORT_VIEWPORTS = [(320, 256), (568, 320), (800, 400)]  # 400 % zoom; phones sideways
MIN_CONVERSATION_SHARE = 0.5  # of the viewport's height: the sticky bar left 63 px of 256 (25 %)

# What a reader sees of the box `selector` (px of the viewport's height), and which of a few points
# spread over it answer with something else on top (a sticky bar, a panel).
LAYOUT = """([selector, box]) => {
  const vh = window.innerHeight;
  const shown = (el) => { const r = el.getBoundingClientRect(); return Math.max(0, Math.min(r.bottom, vh) - Math.max(r.top, 0)); };
  const target = document.querySelector(box);
  const r = target.getBoundingClientRect();
  const points = [[r.left + 6, r.top + 6], [r.right - 6, r.top + 6], [r.left + 6, r.bottom - 6],
                  [r.right - 6, r.bottom - 6], [(r.left + r.right) / 2, (r.top + r.bottom) / 2]];
  const covered = points.filter(([x, y]) => { const hit = document.elementFromPoint(x, y); return !hit || !target.contains(hit); });
  return {vh, shown: shown(document.querySelector(selector)), top: r.top, bottom: r.bottom, covered: covered.length,
          spare: document.documentElement.scrollHeight - (document.querySelector("main").getBoundingClientRect().bottom + window.scrollY)};
}"""


def _layout(page: Any, shown: str, box: str) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(LAYOUT, [shown, box])
    return result


def _assert_chat_usable(page: Any, where: str) -> None:
    at = _layout(page, "#chat-panel", "#composer")
    assert at["shown"] >= MIN_CONVERSATION_SHARE * at["vh"], (where, at)
    assert 0 <= at["top"] and at["bottom"] <= at["vh"] + 1, (where, "the message box is not all in view", at)
    assert at["covered"] == 0, (where, "something lies on top of the message box", at)
    assert at["spare"] <= 1, (where, "the page scrolls past its content into empty space", at)


@pytest.mark.parametrize(("width", "height"), SHORT_VIEWPORTS)
def test_web_zoom_chat_keeps_the_conversation_in_view_and_the_box_uncovered(
        browser: Any, mesh: puma.Deployment, width: int, height: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        open_chat(page, mesh.url, "puma")
        for number, text in enumerate(CONVERSATION[:2], start=2):
            say(page, text, number)  # types in the box: the page shows it, as a reader would
        _assert_chat_usable(page, "while typing")
        page.screenshot(path=str(ARTIFACTS / f"chat-{width}x{height}.png"), animations="disabled")
        for scroll in (0, 40, 10_000):  # wherever the page is scrolled, nothing covers the box once in view
            page.evaluate("y => window.scrollTo(0, y)", scroll)
            page.focus("#chat-input")
            _assert_chat_usable(page, f"scrolled to {scroll}, then focused")
        page.keyboard.press("Shift+Tab")  # to the conversation region, then to the top bar: shown when focused
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Shift+Tab")
        box = page.evaluate("document.activeElement.getBoundingClientRect().toJSON()")
        assert box["top"] >= 0 and box["bottom"] <= height, ("focus moved out of view", box)
    finally:
        context.close()


def test_web_zoom_survey_and_dashboard_keep_their_content_in_view(browser: Any, mesh: puma.Deployment) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 256})
    try:
        page = context.new_page()
        open_chat(page, mesh.url, "puma")
        for number, text in enumerate(CONVERSATION, start=2):
            say(page, text, number)
        page.click("#next-button")
        page.wait_for_selector("#survey-panel:not([hidden])")
        page.evaluate("window.scrollTo(0, 10000)")
        at = _layout(page, "#survey-panel", "#survey-panel")
        assert at["shown"] >= MIN_CONVERSATION_SHARE * at["vh"] and at["covered"] == 0, at
        page.focus("#survey-submit")
        box = page.evaluate("document.activeElement.getBoundingClientRect().toJSON()")
        assert box["top"] >= 0 and box["bottom"] <= 256, box

        page.goto(mesh.url + "/dashboard")
        page.wait_for_selector("article[data-service='agent']")
        page.evaluate("window.scrollTo(0, 300)")
        at = _layout(page, "article[data-service='agent']", ".dash-main")
        bar = page.evaluate("document.querySelector('.topbar').getBoundingClientRect().bottom")
        assert bar <= 0, ("the top bar stays on top of the figures at 256 px high", bar)
        page.screenshot(path=str(ARTIFACTS / "dashboard-320x256.png"), animations="disabled")
    finally:
        context.close()


def test_web_zoom_tall_viewport_keeps_the_top_bar_in_place(browser: Any, mesh: puma.Deployment) -> None:
    """Above the short-viewport layout, the page is as before: bar on top, no page scroll."""
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    try:
        page = context.new_page()
        open_chat(page, mesh.url, "puma")
        assert page.evaluate("document.documentElement.scrollHeight") <= 800
        assert page.evaluate("document.querySelector('.topbar').getBoundingClientRect().top") == 0
        _assert_chat_usable(page, "tall")
    finally:
        context.close()


@pytest.mark.parametrize(("width", "height"), [(320, 256), (568, 320), (1000, 800)])
def test_web_zoom_a_long_status_line_stays_bounded_and_its_text_reachable(
        browser: Any, mesh: puma.Deployment, width: int, height: int) -> None:
    """The legacy server down while messages wait: the status line (what the server said, with its
    start command, and the queued messages) is capped to a few lines, the conversation and the box
    stay usable, and the whole text is still there: scrollable, and in the tab order while it is."""
    from tests.test_web_e2e import LEGACY_DOWN

    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        open_chat(page, mesh.url, "legacy")
        context.route("**/legacy", lambda route: route.fulfill(status=503, content_type="application/json",
                                                               body=LEGACY_DOWN))
        for text in ("comedy", "something with Clint Eastwood in it, from the seventies", "or a western"):
            page.fill("#chat-input", text)
            page.press("#chat-input", "Enter")
        page.wait_for_function("() => document.getElementById('status-line').textContent"
                               ".includes('Waiting for the legacy server')", timeout=60_000)
        _assert_chat_usable(page, f"legacy down at {width}x{height}")
        line = page.evaluate("""() => { const s = document.getElementById('status-line');
            return {height: s.getBoundingClientRect().height, scroll: s.scrollHeight, client: s.clientHeight,
                    tab: s.tabIndex, text: s.textContent, lineHeight: parseFloat(getComputedStyle(s).lineHeight)}; }""")
        most_lines = 2 if height <= 480 else 3
        assert line["height"] <= most_lines * line["lineHeight"] + 2, line
        assert "start it:" in line["text"] and "or a western" in line["text"], "the whole text is kept"
        if line["scroll"] > line["client"] + 1:  # it overflows: the keyboard can reach and scroll it
            assert line["tab"] == 0, line
            page.focus("#status-line")
            page.keyboard.press("End")
            page.wait_for_function("() => { const s = document.getElementById('status-line');"
                                   " return s.scrollTop + s.clientHeight >= s.scrollHeight - 1; }")
            box = page.evaluate("document.activeElement.getBoundingClientRect().toJSON()")
            assert box["top"] >= 0 and box["bottom"] <= height, ("the focused status line is out of view", box)
        page.screenshot(path=str(ARTIFACTS / f"chat-legacy-down-{width}x{height}.png"), animations="disabled")
    finally:
        context.close()


# Every control a finger can reach and its height (px), but for links inside a sentence (WCAG
# 2.5.5's inline exception): links, buttons, disclosures and the labels of radio buttons.
TARGETS = """() => [...document.querySelectorAll('a[href], button, summary, textarea, label:has(input[type=radio])')]
  .filter((el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0
    && getComputedStyle(el).visibility !== 'hidden' && !el.closest('.visually-hidden, p, li > p'); })
  .map((el) => ({what: `${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 40)}"`,
                 height: Math.round(el.getBoundingClientRect().height * 10) / 10}))"""
PHONES = [{"viewport": {"width": 393, "height": 851}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2.75},
          {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 3},
          {"viewport": {"width": 768, "height": 1024}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}]


def _small_targets(page: Any) -> list[dict[str, Any]]:
    return [t for t in page.evaluate(TARGETS) if t["height"] < 44]


@pytest.mark.parametrize("phone", PHONES, ids=["pixel5", "iphone", "tablet"])
def test_web_touch_targets_on_a_phone_are_44_px_high(browser: Any, mesh: puma.Deployment, phone: dict[str, Any]) -> None:
    """Under a finger every control of both pages and /_puma/dashboard is 44 px high, as the header
    links are (the service links, disclosures and backend switch were 25-27 px)."""
    context = browser.new_context(**phone)
    try:
        page = context.new_page()
        open_chat(page, mesh.url, "puma")
        assert page.evaluate("matchMedia('(pointer: coarse)').matches")
        assert _small_targets(page) == [], "chat page"
        page.goto(f"{mesh.url}/dashboard?interval=250")
        page.wait_for_function("() => document.querySelectorAll('li.instance').length > 3")
        page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")
        assert page.evaluate(TARGETS), "no control found on /dashboard"
        assert _small_targets(page) == [], "/dashboard"
        page.goto(f"{mesh.url}/_puma/dashboard")
        page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")
        assert _small_targets(page) == [], "/_puma/dashboard"
    finally:
        context.close()


def test_web_a_mouse_keeps_the_compact_controls(browser: Any, mesh: puma.Deployment) -> None:
    """Without touch (a mouse: pointer fine) the controls stay compact (24 px at least, not 44)."""
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    try:
        page = context.new_page()
        page.goto(f"{mesh.url}/dashboard?interval=250")
        page.wait_for_function("() => document.querySelectorAll('a.index-link').length > 3")
        heights = [t["height"] for t in page.evaluate(TARGETS) if t["what"].startswith('a "')]
        assert heights and all(24 <= h < 44 for h in heights if h), heights
    finally:
        context.close()


# What moves on the page now: every animation, those of ::before and ::after included.
MOVING = """() => document.getAnimations().map((a) => `${a.animationName || a.transitionProperty || 'animation'}`
  + `@${a.effect && a.effect.target ? (a.effect.target.id || a.effect.target.className || a.effect.target.tagName) : '?'}`
  + `${a.effect && a.effect.pseudoElement ? a.effect.pseudoElement : ''}`)"""
# Each state of the chat that shows something of its own (the dot while starting, the typing dots).
CHAT_STATES = """(state) => { document.body.dataset.state = state;
  const typing = document.getElementById('typing'); typing.hidden = state !== 'busy'; }"""


def _moving_in_each_state(page: Any, url: str) -> dict[str, list[str]]:
    found = {}
    open_chat(page, url, "puma")
    say(page, CONVERSATION[0], 2)  # new messages rise into place
    for state in ("ready", "starting", "busy", "ended"):
        page.evaluate(CHAT_STATES, state)
        found[f"chat {state}"] = page.evaluate(MOVING)
    page.goto(f"{url}/dashboard?interval=250")
    page.wait_for_selector("article.service")
    found["/dashboard"] = page.evaluate(MOVING)
    page.route("**/_puma/status", lambda route: route.abort())
    page.wait_for_selector("#dash-error:not([hidden])")
    found["/dashboard offline"] = page.evaluate(MOVING)
    page.goto(f"{url}/_puma/dashboard")
    found["/_puma/dashboard"] = page.evaluate(MOVING)
    return found


def test_web_reduced_motion_stops_every_animation_pseudo_elements_included(browser: Any, mesh: puma.Deployment) -> None:
    """Newcomer 91: under reduced motion the "starting" dot (a ::before, which `*` does not
    match) blinked for the whole start-up (WCAG 2.2.2). Nothing animates, on any page or state."""
    context = browser.new_context(reduced_motion="reduce")
    try:
        moving = _moving_in_each_state(context.new_page(), mesh.url)
        assert {where: found for where, found in moving.items() if found} == {}
    finally:
        context.close()
    context = browser.new_context(reduced_motion="no-preference")  # the check sees what moves
    try:
        page = context.new_page()
        open_chat(page, mesh.url, "puma")
        page.evaluate(CHAT_STATES, "starting")
        assert any("::before" in found for found in page.evaluate(MOVING)), page.evaluate(MOVING)
    finally:
        context.close()
