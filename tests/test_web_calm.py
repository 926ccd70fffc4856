"""What the pages say and where the keyboard goes stays calm in the first minutes (newcomer 91):
no raw backticks on any page (a command is shown as code), a second Enter while a message is on
its way says nothing wrong, the survey's alert speaks at a submit only (not at each arrow key),
/dashboard's empty disclosures are no Tab stops and a skip link reaches its recent events, and a
restart's status groups the services that changed alike instead of listing all 8 in one breath.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

import puma
from puma import dashboard
from tests.live_regions import announced, record
from tests.web_helpers import open_chat, wait_turn_done

COMMANDS = ["`puma run` prints the URL once it has started", "start it: `.venv/bin/python -m legacy_socket_server "
            "--port 13191 --pid-file var/legacy-server-13191.pid >> var/legacy-server-13191.log 2>&1 &`",
            "stop it with `make stop PORT=18910`, then `make run`"]


def _serve_changed(page: Any, change: Any) -> None:
    def handle(route: Any) -> None:
        from playwright.sync_api import Error

        try:
            status = route.fetch().json()
            change(status)
            route.fulfill(status=200, content_type="application/json", body=json.dumps(status))
        except Error:  # the page closed while a poll was in flight
            pass

    page.route("**/_puma/status", handle)


@pytest.mark.parametrize("reason", COMMANDS)
def test_web_calm_puma_status_page_shows_commands_as_code(reason: str) -> None:
    snapshot = {"url": "http://127.0.0.1:8080", "time": 0, "started_at": 0,
                "services": {"agent": {"prefix": "/agent", "ready": 0, "max_instances": 2, "instances": [],
                                       "not_ready": [f"instance 1: waiting ({reason})"]}},
                "events": [{"time": 0, "service": "agent", "message": f"not ready: {reason}"}]}
    html = dashboard.page(snapshot).decode()
    body = html.split("<main>", 1)[1].split("<script>", 1)[0]
    assert "`" not in body, re.findall(r".{40}`.{40}", body)
    assert "<code>" in body


@pytest.mark.parametrize("reason", COMMANDS)
def test_web_calm_dashboard_shows_a_reason_s_command_as_code(new_page: Any, mesh: puma.Deployment, reason: str) -> None:
    def down(status: dict[str, Any]) -> None:
        svc = status["services"]["db"]
        svc.update(ready=0, instances=[], not_ready=[f"instance 1: waiting ({reason})"])

    page = new_page()
    _serve_changed(page, down)
    page.goto(f"{mesh.url}/dashboard?interval=250")
    page.wait_for_selector("article[data-service='db'] .service-not-ready:not([hidden])")
    raw = page.evaluate("""() => [...document.querySelectorAll('main *')].filter(e => [...e.childNodes]
        .some(n => n.nodeType === 3 && n.data.includes('`'))).map(e => e.outerHTML.slice(0, 200))""")
    assert raw == [], raw
    assert page.locator("article[data-service='db'] .service-not-ready code").count() >= 1


def test_web_calm_chat_status_line_shows_the_legacy_command_as_code(new_page: Any, mesh: puma.Deployment) -> None:
    reason = ("the legacy server: nothing accepts connections at 127.0.0.1:13877 (connection refused); start it: "
              "`.venv/bin/python -m legacy_socket_server --port 13877 --pid-file var/legacy-server-13877.pid >> "
              "var/legacy-server-13877.log 2>&1 &`")
    page = new_page()
    open_chat(page, mesh.url, "puma")
    page.context.route("**/agent", lambda route: route.fulfill(
        status=503, content_type="application/json",
        body=json.dumps({"error": "service unavailable", "service": "legacy", "backend": "legacy", "reason": reason}))
        if "thriller" in (route.request.post_data or "") else route.continue_())
    page.fill("#chat-input", "a thriller")
    page.press("#chat-input", "Enter")
    page.wait_for_function("() => /legacy/.test(document.getElementById('status-line').textContent)"
                           " && document.querySelector('#status-line code')")
    line = page.inner_text("#status-line")
    assert "`" not in line and "--port 13877" in page.inner_text("#status-line code"), line


@pytest.mark.parametrize("enters", [2, 3])
def test_web_calm_a_second_enter_while_sending_says_nothing_wrong(new_page: Any, mesh: puma.Deployment,
                                                                   enters: int) -> None:
    page = new_page()
    record(page)
    open_chat(page, mesh.url, "puma")
    start = len(announced(page, cleared=True))
    page.fill("#chat-input", "drama")
    for _ in range(enters):
        page.press("#chat-input", "Enter")
    wait_turn_done(page, 2)
    said = " ".join(item["text"] for item in announced(page, start))
    assert "Nothing to send" not in said and "Nothing to send" not in page.inner_text("#status-line"), said
    page.wait_for_timeout(1100)
    page.press("#chat-input", "Enter")  # well after the answer, an empty Enter is told as before
    page.wait_for_function("() => /Nothing to send/.test(document.getElementById('status-line').textContent)")


def test_web_calm_dashboard_tab_stops_skip_empty_disclosures_and_reach_recent_events(
        new_page: Any, mesh: puma.Deployment) -> None:
    page = new_page()
    page.goto(f"{mesh.url}/dashboard?interval=250")
    page.wait_for_function("() => document.querySelectorAll('article.service').length > 3")
    empty = page.evaluate("""() => [...document.querySelectorAll('summary')]
        .filter(s => /\\(0\\)$/.test(s.textContent.trim()) && s.tabIndex >= 0).map(s => s.textContent)""")
    assert empty == [], empty
    page.keyboard.press("Tab")  # the first stop: the skip link, shown once focused
    first = page.evaluate("() => [document.activeElement.textContent, document.activeElement.getBoundingClientRect().top]")
    assert first[0] == "Skip to recent events" and first[1] >= 0, first
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'events-title'")


def test_web_calm_dashboard_restart_status_groups_the_services_alike(new_page: Any, mesh: puma.Deployment) -> None:
    page = new_page()
    record(page)
    page.goto(f"{mesh.url}/dashboard?interval=250")
    page.wait_for_selector("article.service")
    page.wait_for_timeout(800)

    def restarting(status: dict[str, Any]) -> None:
        for svc in status["services"].values():
            svc.update(instances=[], ready=0, not_ready=[])

    _serve_changed(page, restarting)
    page.wait_for_function("() => document.getElementById('service-changes').textContent.length > 0")
    said = [item["text"] for item in announced(page) if item["region"] == "service-changes"]
    assert len(said) == 1 and said[0].count("no ready instance") <= 1, said
    count = len(mesh.services) if hasattr(mesh, "services") else None
    assert re.search(r"\(\d+ services\)", said[0]) and len(said[0]) < 160, (said, count)
