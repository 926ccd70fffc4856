"""A keyboard and screen-reader user's first minutes (newcomer 72): the "Starting…" page PUMA
answers while a page's service has no instance ready, the deployment stopping under it, the
dashboard's reason for a service that is not ready, a legacy-only outage, and switching the
backend back. The deployment is scripted in the browser (`FakeMesh`: web/ served from disk, the
mesh's answers made up per test), so each test takes seconds; the real Starting page through
Envoy is tests/test_web_startup.py's. Intervals are shortened through the pages' test hooks or
the page's clock is jumped, never waited out.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from puma.localreplies import STARTING_PAGE
from tests.live_regions import announced, record, repeats
from tests.web_helpers import TYPING_MS, audit, bubbles, describe

ROOT = Path(__file__).resolve().parents[1]
ORIGIN = "http://puma.test"
TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}
FAST_STARTING = "window.__pumaStarting = {pollMs: 100, sayEveryMs: 400};"


@dataclass
class FakeMesh:
    """The deployment as a browser sees it. `gone`: nothing answers (Envoy stopped); `waiting`:
    services still starting (/_puma/ready); `page_service`: the pages' service, which serves them
    only once it is not in `waiting` (before that, Envoy's Starting page, its service filled in as
    Envoy does); `agent` / `legacy`: "ok", "starting" (503 of no ready instance) or "down"."""

    waiting: list[str] = field(default_factory=list)
    page_service: str = "web"
    gone: bool = False
    agent: str = "ok"
    legacy: str = "ok"
    legacy_reason: str = ("the legacy socket server is unreachable: nothing accepts connections at 127.0.0.1:13172 "
                          "and no legacy server runs on port 13172; start it: .venv/bin/python -m "
                          "legacy_socket_server --port 13172 &")
    not_ready: dict[str, str] = field(default_factory=dict)  # service -> why (/_puma/status)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # conversation id -> turns
    turns: dict[str, int] = field(default_factory=dict)

    def install(self, page: Any) -> None:
        page.route(f"{ORIGIN}/**", self._answer)

    def ready(self) -> dict[str, Any]:
        names = sorted({self.page_service, "agent", "db", "legacy", "listener", *self.waiting})
        services = {n: {"ready": 0 if n in self.waiting else 1, "starting": int(n in self.waiting)} for n in names}
        not_ready = {} if self.legacy == "ok" else {"legacy": f"instance 1: {self.legacy_reason}"}
        return {"ready": not self.waiting and not not_ready, "waiting_for": sorted(self.waiting),
                "not_ready": not_ready, "services": services}

    def status(self) -> dict[str, Any]:
        """/_puma/status as the dashboard reads it: each service's instances, counts and reasons."""
        services = {}
        for n, (prefix, count) in {"web": ("/", 1), "agent": ("/agent", 2), "db": ("/db", 1),
                                   "legacy": ("/legacy", 1)}.items():
            why = self.not_ready.get(n)
            instances = [{"id": i, "pid": 1000 + i, "state": "ready", "healthy": not why, "requests": 3, "rss_mib": 40.0,
                          "not_ready": why, "busy": 0, "held_s": 0.0} for i in range(1, count + 1)]
            services[n] = {"prefix": prefix, "lb_policy": "least_request", "min_instances": count,
                           "max_instances": count, "autoscaled": False, "instances": instances,
                           "ready": 0 if why else count, "wanted": count, "short": [],
                           "not_ready": [f"instance {i['id']}: {why}" for i in instances] if why else [],
                           "degraded": None, "in_flight": 0, "p50_ms": 5, "p99_ms": 9, "requests_total": 3,
                           "requests_per_s": 0.0, "errors_5xx": 0, "errors_4xx": 0, "error_rate": None,
                           "errors_per_s": 0.0, "startup_failures": 0, "unavailable": 0, "refused_not_ready": 0,
                           "replies_cut_off": 0, "ready_since": 1.0, "scaling": [], "failed": None, "busy": 0,
                           "stuck": 0, "held_s": 0.0}
        return {"url": ORIGIN, "time": time.time(), "services": services, "events": [], "waiting_for": [],
                "not_ready": {n: f"instance 1: {why}" for n, why in self.not_ready.items()}, "stopping": False}

    def _answer(self, route: Any) -> None:
        if self.gone:
            return route.abort("connectionrefused")
        request = route.request
        path = request.url.removeprefix(ORIGIN).partition("?")[0]
        if path == "/_puma/ready":
            body = self.ready()
            return route.fulfill(status=200 if body["ready"] else 503, json=body)
        if path == "/_puma/status":
            return route.fulfill(json=self.status())
        if request.method == "POST":
            return self._post(route, path, json.loads(request.post_data or "{}"))
        return self._page(route, path)

    def _page(self, route: Any, path: str) -> None:
        if self.page_service in self.waiting:
            html = STARTING_PAGE.replace("%UPSTREAM_CLUSTER%", self.page_service)
            return route.fulfill(status=503, body=html, headers={"content-type": "text/html; charset=UTF-8"})
        file = ROOT / "web" / {"/": "index.html", "/dashboard": "dashboard.html"}.get(path, path.lstrip("/"))
        if not file.is_file():
            return route.fulfill(status=404, json={"error": "no such file"})
        route.fulfill(status=200, body=file.read_bytes(), headers={"content-type": TYPES.get(file.suffix, "text/plain")})

    def _post(self, route: Any, path: str, body: dict[str, Any]) -> None:
        backend = "legacy" if path == "/legacy" else "puma"
        state = self.legacy if backend == "legacy" else self.agent
        if state == "down" and backend == "puma":
            return route.abort("connectionrefused")
        if state == "down":
            return route.fulfill(status=503, json={"error": "service unavailable", "service": "legacy",
                                                   "backend": "legacy", "reason": self.legacy_reason})
        if state == "starting":
            return route.fulfill(status=503, headers={"retry-after": "1"}, json={
                "error": f"service '{path.strip('/')}': no instance of this service is ready", "service": path.strip("/")})
        key = f"{backend}:{body.get('id')}"
        if body.get("mode") == "transcript":
            turns = self.history.get(key)
            if turns is None:
                return route.fulfill(status=404, json={"error": "no such conversation"})
            return route.fulfill(json={"userid": body["id"], "turn_no": len(turns), "signal": None,
                                       "recommendation": None, "history": turns})
        text = body.get("text") or ""
        if text and key not in self.history:  # as chatbot.listener answers a conversation it lacks
            return route.fulfill(status=404, json={"error": "unknown_session", "status": 404, "detail": (
                f"unknown session id {body.get('id')!r}: start a new conversation with id \"-1\" (the reply "
                "names its id), or send this id with turn_no 1 to start one under it")})
        said = ["Hello! What kind of film would you like?"] if not text else [f"{text.capitalize()}? Noted."]
        self.history.setdefault(key, []).append({"u": [text] if text else [], "c": said,
                                                 "at": "2026-11-30T18:00:00Z"})
        route.fulfill(json={"userid": body.get("id"), "response": said[0], "messages": said, "signal": None,
                            "turn_no": body.get("turn_no"), "recommendation": None})


