"""What the dashboard says of a deployment that stops, stops answering, or has a service not
ready, and what a screen reader learns of each chat reply. Real deployment and Chromium; the
status the page polls is the deployment's own, changed in flight only where a state is hard to
hold still (a deployment stopping). Fixtures: tests/plugins/web.py."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

import pytest

import puma
from tests.web_helpers import TYPING_MS, say, wait_turn_done


def _serve_changed(page: Any, change: Callable[[dict[str, Any]], None]) -> None:
    """Each poll of /_puma/status gets the deployment's real answer, changed by `change`."""
    def handle(route: Any) -> None:
        from playwright.sync_api import Error

        try:
            status = route.fetch().json()
            change(status)
            route.fulfill(status=200, content_type="application/json", body=json.dumps(status))
        except Error:  # the page closed while a poll was in flight (the test is over)
            pass

    page.route("**/_puma/status", handle)


def _stopping(status: dict[str, Any]) -> None:
    """What a stopping deployment answers: every instance gone, 0 of 0 ready."""
    status["stopping"] = True
    for svc in status["services"].values():
        svc.update(instances=[], ready=0, requests_per_s=0.0, in_flight=0)


def _figures(page: Any) -> dict[str, str]:
    return page.evaluate("""() => ({instances: document.getElementById('sum-instances').textContent,
      cards: [...document.querySelectorAll('article.service')].map(a => a.dataset.instances).join(','),
      none: document.querySelectorAll('.instances-none').length})""")


def test_web_dashboard_keeps_the_served_figures_stale_when_the_deployment_stops(
        new_page: Any, mesh: puma.Deployment) -> None:
    page = new_page()
    page.goto(f"{mesh.url}/dashboard?interval=250")
    page.wait_for_function("() => document.querySelectorAll('article.service[data-ready]:not([data-ready=\"0\"])').length > 3")
    served = _figures(page)
    assert served["none"] == 0 and page.title() == "Mesh dashboard · PUMA"
    _serve_changed(page, _stopping)
    page.wait_for_function("() => /is stopping \\(since \\d\\d:\\d\\d:\\d\\d\\)/.test(document.getElementById('dash-error').textContent)")
    alert = page.text_content("#dash-error") or ""
    assert "last ones from while it served" in alert and "marked stale" in alert, alert
    assert _figures(page) == served, "the figures of a stopping deployment (0 of 0) replaced the served ones"
    assert page.evaluate("document.body.classList.contains('stale')") and page.title() == "Stopping · Mesh dashboard · PUMA"
    assert page.get_attribute("#services", "aria-describedby") == "dash-error"  # a reader learns they are stale
    assert "starting" not in page.inner_text("#services")
    page.unroute("**/_puma/status")
    page.route("**/_puma/status", lambda route: route.abort())  # then it stops answering at all
    page.wait_for_function("() => /not answered since/.test(document.getElementById('dash-error').textContent)")
    assert _figures(page) == served and page.title() == "Not answering · Mesh dashboard · PUMA"
    page.unroute("**/_puma/status")
    page.wait_for_selector("#dash-error", state="hidden")
    assert page.title() == "Mesh dashboard · PUMA" and page.get_attribute("#services", "aria-describedby") is None


@pytest.mark.parametrize(("waiting", "expected"), [
    (True, "no instance yet: starting (importing, warming up)"),
    (False, "no instance running: instance 1: the legacy socket server is unreachable"),
])
def test_web_dashboard_says_starting_only_while_the_deployment_starts(
        new_page: Any, mesh: puma.Deployment, waiting: bool, expected: str) -> None:
    def change(status: dict[str, Any]) -> None:
        status["services"]["legacy"].update(instances=[], ready=0)
        status["waiting_for"] = ["legacy"] if waiting else []
        status["not_ready"] = {} if waiting else {"legacy": "instance 1: the legacy socket server is unreachable"}

    page = new_page()
    _serve_changed(page, change)
    page.goto(f"{mesh.url}/dashboard?interval=250")
    item = page.locator("article[data-service='legacy'] .instances-none")
    item.wait_for()
    assert item.inner_text() == expected
    assert page.title() == ("Starting · Mesh dashboard · PUMA" if waiting else "Mesh dashboard · PUMA")


def test_web_dashboard_counts_refusals_while_not_ready_apart_from_server_errors(
        new_page: Any, mesh: puma.Deployment) -> None:
    def change(status: dict[str, Any]) -> None:
        for name, svc in status["services"].items():
            svc.update(errors_5xx=0, refused_not_ready=24 if name == "legacy" else 0)

    page = new_page()
    _serve_changed(page, change)
    page.goto(f"{mesh.url}/dashboard?interval=250")
    totals = page.locator("article[data-service='legacy'] .service-totals")
    page.wait_for_function("() => /refusals/.test(document.querySelector(\"article[data-service='legacy'] .service-totals\")?.textContent)")
    text = totals.inner_text()
    assert "0 server errors" in text and "24 refusals while not ready" in text, text
    assert "not counted as server errors" in text and page.text_content("#sum-errors") == "0"


