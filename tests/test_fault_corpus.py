"""The fault corpus (tests/fault_corpus.py) against every service of the chatbot deployment, the
hello example and the legacy socket server: no answer of 500 or more to anything a client sends,
a JSON body with every error, no bad request re-sent by Envoy (its per-cluster retry counters), no
instance lost, and a normal conversation still works afterwards."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import puma
from chatbot.catalog import Catalog
from legacy_socket_server import LegacyServer
from tests import fault_corpus as corpus
from tests.chatbot_helpers import legacy_server
from tests.helpers import chatbot_app, wait_for
from tests.rawhttp import exchange

ROOT = Path(__file__).resolve().parents[1]
CHATBOT_PREFIXES = ["/", "/agent", "/listener", "/policy", "/sentiment", "/db", "/survey", "/legacy"]
PUMA_PATHS = ["/_puma/status", "/_puma/workers"]
HELLO_PREFIXES = ["/greet", "/shout"]
WISHES = ["", "comedy", "no preference", "no preference", "no preference", "no preference"]


@pytest.fixture(scope="module")
def legacy(chatbot_db_url: str, catalog: Catalog) -> Iterator[LegacyServer]:
    with legacy_server(chatbot_db_url, catalog) as server:
        yield server


@pytest.fixture(scope="module")
def chatbot(chatbot_db_url: str, legacy: LegacyServer) -> Iterator[puma.Deployment]:
    app = chatbot_app()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DATABASE_URL", chatbot_db_url)
        env.delenv("CHATBOT_SESSION_STORE", raising=False)
        env.setenv("LEGACY_SOCKET_ADDR", f"127.0.0.1:{legacy.port}")
        with app.start(listener={"port": 0}) as deployment:
            yield deployment


@pytest.fixture(scope="module")
def hello() -> Iterator[str]:
    """`puma run examples/hello_app.py` as a user starts it; yields its URL."""
    proc = subprocess.Popen([sys.executable, "-m", "puma.cli", "run", str(ROOT / "examples" / "hello_app.py"),
                             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    try:
        url = wait_for(lambda: _serving_url(proc), timeout_s=60, message="the hello example serving")
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stdout.close()  # type: ignore[union-attr]


def _serving_url(proc: subprocess.Popen[str]) -> str | None:
    assert proc.stdout is not None and proc.poll() is None, "puma run exited"
    match = re.search(r"serving at (http://\S+)", proc.stdout.readline())
    return match.group(1) if match else None


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def _run(port: int, cases: list[corpus.Case]) -> dict[str, list[str]]:
    found = {}
    for case in cases:
        result = exchange(port, case.data, expect=case.max_responses, pause_s=case.pause_s, head=case.head,
                          timeout_s=2.0 if case.silent_ok else 15.0)
        problems = corpus.problems(case, result)
        if problems:
            found[case.id] = problems
    return found


def _http_corpus(prefixes: list[str]) -> list[corpus.Case]:
    cases = corpus.path_cases(prefixes) + corpus.raw_cases(prefixes[0]) + corpus.raw_cases(PUMA_PATHS[0])
    for path in prefixes + PUMA_PATHS:
        cases += corpus.body_cases(path, reads_body=path not in PUMA_PATHS)
    return cases


def _counters(url: str) -> dict[str, int]:
    """Envoy's per-cluster counters of retries, 5xx answers and upstream resets."""
    admin = httpx.get(url + "/_puma/status").json()["envoy"]["admin"]
    text = httpx.get(admin + "/stats?filter=^cluster%5C.[^.]+%5C.upstream_rq_(retry|5xx|tx_reset|rx_reset)$").text
    return {k: int(v) for k, _, v in (line.partition(": ") for line in text.splitlines()) if v.strip().isdigit()}


def _pids(url: str) -> dict[str, set[int]]:
    services = httpx.get(url + "/_puma/status").json()["services"]
    return {name: {i["pid"] for i in s["instances"]} for name, s in services.items()}


def _survives(url: str, cases: list[corpus.Case]) -> None:
    before, pids = _counters(url), _pids(url)
    problems = _run(_port(url), cases)
    assert not problems, f"{len(problems)} of {len(cases)} cases broke:\n" + "\n".join(
        f"  {case}: {found}" for case, found in problems.items())
    after = _counters(url)
    # No bad request was re-sent to a handler, answered 5xx upstream, or cost an instance.
    assert {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)} == {}
    assert _pids(url) == pids


def test_chatbot_deployment_survives_the_fault_corpus(chatbot: puma.Deployment) -> None:
    _survives(chatbot.url, _http_corpus(CHATBOT_PREFIXES))
    with httpx.Client(base_url=chatbot.url, timeout=30) as http:
        replies = _converse(http)
    assert any(r.get("recommendation") for r in replies), [r["messages"] for r in replies]
    page = httpx.get(chatbot.url + "/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")


