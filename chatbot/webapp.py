"""The web side of the PUMA chatbot: the page's files, the survey, and the legacy bridge.

Three PUMA service functions (``chatbot.puma_app`` routes them):

- ``serve_static`` at ``/``: the files of the repository's ``web/`` directory
  (``/`` -> ``index.html``, ``/dashboard`` -> ``dashboard.html``).
- ``survey`` at ``/survey``: stores the end-of-chat survey in the chatbot database.
- ``legacy_bridge`` at ``/legacy``: the small HTTP bridge to the legacy socket server (the
  role the original's PHP page played): one JSON line out, one line back.

Example::

    curl -d 'id=-1&text=&mode=false&turn_no=1' http://127.0.0.1:8080/legacy
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import logging
import os
import socket
import stat as stat_mode
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import puma
from chatbot import legacy_processes
from chatbot.errors import unknown_fields_text

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
LEGACY_ADDR_ENV = "LEGACY_SOCKET_ADDR"
DEFAULT_LEGACY_ADDR = "127.0.0.1:13113"
LEGACY_TIMEOUT_S = 30.0
MAX_REPLY_BYTES = 1 << 20

_ALIASES = {"UUID": "id", "userid": "id", "chatText": "text"}
_TURN_FIELDS = frozenset({"id", "text", "mode", "turn_no", "index"})
_SURVEY_FIELDS = frozenset({"id", "liked", "engagement", "chatbot_before", "comments"})

# ---------------------------------------------------------------------------- static files

_PAGES = {"": "index.html", "index.html": "index.html", "dashboard": "dashboard.html"}
_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
}
# Nothing is loaded from elsewhere; the page's own code may only talk to its own origin.
_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


def serve_static(request: puma.Request) -> puma.Response:
    """GET a file of ``web/``: ``/`` is ``index.html``, ``/dashboard`` is ``dashboard.html``.

    Files are revalidated on every load (``no-cache`` + ``ETag``) because there is no build
    step to put versions in their names. Example: ``GET /chat.js`` -> the script, 200.
    """
    if request.method not in ("GET", "HEAD"):
        raise puma.HTTPError(405, f"method {request.method} is not allowed here; use GET")
    try:
        return _static_file(request)
    except puma.HTTPError as error:
        if error.status != 404 or "text/html" not in (_header(request, "Accept") or ""):
            raise  # a script gets the JSON error
        return puma.Response(_not_found_page(request.path).encode(), 404, {"Cache-Control": "no-store",
                             "Content-Security-Policy": _CSP}, content_type="text/html; charset=utf-8")


# A browser opening an address that is no page gets a page saying so, with the way back.
NOT_FOUND_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="color-scheme" content="light dark">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Page not found · PUMA</title>
<link rel="stylesheet" href="/style.css"></head>
<body><main class="error-page"><h1>Page not found</h1>
<p>There is no page at <code>{path}</code>.</p>
<nav aria-label="Pages"><p>Go to <a href="/">the chat</a> or <a href="/dashboard">the dashboard</a>.</p></nav>
</main></body></html>
"""


def _not_found_page(url_path: str) -> str:
    return NOT_FOUND_PAGE.format(path=html.escape(url_path[:200]))


def _static_file(request: puma.Request) -> puma.Response:
    with _file_errors_are_404(request.path):
        path = _resolve(request.path)
        stat = path.stat()
        if not stat_mode.S_ISREG(stat.st_mode):
            raise FileNotFoundError(path)
        etag = '"' + hashlib.sha1(f"{stat.st_mtime_ns}-{stat.st_size}".encode()).hexdigest()[:16] + '"'
        headers = _static_headers(path, etag)
        if _header(request, "If-None-Match") == etag:
            return puma.Response(b"", 304, headers)
        body = path.read_bytes()  # for HEAD too: the server drops it, keeping GET's Content-Length
    return puma.Response(body, 200, headers, content_type=_content_type(path))


@contextlib.contextmanager
def _file_errors_are_404(url_path: str) -> Iterator[None]:
    """The one rule of static serving: whatever the filesystem refuses for a URL path (no such
    file, a name too long, a NUL byte, a directory, no permission...) is 404, never 500."""
    try:
        yield
    except (OSError, ValueError):
        raise puma.HTTPError(404, f"no such file: {url_path[:200]}") from None


