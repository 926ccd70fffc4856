"""Accessibility of the pages in headless Chromium: axe-core (WCAG 2.1 A/AA and best practice,
both colour schemes) after real use of each page and state; the whole conversation and the
survey by keyboard alone; the chatbot's messages in a polite live region, as the browser's
accessibility tree (what screen readers read) has them. Fixtures: tests/plugins/web.py.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

import puma
from tests.plugins.web import ARTIFACTS
from tests.web_helpers import (
    CONVERSATION,
    TYPING_MS,
    audit,
    bubbles,
    describe,
    open_chat,
    say,
    stored,
    wait_turn_done,
)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a11y_chat_page_and_survey_pass_axe(new_page: Any, mesh: puma.Deployment, axe_source: str,
                                            scheme: str) -> None:
    page = new_page(bypass_csp=True, color_scheme=scheme)
    found: list[dict[str, Any]] = []
    page.route("**/agent", lambda route: route.fulfill(status=500, content_type="application/json",
                                                       body='{"error": "injected"}')
               if "fails" in (route.request.post_data or "") else route.continue_())
    open_chat(page, mesh.url, "puma")
    say(page, "comedy", 2)
    found += audit(page, axe_source, "chat after a turn")
    page.fill("#chat-input", "this fails")  # an error note; the text comes back to the input
    page.press("#chat-input", "Enter")
    page.wait_for_selector(".note.error")
    page.fill("#chat-input", "x" * 520)  # the counter, over the limit
    found += audit(page, axe_source, "chat with an error and an over-long message")
    page.fill("#chat-input", "")
    for number, text in enumerate(CONVERSATION[1:], start=3):
        say(page, text, number)
    page.wait_for_selector("body[data-state=ended]")
    found += audit(page, axe_source, "chat ended, with the film card")
    tab_to(page, "#next-button", backwards=True)  # the focus stays in the box: Next → is above it
    page.keyboard.press("Enter")  # Next →
    page.click("#survey-submit")  # nothing answered: the error
    page.wait_for_selector("#survey-error:not([hidden])")
    found += audit(page, axe_source, "survey with its error")
    page.keyboard.press("ArrowRight")
    page.click("label.scale-option:has(input[name=engagement][value='3'])")
    page.click("#survey-submit")
    page.wait_for_selector("#thanks-panel:not([hidden])")
    found += audit(page, axe_source, "thanks")
    page.screenshot(path=str(ARTIFACTS / f"a11y-chat-{scheme}.png"), animations="disabled")
    assert found == [], describe(found)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a11y_dashboard_passes_axe_with_data_in_it(new_page: Any, mesh: puma.Deployment, axe_source: str,
                                                   scheme: str) -> None:
    chat = new_page()
    open_chat(chat, mesh.url, "puma")  # traffic for the charts
    page = new_page(bypass_csp=True, color_scheme=scheme)
    page.goto(f"{mesh.url}/dashboard?interval=250")
    page.wait_for_function("() => document.querySelectorAll('svg.chart-plot path.series').length > 0")
    say(chat, "comedy", 2)
    page.wait_for_timeout(600)  # two samples more
    found = audit(page, axe_source, "dashboard")
    page.screenshot(path=str(ARTIFACTS / f"a11y-dashboard-{scheme}.png"), full_page=True, animations="disabled")
    assert found == [], describe(found)
    # Chart lines and instance squares are graphics that carry meaning: 3:1 against their card.
    low = page.evaluate(CONTRAST_OF_GRAPHICS)
    assert low == [], low


CONTRAST_OF_GRAPHICS = """() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => v / 255).map(v => v <= 0.03928 ? v / 12.92
      : ((v + 0.055) / 1.055) ** 2.4).reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const ratio = (a, b) => { const [x, y] = [lum(rgb(a)), lum(rgb(b))].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const card = getComputedStyle(document.querySelector("article.service")).backgroundColor;
  const low = [];
  document.querySelectorAll("svg.chart-plot path.series, svg.chart-plot .mark line").forEach(p => {
    const stroke = getComputedStyle(p).stroke;
    if (ratio(stroke, card) < 3) low.push({what: p.getAttribute("class"), stroke, card, ratio: ratio(stroke, card)});
  });
  document.querySelectorAll(".instance").forEach(i => {
    const fill = getComputedStyle(i).backgroundColor;
    if (fill.startsWith("rgb") && ratio(fill, card) < 3) low.push({what: i.className, fill, card, ratio: ratio(fill, card)});
  });
  return low;
}"""


def focus_shown(page: Any) -> bool:
    """Whether the focused element (or, for a visually hidden radio, its label's box) shows a ring."""
    return page.evaluate("""() => {
      const el = document.activeElement;
      const box = el.matches('input[type=radio]') ? el.nextElementSibling : el;
      const style = getComputedStyle(box);
      return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    }""")


def tab_to(page: Any, selector: str, *, backwards: bool = False, limit: int = 15) -> None:
    for _ in range(limit):
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            assert focus_shown(page), f"no visible focus on {selector}"
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_a11y_keyboard_only_conversation_switch_and_survey(page: Any, mesh: puma.Deployment,
                                                           chatbot_db_url: str) -> None:
    page.goto(f"{mesh.url}/?typing={TYPING_MS}&backend=puma")
    wait_turn_done(page, 1)
    assert page.evaluate("document.activeElement.id") == "chat-input"  # focused on load
    tab_to(page, "input[name=backend]:checked", backwards=True)
    page.keyboard.press("ArrowRight")  # the legacy server: a new conversation, said so
    wait_turn_done(page, 1)
    assert "new conversation" in page.locator(".note").first.inner_text()
    assert page.evaluate("document.activeElement.value") == "legacy"  # focus stays on the switch
    page.keyboard.press("ArrowLeft")  # back to the PUMA mesh
    page.wait_for_function("() => document.body.dataset.state === 'ready' && [...document"
                           ".querySelectorAll('.note')].some(n => n.textContent.includes('back to'))")
    tab_to(page, "#chat-input")
    answered = page.locator(".served-by").count()  # restored messages carry none
    for number, text in enumerate(CONVERSATION, start=answered + 1):
        page.keyboard.type(text)
        page.keyboard.press("Enter")
        wait_turn_done(page, number)
    page.wait_for_selector("body[data-state=ended]")
    # The focus stays in the box (no move unasked: it would cut the screen reader's queue, which
    # still holds the last replies); the way on is announced, and Shift+Tab reaches it.
    assert page.evaluate("document.activeElement.id") == "chat-input"
    page.wait_for_function("() => document.getElementById('status-announce').textContent"
                           ".includes('The conversation is over. Next →')")
    assert page.get_attribute("#chat-input", "aria-disabled") == "true"
    page.keyboard.type("more")  # the box takes no more text
    assert page.input_value("#chat-input") == ""
    tab_to(page, "#next-button", backwards=True)
    assert focus_shown(page)
    assert page.title() == "Movie chat · PUMA"
    page.keyboard.press("Enter")  # Next →
    assert page.evaluate("document.activeElement.name") == "liked" and focus_shown(page)
    assert page.title() == "Survey · Movie chat · PUMA"  # the title follows the view
    page.keyboard.press("Enter")  # submits unanswered: the error, and focus on the question
    assert page.is_visible("#survey-error") and page.evaluate("document.activeElement.name") == "liked"
    page.keyboard.press("Space")
    for _ in range(3):
        page.keyboard.press("ArrowRight")  # 4
    assert page.is_hidden("#liked-error") and page.is_visible("#engagement-error")  # answered: its error is gone
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "engagement"
    page.keyboard.press("Space")
    for _ in range(4):
        page.keyboard.press("ArrowRight")  # 5
    assert page.is_hidden("#engagement-error")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # "Yes"
    tab_to(page, "#comments")
    comment = f"keyboard only {uuid.uuid4().hex}"
    page.keyboard.type(comment)
    tab_to(page, "#survey-submit")
    page.keyboard.press("Enter")
    page.wait_for_selector("#thanks-panel:not([hidden])")
    assert page.evaluate("document.activeElement.id") == "restart-button"
    assert page.title() == "Thank you · Movie chat · PUMA"
    row, _ = stored(chatbot_db_url, comment)
    assert (row["liked"], row["engagement"], row["chatbot_before"]) == (4, 5, True)
    page.keyboard.press("Enter")  # a new conversation, and the focus back in the composer
    wait_turn_done(page, 1)
    assert bubbles(page, "user") == [] and page.evaluate("document.activeElement.id") == "chat-input"
    assert page.title() == "Movie chat · PUMA"


def ax_nodes(page: Any) -> dict[str, dict[str, Any]]:
    cdp = page.context.new_cdp_session(page)
    try:
        return {n["nodeId"]: n for n in cdp.send("Accessibility.getFullAXTree")["nodes"]}
    finally:
        cdp.detach()


def live_region_of(nodes: dict[str, dict[str, Any]], text: str) -> dict[str, str] | None:
    """The nearest live region above the accessibility node showing `text`: its role and props."""
    node: dict[str, Any] | None = next(n for n in nodes.values() if (n.get("name") or {}).get("value") == text
                                       and (n.get("role") or {}).get("value") == "StaticText")
    while node is not None:
        props = {p["name"]: str(p["value"].get("value")) for p in node.get("properties", [])}
        if node.get("ignored") or props.get("hidden") == "True":
            return None
        if "live" in props:
            return {"role": node["role"]["value"], **props}
        parent = node.get("parentId")
        node = nodes.get(parent) if isinstance(parent, str) else None
    return None


def test_a11y_bot_messages_are_announced_by_a_polite_live_region(page: Any, mesh: puma.Deployment) -> None:
    page.goto(f"{mesh.url}/?typing={TYPING_MS}&backend=puma")
    assert page.locator("[role=log][aria-live=polite]").count() == 1  # there before any message
    wait_turn_done(page, 1)
    say(page, "comedy", 2)
    nodes = ax_nodes(page)
    said = bubbles(page, "bot")
    assert len(said) >= 3
    for text in said:
        region = live_region_of(nodes, text)
        assert region is not None, f"{text!r} is in no live region"
        assert (region["role"], region["live"]) == ("log", "polite"), region
        assert "additions" in region.get("relevant", ""), region
    # Typing dots are decoration: hidden from the accessibility tree.
    assert page.get_attribute("#typing", "aria-hidden") == "true"


# Every visible text (its own text nodes) and every placeholder, against the first opaque
# background behind it, as rendered: 4.5:1, or 3:1 for large text (WCAG 1.4.3). axe-core does not
# check placeholders, and cannot resolve text over some backgrounds; this does both.
CONTRAST_OF_TEXT = """() => {
  const parse = (c) => { const v = (c.match(/[\\d.]+/g) || []).map(Number); return {rgb: v.slice(0, 3), a: v.length > 3 ? v[3] : 1}; };
  const lum = ([r, g, b]) => [r, g, b].map(v => v / 255).map(v => v <= 0.03928 ? v / 12.92
      : ((v + 0.055) / 1.055) ** 2.4).reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const over = (top, under) => top.rgb.map((v, i) => v * top.a + under[i] * (1 - top.a));
  const backdrop = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const bg = parse(getComputedStyle(e).backgroundColor);
      if (bg.a > 0) layers.push(bg);
      if (bg.a >= 1) break;
    }
    let rgb = parse(getComputedStyle(document.documentElement).backgroundColor).a ? parse(getComputedStyle(document.documentElement).backgroundColor).rgb : [255, 255, 255];
    for (const layer of layers.reverse()) rgb = over(layer, rgb);
    return rgb;
  };
  const ratio = (fg, bgRgb) => { const [x, y] = [lum(over(fg, bgRgb)), lum(bgRgb)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const large = (s) => parseFloat(s.fontSize) >= 24 || (parseFloat(s.fontSize) >= 18.66 && Number(s.fontWeight) >= 700);
  const shown = (el) => { const r = el.getBoundingClientRect(); return r.width > 1 && r.height > 1 && getComputedStyle(el).visibility !== "hidden"
      && !el.closest("[hidden]") && !el.closest("svg"); };
  const low = [];
  const check = (el, what, color, style) => {
    const need = large(style) ? 3 : 4.5, got = ratio(parse(color), backdrop(el));
    if (got < need) low.push({what, text: (el.placeholder || el.textContent).trim().slice(0, 40), color, ratio: Math.round(got * 100) / 100, need});
  };
  let checked = 0;
  for (const el of document.querySelectorAll("body *")) {
    if (!shown(el) || el.disabled) continue;
    const style = getComputedStyle(el);
    if ([...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) { check(el, el.tagName.toLowerCase() + (el.className ? "." + el.className : ""), style.color, style); checked += 1; }
    if (el.placeholder) { check(el, "::placeholder of #" + el.id, getComputedStyle(el, "::placeholder").color, style); checked += 1; }
  }
  return {checked, low};
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a11y_every_text_and_placeholder_meets_contrast_in_both_schemes(new_page: Any, mesh: puma.Deployment,
                                                                       scheme: str) -> None:
    page = new_page(color_scheme=scheme)
    open_chat(page, mesh.url, "puma")
    say(page, "comedy", 2)
    chat = page.evaluate(CONTRAST_OF_TEXT)
    assert chat["checked"] >= 10 and chat["low"] == [], chat
    assert page.evaluate("() => !!document.querySelector('#chat-input').placeholder"), "the placeholder is checked"
    dash = new_page(color_scheme=scheme)
    dash.goto(f"{mesh.url}/dashboard?interval=250")
    dash.wait_for_selector("article.service")
    found = dash.evaluate(CONTRAST_OF_TEXT)
    assert found["checked"] >= 10 and found["low"] == [], found


def test_a11y_dashboard_outage_is_announced_once_says_what_to_do_and_marks_the_figures_stale(
        new_page: Any, mesh: puma.Deployment) -> None:
    page = new_page()
    page.goto(f"{mesh.url}/dashboard?interval=250")
    page.wait_for_selector("article.service")
    page.evaluate("""() => { window.alertChanges = 0;
      new MutationObserver((m) => { window.alertChanges += m.length; })
        .observe(document.getElementById('dash-error'), {childList: true, characterData: true, subtree: true}); }""")
    page.route("**/_puma/status", lambda route: route.abort())  # the deployment stops answering
    page.wait_for_selector("#dash-error:not([hidden])")
    # Said in words, then (quietly) its command shown as code; then nothing changes.
    page.wait_for_selector("#dash-error code")
    assert page.locator("#dash-error .shown-only, #dash-error .said-instead").count() == 0
    first = page.text_content("#dash-error")
    changes = page.evaluate("window.alertChanges")
    polls = page.evaluate("() => performance.now()")
    page.wait_for_function(f"() => performance.now() - {polls} > 1500")  # six polls more
    assert page.evaluate("window.alertChanges") == changes, "the alert was rewritten while nothing changed"
    assert page.text_content("#dash-error") == first
    assert "Failed to fetch" not in first and "reconnects by itself" in first and "make run" in first
    assert re.search(r"not answered since \d\d:\d\d:\d\d", first), first
    assert re.search(r"figures below are the last ones from while it served \(\d\d:\d\d:\d\d\)", first), first
    assert page.title() == "Not answering · Mesh dashboard · PUMA"
    assert page.evaluate("document.body.classList.contains('stale')")
    page.unroute("**/_puma/status")  # back: the alert goes, the figures are live again
    page.wait_for_selector("#dash-error", state="hidden")
    assert not page.evaluate("document.body.classList.contains('stale')")
    assert page.title() == "Mesh dashboard · PUMA"


@pytest.mark.parametrize("failure", ["network", "server"])
def test_a11y_failed_send_says_not_sent_and_retyping_does_not_double_the_text(new_page: Any, mesh: puma.Deployment,
                                                                             failure: str) -> None:
    page = new_page()
    open_chat(page, mesh.url, "puma")

    def fail(route: Any) -> None:
        if "thriller" not in (route.request.post_data or ""):
            route.continue_()
        elif failure == "network":
            route.abort()
        else:
            route.fulfill(status=500, content_type="application/json", body='{"error": "boom"}')

    page.route("**/agent", fail)
    page.evaluate("""() => { window.typingSaid = [];
      new MutationObserver(() => window.typingSaid.push(document.querySelector('#typing-status').textContent))
        .observe(document.querySelector('#typing-status'), {childList: true, characterData: true, subtree: true}); }""")
    page.fill("#chat-input", "a thriller")
    page.press("#chat-input", "Enter")
    page.wait_for_selector(".note.error")
    # A send that failed at once is heard as "Not sent", never "Chatbot is typing…" first (newcomer 59 m5).
    assert not any("typing" in said for said in page.evaluate("window.typingSaid")), page.evaluate("window.typingSaid")
    page.wait_for_function("() => document.querySelector('#chat-input').value === 'a thriller'")
    status = page.text_content("#status-line")
    assert "Not sent" in status and "press Enter to try again" in status, status
    page.keyboard.type("a thriller")  # what a user does: type it again
    assert page.input_value("#chat-input") == "a thriller"
    note = page.text_content(".note.error")
    assert ("could not answer" in note) if failure == "server" else ("Could not reach" in note), note


# WCAG 1.4.1: what colour tells on the dashboard, something else tells too. Each instance state
# (every class the page gives) has its own glyph or pattern; in each chart of several lines, no
# two lines differ by colour alone (their dash patterns differ), and each legend key shows it.
NOT_COLOUR_ALONE = """() => {
  const list = document.querySelector("ul.instances");
  const looks = {};
  for (const state of ["healthy", "starting", "unhealthy", "draining", "stopped"]) {
    const li = document.createElement("li");
    li.className = `instance ${state}`;
    list.append(li);
    const after = getComputedStyle(li, "::after").content, image = getComputedStyle(li).backgroundImage;
    looks[state] = `${after}|${image}`;
    li.remove();
  }
  const charts = [...document.querySelectorAll("figure.chart")].map((fig) => {
    const paths = [...fig.querySelectorAll("svg.chart-plot path.series")];
    const keys = [...fig.querySelectorAll("svg.key line")].filter((k) => !k.classList.contains("series-mark"));
    const look = (n) => { const c = getComputedStyle(n); return `${c.stroke}|${c.strokeDasharray}`; };
    return {
      title: fig.querySelector(".chart-title").textContent,
      dashes: paths.map((p) => getComputedStyle(p).strokeDasharray),
      swatches: keys.map(look),
      lines: Object.fromEntries(paths.map((p) => [p.dataset.series, look(p)])),
      keyOf: Object.fromEntries(keys.map((k) => [[...k.classList].find((c) => c.startsWith("series-")).slice(7), look(k)])),
      keySizes: [...fig.querySelectorAll("svg.key")].map((k) => k.getBoundingClientRect().width * k.getBoundingClientRect().height),
    };
  });
  return {looks, charts};
}"""


@pytest.mark.parametrize("forced", ["none", "active"])
def test_a11y_dashboard_tells_states_and_lines_apart_without_colour(new_page: Any, mesh: puma.Deployment,
                                                                    forced: str) -> None:
    """In forced colours (Windows high contrast) too: each legend key is drawn, as its line is
    (the same stroke and dash pattern), and the lines of a chart differ by their dash patterns."""
    page = new_page(forced_colors=forced)
    page.goto(f"{mesh.url}/dashboard?interval=250")
    page.wait_for_function("() => document.querySelectorAll('svg.chart-plot path.series').length > 0")
    found = page.evaluate(NOT_COLOUR_ALONE)
    looks = found["looks"]
    assert len(set(looks.values())) == len(looks), f"instance states told apart by colour only: {looks}"
    several = [c for c in found["charts"] if len(c["dashes"]) > 1]
    assert several, found["charts"]
    for chart in several:
        assert len(set(chart["dashes"])) == len(chart["dashes"]), f"lines by colour alone: {chart}"
        assert len(set(chart["swatches"])) == len(chart["swatches"]), f"legend by colour alone: {chart}"
    for chart in found["charts"]:
        assert chart["keySizes"] and all(size > 0 for size in chart["keySizes"]), f"a legend key not drawn: {chart}"
        for series, look in chart["lines"].items():  # each key looks like its line
            assert chart["keyOf"][series] == look and not look.startswith("none"), (series, chart)
    if forced == "active":
        page.screenshot(path=str(ARTIFACTS / "dashboard-forced-colors.png"), full_page=True, animations="disabled")


# The backend switch's options: colours as drawn (getComputedStyle), weight and check mark.
SWITCH_LOOK = """() => [...document.querySelectorAll('#backend-switch label')].map((label) => {
  const span = label.querySelector('span'), s = getComputedStyle(span);
  return {checked: label.querySelector('input').checked, border: s.borderTopColor, borderWidth: parseFloat(s.borderTopWidth),
          background: s.backgroundColor, weight: parseInt(s.fontWeight, 10),
          mark: getComputedStyle(span, '::before').content,
          track: getComputedStyle(document.querySelector('#backend-switch')).backgroundColor,
          box: span.getBoundingClientRect().toJSON()};
})"""


def _luminance(css: str) -> float:
    r, g, b = (int(v) / 255 for v in re.findall(r"[\d.]+", css)[:3])
    return sum(w * (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
               for w, c in zip((0.2126, 0.7152, 0.0722), (r, g, b), strict=True))


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", [(1000, 800), (320, 256)])
def test_a11y_backend_switch_shows_the_selected_option_by_more_than_colour(
        new_page: Any, mesh: puma.Deployment, scheme: str, size: tuple[int, int]) -> None:
    """WCAG 1.4.11: the selected option's border is 3:1 or more against the track and against its
    own pill; and it has a check mark and bolder text, which need no colour at all."""
    page = new_page(color_scheme=scheme, viewport={"width": size[0], "height": size[1]})
    open_chat(page, mesh.url, "puma")
    for backend in ("legacy", "puma"):  # each option selected in turn, by keyboard as a user would
        page.focus(f"#backend-switch input[value={'puma' if backend == 'legacy' else 'legacy'}]")
        page.keyboard.press("ArrowRight" if backend == "legacy" else "ArrowLeft")
        looks = page.evaluate(SWITCH_LOOK)
        on, off = (next(x for x in looks if x["checked"] is c) for c in (True, False))
        assert _contrast(on["border"], on["track"]) >= 3 and _contrast(on["border"], on["background"]) >= 3, on
        assert on["borderWidth"] >= 1 and on["weight"] - off["weight"] >= 150, (on, off)
        assert "\u2713" in on["mark"] and off["mark"] in ("none", "normal"), (on, off)
        assert on["box"]["height"] == off["box"]["height"], "selecting an option moves the row"


def _switch_shot(page: Any, checked: str) -> Any:
    from io import BytesIO

    from PIL import Image

    page.check(f"#backend-switch input[value={checked}]")
    page.mouse.move(0, 0)
    return Image.open(BytesIO(page.locator("#backend-switch").screenshot(animations="disabled"))).convert("L")


def test_a11y_backend_switch_selected_option_survives_forced_colours(new_page: Any, mesh: puma.Deployment) -> None:
    """Forced colours (Windows high contrast) replace every colour: the selected option must still
    look different. Screenshots with each option selected: the half that holds the selected option
    differs from the same half unselected, and the two states are mirror images in what they mark."""
    from PIL import ImageChops, ImageStat

    page = new_page(forced_colors="active")
    open_chat(page, mesh.url, "puma")
    puma_on, legacy_on = _switch_shot(page, "puma"), _switch_shot(page, "legacy")
    assert puma_on.size == legacy_on.size, "selecting an option changes the switch's size"
    width, height = puma_on.size
    for half in ((0, 0, width // 2, height), (width // 2, 0, width, height)):
        diff = ImageChops.difference(puma_on.crop(half), legacy_on.crop(half))
        changed = ImageStat.Stat(diff.point(lambda v: 255 if v > 64 else 0)).mean[0] / 255
        assert changed >= 0.2, f"in forced colours the option at {half} looks the same selected or not ({changed:.0%})"
    # The selected half is the darker or lighter one consistently (the system's selection colours).
    mean = lambda img, box: ImageStat.Stat(img.crop(box)).mean[0]  # noqa: E731
    left, right = (0, 0, width // 2, height), (width // 2, 0, width, height)
    assert (mean(puma_on, left) - mean(puma_on, right)) * (mean(legacy_on, left) - mean(legacy_on, right)) < 0
    # The user's own bubbles keep a frame too, as the bot's do (their extent stays visible).
    page.check("#backend-switch input[value=puma]")
    say(page, "comedy", 2)
    frames = page.evaluate("() => [...document.querySelectorAll('.message .bubble')].map((b) => "
                           "parseFloat(getComputedStyle(b).borderTopWidth))")
    assert frames and all(width >= 1 for width in frames), frames
    puma_on.save(ARTIFACTS / "switch-forced-colours-puma.png")
    legacy_on.save(ARTIFACTS / "switch-forced-colours-legacy.png")


def test_a11y_dashboard_announces_a_service_going_down_and_coming_back(new_page: Any, mesh: puma.Deployment) -> None:
    """A polite status names the service whose ready state changed, once per change; the first
    figures and unchanged polls say nothing."""
    import json

    down = {"on": False}

    def status(route: Any) -> None:
        response = route.fetch()
        body = response.json()
        if down["on"]:  # the legacy bridge's readiness check fails, as when its server is killed
            svc = body["services"]["legacy"]
            svc["not_ready"] = ["the legacy socket server is unreachable: nothing accepts connections"]
            svc["ready"] = 0
        route.fulfill(response=response, body=json.dumps(body))

    page = new_page()
    page.route("**/_puma/status", status)
    page.goto(f"{mesh.url}/dashboard?interval=250")
    page.wait_for_selector("article.service")
    page.evaluate("""() => { window.__said = [];
      const region = document.getElementById('service-changes');
      new MutationObserver(() => window.__said.push(region.textContent))
        .observe(region, {childList: true, characterData: true, subtree: true}); }""")
    start = page.evaluate("performance.now()")
    page.wait_for_function(f"() => performance.now() - {start} > 1000")  # four polls, nothing changed
    assert page.evaluate("window.__said") == [] and page.text_content("#service-changes") == ""
    down["on"] = True
    page.wait_for_function("() => window.__said.length >= 1")
    start = page.evaluate("performance.now()")
    page.wait_for_function(f"() => performance.now() - {start} > 1000")
    assert page.evaluate("window.__said") == ["legacy: not ready: the legacy socket server is unreachable."]
    assert page.get_attribute("#service-changes", "role") == "status"
    down["on"] = False
    page.wait_for_function("() => window.__said.length >= 2")
    assert page.evaluate("window.__said")[-1] == "legacy: ready."


def test_a11y_dashboard_instance_details_and_scaling_reasons_are_reached_by_keyboard(
        new_page: Any, mesh: puma.Deployment, axe_source: str) -> None:
    """What a mouse user gets on hover (each instance's pid, health and memory; each scaling
    decision's time and reason) a keyboard user reaches with Tab and opens with Enter or Space, as
    visible text that a screen reader reads too; axe still finds nothing with them open."""
    page = new_page(bypass_csp=True)
    page.goto(f"{mesh.url}/dashboard?interval=250")
    page.wait_for_selector("article.service[data-service='agent'] li.instance")
    policy_count = len(mesh.instances("policy"))
    mesh.scale("policy", policy_count + 1)  # a scaling decision, with its reason
    try:
        page.evaluate("() => document.activeElement.blur()")
        tab_to(page, "article[data-service='agent'] .instance-details summary", limit=60)
        page.keyboard.press("Enter")
        lines = page.locator("article[data-service='agent'] .instance-details li")
        page.wait_for_function("() => document.querySelectorAll(\"article[data-service='agent'] .instance-details li\").length === 3")
        for line in lines.all():
            assert line.is_visible()
            assert re.fullmatch(r"#\d+ \(pid \d+\): ready(, healthy)?(, \d+ MiB resident)?", line.inner_text()), line.inner_text()
        summary = page.inner_text("article[data-service='agent'] .instance-details summary")
        assert summary.startswith("Instances of agent: pid, health, memory (3)"), summary
        decisions = "article[data-service='policy'] .decisions"
        page.wait_for_function(f"() => /\\(1\\)/.test(document.querySelector(\"{decisions} summary\").textContent)")
        page.evaluate("() => document.activeElement.blur()")  # from the top of the page again
        tab_to(page, f"{decisions} summary", limit=80)
        page.keyboard.press("Space")
        shown = page.locator(f"{decisions} li").first
        assert shown.is_visible()
        assert re.fullmatch(rf"\d\d:\d\d:\d\d {policy_count} → {policy_count + 1}: .+", shown.inner_text()), shown.inner_text()
        # Opened, they stay open and focused while the page polls (the list is refilled, not the element).
        page.wait_for_timeout(600)
        assert page.evaluate(f"() => document.querySelector(\"{decisions}\").open && document.activeElement.matches(\"{decisions} summary\")")
        found = audit(page, axe_source, "dashboard")
        assert found == [], describe(found)
    finally:
        mesh.scale("policy", policy_count)


def test_a11y_dashboard_charts_are_named_by_their_service(new_page: Any, mesh: puma.Deployment) -> None:
    """A screen reader's list of the page's graphics named 32 charts with 4 names ("Latency" eight
    times, newcomer 59 m7): each chart's name says its service, and no two charts share one."""
    page = new_page()
    page.goto(f"{mesh.url}/dashboard?interval=250")
    page.wait_for_function("() => document.querySelectorAll('svg.chart-plot').length >= 4")
    names = page.eval_on_selector_all("svg.chart-plot", "els => els.map(e => e.getAttribute('aria-label').split(',')[0])")
    assert len(names) == len(set(names)), names
    services = set(mesh.status()["services"])
    assert all(name.split(": ")[0] in services for name in names), names


# Each mark as drawn (getComputedStyle, forced colours applied): its fill, frame and glyph, and
# the colour behind it (the nearest ancestor with a background).
MARK_LOOKS = r"""(marks) => marks.map(([selector, pseudo]) => {
  const el = document.querySelector(selector);
  if (!el) return {selector, missing: true};
  const s = getComputedStyle(el, pseudo || null);
  let behind = "rgb(255, 255, 255)";
  for (let node = el.parentElement; node; node = node.parentElement) {
    const bg = getComputedStyle(node).backgroundColor;
    if (bg && !/^rgba\(.*,\s*0\)$/.test(bg) && bg !== "transparent") { behind = bg; break; }
  }
  return {selector: selector + (pseudo || ""), fill: s.backgroundColor, frame: s.borderTopColor,
          frameWidth: s.borderTopStyle === "none" ? 0 : parseFloat(s.borderTopWidth), ink: s.color,
          glyph: s.content, behind};
})"""


def _shape_shows(look: dict[str, Any]) -> bool:
    """The mark's own shape (its fill, or its frame) stands out from what is behind it (3:1)."""
    filled = not re.fullmatch(r"rgba\(.*,\s*0\)", look["fill"]) and _contrast(look["fill"], look["behind"]) >= 3
    framed = look["frameWidth"] >= 1 and _contrast(look["frame"], look["behind"]) >= 3
    return filled or framed


def _marks(page: Any, marks: list[tuple[str, str]]) -> list[dict[str, Any]]:
    looks = page.evaluate(MARK_LOOKS, [list(m) for m in marks])
    assert not [look for look in looks if look.get("missing")], looks
    return looks


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a11y_logo_and_status_marks_stay_visible_in_forced_colours(new_page: Any, mesh: puma.Deployment,
                                                                   scheme: str) -> None:
    """Forced colours (Windows high contrast) drop every background: the logo tile, the live dot,
    the instance squares, the typing and starting dots must keep a shape of their own (a logo that
    becomes a bare "▶" looks like a play button; a dot drawn by its fill alone disappears)."""
    page = new_page(forced_colors="active", color_scheme=scheme)
    page.goto(f"{mesh.url}/dashboard?interval=250")
    page.wait_for_function("() => document.querySelectorAll('li.instance').length > 3 && document.body.dataset.state === 'live'")
    live = _marks(page, [(".brand-mark", ""), (".live", "::before"), ("li.instance.healthy", "")])
    hidden = [look["selector"] for look in live if not _shape_shows(look)]
    assert hidden == [], f"in forced colours these marks lose their shape: {hidden} ({live})"
    page.route("**/_puma/status", lambda route: route.abort())
    page.wait_for_function("() => document.body.dataset.state === 'offline'")
    off = _marks(page, [(".live", "::before")])[0]
    assert _shape_shows(off), off
    assert (off["fill"], off["frameWidth"]) != (live[1]["fill"], live[1]["frameWidth"]), \
        f"live and not live are told apart by colour alone in forced colours: {live[1]}, {off}"
    open_chat(page, mesh.url, "puma")
    page.evaluate("""() => { document.getElementById('typing').hidden = false;
      document.body.dataset.state = 'starting'; document.getElementById('status-line').textContent = 'starting'; }""")
    chat = _marks(page, [(".brand-mark", ""), (".typing span", ""), (".status-line", "::before")])
    hidden = [look["selector"] for look in chat if not _shape_shows(look)]
    assert hidden == [], f"in forced colours these marks of the chat page lose their shape: {hidden} ({chat})"