def test_hello_example_survives_the_fault_corpus(hello: str) -> None:
    _survives(hello, _http_corpus(HELLO_PREFIXES))
    greeting = httpx.post(hello + "/greet", json={"name": "Ada"}).json()
    assert greeting["greeting"] == "HELLO, ADA!"


def test_legacy_socket_server_survives_the_fault_corpus(legacy: LegacyServer) -> None:
    problems = {}
    for case in corpus.line_cases():
        found = _line_problems(legacy.port, case)
        if found:
            problems[case.id] = found
    assert not problems, "\n".join(f"  {case}: {found}" for case, found in problems.items())
    replies = _converse_legacy(legacy.port)
    assert any(r.get("recommendation") for r in replies)


def _line_problems(port: int, case: corpus.LineCase) -> list[str]:
    pieces = case.data if isinstance(case.data, list) else [case.data]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        for n, piece in enumerate(pieces):
            if n and case.pause_s:
                time.sleep(case.pause_s)
            sock.sendall(piece)
        with sock.makefile("rb") as stream:
            replies = [json.loads(stream.readline()) for _ in range(case.replies)]
            closed = case.closes and stream.readline() == b""
    found = []
    for reply in replies:
        status = reply.get("status", 200) if "error" in reply else 200
        if status >= 500 or reply.get("error") == "internal_error":
            found.append(f"answered {reply}")
        elif case.expect_error and reply.get("error") != case.expect_error:
            found.append(f"expected error {case.expect_error!r}, got {reply}")
    if case.closes and not closed:
        found.append("connection left open")
    return found


def _converse(http: httpx.Client) -> list[dict[str, Any]]:
    sid = "corpus-" + os.urandom(6).hex()
    replies = []
    for turn_no, text in enumerate(WISHES, start=1):
        resp = http.post("/agent", json={"UUID": sid, "chatText": text, "mode": "false", "turn_no": turn_no})
        assert resp.status_code == 200, resp.text
        replies.append(resp.json())
    return replies


def _converse_legacy(port: int) -> list[dict[str, Any]]:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock, sock.makefile("rwb") as stream:
        replies, sid = [], "-1"
        for turn_no, text in enumerate(WISHES, start=1):
            stream.write(json.dumps({"id": sid, "text": text, "mode": "false", "turn_no": turn_no}).encode() + b"\n")
            stream.flush()
            replies.append(json.loads(stream.readline()))
            sid = replies[-1]["userid"]
    return replies


def test_a_turn_re_sent_with_its_request_id_is_applied_once(chatbot: puma.Deployment, chatbot_db_url: str) -> None:
    """A turn without turn_no, as the original page sends it, re-sent with the same x-request-id
    (as Envoy re-sends a turn whose instance died) is answered from the store."""
    from chatbot.sessions import SqlSessionStore

    key = os.urandom(6).hex()
    with httpx.Client(base_url=chatbot.url, timeout=30) as http:
        def send(sid: str, text: str, n: int) -> dict[str, Any]:
            resp = http.post("/agent", data={"UUID": sid, "chatText": text, "mode": "false"},
                             headers={"x-request-id": f"{key}-{n}"})
            assert resp.status_code == 200, resp.text
            return resp.json()

        first = send("-1", "", 1)
        assert send("-1", "", 1) == first  # the same new conversation, not a second one
        sid = first["userid"]
        second = send(sid, "comedy", 2)
        assert send(sid, "comedy", 2) == second and second["turn_no"] == 2
        assert send(sid, "no preference", 3)["turn_no"] == 3
    store = SqlSessionStore(chatbot_db_url)
    try:
        assert [h["u"] for h in store.transcript(sid)["history"]] == [[], ["comedy"], ["no preference"]]
    finally:
        store.close()


# --- slow clients ----------------------------------------------------------------------------


def test_slow_clients_hold_no_one_up(hello: str) -> None:
    """Fifty clients dribbling their headers or bodies: everyone else is served meanwhile, and each
    slow client gets its answer when it is done."""
    port = _port(hello)
    slow_results: list[Any] = []

    def slow(n: int) -> None:
        if n % 2:
            pieces = [b"GET /shout HTTP/1.1\r\n", b"Host: x\r\n", b"X-Slow: 1\r\n", b"\r\n"]
        else:
            head = b"POST /shout HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n"
            pieces = [head] + [bytes([c]) for c in b'{"text": "ab"}']
        slow_results.append(exchange(port, pieces, pause_s=0.1, timeout_s=20))

    threads = [threading.Thread(target=slow, args=(n,)) for n in range(50)]
    for t in threads:
        t.start()
    with httpx.Client(base_url=hello, timeout=5) as http:
        quick = [http.post("/shout", json={"text": "hi"}).status_code for _ in range(40)]
    for t in threads:
        t.join()
    assert quick == [200] * 40
    assert sorted(r.statuses[0] for r in slow_results if r.statuses) == [200] * 25 + [400] * 25