def _resolve(url_path: str) -> Path:
    """The file under ``WEB_DIR`` for ``url_path``; ``FileNotFoundError`` for anything outside it
    or hidden (and whatever ``OSError`` the filesystem raises, see ``_file_errors_are_404``)."""
    relative = url_path.lstrip("/")
    relative = _PAGES.get(relative.rstrip("/"), relative)
    root = WEB_DIR.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or _hidden(path, root):
        raise FileNotFoundError(url_path)
    return path


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _content_type(path: Path) -> str:
    return _CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")


def _static_headers(path: Path, etag: str) -> dict[str, str]:
    headers = {"Cache-Control": "no-cache", "ETag": etag, "X-Content-Type-Options": "nosniff"}
    if path.suffix.lower() == ".html":
        headers |= {"Content-Security-Policy": _CSP, "Referrer-Policy": "no-referrer",
                    "X-Frame-Options": "DENY"}
    return headers


def _header(request: puma.Request, name: str) -> str | None:
    lowered = name.lower()
    return next((v for k, v in request.headers.items() if k.lower() == lowered), None)


# ---------------------------------------------------------------------------- survey

_store_lock = threading.Lock()
_store: Any = None


def survey(request: puma.Request) -> dict[str, Any]:
    """POST ``{"id", "liked": 1-5, "engagement": 1-5, "chatbot_before": bool, "comments"}``;
    ``liked`` (how the recommended film was liked) is required only of a conversation that offered one.

    Stored in the chatbot database's ``survey_answers`` table; 400 names the bad field, 404
    an id that is no conversation of this deployment's store nor of the legacy server (whose
    conversations live in its own process), 503 + Retry-After while that server is down. Replies ``{"ok": true, "userid": id}``.
    """
    if request.method != "POST":
        raise puma.HTTPError(405, f"method {request.method} is not allowed here; POST the survey")
    answers = _survey_answers(request)
    session_id = answers.pop("id")
    transcript = _conversation(session_id)
    if transcript is None:
        raise puma.HTTPError(404, f"id: {session_id!r} is not a conversation held here or by the "
                                  "legacy server; send the id the chat replies carry (userid)")
    if answers.get("liked") is None and _film_offered(transcript):
        raise puma.HTTPError(400, "survey.liked: an answer from 1 to 5 is required (the conversation offered a film)")
    _session_store().save_survey(session_id, answers)
    log.debug("survey stored for session %s", session_id)
    return {"ok": True, "userid": session_id}


def _survey_answers(request: puma.Request) -> dict[str, Any]:
    from chatbot.errors import InvalidRequest
    from chatbot.sessions import validate_survey

    data = _payload(request, _SURVEY_FIELDS, "id, liked, engagement, chatbot_before, comments")
    session_id = data.get("id")
    if not isinstance(session_id, str) or not _valid_session_id(session_id):
        raise puma.HTTPError(400, f"id: {session_id!r} is not the id of a conversation")
    if data.get("engagement") in (None, ""):
        raise puma.HTTPError(400, "survey.engagement: an answer from 1 to 5 is required")
    if data.get("liked") == "":
        data["liked"] = None  # unanswered; required only where a film was offered (survey())
    try:
        checked = validate_survey({k: v for k, v in data.items() if k != "id"})
    except InvalidRequest as error:
        raise puma.HTTPError(400, str(error)) from None
    return {"id": session_id, **checked}


def _film_offered(transcript: dict[str, Any]) -> bool:
    """Whether the conversation proposed a film (the survey asks how it was liked only then)."""
    history = transcript.get("history") or []
    return bool(transcript.get("recommendation")) or any(
        isinstance(entry, dict) and entry.get("film") for entry in history)


def _conversation(session_id: str) -> dict[str, Any] | None:
    """The transcript of `session_id`, held here or by the legacy server; None if neither has it."""
    held = _session_store().transcript(session_id)
    if held is not None:
        return dict(held)
    try:  # a legacy conversation: ask its server (reads only)
        reply = exchange(legacy_address(), {"id": session_id, "mode": "transcript"}, timeout_s=5.0)
    except puma.HTTPError as error:  # down or failing: it cannot say the id is unknown, so retry later
        raise puma.HTTPError(503, f"id: {session_id!r} is not held here, and the legacy server that may hold it "
                                  f"is unavailable ({error.message}); send the survey again shortly",
                             backend="legacy", retry_after_s=1) from None
    return None if "error" in reply else dict(reply)


def _valid_session_id(value: str) -> bool:
    return 0 < len(value) <= 100 and value != "-1" and all(c.isalnum() or c in "_.:-" for c in value)


