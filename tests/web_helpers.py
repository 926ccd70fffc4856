"""What the browser tests do on the pages: chat turns, the survey, reading the database, and the
axe-core audit. The fixtures (deployment, browser, axe-core) are in tests/plugins/web.py."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import create_engine, select

from chatbot.db.models import SurveyAnswer, Transcript

TYPING_MS = 15  # ?typing=15: the page's typing delay, short for tests
# To a recommendation, then "not watched" -> "Do you like it?" -> yes -> bye.
CONVERSATION = ["comedy", "no preference", "no preference", "no preference", "no", "yes"]
SERIOUS = ("moderate", "serious", "critical")  # axe impacts that fail a test
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def open_chat(page: Any, url: str, backend: str, turns: int = 1) -> None:
    page.goto(f"{url}/?typing={TYPING_MS}&backend={backend}")
    wait_turn_done(page, turns)


def wait_turn_done(page: Any, turns: int, timeout_ms: int = 60_000) -> None:
    """Until `turns` replies are on screen and the page takes input (or the chat ended)."""
    page.wait_for_function(
        "n => document.querySelectorAll('.served-by').length >= n"
        " && ['ready', 'ended'].includes(document.body.dataset.state)", arg=turns, timeout=timeout_ms)


def say(page: Any, text: str, turns: int) -> None:
    page.fill("#chat-input", text)
    page.press("#chat-input", "Enter")
    wait_turn_done(page, turns)
    assert page.evaluate("document.activeElement.id") in ("chat-input", "next-button")


def converse(page: Any, url: str, backend: str) -> None:
    open_chat(page, url, backend)
    for number, text in enumerate(CONVERSATION, start=2):
        say(page, text, number)
    page.wait_for_selector("body[data-state=ended]")


def answer_survey(page: Any, comment: str) -> None:
    page.click("#next-button")
    page.click("label.scale-option:has(input[name=liked][value='4'])")
    page.click("label.scale-option:has(input[name=engagement][value='5'])")
    page.click(".yesno label:has(input[value=true])")
    page.fill("#comments", comment)
    page.click("#survey-submit")
    page.wait_for_selector("#thanks-panel:not([hidden])")


def bubbles(page: Any, role: str) -> list[str]:
    return page.locator(f".message.{role} .bubble").all_inner_texts()


def stored(url: str, comment: str) -> tuple[dict[str, Any], bool]:
    """The survey row with `comment`, and whether the database holds its conversation."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(select(SurveyAnswer).where(SurveyAnswer.comments == comment)).mappings().one()
            transcript = conn.execute(select(Transcript.userid).where(Transcript.userid == row["userid"])).first()
        return dict(row), transcript is not None
    finally:
        engine.dispose()


def check_recommendation(page: Any) -> None:
    card = page.locator(".film-card")
    assert card.count() >= 1
    title = card.first.locator(".film-title").inner_text()
    assert title and re.search(r"\(\d{4}\)", title)
    assert card.first.locator(".chip").count() >= 1
    assert "Director" in card.first.inner_text()
    assert any(title.split(" (")[0] in m for m in bubbles(page, "bot"))


# ---------------------------------------------------------------------------- accessibility


def settle(page: Any) -> None:
    """Until no CSS animation runs (a message fading in has not its final colours yet)."""
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running'"
                           " || a.effect.getTiming().iterations === Infinity)", timeout=10_000)


def audit(page: Any, axe_source: str, where: str) -> list[dict[str, Any]]:
    """axe-core's violations of impact moderate or above on the page as it is now."""
    settle(page)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source)  # the context has bypass_csp=True
    result = page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
              .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                  nodes: v.nodes.map(n => n.target.join(' ') + ': ' + (n.failureSummary || ''))})))""",
        AXE_TAGS)
    found = [v for v in result if v["impact"] in SERIOUS]
    for violation in found:
        violation["where"] = where
    return found


def describe(violations: list[dict[str, Any]]) -> str:
    return json.dumps(violations, indent=1)[:6000]