def _status(page: Any) -> list[str]:
    return [item["text"] for item in announced(page) if item["region"] == "progress"]


# ---------------------------------------------------------------------------- 1. the Starting page


@pytest.mark.parametrize(("service", "others"), [
    ("web", ["agent", "db", "legacy", "listener", "policy", "sentiment", "survey"]),
    ("web", ["agent"]),
    ("pages", ["recommender", "agent"]),
])
def test_starting_page_reloads_into_the_page_once_its_own_service_is_ready(
        new_page: Any, service: str, others: list[str]) -> None:
    """Not when the whole deployment is: the chat's own start-up mode then says what it waits for,
    and what was typed on the Starting page is in the message box."""
    mesh = FakeMesh(waiting=[service, *others], page_service=service, agent="starting")
    page = new_page()
    page.add_init_script(FAST_STARTING)
    mesh.install(page)
    response = page.goto(f"{ORIGIN}/")
    assert response.status == 503 and page.inner_text("h1") == "Starting…"
    everyone = ", ".join(sorted([service, *others]))
    page.wait_for_selector(f"text=Waiting for: {everyone}.")
    # The list follows what is still starting (it was written once and never again).
    mesh.waiting = [service, *others[:1]]
    page.wait_for_selector(f"text=Waiting for: {', '.join(sorted(mesh.waiting))}.")
    page.keyboard.type("a comedy")  # no box here: kept, and said so
    assert "a comedy" in page.inner_text("#typed")
    mesh.waiting = list(others)  # the page's service is ready; the others still start
    page.wait_for_selector("#chat-input", timeout=10_000)
    assert page.title() != "Starting · PUMA"
    page.wait_for_function("() => /starting: waiting for agent/.test(document.getElementById('status-line').textContent)")
    assert page.input_value("#chat-input") == "a comedy"
    mesh.agent, mesh.waiting = "ok", []
    page.press("#chat-input", "Enter")
    page.wait_for_function("() => document.querySelectorAll('.message.bot').length >= 2")
    assert bubbles(page, "user") == ["a comedy"]