def _session_store() -> Any:
    """One session store per process, the one the settings choose (read at first use)."""
    global _store
    with _store_lock:
        if _store is None:
            from chatbot.stores import session_store

            _store = session_store()
        return _store


def _payload(request: puma.Request, fields: frozenset[str], expected: str) -> dict[str, Any]:
    """The JSON object or form fields of ``request``, aliases renamed; 400 for unknown ones."""
    if request.json is not None and not isinstance(request.json, dict):
        raise puma.HTTPError(400, f"body: expected a JSON object, got {type(request.json).__name__}")
    data = {_ALIASES.get(k, k): v for k, v in request.data.items()}
    unknown = set(data) - fields
    if unknown:
        raise puma.HTTPError(400, f"unknown field(s) {unknown_fields_text(unknown)}; expected {expected}")
    return data


# ---------------------------------------------------------------------------- legacy bridge


def legacy_bridge(request: puma.Request) -> puma.Response:
    """POST a turn or a poll (the fields of ``/agent`` and ``/listener``: id, text, mode, turn_no,
    index) to the legacy server.

    Speaks its socket protocol to ``$LEGACY_SOCKET_ADDR`` (default 127.0.0.1:13113), one
    connection per request (a loopback connect costs ~0.1 ms and leaves no stale sockets).
    503 (``retry_after_s`` in the body) while it refuses connections (starting), 502 if it is
    otherwise unreachable or answers garbage, 504 if it answers too slowly.
    """
    if request.method != "POST":
        raise puma.HTTPError(405, f"method {request.method} is not allowed here; POST a turn")
    turn = _payload(request, _TURN_FIELDS, "id, text, mode, turn_no, index")
    address = legacy_address()
    reply = exchange(address, turn, timeout_s=LEGACY_TIMEOUT_S)
    status = _reply_status(reply)
    return puma.Response(reply, status, {"X-Served-By": f"legacy {address[0]}:{address[1]}"})


class LegacyServerDown(ConnectionError):
    """The legacy socket server accepts no connections (starting, or not running)."""


puma.mark_unavailable(LegacyServerDown, store="the legacy socket server", retry_after_s=1.0)


def legacy_ready() -> None:
    """The legacy bridge's readiness check (``readiness`` in ``chatbot/puma_app.py``): raises
    ``LegacyServerDown`` while nothing accepts connections at ``$LEGACY_SOCKET_ADDR``, so the
    bridge is shown not ready (``puma status``, the dashboard) and answers 503 naming why, rather
    than counting as ready while every request fails. A connect and close: ~0.1 ms on loopback."""
    address = legacy_address()
    try:
        probe = socket.create_connection(address, timeout=PROBE_TIMEOUT_S)
    except TimeoutError as slow:  # here, its listen backlog is full: accepted by the kernel, never by the server
        local = address[0] in _LOCAL_HOSTS
        # From the timeout: slow is said after a few checks in a row, not at one late answer on a loaded machine.
        raise LegacyServerDown(legacy_silent(address) if local else legacy_down(address, "timed out")) from slow
    except OSError as error:
        raise LegacyServerDown(legacy_down(address, error.strerror or str(error))) from None
    # Accepting is the kernel's doing: a stopped or hung server accepts too. A line it must answer
    # ({} is refused at once, 400, with nothing stored) tells that it serves.
    with probe:
        try:
            probe.sendall(b"{}\n")
            answered = probe.makefile("rb").readline(4096)
        except TimeoutError as slow:
            raise LegacyServerDown(legacy_silent(address)) from slow
        except OSError as error:
            raise LegacyServerDown(legacy_down(address, error.strerror or str(error))) from None
    if not answered:
        raise LegacyServerDown(legacy_down(address, "it closed the connection without answering"))
    _silent_looks.clear()  # it answers: a later silence counts from the start


