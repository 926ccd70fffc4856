"""PUMA's own pages on a phone (375x667 and a 320 px wide one, under a finger): the status page
`/_puma/dashboard` and every page Envoy draws itself (its "Status not answering" page while the
supervisor is stopped, the starting page, 404/405 and the other errors). Each has every link,
button and disclosure 44 px high (WCAG 2.5.5), nothing wider than the screen, and no blank area
after its last line."""

from __future__ import annotations

import re
from typing import Any

import pytest

from puma.config import parse_config
from puma.dashboard import page
from puma.localreplies import local_reply_config
from tests.test_dashboard import _deployment

PHONES = {"375x667": {"width": 375, "height": 667}, "320x568": {"width": 320, "height": 568}}
PAGES = {"/": "the chat", "/dashboard": "the dashboard (the chat's services side by side, live, with charts)"}
CHATBOT = ["web", "agent", "nlu", "recommender", "movies", "legacy", "survey", "transcripts"]

# What a user sees of the page: each visible a/button/summary too short for a finger, what reaches
# past the screen's right edge, and the blank below the last visible thing (the body's own margin
# aside; a page shorter than the screen has none). Visibility by checkVisibility(): a folded <details>' content is laid out but not shown.
_MEASURE = """() => {
  const shown = [...document.body.querySelectorAll('*')].filter(e => e.tagName !== 'SCRIPT' && e.checkVisibility());
  const box = (e) => e.getBoundingClientRect();
  const small = shown.filter(e => e.matches('a, button, summary') && box(e).height < 44)
    .map(e => [e.tagName, e.textContent.trim().slice(0, 40), Math.round(box(e).height)]);
  const wide = shown.filter(e => box(e).right > document.documentElement.clientWidth + 0.5)
    .map(e => [e.tagName, e.textContent.trim().slice(0, 40), Math.round(box(e).right)]);
  const last = Math.max(...shown.map(e => box(e).bottom)) + scrollY;
  const filled = Math.max(last + parseFloat(getComputedStyle(document.body).marginBottom), innerHeight);
  const blank = document.documentElement.scrollHeight - filled;  // a short page is one screen high
  return {small, wide, blank: Math.round(blank), targets: shown.filter(e => e.matches('a, button, summary')).length,
          scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth};
}"""


def _envoy_pages() -> dict[str, str]:
    """Every HTML page Envoy answers itself for this config, its format commands filled in as Envoy would."""
    config = parse_config({"puma_services": {"web": {"prefix": "/"}, "agent": {"prefix": "/agent"}},
                           "listener": {"pages": PAGES}})
    found: dict[str, str] = {}
    for mapper in local_reply_config(config)["mappers"]:
        html = (mapper.get("body_format_override") or {}).get("text_format_source", {}).get("inline_string", "")
        title = re.search(r"<title>(.*?)</title>", html)
        if title and title.group(1) not in found:
            filled = html.replace("%UPSTREAM_CLUSTER%", "agent").replace("%RESPONSE_CODE%", "503")
            found[title.group(1)] = filled.replace(
                "%LOCAL_REPLY_BODY%", "service 'agent' did not answer within 30 s: its instances are busy")
    assert any("Status not answering" in t for t in found) and len(found) >= 4, list(found)
    return found


def _status_pages() -> dict[str, str]:
    return {"status page, all ready": page(_deployment(CHATBOT, {}), pages=PAGES).decode(),
            "status page, one down": page(_deployment(CHATBOT, {"legacy": "the legacy socket server is "
                                                                           "unreachable at 127.0.0.1:13188"}),
                                          pages=PAGES).decode()}


ALL = {**_status_pages(), **_envoy_pages()}


def _on_phone(new_page: Any, size: str, html: str) -> dict[str, Any]:
    view = new_page(bypass_csp=True, viewport=PHONES[size], has_touch=True, is_mobile=True, device_scale_factor=2)
    view.set_content(html)
    assert view.evaluate("() => matchMedia('(pointer: coarse)').matches")
    return view.evaluate(_MEASURE)


@pytest.mark.parametrize("size", PHONES)
@pytest.mark.parametrize("name", ALL)
def test_phone_pages_every_link_is_a_finger_high_and_nothing_runs_past_the_screen(new_page: Any, name: str,
                                                                                  size: str) -> None:
    got = _on_phone(new_page, size, ALL[name])
    assert got["targets"] >= 2, got  # the page's links are counted (the way back, the app's pages)
    assert got["small"] == [], f"{name} at {size}: under 44 px on a touch screen: {got['small']}"
    assert got["wide"] == [] and got["scrollWidth"] <= got["clientWidth"], f"{name} at {size}: {got}"
    assert abs(got["blank"]) <= 2, f"{name} at {size}: {got['blank']} px blank below the last line"