def test_web_chat_reply_tells_screen_readers_which_backend_answered_and_how_fast(
        page: Any, mesh: puma.Deployment) -> None:
    """Not in the announcement (one short one per message), but as the message's description."""
    page.goto(f"{mesh.url}/?typing={TYPING_MS}&backend=puma")
    wait_turn_done(page, 1)
    say(page, "a comedy", 2)
    described = page.evaluate("""() => [...document.querySelectorAll('#messages > li.bot[aria-describedby]')].map(li => ({
        text: document.getElementById(li.getAttribute('aria-describedby')).textContent,
        meta: li.querySelector('.meta').getAttribute('aria-hidden'), took: li.querySelector('.took')?.textContent}))""")
    # Every message's description has its time; the last of each reply says who answered and how fast.
    assert all(re.fullmatch(r"Sent at \d\d:\d\d(:\d\d)?\.", item["text"]) for item in described
               if not item["text"].startswith("Answered by")), described
    described = [item for item in described if item["text"].startswith("Answered by")]
    assert len(described) == 2, described
    for item in described:
        ms = re.fullmatch(r"Answered by PUMA mesh in (\d+) ms, at (\d\d:\d\d(?::\d\d)?)\.", item["text"])
        assert ms and item["took"].startswith(f"{ms.group(1)} ms") and item["meta"] == "true", item
    cdp = page.context.new_cdp_session(page)
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()
    descriptions = [n["description"]["value"] for n in nodes if (n.get("role") or {}).get("value") == "listitem"
                    and n.get("description", {}).get("value")]
    answered = [d for d in descriptions if d.startswith("Answered by PUMA mesh in ")]
    assert len(answered) == 2 and all(re.search(r", at \d\d:\d\d", d) for d in answered), descriptions
    # The time every reader sees is read too, in README's words: each message says when it was sent.
    assert f"Sent at {page.text_content('#messages > li.user .meta time')}." in descriptions, descriptions
    assert not [d for d in descriptions if d.startswith("At ")], descriptions


_SILENT = {"error": "PUMA's supervisor, which answers /_puma/ paths, did not answer within 5 s", "status": 504,
           "path": "/_puma/status", "service": None, "supervisor_answered": False}


@pytest.mark.parametrize(("ready", "said", "live"), [
    ({"ready": True, "supervisor_answered": False, "published": True}, "every service is ready", "serving · figures paused"),
    ({"ready": False, "supervisor_answered": False, "published": True}, "not ready", "disconnected"),
])
@pytest.mark.parametrize("opened_then", [True, False], ids=["opened-while-silent", "silent-after-serving"])
def test_web_dashboard_says_what_still_serves_while_the_supervisor_is_silent(
        new_page: Any, mesh: puma.Deployment, ready: dict[str, Any], said: str, live: str, opened_then: bool) -> None:
    page = new_page()

    def silent(route: Any) -> None:
        route.fulfill(status=504, content_type="application/json", body=json.dumps(_SILENT))

    def published(route: Any) -> None:
        route.fulfill(status=200 if ready["ready"] else 503, content_type="application/json", body=json.dumps(ready))

    page.route("**/_puma/ready", published)
    if opened_then:
        page.route("**/_puma/status", silent)
    page.goto(f"{mesh.url}/dashboard?interval=250")
    if not opened_then:
        page.wait_for_function("() => document.querySelectorAll('article.service[data-ready]').length > 3")
        page.route("**/_puma/status", silent)
    page.wait_for_function("() => /supervisor is not answering/.test(document.getElementById('dash-error').textContent)")
    alert = page.text_content("#dash-error") or ""
    assert "the services still serve" in alert and said in alert, alert
    assert "answered with an error" not in alert, alert
    assert (page.text_content("#live-state") or "") == live


def _hang(held: list[Any]) -> Callable[[Any], None]:
    """A supervisor stopped (SIGSTOP): its /_puma/status is not answered (Envoy would give up after 5 s)."""
    return lambda route: held.append(route)