PROBE_TIMEOUT_S = 0.4  # to connect, then to answer: both within the readiness check's 1 s
# A server that accepts but does not answer is called hung (with a command that kills it) only after
# this many checks in a row: one just resumed from SIGSTOP answers its backlog first (an SRE was told
# "restart it: kill N" a second after SIGCONT, two seconds before it was ready again).
HUNG_AFTER_LOOKS = 3
_silent_looks: dict[int, int] = {}  # pid -> looks in a row at which it accepted but did not answer
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def legacy_silent(address: tuple[str, int]) -> str:
    """A legacy server that accepts connections (or has its backlog full) but does not answer:
    stopped or hung, named by pid and address with what brings it back."""
    host, port = address
    found = legacy_processes.starting(port) if host in _LOCAL_HOSTS else None
    where = f"{host}:{port}"
    if found is None:
        return (f"the legacy server at {where} accepts connections but does not answer within {PROBE_TIMEOUT_S:g} s "
                f"(hung, stopped or overloaded); restart it: `{legacy_start_command(port)}`")
    if found.paused:
        _silent_looks.clear()  # resumed later, it starts a fresh count: catching up is not hanging
        return (f"the legacy server (pid {found.pid}) on {where} is stopped (SIGSTOP or Ctrl-Z): it accepts "
                f"connections but answers none; resume it: kill -CONT {found.pid}")
    looks = _silent_looks[found.pid] = _silent_looks.get(found.pid, 0) + 1
    if looks < HUNG_AFTER_LOOKS:  # just resumed, or busy: a kill now would cost what it is catching up on
        return (f"the legacy server (pid {found.pid}) on {where} accepts connections but has not answered within "
                f"{PROBE_TIMEOUT_S:g} s (seen so {looks} time{'s' if looks > 1 else ''} in a row): busy, or catching "
                "up after a stop; it is looked at again, and called hung only if it stays so")
    return (f"the legacy server (pid {found.pid}) on {where} accepts connections but does not answer within "
            f"{PROBE_TIMEOUT_S:g} s (seen so {looks} times in a row): hung or overloaded; if it stays so, restart it: "
            f"kill {found.pid}, then `{legacy_start_command(port)}`")


def legacy_down(address: tuple[str, int], why: str) -> str:
    """What is down and what to do, with the port this deployment uses (not the default). On this
    host, a legacy server process on the port that refuses connections is loading: it is said to be
    starting, with its pid and since when, and no start command is given (it would start a second)."""
    host, port = address
    if host not in ("127.0.0.1", "localhost", "::1"):
        return (f"nothing accepts connections at {host}:{port} ({why.lower()}): still loading, or not running; "
                f"start the legacy server on {host}")
    found = legacy_processes.starting(port)
    if found is not None and found.stopping:
        return (f"the legacy server on {host}:{port} is {found.words()}: it accepts no more connections and "
                f"exits once its turns in progress are done; once it has exited, start it again: "
                f"`{legacy_start_command(port)}`")
    if found is not None:
        # No time guessed: a prepared database loads in seconds, a first start takes minutes (a
        # newcomer read "a few minutes", then saw it ready 0.5 s later); its log says how far it is.
        log_name = f"var/legacy-server-{port}.log"  # where make run writes it, in the checkout
        where = f": {log_name}" if (WEB_DIR.parent / log_name).is_file() else ""
        return (f"the legacy server on {host}:{port} is {found.words()}: it accepts connections once its "
                f"catalogue is loaded (a first start also prepares the database; its log shows how far it is{where})")
    return (f"nothing accepts connections at {host}:{port} ({why.lower()}) and no legacy server runs on port "
            f"{port}; start it: `{legacy_start_command(port)}`")


def legacy_start_command(port: int) -> str:
    """The command that starts the legacy server alone on `port`, as `make run` prints it (it passes
    its own in ``$LEGACY_START_COMMAND``): the server records its pid in var/legacy-server-PORT.pid,
    where `make run`'s Ctrl-C and `make stop` find it, and logs beside it."""
    given = os.environ.get("LEGACY_START_COMMAND", "").strip()
    return given or (f".venv/bin/python -m legacy_socket_server --port {port} --pid-file var/legacy-server-{port}.pid"
                     f" >> var/legacy-server-{port}.log 2>&1 &")


# What a public client is told when the legacy server fails it: the operator's message names its pid,
# address and the command that resumes it (`puma status` and the log keep them); a chat user can
# only come back later.
PUBLIC_NOT_ANSWERING = "the comparison server is not answering; retry later"


def legacy_address() -> tuple[str, int]:
    """``(host, port)`` from ``$LEGACY_SOCKET_ADDR`` ("host:port"); 500 if malformed."""
    raw = os.environ.get(LEGACY_ADDR_ENV, "").strip() or DEFAULT_LEGACY_ADDR
    host, sep, port = raw.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise puma.HTTPError(500, f"{LEGACY_ADDR_ENV}={raw!r} is not host:port; "
                                  f"set it like {DEFAULT_LEGACY_ADDR}")
    return host.strip("[]"), int(port)


