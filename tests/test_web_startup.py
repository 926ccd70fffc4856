"""The pages while the deployment starts: the chat page says it is starting, keeps what the user
sends and has it answered once the chatbot is ready; the dashboard labels the 503s of start-up
as start-up failures. The agent's warm-up (and so its readiness) waits for a file the test
creates, so the start-up window is as long as the test needs. Fixtures: tests/plugins/web.py.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import puma
from chatbot.bot import Chatbot
from chatbot.catalog import Catalog
from chatbot.sessions import MemorySessionStore
from legacy_socket_server import LegacyServer
from puma.supervisor import Deployment
from tests.chatbot_helpers import components_for
from tests.helpers import wait_for
from tests.plugins.web import ARTIFACTS, free_port
from tests.web_helpers import TYPING_MS, audit, bubbles, describe, wait_turn_done


@pytest.fixture
def starting(chatbot_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The chatbot deployment, started in the background, its agent held until `open()`."""
    from tests.helpers import chatbot_app

    gate = tmp_path / "agent-may-start"
    legacy_port = free_port()  # nothing listens there yet
    monkeypatch.setenv("PUMA_TEST_GATE", str(gate))
    monkeypatch.setenv("DATABASE_URL", chatbot_db_url)
    monkeypatch.setenv("LEGACY_SOCKET_ADDR", f"127.0.0.1:{legacy_port}")
    app = chatbot_app(instances=1, warmup="tests.apps.gated_chatbot:warm_agent_after_gate")
    deployment = Deployment(app.resolved_config(listener={"port": 0}), startup_timeout_s=180)
    thread = threading.Thread(target=deployment.start, daemon=True)
    thread.start()
    try:
        wait_for(lambda: deployment.envoy.port, timeout_s=60, message="Envoy's listener")
        wait_for(lambda: httpx.get(f"{deployment.url}/", timeout=2).status_code == 200, timeout_s=90,
                 interval_s=0.1, message="the page served (the web service ready)")
        yield {"url": deployment.url, "open": gate.touch, "legacy_port": legacy_port}
    finally:
        gate.touch()
        thread.join(timeout=180)
        deployment.stop()


# Each text the polite status region (#status-announce) takes, as a screen reader would be told.
ANNOUNCEMENTS = """
window.__announced = [];
new MutationObserver(() => {
  const node = document.getElementById("status-announce");
  if (node && node.textContent && node.textContent !== window.__announced.at(-1)) window.__announced.push(node.textContent);
}).observe(document, { subtree: true, childList: true, characterData: true });
"""


def test_web_message_sent_during_start_up_is_answered_once_ready(new_page: Any, starting: dict[str, Any]) -> None:
    url = starting["url"]
    wait_for(lambda: httpx.get(f"{url}/_puma/ready").json()["waiting_for"] == ["agent"], timeout_s=90,
             interval_s=0.1, message="every service ready but the held agent")
    dashboard = new_page()
    dashboard.goto(f"{url}/dashboard?interval=300")
    page = new_page()
    page.add_init_script(ANNOUNCEMENTS)
    page.clock.install()  # the page's own clock: it runs on its own; the test jumps it 15 s below
    page.goto(f"{url}/?typing={TYPING_MS}&backend=puma")
    page.wait_for_selector("body[data-state=starting]")
    assert "starting: waiting for agent" in page.inner_text("#status-line")
    # The line shows the seconds as they pass (every 15 s); a screen reader hears the start-up once,
    # and no "typing" while there is no reply on its way, only that the chatbot is starting. The
    # page's clock jumps the 15 s (its timers fire as they would then) instead of the test waiting.
    page.clock.fast_forward(15_000)
    # At least 15 s: on a busy machine a second or more of real time may pass before the check runs.
    page.wait_for_function("() => Number((/\\((\\d+) s so far\\)/.exec("
                           "document.querySelector('#status-line').textContent) || [])[1]) >= 15", timeout=40_000)
    assert page.locator("#typing").is_hidden() and page.text_content("#typing-status") == ""
    assert page.evaluate("window.__announced") == ["The PUMA mesh is starting; your messages are answered once it is ready."]
    page.fill("#chat-input", "comedy")
    page.press("#chat-input", "Enter")
    assert "“comedy” is sent as soon as it is ready" in page.inner_text("#status-line")
    page.screenshot(path=str(ARTIFACTS / "chat-starting.png"), animations="disabled")
    # Meanwhile the dashboard counts the page's 503s as start-up failures, not as server errors.
    dashboard.wait_for_function("() => /start-up failures? \\(answered 503/.test(document.querySelector("
                                "\"article[data-service='agent'] .service-totals\").textContent)")
    agent = dashboard.locator("article[data-service='agent']")
    assert "0 server errors" in agent.locator(".service-totals").inner_text()
    assert agent.locator("path[data-series=startup]").count() >= 1
    dashboard.screenshot(path=str(ARTIFACTS / "dashboard-starting.png"), full_page=True, animations="disabled")
    starting["open"]()
    wait_turn_done(page, 2, timeout_ms=120_000)
    assert bubbles(page, "user") == ["comedy"]
    roles = page.locator("#messages > li").evaluate_all("els => els.map(e => e.dataset.role)")
    assert roles[:3] == ["bot", "bot", "user"]  # greeted first, then the message answered
    assert page.locator(".note.error").count() == 0 and page.inner_text("#status-line") == ""
    spoken = page.evaluate("window.__announced")
    assert len(spoken) <= 3 and not any(re.search(r"waiting for|\d+ s\b", text) for text in spoken), spoken
    # The greeting waited for the agent: its latency is its own request's, the wait said apart.
    took = page.locator(".took").first.inner_text()
    assert re.fullmatch(r"\d+ ms · answered once ready \(waited \d+ s for start-up\)", took), took


