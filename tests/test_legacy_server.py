"""The monolith: newline-delimited JSON over a socket, every chatbot part in one process."""

from __future__ import annotations

import functools
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatbot import nlg
from chatbot.catalog import Catalog
from legacy_socket_server import LegacyServer, chatbox_socket
from tests.chatbot_helpers import legacy_server
from tests.helpers import interrupt_and_finish, start_legacy_server, wait_for

SCRIPT = ["comedy with Jim Carrey", "no preference", "PG-13", "no", "yes"]


class Client:
    """One connection speaking the line protocol."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.file = self.sock.makefile("rb")

    def send(self, message: dict[str, Any] | bytes) -> dict[str, Any]:
        self.write(message)
        return self.read()

    def write(self, message: dict[str, Any] | bytes) -> None:
        data = message if isinstance(message, bytes) else json.dumps(message).encode()
        self.sock.sendall(data + b"\n")

    def read(self) -> dict[str, Any]:
        line = self.file.readline()
        assert line.endswith(b"\n"), f"connection closed instead of a reply: {line[:100]!r}"
        return json.loads(line)

    def close(self) -> None:
        self.file.close()
        self.sock.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def converse_anew(port: int, script: list[str]) -> list[dict[str, Any]]:
    """A conversation on a connection of its own."""
    with Client(port) as client:
        return converse(client, script)


@pytest.fixture(scope="module")
def server(chatbot_db_url: str, catalog: Catalog) -> Iterator[LegacyServer]:
    with legacy_server(chatbot_db_url, catalog) as server:
        yield server


@pytest.fixture
def client(server: LegacyServer) -> Iterator[Client]:
    connection = Client(server.port)
    yield connection
    connection.close()


def converse(client: Client, script: list[str]) -> list[dict[str, Any]]:
    replies = [client.send({"id": "-1", "text": "", "mode": "false", "turn_no": 1})]
    sid = replies[0]["userid"]
    for turn_no, text in enumerate(script, start=2):
        replies.append(client.send({"id": sid, "text": text, "mode": "false", "turn_no": turn_no}))
    return replies


def test_legacy_server_whole_conversation_on_one_connection(client: Client) -> None:
    replies = converse(client, SCRIPT)
    assert replies[0]["response"] == nlg.INTRO and replies[0]["passiveLen"] == 1
    film = next(r["recommendation"] for r in replies if r.get("recommendation"))
    assert "Jim Carrey" in film["cast"] and "comedy" in film["genres"] and film["mpaa"] == "PG-13"
    assert replies[-1]["messages"][-1].startswith("Bye!")
    polled = [client.send({"id": replies[0]["userid"], "mode": "true"}) for _ in range(2)]
    assert polled[0]["signal"] == "end" and polled[1]["messages"] == []


def test_legacy_server_pipelined_requests_and_long_lines(client: Client) -> None:
    sid = client.send({"id": "-1", "text": "", "mode": "false"})["userid"]
    long_text = "I would like a comedy " + "please " * 8000  # ~56 KB, under the line limit
    client.sock.sendall(b"".join(json.dumps(m).encode() + b"\n" for m in [
        {"id": sid, "text": long_text, "mode": "false", "turn_no": 2},
        {"id": sid, "text": long_text, "mode": "false", "turn_no": 2},
        {"id": sid, "mode": "true"},
    ]))
    first, retry, poll = client.read(), client.read(), client.read()
    assert first == retry and first["turn_no"] == 2 and nlg.TRUNCATED in first["messages"]
    assert poll["userid"] == sid


@pytest.mark.parametrize(("line", "code", "needle"), [
    (b'{"id": "-1", "text": ', "bad_request", "malformed JSON"),
    (b"\xff\xfe\x00\x13garbage\x80", "bad_request", "not UTF-8"),
    (b'{"text": "hello"}', "bad_request", "id: missing"),
    (b'{"id": "-1", "text": "hi", "admin": true}', "bad_request", "unknown field"),
    (b'{"id": "no-such-session", "text": "hi", "mode": "false"}', "unknown_session", "unknown session"),
    (b'["id", "-1"]', "bad_request", "JSON object"),
    (b"[" * 50_000, "bad_request", "malformed JSON"),
    (b'{"id": "-1", "text": "hi", "turn_no": 5}', "conflict", "turn 1"),
], ids=["malformed-json", "binary-garbage", "missing-id", "unknown-field", "unknown-session",
        "json-array", "deep-nesting", "out-of-order"])
def test_legacy_server_bad_input_gets_a_json_error_and_the_connection_keeps_serving(
        client: Client, line: bytes, code: str, needle: str) -> None:
    reply = client.send(line)
    assert reply["error"] == code and needle in reply["detail"] and reply["status"] >= 400
    assert client.send({"id": "-1", "text": "", "mode": "false"})["response"] == nlg.INTRO


def test_legacy_server_oversized_line_gets_an_error_then_close(server: LegacyServer,
                                                               client: Client) -> None:
    client.write({"id": "-1", "text": "x" * 1_000_000, "mode": "false"})
    assert client.read()["error"] == "line_too_long"
    assert client.file.readline() == b""
    assert converse_anew(server.port, ["comedy"])[-1]["turn_no"] == 2


def test_legacy_server_survives_abrupt_disconnects(server: LegacyServer) -> None:
    with Client(server.port) as half:
        half.sock.sendall(b'{"id": "-1", "te')
    with Client(server.port) as rude:
        rude.write({"id": "-1", "text": "", "mode": "false"})
        rude.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    # ^ closed with a reset while the server is answering
    with Client(server.port) as last_words:
        last_words.sock.sendall(json.dumps({"id": "-1", "text": "", "mode": "false"}).encode())
        last_words.sock.shutdown(socket.SHUT_WR)  # no newline, then end of input: still answered
        assert last_words.read()["response"] == nlg.INTRO
    assert converse_anew(server.port, ["drama"])[-1]["turn_no"] == 2


def test_legacy_server_keeps_concurrent_conversations_apart(server: LegacyServer) -> None:
    genres = ["comedy", "drama", "horror", "romance", "action", "thriller"]
    results: dict[str, list[dict[str, Any]]] = {}

    def talk(genre: str) -> None:
        results[genre] = converse_anew(server.port, [genre])

    threads = [threading.Thread(target=talk, args=(g,)) for g in genres]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({replies[0]["userid"] for replies in results.values()}) == len(genres)
    for genre, replies in results.items():
        assert {r["userid"] for r in replies} == {replies[0]["userid"]}
        assert genre in replies[-1]["messages"][0]


def test_legacy_server_ports_follow_listing_1() -> None:
    assert (chatbox_socket(False), chatbox_socket(True)) == (13113, 13120)


def test_legacy_server_command_serves_then_stops_cleanly_on_sigterm(chatbot_db_url: str,
                                                                    tmp_path: Path) -> None:
    log_path = tmp_path / "legacy.log"
    proc = start_legacy_server(chatbot_db_url, log_path)
    try:
        found = wait_for(lambda: re.search(rb"listening on 127\.0\.0\.1:(\d+)", log_path.read_bytes())
                         or proc.poll() is not None, timeout_s=60, message="the server to listen")
        assert proc.poll() is None and isinstance(found, re.Match), log_path.read_text()
        port = int(found.group(1))
        assert "[phase: serving]" in Path(f"/proc/{proc.pid}/cmdline").read_text()  # what `ps` shows too
        assert converse_anew(port, ["comedy"])[-1]["turn_no"] == 2
        with Client(port) as idle:  # an open connection must not hold up the shutdown
            assert idle.send({"id": "-1", "text": ""})["response"] == nlg.INTRO
            asked = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=15) == 0
            # Idle: out at once, not after freeing the catalogue object by object (30 s niced on a busy machine).
            assert time.monotonic() - asked < 3.0, time.monotonic() - asked
            assert idle.file.readline() == b""
        lines = log_path.read_text().splitlines()
        assert "stopped" in lines[-1], lines
        # Each line with its time, so an operator sees where a stop's seconds go.
        stamped = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO|WARNING|ERROR) ")
        assert all(stamped.match(line) for line in lines if "legacy_socket_server" in line), lines
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_legacy_server_stopped_while_loading_says_so_in_its_log(chatbot_db_url: str, tmp_path: Path,
                                                                sig: signal.Signals) -> None:
    # `make run` reads the log's last lines to tell its own Ctrl-C from a lost server: a stop during
    # the load (the first ~30 s) must leave the same "stopping (SIGINT)" line as one after it.
    log_path = tmp_path / "legacy.log"
    proc = start_legacy_server(chatbot_db_url, log_path)
    try:
        wait_for(lambda: b"loading the catalogue" in log_path.read_bytes() or proc.poll() is not None,
                 timeout_s=60, message="the load to begin")
        assert "[phase: loading]" in Path(f"/proc/{proc.pid}/cmdline").read_text()
        code, _ = interrupt_and_finish(proc, sig, timeout_s=15, log=log_path)
        assert code == 0, log_path.read_text()
        text = log_path.read_text()
        assert f"stopping ({sig.name}) before the catalogue had loaded" in text and text.rstrip().endswith("stopped")
        assert "Traceback" not in text and "listening on" not in text
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _loading_or_exited(log_path: Path, proc: subprocess.Popen[bytes]) -> bool:
    return b"loading the catalogue" in log_path.read_bytes() or proc.poll() is not None


def test_legacy_server_honours_a_sigterm_wherever_the_load_is(chatbot_db_url: str, tmp_path: Path) -> None:
    # A stop raised from the signal handler landed wherever the loading thread was: inside a
    # garbage-collection callback it was printed and ignored, and the server went on to serve,
    # deaf to `make stop`. Signals sent at points spread over the load must each stop it.
    env = {**os.environ, "DATABASE_URL": chatbot_db_url}
    for after_s in (0.0, 0.4, 0.9, 1.6, 2.5):
        log_path = tmp_path / f"legacy-{after_s}.log"
        with open(log_path, "wb") as log_file:
            proc = subprocess.Popen([sys.executable, "-m", "legacy_socket_server", "--port", "0"],
                                    stdout=log_file, stderr=subprocess.STDOUT, env=env)
        try:
            wait_for(functools.partial(_loading_or_exited, log_path, proc), timeout_s=60, message="the load to begin")
            time.sleep(after_s)  # a point in the load (bounded: the sweep's offsets)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=15) == 0, log_path.read_text()
            text = log_path.read_text()
            assert "Exception ignored" not in text and "Traceback" not in text, text
            if "listening on" not in text:  # the load may have finished first: then it stopped serving
                assert "stopping (SIGTERM) before the catalogue had loaded" in text, text
            assert text.rstrip().endswith("stopped"), text
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.mark.parametrize("argv", [["-m", "legacy_socket_server"], ["-m", "chatbot", "legacy"]])
@pytest.mark.parametrize("held", ["listening", "bound with SO_REUSEADDR, loading"])
def test_legacy_server_on_a_taken_port_fails_before_loading_and_names_the_port(argv: list[str], held: str,
                                                                                 tmp_path: Path) -> None:
    """Held by a listener, or by another server that has bound it and still loads (as a legacy
    server does for 30-60 s): a SO_REUSEADDR bind would share that port, load, then fail to listen
    and take over the other's pid file. Refused at once, the pid file untouched."""
    pid_file = tmp_path / "legacy.pid"
    pid_file.write_text("4242\n")
    with socket.socket() as taken:
        if held != "listening":
            taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("127.0.0.1", 0))
        if held == "listening":
            taken.listen()
        port = taken.getsockname()[1]
        argv = [*argv, "--pid-file", str(pid_file)] if "legacy_socket_server" in argv else argv
        done = subprocess.run([sys.executable, *argv, "--port", str(port)], capture_output=True, text=True,
                              timeout=120)
    assert done.returncode == 1
    prog = "python -m legacy_socket_server" if "legacy_socket_server" in argv else "chatbot"
    assert f"{prog}: error: port {port} is already in use" in done.stderr  # named as the user ran it
    assert "LEGACY_PORT=N" in done.stderr and "--port N" in done.stderr
    assert "loading the catalogue" not in done.stderr  # it failed first, not after the slow load
    assert "Traceback" not in done.stderr
    assert ("still starting" in done.stderr) == (held != "listening"), done.stderr
    if held == "listening":  # the command that stops the holder (this test's process), to copy
        assert f"stop what uses it (kill {os.getpid()})" in done.stderr, done.stderr
    assert pid_file.read_text() == "4242\n"


def test_legacy_server_refuses_connections_until_it_can_answer() -> None:
    """The port is claimed before the bot exists, but nobody is let in to wait on a server that
    cannot answer yet: a connection is refused until listen()."""
    server = LegacyServer(None, "127.0.0.1", 0, listen=False)
    try:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", server.port), timeout=5).close()
        server.listen()
        socket.create_connection(("127.0.0.1", server.port), timeout=5).close()
    finally:
        server.server_close()