def test_starting_page_is_accessible_and_its_status_is_quiet(new_page: Any, axe_source: str) -> None:
    mesh = FakeMesh(waiting=["web", "agent"])
    page = new_page(bypass_csp=True)
    record(page)
    page.add_init_script(FAST_STARTING)
    mesh.install(page)
    page.goto(f"{ORIGIN}/dashboard")
    page.wait_for_selector("text=Waiting for: agent, web.")
    page.keyboard.type("x")
    violations = audit(page, axe_source, "the Starting page")
    assert not violations, describe(violations)
    assert _status(page) == ["Still starting: 2 services to go."], announced(page)


# ---------------------------------------------------------------------------- 2. the deployment going away


@pytest.mark.parametrize("stopped_after_s", [0.3, 1.5])
def test_starting_page_says_once_that_the_deployment_stopped(new_page: Any, stopped_after_s: float) -> None:
    """Ctrl-C during start-up: Envoy is gone. Said in the title and the status once, not "still starting"."""
    mesh = FakeMesh(waiting=["web", "agent", "db"])
    page = new_page()
    record(page)
    page.add_init_script(FAST_STARTING)
    mesh.install(page)
    page.goto(f"{ORIGIN}/dashboard")
    page.wait_for_selector("text=Waiting for: agent, db, web.")
    time.sleep(stopped_after_s)
    mesh.gone = True
    page.wait_for_function("() => document.title === 'Stopped · PUMA'", timeout=10_000)
    page.wait_for_timeout(1500)  # several more checks: nothing more to say
    said = _status(page)
    stopped = [text for text in said if "stopped" in text]
    assert stopped == ["The deployment stopped; start it again with make run (or puma run)."], said
    assert said[-1] == stopped[0] and "Still starting" not in page.inner_text("body")
    assert page.inner_text("h1") == "The deployment stopped"
    mesh.gone, mesh.waiting = False, []  # started again: the page, not this
    page.wait_for_selector("body.dash-page", timeout=10_000)


def _open_chat(page: Any, backend: str = "puma") -> None:
    page.goto(f"{ORIGIN}/?typing={TYPING_MS}&backend={backend}")
    page.wait_for_function("() => document.querySelectorAll('.message.bot').length >= 1"
                           " && document.body.dataset.state === 'ready'")


def _said(page: Any, region: str = "status-announce") -> list[str]:
    return [item["text"] for item in announced(page) if item["region"] == region]