def test_web_legacy_backend_waits_for_the_legacy_server(new_page: Any, starting: dict[str, Any],
                                                        chatbot_db_url: str, catalog: Catalog) -> None:
    starting["open"]()
    url = starting["url"]
    # Started, with the legacy server not running: the bridge is not ready, and says why (its port).
    def started_without_legacy() -> bool:
        body = httpx.get(f"{url}/_puma/ready").json()
        return body["waiting_for"] == [] and "legacy" in body["not_ready"]

    wait_for(started_without_legacy, timeout_s=120, message="the deployment started, its legacy bridge not ready")
    ready = httpx.get(f"{url}/_puma/ready").json()
    assert ready["waiting_for"] == [] and "nothing accepts connections" in ready["not_ready"]["legacy"], ready
    status = httpx.get(f"{url}/_puma/status").json()["services"]["legacy"]
    assert status["ready"] == 0 and f"--port {starting['legacy_port']}" in status["not_ready"][0], status
    page = new_page()
    # The dashboard says it too: the legacy card counts 0 ready and says why, in words.
    page.goto(f"{url}/dashboard")
    page.wait_for_function("() => document.querySelector(\"article[data-service='legacy'] .service-not-ready\")"
                           "?.textContent.startsWith('Not ready: instance 1: the legacy socket server is unreachable')")
    card = page.locator("article[data-service='legacy']")
    assert card.get_attribute("data-ready") == "0" and card.locator(".instance.not-ready").count() == 1
    assert f"--port {starting['legacy_port']}" in card.locator(".service-not-ready").inner_text()
    page.goto(f"{url}/?typing={TYPING_MS}&backend=legacy")
    # What the bridge's 503 says is down, at once (not after the page's 30 s), in a public client's
    # words (the command that starts it is operators': the status page and make run's log say it).
    page.wait_for_function("() => /Waiting for the legacy server/.test(document.querySelector('#status-line').textContent)",
                           timeout=15_000)
    said = page.locator("#status-line").inner_text()
    assert "pid" not in said and "127.0.0.1" not in said, said
    page.fill("#chat-input", "drama")
    page.press("#chat-input", "Enter")
    bot = Chatbot(store=MemorySessionStore(), components=components_for(chatbot_db_url, catalog))
    server = LegacyServer(bot, "127.0.0.1", starting["legacy_port"])
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        wait_turn_done(page, 2, timeout_ms=60_000)
        assert bubbles(page, "user") == ["drama"]
        assert set(page.locator(".served-by").all_inner_texts()) == {"Legacy server"}
        assert page.locator(".note.error").count() == 0
    finally:
        server.shutdown()
        thread.join()


def test_web_page_opened_before_its_service_is_ready_says_starting_and_reloads(
        new_page: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, axe_source: str) -> None:
    """A browser asking for a page whose service has no instance yet gets a small HTML page that
    says so and reloads itself, then the page; scripts asking for JSON still get JSON."""
    gate = tmp_path / "home-may-start"
    monkeypatch.setenv("PUMA_TEST_GATE", str(gate))
    config = puma.parse_config({"puma_services": {"home": {
        "prefix": "/", "target": "tests.apps.basic:home_page", "warmup": "tests.apps.basic:wait_for_gate"}},
        "listener": {"port": 0}})
    deployment = Deployment(config, startup_timeout_s=120)
    thread = threading.Thread(target=deployment.start, daemon=True)
    thread.start()
    try:
        wait_for(lambda: deployment.envoy.port, timeout_s=60, message="Envoy's listener")
        url = deployment.url
        for accept in ("application/json", "*/*", None):  # fetch, curl, a script: JSON as before
            headers = {"accept": accept} if accept else {}
            answer = wait_for(functools.partial(httpx.get, f"{url}/", headers=headers), timeout_s=30)
            body = answer.json()
            assert answer.status_code == 503 and body["service"] == "home", (accept, body)
            assert body["error"].startswith("service 'home': no instance of this service is ready: "), accept
        page = new_page()
        response = page.goto(f"{url}/")
        assert response.status == 503 and response.headers["content-type"].startswith("text/html")
        assert page.inner_text("h1") == "Starting…" and "reloads itself as soon as it is ready" in page.inner_text("body")
        # Envoy wrote the route's service into it: the page reloads once THAT service is ready.
        assert page.get_attribute("main", "data-service") == "home"
        page.wait_for_selector("text=Waiting for: home.")  # what it waits for, from /_puma/ready
        # Screen readers: the note is no live region (rewritten as services get ready, it was read out
        # every second of a start-up); the status says how many are left, at most every 15 s.
        assert page.get_attribute("#waiting", "role") is None and page.get_attribute("#waiting", "aria-live") is None
        assert page.inner_text("#progress") == "Still starting: 1 service to go."
        page.evaluate("""() => { window.__progress = 0; new MutationObserver(() => window.__progress++)
            .observe(document.getElementById('progress'), {childList: true, characterData: true, subtree: true}); }""")
        page.wait_for_timeout(3_000)  # three more checks of /_puma/ready: nothing new to say
        assert page.evaluate("window.__progress") == 0
        violations = audit(page, axe_source, "the starting page")
        assert not violations, describe(violations)
        page.screenshot(path=str(ARTIFACTS / "starting-page.png"), animations="disabled")
        gate.touch()
        page.wait_for_selector("text=The home page", timeout=60_000)  # reloaded by itself
    finally:
        gate.touch()
        thread.join(timeout=120)
        deployment.stop()