def exchange(address: tuple[str, int], message: Mapping[str, Any], *,
             timeout_s: float = LEGACY_TIMEOUT_S) -> dict[str, Any]:
    """Send one JSON line to the legacy server and read its one-line JSON reply."""
    where = f"{address[0]}:{address[1]}"
    try:
        with socket.create_connection(address, timeout=timeout_s) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(json.dumps(dict(message)).encode() + b"\n")
            line = _read_line(sock, time.monotonic() + timeout_s, address)
    except TimeoutError:
        raise puma.HTTPError(504, f"the legacy server at {where} did not answer within "
                                  f"{timeout_s:g} s", backend="legacy",
                             public_message="the comparison server did not answer in time; retry later") from None
    except ConnectionRefusedError:  # not listening (yet): starting (~15 s) or not started
        raise puma.HTTPError(503, f"the legacy server: {legacy_down(address, 'connection refused')}",
                             backend="legacy", retry_after_s=1, public_message=PUBLIC_NOT_ANSWERING) from None
    except OSError as error:
        log.warning("legacy server at %s unreachable: %s", where, error)
        raise puma.HTTPError(502, f"the legacy server at {where} is unreachable "
                                  f"({error.strerror or error}); is it running?",
                             backend="legacy", public_message=PUBLIC_NOT_ANSWERING) from None
    return _decode_reply(line, where)


STOPPED_LOOK_S = 1.0  # while a reply is awaited: how often the server is looked at for a stop (SIGSTOP)


def _read_line(sock: socket.socket, deadline: float, address: tuple[str, int]) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = _recv(sock, deadline, address)
        if not chunk:
            break
        newline = chunk.find(b"\n")
        if newline >= 0:
            chunks.append(chunk[:newline])
            break
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_REPLY_BYTES:
            break
    return b"".join(chunks)


def _recv(sock: socket.socket, deadline: float, address: tuple[str, int]) -> bytes:
    """What the server sent next, waiting until `deadline` (TimeoutError) — unless it is seen stopped
    (SIGSTOP, Ctrl-Z) at two looks in a row: a stopped server answers nothing until resumed, so the
    client is told so now (503 naming the pid and `kill -CONT`), not after the whole timeout."""
    stopped_looks = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        sock.settimeout(min(left, STOPPED_LOOK_S))
        try:
            return sock.recv(65536)
        except TimeoutError:
            found = legacy_processes.starting(address[1]) if address[0] in _LOCAL_HOSTS else None
            stopped_looks = stopped_looks + 1 if found is not None and found.paused else 0
            if stopped_looks >= 2 and found is not None:
                raise _stopped_now(address, found.pid) from None


def _stopped_now(address: tuple[str, int], pid: int) -> puma.HTTPError:
    # The turn waits unread in its socket: resumed, the server may still apply it, so the client is
    # told to re-send it with the same turn_no (applied once), not that nothing happened.
    return puma.HTTPError(503, f"the legacy server (pid {pid}) on {address[0]}:{address[1]} is stopped (SIGSTOP "
                               f"or Ctrl-Z): it holds this request unread and answers nothing until resumed "
                               f"(kill -CONT {pid}); once it runs again it may still apply it: re-send it with the "
                               "same turn_no (a turn is applied once)", backend="legacy", retry_after_s=5,
                          may_have_taken_effect=True,
                          public_message=f"{PUBLIC_NOT_ANSWERING} with the same turn_no (a turn is applied once)")


def _decode_reply(line: bytes, where: str) -> dict[str, Any]:
    if not line.strip():
        raise puma.HTTPError(502, f"the legacy server at {where} closed the connection "
                                  "without a reply", backend="legacy", public_message=PUBLIC_NOT_ANSWERING)
    try:
        reply = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise puma.HTTPError(502, f"the legacy server at {where} sent a reply that is not "
                                  "JSON", backend="legacy", public_message=PUBLIC_NOT_ANSWERING) from None
    if not isinstance(reply, dict):
        raise puma.HTTPError(502, f"the legacy server at {where} sent "
                                  f"{type(reply).__name__}, not a JSON object", backend="legacy",
                             public_message=PUBLIC_NOT_ANSWERING)
    return reply


def _reply_status(reply: Mapping[str, Any]) -> int:
    """The listener's error replies carry their HTTP status; pass it on."""
    status = reply.get("status") if "error" in reply else None
    return status if isinstance(status, int) and 400 <= status < 600 else 200