@pytest.mark.parametrize("waiting", [["agent"], ["agent", "listener", "policy"]])
def test_chat_after_an_outage_says_the_mesh_is_starting_not_press_enter(new_page: Any, waiting: list[str]) -> None:
    mesh = FakeMesh()
    page = new_page()
    record(page)
    mesh.install(page)
    page.clock.install()
    _open_chat(page)
    mesh.gone = True  # make stop
    page.fill("#chat-input", "no preference")
    page.press("#chat-input", "Enter")
    page.wait_for_function("() => document.title.startsWith('Not answering')")
    assert "press Enter to try again" in page.inner_text("#status-line")
    mesh.gone, mesh.waiting, mesh.agent = False, list(waiting), "starting"  # make run again: Envoy answers 503
    page.clock.fast_forward(2500)
    names = ", ".join(waiting)
    page.wait_for_function("n => document.getElementById('status-line').textContent.includes('starting: waiting for ' + n)",
                           arg=names)
    line = page.inner_text("#status-line")
    assert "press Enter to try again" not in line and "Not answering" not in page.title(), line
    assert page.title().startswith("Starting · ")
    mesh.waiting = waiting[:1]
    page.clock.fast_forward(2500)
    page.wait_for_function("n => document.getElementById('status-line').textContent.includes('waiting for ' + n + '…')",
                           arg=waiting[0])
    mesh.waiting, mesh.agent = [], "ok"
    page.clock.fast_forward(2500)
    page.wait_for_function("() => document.getElementById('status-line').textContent.includes('answers again')")
    said = _said(page)
    assert sum("starting" in text for text in said) == 1, said  # once, not at each poll
    assert repeats(announced(page, cleared=True)) == [], announced(page)


# ---------------------------------------------------------------------------- 3. the dashboard's reason


@pytest.mark.parametrize(("service", "reason", "heard"), [
    ("legacy", "the legacy socket server is unreachable: nothing accepts connections at 127.0.0.1:13172 (connection "
               "refused); start it: .venv/bin/python -m legacy_socket_server --port 13172 &",
     "the legacy socket server is unreachable"),
    ("db", "the catalogue database does not answer (timed out after 2 s); is PostgreSQL running?",
     "the catalogue database does not answer"),
    ("agent", "the recommender: its model is still being built; wait, or see the agent's log",
     "the recommender: its model is still being built"),
])
def test_dashboard_says_why_a_service_is_not_ready_first(new_page: Any, service: str, reason: str, heard: str) -> None:
    """The announcement and the service's link, first on the page, carry the reason, not "instance 1"."""
    mesh = FakeMesh()
    page = new_page()
    record(page)
    mesh.install(page)
    page.goto(f"{ORIGIN}/dashboard?interval=200")
    page.wait_for_selector(f"#service-index a[data-service={service}]")
    mesh.not_ready = {service: reason}
    page.wait_for_selector("#service-index a.down")
    count = {"agent": 2}.get(service, 1)
    assert page.inner_text("#service-index a.down") == f"{service}: not ready: {heard} (0 of {count} ready)"
    first = page.locator("a").first.inner_text()
    assert "instance" not in first, first  # what a screen reader reaches first
    page.wait_for_timeout(600)  # polls: said once
    assert _said(page, "service-changes") == [f"{service}: not ready: {heard}."], announced(page)


# ---------------------------------------------------------------------------- 4. a legacy-only outage


def _users(page: Any) -> list[dict[str, Any]]:
    return page.evaluate("""() => [...document.querySelectorAll('.message.user')].map(li => ({
      text: li.querySelector('.bubble').textContent, sent: li.dataset.sent !== 'false',
      said: li.querySelector('.visually-hidden').textContent.trim(), flag: li.querySelector('.not-sent-flag')?.textContent || ''}))""")


