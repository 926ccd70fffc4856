"""The web services of chatbot.webapp, served by PUMA's WSGI app in-process (no Envoy)."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select

from chatbot import webapp
from chatbot.db.models import SurveyAnswer
from chatbot.sessions import SqlSessionStore
from puma.serving import build_app
from tests.helpers import free_port, json_object


def client_for(fn: Callable[..., Any]) -> FlaskClient:
    return build_app(fn.__name__, fn, max_body_bytes=100_000).test_client()


@pytest.fixture
def static() -> FlaskClient:
    return client_for(webapp.serve_static)


# ---------------------------------------------------------------------------- static files


@pytest.mark.parametrize(("path", "content_type", "needle"), [
    ("/", "text/html; charset=utf-8", b'<script type="module" src="/chat.js"'),
    ("/dashboard", "text/html; charset=utf-8", b'<script type="module" src="/dashboard.js"'),
    ("/chat.js", "text/javascript; charset=utf-8", b'from "./chat-view.js"'),
    ("/chat-view.js", "text/javascript; charset=utf-8", b"textContent"),
    ("/chat-net.js", "text/javascript; charset=utf-8", b"/_puma/ready"),
    ("/chat-survey.js", "text/javascript; charset=utf-8", b"export class Survey"),
    ("/chat-saved.js", "text/javascript; charset=utf-8", b"sessionStorage"),
    ("/dashboard.js", "text/javascript; charset=utf-8", b"/_puma/status"),
    ("/charts.js", "text/javascript; charset=utf-8", b"export class Chart"),
    ("/style.css", "text/css; charset=utf-8", b".bubble"),
])
def test_static_serves_pages_and_assets_with_their_types(static: FlaskClient, path: str,
                                                         content_type: str, needle: bytes) -> None:
    resp = static.get(path)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == content_type
    assert needle in resp.data
    assert resp.headers["Cache-Control"] == "no-cache"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_static_chat_page_regions_are_reached_by_heading_navigation(static: FlaskClient) -> None:
    """A screen reader's heading list (the H key) leads to the conversation, not only to the h1."""
    from html.parser import HTMLParser

    class Outline(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.headings: list[tuple[str, str]] = []  # (tag, text) in document order
            self.open: str | None = None

        def handle_starttag(self, tag: str, _attrs: list[tuple[str, str | None]]) -> None:
            if tag in ("h1", "h2", "h3"):
                self.open = tag
                self.headings.append((tag, ""))

        def handle_endtag(self, tag: str) -> None:
            if tag == self.open:
                self.open = None

        def handle_data(self, data: str) -> None:
            if self.open:
                tag, text = self.headings[-1]
                self.headings[-1] = (tag, text + data)

    outline = Outline()
    outline.feed(static.get("/").get_data(as_text=True))
    assert [tag for tag, _ in outline.headings].count("h1") == 1
    assert ("h2", "Conversation") in [(tag, text.strip()) for tag, text in outline.headings], outline.headings


def test_static_html_forbids_foreign_and_inline_scripts(static: FlaskClient) -> None:
    csp = static.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'self'" in csp


def test_static_revalidates_with_etag(static: FlaskClient) -> None:
    etag = static.get("/style.css").headers["ETag"]
    again = static.get("/style.css", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


@pytest.mark.parametrize("path", [
    "/../pyproject.toml", "/../../../../etc/passwd", "//etc/passwd", "/%2e%2e/pyproject.toml",
    "/..%2fpyproject.toml", "/nope.js", "/web/index.html", "/chat.js/x",
])
def test_static_refuses_paths_outside_web_and_missing_files(static: FlaskClient, path: str) -> None:
    resp = static.get(path)
    assert resp.status_code == 404
    assert "no such file" in json_object(resp)["error"]


@pytest.mark.parametrize("path", [
    "/" + "a" * 300,                      # one name over the filesystem's 255 bytes
    "/" + "b" * 255 + ".js",
    "/" + "/".join(["c" * 200] * 30),     # a whole path over PATH_MAX
    "/index.html%00.js", "/web/\x00",     # a NUL byte
    "/" + "a/" * 2_000 + "b",
])
def test_static_answers_404_for_any_path_the_filesystem_refuses(static: FlaskClient, path: str) -> None:
    resp = static.get(path)
    assert resp.status_code == 404, resp.data[:200]
    error = json_object(resp)["error"]
    assert "no such file" in error and len(error) < 300


def test_static_refuses_a_symlink_out_of_web_and_hidden_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    web = tmp_path / "web"
    web.mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    (web / "link.txt").symlink_to(tmp_path / "secret.txt")
    (web / ".env").write_text("KEY=1")
    (web / "ok.txt").write_text("fine")
    monkeypatch.setattr(webapp, "WEB_DIR", web)
    static = client_for(webapp.serve_static)
    assert static.get("/ok.txt").data == b"fine"
    assert static.get("/link.txt").status_code == 404
    assert static.get("/.env").status_code == 404


def test_static_answers_only_get_and_head(static: FlaskClient) -> None:
    assert static.post("/").status_code == 405
    head = static.head("/")
    assert head.status_code == 200 and head.data == b""


# ---------------------------------------------------------------------------- survey


@pytest.fixture
def survey_db(chatbot_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", chatbot_db_url)
    monkeypatch.setenv("LEGACY_SOCKET_ADDR", f"127.0.0.1:{free_port()}")  # no legacy server
    monkeypatch.setattr(webapp, "_store", None)
    yield chatbot_db_url
    if webapp._store is not None:
        webapp._store.close()


def conversation(url: str) -> str:
    """The id of a conversation held in the deployment's store (one turn long)."""
    sid = uuid.uuid4().hex
    store = SqlSessionStore(url)
    try:
        store.create(sid, {"turn_no": 1}, transcript_entry={"u": [], "c": ["Hi, I'm Chatbot."]})
    finally:
        store.close()
    return sid


def stored_surveys(url: str, userid: str) -> list[dict[str, Any]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(SurveyAnswer).where(SurveyAnswer.userid == userid)).mappings()
            return [dict(row) for row in rows]
    finally:
        engine.dispose()


def test_survey_stores_the_answers(survey_db: str) -> None:
    sid = conversation(survey_db)
    resp = client_for(webapp.survey).post("/survey", json={
        "id": sid, "liked": 4, "engagement": "5", "chatbot_before": False, "comments": "<b>nice</b>"})
    assert resp.status_code == 200 and resp.json == {"ok": True, "userid": sid}
    [row] = stored_surveys(survey_db, sid)
    assert (row["liked"], row["engagement"], row["chatbot_before"], row["comments"]) == \
        (4, 5, False, "<b>nice</b>")


@pytest.mark.parametrize(("comments", "stored"), [
    ("great \ud83d film", "great \ufffd film"),   # a lone surrogate: SQLite cannot encode it
    ("\udfff\ud800", "\ufffd\ufffd"),
    ("nul\x00byte", "nul\ufffdbyte"),            # PostgreSQL's text refuses NUL
    ("emoji \U0001f3ac ok", "emoji \U0001f3ac ok"),
])
def test_survey_stores_any_text_with_unstorable_characters_replaced(survey_db: str, comments: str,
                                                                   stored: str) -> None:
    sid = conversation(survey_db)
    body = json.dumps({"id": sid, "liked": 3, "engagement": 3, "comments": comments})  # \u escapes
    resp = client_for(webapp.survey).post("/survey", data=body, content_type="application/json")
    assert resp.status_code == 200, resp.data
    [row] = stored_surveys(survey_db, sid)
    assert row["comments"] == stored


def test_survey_accepts_the_form_encoding(survey_db: str) -> None:
    sid = conversation(survey_db)
    resp = client_for(webapp.survey).post("/survey", data={
        "UUID": sid, "liked": "2", "engagement": "3", "chatbot_before": "yes"})
    assert resp.status_code == 200
    [row] = stored_surveys(survey_db, sid)
    assert (row["liked"], row["engagement"], row["chatbot_before"], row["comments"]) == (2, 3, True, None)


@pytest.mark.parametrize(("change", "needle"), [
    ({"liked": 0}, "survey.liked: 0 is outside 1-5"),
    ({"liked": 6}, "survey.liked: 6 is outside 1-5"),
    ({"engagement": "lots"}, 'survey.engagement: "lots" is not a whole number; send one from 1 to 5'),
    ({"engagement": True}, "survey.engagement: true is not a whole number"),
    ({"liked": False}, "survey.liked: false is not a whole number"),
    ({"liked": 3.5}, "survey.liked: 3.5 is not a whole number"),
    ({"engagement": 5.5}, "survey.engagement: 5.5 is not a whole number"),
    ({"liked": "4.0"}, 'survey.liked: "4.0" is not a whole number'),
    ({"engagement": ""}, "survey.engagement: an answer from 1 to 5 is required"),
    ({"chatbot_before": "maybe"}, "survey.chatbot_before: 'maybe' is not yes/no"),
    ({"comments": "x" * 5001}, "survey.comments: must be text of at most 5000 characters"),
    ({"comments": 7}, "survey.comments"),
    ({"rating": 5}, "unknown field(s) ['rating']"),
    ({"id": "-1"}, "id: '-1' is not the id of a conversation"),
    ({"id": "a b"}, "is not the id of a conversation"),
    ({"id": None}, "id: None is not the id of a conversation"),
])
def test_survey_rejects_bad_answers_precisely(survey_db: str, change: dict[str, Any], needle: str) -> None:
    answers = {"id": conversation(survey_db), "liked": 4, "engagement": 4, "chatbot_before": True,
               "comments": "", **change}
    resp = client_for(webapp.survey).post("/survey", json=answers)
    assert resp.status_code == 400
    assert needle in json_object(resp)["error"]
    if isinstance(answers["id"], str):
        assert stored_surveys(survey_db, answers["id"]) == []


def _conversation_with(url: str, entries: list[dict[str, Any]]) -> str:
    sid = uuid.uuid4().hex
    store = SqlSessionStore(url)
    try:
        store.create(sid, {"turn_no": 1}, transcript_entry=entries[0])
        for entry in entries[1:]:
            store.append_transcript(sid, entry)
    finally:
        store.close()
    return sid


FILM = {"id": 603, "title": "The Matrix", "year": 1999}


@pytest.mark.parametrize(("entries", "liked_required"), [
    ([{"u": [], "c": ["Hi, I'm Chatbot."]}], False),  # a greeting, then "bye": no film
    ([{"u": [], "c": ["Hi"]}, {"u": ["bye"], "c": ["Goodbye!"]}], False),
    ([{"u": [], "c": ["Hi"]}, {"u": ["a sci-fi film"], "c": ["How about The Matrix?"], "film": FILM}], True),
])
def test_survey_asks_how_the_film_was_liked_only_of_a_conversation_that_offered_one(
        survey_db: str, entries: list[dict[str, Any]], liked_required: bool) -> None:
    sid = _conversation_with(survey_db, entries)
    for liked in (None, ""):
        resp = client_for(webapp.survey).post("/survey", json={"id": sid, "liked": liked, "engagement": 3})
        if liked_required:
            assert resp.status_code == 400
            assert "survey.liked: an answer from 1 to 5 is required" in json_object(resp)["error"]
        else:
            assert resp.status_code == 200, resp.text
    stored = stored_surveys(survey_db, sid)
    assert stored == [] if liked_required else [(row["liked"], row["engagement"]) for row in stored] == [(None, 3)]


@pytest.mark.parametrize("sid", ["nope", "4f2b9c1e8d7a4b6c9e0f1a2b3c4d5e6f", "x" * 100, "a.b:c-d_e"])
def test_survey_of_an_unknown_conversation_is_404(survey_db: str, sid: str,
                                                   fake_legacy: Callable[..., FakeLegacy]) -> None:
    fake_legacy(lambda _req: b'{"error": "unknown_session", "detail": "no such session", "status": 404}\n')
    resp = client_for(webapp.survey).post("/survey", json={"id": sid, "liked": 3, "engagement": 3})
    assert resp.status_code == 404 and resp.is_json
    assert f"{sid!r} is not a conversation" in json_object(resp)["error"]
    assert stored_surveys(survey_db, sid) == []


def test_survey_of_a_legacy_conversation_asks_the_legacy_server(
        survey_db: str, fake_legacy: Callable[..., FakeLegacy]) -> None:
    """Conversations with the legacy server live in its process: the survey asks it (a read)."""
    known = {"legacy-1"}

    def answer(request: dict[str, Any]) -> bytes:
        if request["id"] in known:
            reply = {"userid": request["id"], "turn_no": 7, "signal": "end", "history": []}
        else:
            reply = {"error": "unknown_session", "detail": "no such session", "status": 404}
        return json.dumps(reply).encode() + b"\n"

    server = fake_legacy(answer)
    client = client_for(webapp.survey)
    assert client.post("/survey", json={"id": "legacy-1", "liked": 5, "engagement": 2}).status_code == 200
    assert client.post("/survey", json={"id": "legacy-2", "liked": 5, "engagement": 2}).status_code == 404
    assert [r["mode"] for r in server.received] == ["transcript", "transcript"]
    assert [row["liked"] for row in stored_surveys(survey_db, "legacy-1")] == [5]


@pytest.mark.parametrize("score", [4.0, 4, "4", 1.0])
def test_survey_takes_a_whole_number_however_json_writes_it(survey_db: str, score: Any) -> None:
    sid = conversation(survey_db)
    resp = client_for(webapp.survey).post("/survey", json={"id": sid, "liked": score, "engagement": 2})
    assert resp.status_code == 200, resp.json
    assert [row["liked"] for row in stored_surveys(survey_db, sid)] == [int(float(score))]


@pytest.mark.parametrize("legacy", ["refusing", "silent-close", "not-json"])
def test_survey_of_a_conversation_the_down_legacy_server_may_hold_is_503(
        survey_db: str, fake_legacy: Callable[..., FakeLegacy], monkeypatch: pytest.MonkeyPatch, legacy: str) -> None:
    """Not held here, and the server that could vouch for the id cannot answer: retry, not 'unknown'."""
    if legacy == "refusing":
        monkeypatch.setenv("LEGACY_SOCKET_ADDR", f"127.0.0.1:{free_port()}")
    else:
        fake_legacy(lambda _req: b"" if legacy == "silent-close" else b"<html>oops</html>\n")
    resp = client_for(webapp.survey).post("/survey", json={"id": "legacy-9", "liked": 4, "engagement": 3})
    assert resp.status_code == 503 and resp.is_json, resp.get_data(as_text=True)
    assert resp.headers["Retry-After"] == "1"
    error = json_object(resp)["error"]
    assert "legacy-9" in error and "again" in error
    assert stored_surveys(survey_db, "legacy-9") == []


def test_survey_rejects_a_body_that_is_not_an_object_and_get(survey_db: str) -> None:
    client = client_for(webapp.survey)
    resp = client.post("/survey", json=[1, 2])
    assert resp.status_code == 400 and "expected a JSON object, got list" in json_object(resp)["error"]
    assert client.get("/survey").status_code == 405


# ---------------------------------------------------------------------------- legacy bridge


class FakeLegacy:
    """A one-line-per-request socket server whose answer is chosen by the test."""

    def __init__(self, answer: Callable[[dict[str, Any]], bytes]) -> None:
        self.answer = answer
        self.received: list[dict[str, Any]] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                line = conn.makefile("rb").readline()
                self.received.append(json.loads(line))
                reply = self.answer(self.received[-1])
                if reply:
                    conn.sendall(reply)

    def close(self) -> None:
        self.sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone does not
        self.sock.close()
        self.thread.join(timeout=5)


@pytest.fixture
def fake_legacy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., FakeLegacy]]:
    servers: list[FakeLegacy] = []

    def start(answer: Callable[[dict[str, Any]], bytes]) -> FakeLegacy:
        server = FakeLegacy(answer)
        servers.append(server)
        monkeypatch.setenv("LEGACY_SOCKET_ADDR", f"127.0.0.1:{server.port}")
        return server

    yield start
    for server in servers:
        server.close()


def test_bridge_speaks_one_json_line_each_way(fake_legacy: Callable[..., FakeLegacy]) -> None:
    reply = {"response": "Hi", "userid": "abc", "signal": None, "passiveLen": 0, "messages": ["Hi"]}
    server = fake_legacy(lambda _req: json.dumps(reply).encode() + b"\n")
    resp = client_for(webapp.legacy_bridge).post(
        "/legacy", data={"UUID": "-1", "chatText": "hello", "mode": "false", "turn_no": "1"})
    assert resp.status_code == 200 and resp.json == reply
    assert server.received == [{"id": "-1", "text": "hello", "mode": "false", "turn_no": "1"}]
    assert resp.headers["X-Served-By"] == f"legacy 127.0.0.1:{server.port}"


def test_bridge_passes_on_the_legacy_error_status(fake_legacy: Callable[..., FakeLegacy]) -> None:
    error = {"error": "unknown_session", "detail": "no such session", "status": 404}
    fake_legacy(lambda _req: json.dumps(error).encode() + b"\n")
    resp = client_for(webapp.legacy_bridge).post("/legacy", json={"id": "zzz", "text": "hi"})
    assert resp.status_code == 404 and resp.json == {**error, "service": "legacy_bridge"}  # PUMA names the service


def test_bridge_answers_503_while_the_legacy_server_is_not_listening(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Refused connections are the legacy server starting (or not started): the page waits
    and resends instead of showing an error."""
    port = free_port()
    monkeypatch.setenv("LEGACY_SOCKET_ADDR", f"127.0.0.1:{port}")
    resp = client_for(webapp.legacy_bridge).post("/legacy", json={"id": "-1", "text": ""})
    assert resp.status_code == 503
    reply = json_object(resp)
    assert reply["error"].startswith(f"the legacy server: nothing accepts connections at 127.0.0.1:{port}")
    assert reply["error"].endswith(f"start it: `.venv/bin/python -m legacy_socket_server --port {port} "
                                   f"--pid-file var/legacy-server-{port}.pid >> var/legacy-server-{port}.log 2>&1 &`")
    # Under make run, its own command (the same form, its venv): one restart command, said everywhere.
    monkeypatch.setenv("LEGACY_START_COMMAND", "venv/bin/python -m legacy_socket_server --port 1 &")
    again = json_object(client_for(webapp.legacy_bridge).post("/legacy", json={"id": "-1", "text": ""}))
    assert again["error"].endswith("start it: `venv/bin/python -m legacy_socket_server --port 1 &`"), again
    assert reply["backend"] == "legacy" and reply["retry_after_s"] == 1


@pytest.mark.parametrize(("answer", "needle"), [
    (b"not json\n", "not JSON"),
    (b"[1, 2]\n", "sent list, not a JSON object"),
    (b"", "closed the connection without a reply"),
])
def test_bridge_answers_502_for_a_bad_reply(fake_legacy: Callable[..., FakeLegacy], answer: bytes,
                                            needle: str) -> None:
    fake_legacy(lambda _req: answer)
    resp = client_for(webapp.legacy_bridge).post("/legacy", json={"id": "-1", "text": ""})
    assert resp.status_code == 502 and needle in json_object(resp)["error"]


def test_bridge_answers_504_when_the_legacy_server_is_too_slow(
        fake_legacy: Callable[..., FakeLegacy], monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    fake_legacy(lambda _req: release.wait(5) and b"")
    monkeypatch.setattr(webapp, "LEGACY_TIMEOUT_S", 0.2)
    try:
        resp = client_for(webapp.legacy_bridge).post("/legacy", json={"id": "-1", "text": ""})
    finally:
        release.set()
    assert resp.status_code == 504 and "did not answer within 0.2 s" in json_object(resp)["error"]


@pytest.mark.parametrize(("addr", "status", "needle"), [
    ("nonsense", 500, "LEGACY_SOCKET_ADDR='nonsense' is not host:port"),
    ("127.0.0.1:99999", 500, "is not host:port"),
])
def test_bridge_reports_a_bad_address_setting(monkeypatch: pytest.MonkeyPatch, addr: str,
                                              status: int, needle: str) -> None:
    monkeypatch.setenv("LEGACY_SOCKET_ADDR", addr)
    resp = client_for(webapp.legacy_bridge).post("/legacy", json={"id": "-1"})
    assert resp.status_code == status and needle in json_object(resp)["error"]


def test_bridge_refuses_unknown_fields_and_get() -> None:
    client = client_for(webapp.legacy_bridge)
    resp = client.post("/legacy", json={"id": "-1", "cmd": "rm"})
    assert resp.status_code == 400 and "unknown field(s) ['cmd']" in json_object(resp)["error"]
    assert client.get("/legacy").status_code == 405


@pytest.mark.parametrize("path", ["/nope", "/dashbord", "/chat/../../etc/passwd", "/<script>alert(1)</script>",
                                  "/" + "x" * 300])
def test_static_unknown_address_is_a_page_for_a_browser_and_json_for_a_script(static: FlaskClient, path: str) -> None:
    page = static.get(path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 404 and page.content_type.startswith("text/html")
    text = page.get_data(as_text=True)
    assert "<h1>Page not found</h1>" in text and "<script>" not in text  # the path is shown escaped
    assert '<a href="/">the chat</a>' in text and '<a href="/dashboard">the dashboard</a>' in text
    for accept in ("application/json", "*/*"):
        script = static.get(path, headers={"Accept": accept})
        assert script.status_code == 404 and "no such file" in json_object(script)["error"]


# A stand-in for the legacy server: its command line names it as `ps` shows one
# (`legacy_socket_server ... --port N`); it answers each line it reads.
_STAND_IN = """\
import socket, sys, time
srv = socket.create_server(("127.0.0.1", int(sys.argv[3])))
print("listening", flush=True)
while True:
    conn, _ = srv.accept()
    with conn:
        line = conn.makefile("rb").readline()
        time.sleep(3 if b"slow" in line else 0)  # a turn that takes a while: stopped in the middle of it
        conn.sendall(b'{"response": "hi", "userid": "u1"}\\n')
"""


@pytest.mark.parametrize("stopped_before", [True, False], ids=["stopped-then-asked", "asked-then-stopped"])
def test_bridge_answers_503_once_it_sees_the_legacy_server_is_stopped_not_after_its_timeout(
        monkeypatch: pytest.MonkeyPatch, stopped_before: bool) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", _STAND_IN, "legacy_socket_server", "--port", str(port)],
                            stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"listening\n"
        monkeypatch.setenv("LEGACY_SOCKET_ADDR", f"127.0.0.1:{port}")
        monkeypatch.setattr(webapp, "LEGACY_TIMEOUT_S", 20.0)
        assert client_for(webapp.legacy_bridge).post("/legacy", json={"id": "-1", "text": ""}).status_code == 200
        if stopped_before:
            os.kill(proc.pid, signal.SIGSTOP)
        else:
            threading.Timer(0.5, os.kill, (proc.pid, signal.SIGSTOP)).start()
        asked = time.monotonic()
        resp = client_for(webapp.legacy_bridge).post("/legacy", json={"id": "-1", "text": "slow", "turn_no": "1"})
        took = time.monotonic() - asked
        body = json_object(resp)
        assert resp.status_code == 503 and took < 6, (took, body)
        assert f"(pid {proc.pid})" in body["error"] and f"kill -CONT {proc.pid}" in body["error"], body
        assert "same turn_no" in body["error"] and resp.headers.get("Retry-After"), body
    finally:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
