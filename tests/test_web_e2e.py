"""The web UI end to end: headless Chromium (Debian's) against the real PUMA chatbot deployment
behind Envoy, and against the legacy socket server through the /legacy bridge.

Screenshots go to test-artifacts/. Skipped only when /usr/bin/chromium is absent and
scripts/ensure-chromium.sh could not install it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select

import puma
from chatbot import puma_app
from chatbot.db.models import SurveyAnswer, Transcript
from tests.helpers import wait_for

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TYPING_MS = 15  # ?typing=15: the page's typing delay, short for tests
RPS_SHOWN = """() => {
  const value = document.querySelector("article.service[data-service='agent'] .metric:nth-child(2) .metric-value");
  return value && Number(value.textContent) > 0;
}"""
# To a recommendation, then "not watched" -> "Do you like it?" -> yes -> bye.
CONVERSATION = ["comedy", "no preference", "no preference", "no preference", "no", "yes"]


def ensure_chromium() -> None:
    if not CHROMIUM.exists():
        subprocess.run(["sh", str(ROOT / "scripts" / "ensure-chromium.sh")], check=False, timeout=600)
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing and scripts/ensure-chromium.sh could not install it "
                    "(needs root and apt-get)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------------------- servers


@pytest.fixture(scope="module")
def legacy_server(chatbot_db_url: str) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """The legacy socket server on a free port, as a real process (ready ~15 s later)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "legacy_socket_server", "--port", str(port), "--database-url", chatbot_db_url],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        yield proc, port
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _accepting(proc: subprocess.Popen[bytes], port: int) -> bool:
    assert proc.poll() is None, f"the legacy server exited with {proc.returncode}"
    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    return True


@pytest.fixture(scope="module")
def mesh(chatbot_db_url: str, legacy_server: tuple[subprocess.Popen[bytes], int]) -> Iterator[puma.Deployment]:
    """chatbot/puma_app.py's deployment on a free port, its /legacy bridge pointed at the server.

    Both load the catalogue on start; they do it at the same time.
    """
    proc, port = legacy_server
    app = puma.App()
    app.configure(puma_app.CONFIG)
    app.add_services(puma_app.SERVICES)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DATABASE_URL", chatbot_db_url)
        env.setenv("LEGACY_SOCKET_ADDR", f"127.0.0.1:{port}")
        with app.start(listener={"port": 0}) as deployment:
            _warm_up(deployment.url, instances=len(deployment.instances("agent")))
            wait_for(lambda: _accepting(proc, port), timeout_s=60, interval_s=0.1,
                     message=f"the legacy server on port {port}")
            yield deployment


def _warm_up(url: str, instances: int) -> None:
    """Conversations on every agent instance at once (round robin): each instance builds its
    understanding on its first utterance, and the browser should not wait for that."""
    def turn(payload: dict[str, Any]) -> dict[str, Any]:
        reply = httpx.post(f"{url}/agent", json={"mode": "false", **payload}, timeout=60)
        return reply.json() if reply.status_code == 200 else {}

    def converse(_: int) -> None:
        first = wait_for(lambda: turn({"id": "-1", "text": ""}), timeout_s=90, interval_s=0.2,
                         message="a first turn of the PUMA chatbot")
        wait_for(lambda: turn({"id": first["userid"], "text": "comedy", "turn_no": 2}), timeout_s=90,
                 interval_s=0.2, message="an utterance understood by the PUMA chatbot")

    with ThreadPoolExecutor(instances) as pool:
        list(pool.map(converse, range(instances)))


# ---------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    ensure_chromium()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def open_chat(page: Any, url: str, backend: str) -> None:
    page.goto(f"{url}/?typing={TYPING_MS}&backend={backend}")
    wait_turn_done(page, 1)


def wait_turn_done(page: Any, turns: int) -> None:
    """Until `turns` replies are on screen and the page takes input (or the chat ended)."""
    page.wait_for_function(
        "n => document.querySelectorAll('.served-by').length >= n"
        " && ['ready', 'ended'].includes(document.body.dataset.state)", arg=turns, timeout=60_000)


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
    assert any(title.split(" (")[0] in m for m in page.locator(".message.bot .bubble").all_inner_texts())


# ---------------------------------------------------------------------------- tests


def test_web_chat_through_puma_to_a_recommendation_and_the_survey(page: Any, mesh: puma.Deployment,
                                                                   chatbot_db_url: str) -> None:
    converse(page, mesh.url, "puma")
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


def test_web_chat_backend_switch_starts_a_new_conversation(page: Any, mesh: puma.Deployment) -> None:
    open_chat(page, mesh.url, "puma")
    page.check("input[name=backend][value=legacy]", force=True)
    wait_turn_done(page, 1)
    assert page.locator(".served-by").all_inner_texts() == ["Legacy server"]
    assert "backend=legacy" in page.url


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


def test_web_chat_retries_a_failed_turn_once_with_the_same_turn_no(page: Any, mesh: puma.Deployment) -> None:
    sent: list[dict[str, Any]] = []

    def flaky(route: Any) -> None:
        body = json.loads(route.request.post_data or "{}")
        sent.append(body)
        if body.get("text") == "comedy" and sum(b.get("text") == "comedy" for b in sent) == 1:
            route.fulfill(status=503, content_type="application/json", body='{"error": "injected"}')
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
    assert page.locator("article.service[data-service='agent']").get_attribute("data-instances") == "3"
    assert page.locator("article.service[data-service='policy']").get_attribute("data-instances") == "2"
    assert page.locator("#sum-services").inner_text() == str(len(status["services"]))
    with httpx.Client(base_url=mesh.url, timeout=30) as client:  # traffic shows up live
        for _ in range(30):
            client.post("/agent", json={"id": "-1", "text": "", "mode": "false"})
    page.wait_for_function(RPS_SHOWN, timeout=20_000, polling=100)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True, animations="disabled")



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
    assert page.locator("article.service[data-service='agent']").get_attribute("data-instances") == "3"