@pytest.mark.parametrize("text", ["no preference", "something with Brad Pitt"])
def test_chat_legacy_outage_says_so_in_the_title_and_never_shows_an_unsent_message_as_sent(
        new_page: Any, text: str, axe_source: str) -> None:
    mesh = FakeMesh()
    page = new_page()
    record(page)
    mesh.install(page)
    page.clock.install()
    _open_chat(page, "legacy")
    mesh.legacy = "down"  # kill $(cat var/legacy-server-13172.pid)
    page.fill("#chat-input", text)
    page.press("#chat-input", "Enter")
    page.wait_for_function("() => /Waiting for the legacy server/.test(document.getElementById('status-line').textContent)")
    assert page.title() == "Not answering · Movie chat · PUMA"
    assert _users(page) == [{"text": text, "sent": False, "said": "You, not sent yet:", "flag": "Not sent yet: waiting"}]
    violations = audit(page, axe_source, "the chat waiting for the legacy server")
    assert not violations, describe(violations)
    page.fill("#chat-input", "x")  # a second one, into the outage: queued, never a sent bubble
    page.press("#chat-input", "Enter")
    for _ in range(40):  # the page's 30 s, jumped
        if page.locator(".note.error").count():
            break
        page.clock.fast_forward(1000)
        page.wait_for_timeout(20)
    page.wait_for_selector(".note.error")
    # Not sent: back in the box with the one queued behind it, each shown once (no bubble of them left).
    assert _users(page) == [] and page.input_value("#chat-input") == f"{text} x"
    assert page.evaluate(WHERE_SHOWN, text) == ["box"]
    assert page.title().startswith("Not answering")
    said = [t for t in _said(page, "log") if t.startswith("You")]
    assert said == [f"You: {text}"], said  # the bubble itself said once; its flags changed quietly


# Where a message not sent is shown, each place with its own way to send it again: the box (Enter),
# or a bubble flagged "Not sent" with its Resend button. Once, never both (newcomer 80, m11).
WHERE_SHOWN = """text => [
  ...(document.getElementById('chat-input').value.includes(text) ? ['box'] : []),
  ...[...document.querySelectorAll('.message.user')].filter(li => li.querySelector('.bubble').textContent === text)
    .map(li => li.dataset.sent === 'false' && li.querySelector('button.resend') ? 'bubble with Resend'
      : li.dataset.sent === 'false' ? 'bubble not sent' : 'bubble sent'),
]"""


def _fail_held(page: Any) -> list[Any]:
    """The next sends to the mesh are held (in flight) until the test lets them fail."""
    held: list[Any] = []
    page.route(f"{ORIGIN}/agent", lambda route: held.append(route))
    return held


@pytest.mark.parametrize("text", ["no preference", "something with Brad Pitt", "a comedy from the 90s"])
def test_chat_message_not_sent_is_shown_once_back_in_the_box(new_page: Any, text: str) -> None:
    """`make stop`, then a message: it goes back into the box (Enter sends it again), its bubble
    withdrawn; the conversation's note says it was not sent and why."""
    mesh = FakeMesh()
    page = new_page()
    mesh.install(page)
    _open_chat(page)
    mesh.agent = "down"
    page.fill("#chat-input", text)
    page.press("#chat-input", "Enter")
    page.wait_for_selector(".note.error")
    assert page.evaluate(WHERE_SHOWN, text) == ["box"]
    assert page.locator("button.resend").count() == 0
    assert "is back in the box" in (page.text_content("#status-line") or "")
    assert f"Not sent: “{text}”" in page.inner_text(".note.error")
    mesh.agent = "ok"
    bots = page.locator(".message.bot").count()
    page.press("#chat-input", "Enter")
    page.wait_for_function("t => [...document.querySelectorAll('.message.user')].some(li => li.dataset.sent !== 'false'"
                           " && li.querySelector('.bubble').textContent === t)", arg=text)
    assert page.evaluate(WHERE_SHOWN, text) == ["bubble sent"]
    page.wait_for_function("n => document.querySelectorAll('.message.bot').length > n", arg=bots)  # answered
    # Sent after all: the note that said it was not is gone, or the history reads as if it had failed.
    assert _not_sent_notes(page) == [], _not_sent_notes(page)


