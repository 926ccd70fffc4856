"""/_puma/dashboard updates its figures in place: the focus, the reading position and each fold stay
where the user left them, Pause stops it, and the polite status speaks only when the state changes
(WCAG 2.2.1, 2.2.2, 4.1.3). Served as `puma run` serves it (its Content-Security-Policy included),
from a small server whose snapshot the test changes; the page's clock is Playwright's."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from puma.dashboard import HEADERS, PATH, page, refresh_from


def _service(ready: int, rps: float, why: str = "") -> dict:
    return {"prefix": "/x", "ready": ready, "min_instances": 1, "max_instances": 3, "requests_per_s": rps,
            "instances": [{"id": 1, "state": "ready" if ready else "starting"}, {"id": 2, "state": "ready"}],
            **({"not_ready": [f"instance 1: {why}"]} if why else {})}


def _snapshot(rps: float = 1.0, down: str = "", extra: bool = False) -> dict:
    names = ["web", "agent", "movies"] + (["survey"] if extra else [])
    services = {n: _service(1 if n == down else 2, rps, "the database is unreachable" if n == down else "")
                for n in names}
    return {"time": 1764400000.0 + rps, "started_at": 1764399990.0, "waiting_for": [],
            "not_ready": {down: "the database is unreachable"} if down else {}, "services": services,
            "events": [{"time": 1764399995.0, "service": "web", "message": f"instance 2 up ({rps} req/s)"}]}


class _Served:
    """What the fake supervisor answers now: a snapshot, or a failure status."""

    def __init__(self) -> None:
        self.snapshot: dict = _snapshot()
        self.fail = 0
        self.asked = 0


@pytest.fixture
def served() -> Iterator[tuple[_Served, str]]:
    state = _Served()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            state.asked += 1
            body = b"not answering" if state.fail else page(state.snapshot, refresh_from(self.path.partition("?")[2]))
            self.send_response(state.fail or 200)
            for name, value in {**HEADERS, "Content-Type": "text/html; charset=utf-8"}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}{PATH}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _open(new_page: Any, url: str, **options: Any) -> Any:
    view = new_page(**options)
    view.clock.install()
    view.goto(url)
    view.evaluate("""() => { window.said = [];
        new MutationObserver(() => window.said.push(document.querySelector('[role=status]').textContent))
          .observe(document.querySelector('[role=status]'), {childList: true, characterData: true, subtree: true}); }""")
    return view


def _tick(view: Any, state: _Served, seconds: float) -> None:
    """Let the page's clock run, and wait for the request that starts (if one does) to be answered."""
    done = view.evaluate("() => Number(document.body.dataset.updates || 0)")
    view.clock.run_for(int(seconds * 1000))
    # the fetch and its parse run on the real event loop: wait for the update to land, if one started
    view.wait_for_function(f"() => Number(document.body.dataset.updates || 0) > {done}", timeout=10_000)


def test_dashboard_updates_figures_in_place_keeping_focus_and_folds(new_page, served) -> None:
    state, url = served
    view = _open(new_page, url)
    assert view.locator("meta[http-equiv=refresh]").count() == 0  # never a reload
    view.locator("#service-movies > summary").click()  # opened by the user
    view.locator("#service-agent > summary").focus()
    for rps in (7.5, 12.25, 3.0):
        state.snapshot = _snapshot(rps=rps)
        _tick(view, state, 5)
        assert f"{rps:.1f}" in view.locator("#service-web tbody").text_content()
        assert f"({rps} req/s)" in view.locator("details.events").text_content()
        assert view.evaluate("() => document.activeElement.parentElement.id") == "service-agent"
        assert view.evaluate("() => [...document.querySelectorAll('details[open]')].map(d => d.id)") == [
            "service-movies"]
    assert view.evaluate("() => window.said") == []  # figures changed, the state did not: nothing said


def test_dashboard_says_a_change_of_state_once_and_keeps_folds_when_services_change(new_page, served) -> None:
    state, url = served
    view = _open(new_page, url, viewport={"width": 320, "height": 256})
    view.locator("#service-web > summary").click()
    state.snapshot = _snapshot(down="agent", extra=True)
    for _ in range(3):
        _tick(view, state, 5)
    said = view.evaluate("() => window.said")
    assert len(said) == 1 and "not ready: agent" in said[0], said
    assert view.locator("#service-survey").count() == 1 and "Services (4)" in view.inner_text("main")
    assert view.evaluate("() => document.getElementById('service-web').open")  # the user's fold survives
    assert "1 of 2" in view.locator("#service-agent > summary").text_content()
    state.fail = 503
    for _ in range(3):
        _tick(view, state, 5)
    said = view.evaluate("() => window.said")
    assert len(said) == 2 and "not answering" in said[1] and "1 of 2" in view.inner_text("main"), said


def test_dashboard_pause_stops_updates_until_resumed(new_page, served) -> None:
    state, url = served
    view = _open(new_page, url + "?refresh_s=3")
    button = view.get_by_role("button", name="Pause updates")
    assert button.get_attribute("aria-pressed") == "false" and "every 3 s" in view.inner_text("main")
    button.press("Enter")
    assert button.get_attribute("aria-pressed") == "true" and "paused" in view.inner_text("main")
    state.snapshot = _snapshot(rps=42.0)
    asked = state.asked
    view.clock.run_for(60_000)
    view.wait_for_timeout(500)
    assert state.asked == asked and "42.0" not in view.locator("#service-web tbody").text_content()
    button.click()
    view.wait_for_function("() => Number(document.body.dataset.updates || 0) > 0", timeout=10_000)
    assert button.get_attribute("aria-pressed") == "false"
    assert "42.0" in view.locator("#service-web tbody").text_content()
    assert view.evaluate("() => document.activeElement.id") == "pause"


def test_dashboard_without_script_is_a_static_page_with_a_refresh_link(new_page, served) -> None:
    state, url = served
    view = new_page(java_script_enabled=False)
    view.goto(url + "?refresh_s=5")
    assert view.locator("meta[http-equiv=refresh]").count() == 0
    assert not view.get_by_role("button").is_visible()  # no control that cannot work
    link = view.get_by_role("link", name="refresh")
    assert link.get_attribute("href") == f"{PATH}?refresh_s=5"