@pytest.mark.parametrize(("ready", "live"), [(True, "serving · figures paused"), (False, "disconnected")])
def test_web_dashboard_opened_while_the_supervisor_is_stopped_says_so_within_a_second(
        new_page: Any, mesh: puma.Deployment, ready: bool, live: str) -> None:
    """A first visit (nothing kept in this browser): no bare "connecting…" while the status hangs;
    what Envoy last published is said within about a second."""
    page = new_page()
    held: list[Any] = []
    page.route("**/_puma/status", _hang(held))
    page.route("**/_puma/ready", lambda route: route.fulfill(
        status=200 if ready else 503, content_type="application/json",
        body=json.dumps({"ready": ready, "supervisor_answered": False, "published": True})))
    page.goto(f"{mesh.url}/dashboard", wait_until="commit")
    started = time.monotonic()
    page.wait_for_function("() => document.getElementById('live-state').textContent !== 'connecting…'", timeout=5000)
    assert time.monotonic() - started < 1.5, "the page said only 'connecting…' for more than a second"
    assert (page.text_content("#live-state") or "") == live
    alert = page.text_content("#dash-error") or ""
    assert re.search(r"supervisor is not answering \(noticed at \d\d:\d\d:\d\d: stopped", alert), alert
    assert held, "the page never asked /_puma/status"


@pytest.mark.parametrize("age_s", [12, 95])
def test_web_dashboard_opened_while_the_supervisor_is_stopped_shows_the_last_figures_with_their_age(
        new_page: Any, mesh: puma.Deployment, age_s: int) -> None:
    """A page opened again (a new tab, a reload) while the supervisor is stopped shows at once the
    last figures this browser had from it, stale and labelled with their age, not "connecting…"."""
    first = new_page()
    first.goto(f"{mesh.url}/dashboard?interval=250")
    first.wait_for_function("() => document.querySelectorAll('article.service[data-ready]').length > 3")
    served = _figures(first)
    first.close()
    page = first.context.new_page()
    # Those figures were seen age_s ago (the supervisor stopped since).
    page.add_init_script(f"""{{ const k = 'puma-dashboard-last', s = JSON.parse(localStorage.getItem(k));
      s.at -= {age_s} * 1000; localStorage.setItem(k, JSON.stringify(s)); }}""")
    held: list[Any] = []
    page.route("**/_puma/status", _hang(held))
    page.route("**/_puma/ready", lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(
        {"ready": True, "supervisor_answered": False, "published": True})))
    page.goto(f"{mesh.url}/dashboard", wait_until="commit")
    started = time.monotonic()
    page.wait_for_function("() => document.body.classList.contains('stale')", timeout=5000)
    assert time.monotonic() - started < 1.5, "the last figures came after more than a second"
    assert _figures(page) == served
    age = {12: r"1[2-4] s", 95: r"(1|2) min"}[age_s]
    assert re.fullmatch(rf"· as of {age} ago", page.text_content("#live-time") or ""), page.text_content("#live-time")
    assert (page.text_content("#live-state") or "") == "serving · figures paused"
    alert = page.text_content("#dash-error") or ""
    assert "it last answered at" in alert and "marked stale" in alert, alert
    if age_s < 60:  # the age goes on counting while the page stays open (no live region: nothing is re-read)
        before = page.text_content("#live-time")
        page.wait_for_function("t => document.getElementById('live-time').textContent !== t", arg=before, timeout=3000)


_DOT = """() => { const live = document.getElementById('live');
  return {kind: live.className, dot: getComputedStyle(live, '::before').backgroundColor,
          bad: getComputedStyle(document.documentElement).getPropertyValue('--bad').trim()}; }"""
_HEX_RGB = lambda hex_: "rgb({}, {}, {})".format(*(int(hex_[i:i + 2], 16) for i in (1, 3, 5)))  # noqa: E731


@pytest.mark.parametrize("opened_then", [True, False], ids=["opened-while-silent", "silent-after-serving"])
def test_web_dashboard_says_events_are_unknown_not_none_while_the_supervisor_is_silent(
        new_page: Any, mesh: puma.Deployment, opened_then: bool) -> None:
    """A silent supervisor hides the events, it did not erase them: the panel never says "No events
    yet." then; the ones the page had stay, said to be the last kept. And the state's dot beside
    "serving · figures paused" is not the red of a deployment that is down."""
    page = new_page()
    page.route("**/_puma/ready", lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(
        {"ready": True, "supervisor_answered": False, "published": True})))
    if opened_then:
        page.route("**/_puma/status", _hang([]))
    page.goto(f"{mesh.url}/dashboard?interval=250")
    if not opened_then:
        page.wait_for_function("() => document.querySelectorAll('#events li').length > 0")
        page.route("**/_puma/status", lambda route: route.fulfill(status=504, content_type="application/json",
                                                                  body=json.dumps(_SILENT)))
    page.wait_for_function("() => document.getElementById('live-state').textContent === 'serving · figures paused'")
    note = page.locator("#events-empty")
    assert note.is_visible() and "No events yet" not in note.inner_text(), note.inner_text()
    assert "unknown while PUMA's supervisor is not answering" in note.inner_text(), note.inner_text()
    if not opened_then:
        assert page.locator("#events li").count() > 0 and "last ones kept" in note.inner_text()
    dot = page.evaluate(_DOT)
    assert "off" not in dot["kind"].split() and dot["dot"] != _HEX_RGB(dot["bad"]), dot