@pytest.mark.parametrize("draft", ["wait, I meant a drama", "x"])
def test_chat_message_not_sent_while_a_draft_is_typed_stays_on_its_bubble_with_resend(new_page: Any, draft: str) -> None:
    """The box holds a draft typed while the message was in flight: the draft is kept, and the
    message stays on its bubble with Resend (not also in the box)."""
    mesh = FakeMesh()
    page = new_page()
    mesh.install(page)
    _open_chat(page)
    held = _fail_held(page)
    page.fill("#chat-input", "a thriller")
    page.press("#chat-input", "Enter")
    page.wait_for_function("() => document.querySelectorAll('.message.user').length === 1")
    page.fill("#chat-input", draft)
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(20)
    mesh.agent = "down"  # `make stop` while it was in flight: a retry fails too
    page.unroute(f"{ORIGIN}/agent")
    held.pop().abort("connectionrefused")
    page.wait_for_selector(".note.error")
    assert page.evaluate(WHERE_SHOWN, "a thriller") == ["bubble with Resend"]
    assert page.input_value("#chat-input") == draft
    assert "Resend" in (page.text_content("#status-line") or "")
    mesh.agent = "ok"
    page.get_by_role("button", name="Resend “a thriller”").click()
    page.wait_for_function("() => document.querySelectorAll('.message.bot').length >= 2")
    assert page.evaluate(WHERE_SHOWN, "a thriller") == ["bubble sent"] and page.input_value("#chat-input") == draft
    assert _not_sent_notes(page) == [], _not_sent_notes(page)  # resent: its "Not sent" note went with its flag


def _not_sent_notes(page: Any) -> list[str]:
    return page.evaluate("() => [...document.querySelectorAll('#messages .note')].map(n => n.textContent)"
                         ".filter(t => t.startsWith('Not sent'))")


def test_chat_not_sent_note_goes_only_for_the_message_then_sent(new_page: Any) -> None:
    """Two messages not sent (the mesh stopped), only the second sent once it is back: its note goes,
    the first one's stays (that one was in fact never sent)."""
    mesh = FakeMesh()
    page = new_page()
    mesh.install(page)
    _open_chat(page)
    mesh.agent = "down"
    for text in ("something from the 1990s please", "no, a comedy"):
        page.fill("#chat-input", text)
        page.press("#chat-input", "Enter")
        page.wait_for_function("t => [...document.querySelectorAll('#messages .note')].some(n => n.textContent"
                               ".includes(t))", arg=text)
    assert len(_not_sent_notes(page)) == 2, _not_sent_notes(page)
    mesh.agent = "ok"
    page.fill("#chat-input", "no, a comedy")
    page.press("#chat-input", "Enter")
    page.wait_for_function("() => document.querySelectorAll('.message.bot').length >= 2")
    notes = _not_sent_notes(page)
    assert len(notes) == 1 and "1990s" in notes[0], notes


def test_chat_legacy_back_within_the_wait_makes_the_message_an_ordinary_sent_one(new_page: Any) -> None:
    mesh = FakeMesh()
    page = new_page()
    mesh.install(page)
    page.clock.install()
    _open_chat(page, "legacy")
    mesh.legacy = "down"
    page.fill("#chat-input", "a drama")
    page.press("#chat-input", "Enter")
    page.wait_for_function("() => document.title.startsWith('Not answering')")
    assert _users(page)[0]["sent"] is False
    mesh.legacy = "ok"
    page.clock.fast_forward(1500)
    page.wait_for_function("() => document.querySelectorAll('.message.bot').length >= 2")
    assert _users(page) == [{"text": "a drama", "sent": True, "said": "You:", "flag": ""}]
    page.wait_for_function("() => document.title === 'Movie chat · PUMA'")


