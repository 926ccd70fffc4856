"""`JSONRequestHandler`: the standard library's HTTP/1.1 request handler, safe on a kept-alive
connection behind Envoy, with JSON bodies for every answer, errors included.

`http.server` leaves the request body in the socket when a handler answers without reading it
(a 401 before the body, say); on a kept-alive connection the next request then starts in the
middle of that body and gets a 400/501 HTML page. Here every answer first reads and discards what
is left of the body (up to `MAX_DISCARD_BYTES`), or closes the connection when it cannot
(a chunked body, a body too large, a malformed `Content-Length`), so the next request on the
connection is always parsed from its first byte. The parser's own errors (bad request line,
headers too large, an unknown method) answer JSON too, and close the connection.

    class Handler(JSONRequestHandler):
        def do_GET(self) -> None:
            self.send_json(200, {"ok": True})
"""

from __future__ import annotations

from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any

from . import errorpages
from .codec import JSONBodyError, decode_json, encode_json
from .errors import HTTPError

MAX_DISCARD_BYTES = 1 << 20
IDLE_TIMEOUT_S = 30.0
"""A connection idle this long is closed (Envoy's pool keeps its own shorter: see envoy.py)."""


class JSONRequestHandler(BaseHTTPRequestHandler):
    """Keep-alive-correct JSON request handler; subclasses define `do_GET`, `do_POST`, ..."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # avoid the 40 ms delayed-ACK stall on keep-alive
    timeout = IDLE_TIMEOUT_S
    _body_state = "unread"

    def handle_one_request(self) -> None:
        self._body_state = "unread"
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError):  # the client left before its answer
            self.close_connection = True

    def read_body(self, limit: int = MAX_DISCARD_BYTES) -> bytes:
        """The request body (at most `limit` bytes); HTTPError 411/413/400 when it cannot be read."""
        if self.headers.get("transfer-encoding"):
            self.close_connection = True
            self._body_state = "unreadable"
            raise HTTPError(411, "send the body with a Content-Length, not Transfer-Encoding")
        length = self._content_length()
        if length > limit:
            self.close_connection = True
            self._body_state = "unreadable"
            raise HTTPError(413, f"request body of {length} bytes is over this endpoint's limit of {limit}")
        self._body_state = "read"
        return self.rfile.read(length) if length else b""

    def read_json(self, limit: int = MAX_DISCARD_BYTES, default: Any = None) -> Any:
        """The body decoded as JSON (`default` if empty); HTTPError 400 naming what is wrong."""
        raw = self.read_body(limit)
        if not raw:
            return default
        try:
            return decode_json(raw)
        except JSONBodyError as exc:
            raise HTTPError(400, str(exc)) from None

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        """Answer `status` with `body` as JSON, after discarding any unread request body; an error
        to a browser is its page instead (`puma.errorpages`, the rule every PUMA error follows)."""
        data = encode_json(body).encode()
        request_headers = getattr(self, "headers", None)  # None: the request line itself was refused
        accept = request_headers.get("accept", "") if request_headers is not None else ""
        if errorpages.wants_html(accept) and (error := errorpages.error_body(status, "application/json", data)):
            page = errorpages.error_page(status, error, request_headers.get("referer", "") if request_headers else "")
            return self.send_bytes(status, page.encode(), errorpages.HTML_CONTENT_TYPE, headers)
        self.send_bytes(status, data, "application/json", headers)

    def send_bytes(self, status: int, data: bytes, content_type: str,
                   headers: dict[str, str] | None = None) -> None:
        """Answer `status` with `data`, after discarding any unread request body."""
        self._discard_body()
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        self.send_header("cache-control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The parser's own errors (400, 414, 431, 501, 505) as JSON; the connection then closes."""
        self.close_connection = True
        self._body_state = "unreadable"  # the request could not be framed: never read on
        if self.request_version == "HTTP/0.9":  # what http.server assumes of an unparsable line
            self.request_version = "HTTP/1.0"  # answer with a status line and headers all the same
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "error"
        headers = {}
        if code == HTTPStatus.NOT_IMPLEMENTED and self.command:
            code, message = 405, f"method {self.command} is not allowed here"
            allow = self.allowed()
            if allow:
                headers["Allow"] = ", ".join(allow)
        self.send_json(code, {"error": message or phrase, "status": code}, headers)

    def allowed(self) -> tuple[str, ...] | None:
        """The methods the request's path takes (the `Allow` header of a 405); None if unknown."""
        return None

    def _content_length(self) -> int:
        raw = self.headers.get("content-length")
        if raw is None:
            return 0
        if not raw.strip().isdigit():
            self.close_connection = True
            self._body_state = "unreadable"
            raise HTTPError(400, f"Content-Length {raw[:40]!r} is not a number of bytes")
        return int(raw)

    def _discard_body(self) -> None:
        if self._body_state != "unread" or self.command is None:
            return
        self._body_state = "read"
        try:
            length = 0 if not self.headers.get("transfer-encoding") else MAX_DISCARD_BYTES + 1
            length = length or self._content_length()
        except HTTPError:
            return
        if length > MAX_DISCARD_BYTES:
            self.close_connection = True
            return
        while length > 0:
            chunk = self.rfile.read(min(length, 65536))
            if not chunk:
                self.close_connection = True
                return
            length -= len(chunk)

    def log_message(self, *_args: Any) -> None:
        pass