@pytest.mark.parametrize(("backend", "cause"), [("legacy", "it was restarted"), ("puma", "it expired or was deleted")])
def test_chat_whose_conversation_the_server_lost_starts_a_new_one_and_sends_the_message_in_it(
        new_page: Any, backend: str, cause: str) -> None:
    # The legacy server restarted keeps no conversation: its 404 for every resend once left the page
    # in a "press Enter to try again" loop only a reload ended.
    mesh = FakeMesh()
    page = new_page()
    mesh.install(page)
    _open_chat(page, backend)
    page.fill("#chat-input", "comedy")
    page.press("#chat-input", "Enter")
    page.wait_for_function("() => document.querySelectorAll('.message.bot').length >= 2")
    first_id = page.evaluate("() => JSON.stringify(sessionStorage)")
    mesh.history.clear()  # kill it and start it again: its sessions were in its memory
    page.fill("#chat-input", "a drama, please")
    page.press("#chat-input", "Enter")
    page.wait_for_function("() => [...document.querySelectorAll('.message.bot')].some(m => /A drama, please\\? Noted/.test(m.textContent))")
    notes = page.locator(".note").all_text_contents()
    assert len(notes) == 1 and "no longer has this conversation" in notes[0] and cause in notes[0], notes
    assert "a drama, please" in notes[0] and "404" not in notes[0] and "listener protocol" not in notes[0], notes
    assert _users(page) == [{"text": "comedy", "sent": True, "said": "You:", "flag": ""},
                            {"text": "a drama, please", "sent": True, "said": "You:", "flag": ""}]
    assert page.locator(".not-sent-flag").count() == 0 and page.input_value("#chat-input") == ""
    assert page.evaluate("() => JSON.stringify(sessionStorage)") != first_id  # the new conversation is the one kept


# ---------------------------------------------------------------------------- 5. switching back


@pytest.mark.parametrize("said", [["comedy"], ["a thriller", "no preference", "something recent"]])
def test_chat_switching_back_announces_one_line_not_the_transcript(new_page: Any, said: list[str],
                                                                  axe_source: str) -> None:
    """The restored messages are shown outside the live log (what the accessibility tree exposes as
    the log holds none of them); screen readers are told one short line with how many came back."""
    mesh = FakeMesh()
    page = new_page()
    record(page)
    mesh.install(page)
    _open_chat(page)
    for number, text in enumerate(said, start=2):
        page.fill("#chat-input", text)
        page.press("#chat-input", "Enter")
        page.wait_for_function("n => document.querySelectorAll('.message.bot').length >= n"
                               " && document.body.dataset.state === 'ready'", arg=number)
    messages = len(said) * 2 + 1  # the greeting, then a message and its answer each
    page.check("input[name=backend][value=legacy]")
    _open_chat_ready = "() => document.body.dataset.state === 'ready' && document.querySelectorAll('.message.bot').length === 1"
    page.wait_for_function(_open_chat_ready)
    mark = len(announced(page, cleared=True))
    page.check("input[name=backend][value=puma]")
    page.wait_for_function("() => document.body.dataset.state === 'ready' && /restored/.test(document.getElementById('log').textContent)")
    page.wait_for_timeout(300)
    heard = [item for item in announced(page, mark) if item["region"] == "log"]
    assert [item["text"] for item in heard] == [
        f"Switched to the PUMA mesh: back to your conversation with it; {messages} earlier messages restored."], heard
    log = page.get_by_role("log").aria_snapshot()
    assert not any(text in log for text in said) and "Hello!" not in log, log
    panel = page.locator("#chat-panel").aria_snapshot()
    assert all(text in panel for text in said) and "Earlier messages, restored" in panel, panel
    assert bubbles(page, "user") == said
    violations = audit(page, axe_source, "the chat with a restored conversation")
    assert not violations, describe(violations)
    page.fill("#chat-input", "go on")  # the conversation goes on in the live log
    page.press("#chat-input", "Enter")
    page.wait_for_function("() => /Go on\\? Noted/.test(document.getElementById('log').textContent)")
    assert "Go on? Noted." in page.get_by_role("log").aria_snapshot()


# ---------------------------------------------------------------------------- 6. targets under a finger

TARGETS = """() => [...document.querySelectorAll('a[href], button, summary, input[type=radio], input[type=checkbox], select')]
  .filter(el => el.offsetParent !== null && !el.closest('.visually-hidden'))
  .map(el => { const box = (el.matches('input') && el.closest('label')) ? el.closest('label') : el;
               const r = box.getBoundingClientRect();
               return {what: (el.textContent || el.value || el.name || el.tagName).trim().slice(0, 30),
                       w: Math.round(r.width), h: Math.round(r.height)}; })"""


@pytest.mark.parametrize(("options", "least"), [
    ({"viewport": {"width": 320, "height": 568}, "is_mobile": True, "has_touch": True}, 44),  # a phone: a finger
    ({"viewport": {"width": 320, "height": 256}}, 24),  # 400 % zoom of a laptop, a mouse (WCAG 2.5.8's minimum)
])
@pytest.mark.parametrize("path", ["/", "/dashboard"])
def test_every_link_and_control_is_a_target_big_enough_to_hit(new_page: Any, options: dict, least: int,
                                                               path: str) -> None:
    # The Dashboard link was 85 x 20 px on a phone: under WCAG 2.5.8's 24 px, far under a finger's 44.
    mesh = FakeMesh()
    page = new_page(**options)
    mesh.install(page)
    page.goto(f"{ORIGIN}{path}?typing={TYPING_MS}")
    page.wait_for_function("() => document.body.dataset.state === 'ready' || document.querySelector('.dash-page, body.dash-page')")
    page.wait_for_timeout(300)
    targets = page.evaluate(TARGETS)
    small = [t for t in targets if min(t["w"], t["h"]) < min(least, 24) or (least > 24 and t["h"] < 24)]
    assert targets and not small, small
    links = [t for t in targets if t["what"].startswith(("Service charts", "PUMA status", "Chat"))]
    assert links and all(t["h"] >= least for t in links), links


@pytest.mark.parametrize("options", [{"viewport": {"width": 1280, "height": 800}},
                                     {"viewport": {"width": 320, "height": 568}, "is_mobile": True, "has_touch": True},
                                     {"viewport": {"width": 320, "height": 256}}])
def test_chat_links_the_dashboard_and_the_status_page_each_saying_where_it_goes(new_page: Any, options: dict) -> None:
    """A newcomer on the chat reaches both other pages, and each link's own words say what is there
    (the charts of the services; PUMA's status, where a service that is not ready says why), never
    a bare "Dashboard" that leaves them to guess, or no way at all to the status page."""
    mesh = FakeMesh()
    page = new_page(**options)
    mesh.install(page)
    _open_chat(page)
    hrefs = page.evaluate("() => [...document.querySelectorAll('header a[href]')].filter(a => a.checkVisibility())"
                          ".map(a => a.getAttribute('href'))")
    names = re.findall(r'link "([^"]+)"', page.locator("header").aria_snapshot())  # what a screen reader says
    shown = list(zip(hrefs, names, strict=True))
    labels = dict(shown)
    assert {"/dashboard", "/_puma/dashboard"} <= set(labels), shown
    assert "chart" in labels["/dashboard"].lower() and "status" in labels["/_puma/dashboard"].lower(), shown
    assert all(len(label.split()) >= 2 for label in labels.values()), shown  # words, not one bare noun
    wide = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert wide[0] <= wide[1], wide
