"""Reading one HTTP/1.1 response off a non-blocking socket, parsed by llhttp (`httptools`).

llhttp decides every framing question: the status line, header syntax, Content-Length, the
chunked coding, 1xx interim responses and where a message ends. It refuses what RFC 9112 forbids
and smuggling relies on: Content-Length beside Transfer-Encoding, a repeated or non-digit
Content-Length ("²", "-1", "2, 2"), a signed or prefixed chunk size ("-1", "0x3", "+3"),
whitespace before a colon, bare LF line ends, obsolete line folding. On top of it, this module
refuses what llhttp lets through but a mesh client cannot read safely: a version other than
HTTP/1.0 or 1.1, a transfer coding other than exactly `chunked` (never asked for, so never
decodable), an upgrade nobody asked for, a head over `MAX_HEAD_BYTES`. Each is a `ProtocolError`,
and the connection it came on is never reused. Bytes after a complete response (a second,
unsolicited response: a desynchronised connection) keep the response but close the connection.

A body of known length still arriving after its head is read straight into its own buffer
(`recv_into`), past the parser, once llhttp has fixed its length: a 68 MB `puma_map` result then
costs one copy, as it did before the parser.

>>> reader = ResponseReader("GET /x")                          # doctest: +SKIP
>>> reply = reader.read(sock)   # None until complete: call again when `sock` is readable
"""

from __future__ import annotations

import math
import socket
import ssl
import time
from typing import NamedTuple

import httptools

MAX_HEAD_BYTES = 64 << 10  # a response's status line and headers, 1xx interim responses included
RECV_BYTES = 256 << 10
DIRECT_BYTES = 64 << 10  # a known-length body with at least this much still to come is read past the parser
PREALLOCATE_BYTES = 256 << 20  # a longer known-length body grows with what arrives, never on the server's word
MAX_BODY_BYTES = 4 << 30  # a response body: a 10^7-item map result is ~0.7 GB
_WOULD_BLOCK = (BlockingIOError, InterruptedError, ssl.SSLWantReadError, ssl.SSLWantWriteError)


class ProtocolError(ConnectionError):
    """The server's response is not HTTP/1.x as RFC 9112 has it; the connection is dropped."""


class Disconnected(ConnectionError):
    """The server closed the connection before the response was complete (`started`: any byte came)."""

    def __init__(self, message: str, started: bool) -> None:
        super().__init__(message)
        self.started = started


def _joined(fields: list[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in fields:
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


class Reply(NamedTuple):
    """A complete response: `status`, `headers` (names in lower case, repeats joined by ", "), `body`."""

    status: int
    headers: dict[str, str]
    body: bytes | bytearray
    will_close: bool = False  # the connection cannot carry another request

    def header(self, name: str) -> str:
        return self.headers.get(name, "")


class ResponseReader:
    """The response to one request (`what`, e.g. "POST /map", for messages), read as it arrives.

    Delimited by Content-Length, the chunked coding, or the end of the connection; 1xx interim
    responses are skipped. `read` raises `ProtocolError` or `Disconnected` (both ConnectionError).
    """

    # Defaults at class level: a reader is made per request, and most of these never change.
    started = False
    head_bytes = 0  # received before the final response's head was complete
    began = b""  # the response's first bytes, for messages
    status = 0  # of the final response, once its head is complete
    in_head = True  # on_header is for the head, not for a chunked body's trailer
    received = 0
    length = -1  # Content-Length of the final response; -1: none
    chunked = False
    keep_alive = False
    complete = False
    excess = False  # bytes came after the complete response
    refused: ProtocolError | None = None
    body: bytearray | None = None  # a known-length body read past the parser
    filled = 0
    reason_bytes = 0

    def __init__(self, what: str) -> None:
        self.what = what
        # The parser holds this reader's callbacks and the reader holds it: a cycle, broken (`parser`
        # None) once the response is read or refused, so readers go by reference counting, not the
        # cyclic GC (which, left to collect one per request, cost ~20 us a request).
        self.parser: httptools.HttpResponseParser | None = httptools.HttpResponseParser(self)
        self.fields: list[tuple[bytes, bytes]] = []
        self.headers: dict[str, str] = {}
        self.parts: list[bytes] = []
        self.no_body = what.startswith("HEAD ")  # a HEAD response's Content-Length describes no body here

    # llhttp's callbacks (httptools calls them from `feed_data`); this is the hot path of every request
    def on_message_begin(self) -> None:
        if self.complete:
            self.excess = True  # a second message: no request asked for it

    def on_status(self, reason: bytes) -> None:
        self.reason_bytes += len(reason)  # in pieces, as they arrive

    def on_header(self, name: bytes, value: bytes) -> None:
        if self.in_head:  # not a chunked body's trailer, nor a message after the response
            self.fields.append((name, value))

    def on_headers_complete(self) -> None:
        if self.complete:
            return
        parser = self._llhttp
        status = parser.get_status_code()
        fields, self.fields = self.fields, []
        if status < 200:
            if status < 100:
                self._refuse(f"status {status} (a status has three digits, 100-599)")
            return  # 100 Continue, 103 Early Hints: the final response follows (101 raises on its own)
        self.in_head = False
        if self.head_bytes > MAX_HEAD_BYTES and self.reason_bytes + sum(len(n) + len(v) + 4 for n, v in fields) > MAX_HEAD_BYTES:
            self._refuse(f"head longer than {MAX_HEAD_BYTES} bytes")
        self.headers = headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in fields}
        if len(headers) < len(fields):
            self.headers = headers = _joined(fields)
        version = parser.get_http_version()
        if version != "1.1" and version != "1.0":
            self._refuse(f"HTTP/{version} status line on an HTTP/1.1 connection")
        if "transfer-encoding" in headers:
            self._check_coding(headers["transfer-encoding"], version)
        self.status, self.keep_alive = status, parser.should_keep_alive()
        if self.no_body:
            self.complete = True
            return
        length = headers.get("content-length")
        if length is not None and status != 204 and status != 304:
            self.length = int(length)  # llhttp has checked: digits, one value
            if self.length > MAX_BODY_BYTES:
                self._refuse(f"Content-Length {self.length} is over {MAX_BODY_BYTES} bytes")

    def _check_coding(self, coding: str, version: str) -> None:
        if version == "1.0":  # RFC 9112 6.1: its framing is faulty
            self._refuse("Transfer-Encoding in an HTTP/1.0 response")
        if coding.strip().lower() != "chunked":
            self._refuse(f"Transfer-Encoding {coding[:60]!r}: only 'chunked' can be read (nothing else was asked for)")
        self.chunked = True

    def _refuse(self, problem: str) -> None:
        self.refused = ProtocolError(f"malformed response to {self.what}: {problem}")
        raise self.refused

    def on_body(self, body: bytes) -> None:
        if not self.complete:
            self.parts.append(body)
            self.received += len(body)

    def on_message_complete(self) -> None:
        if self.status:  # the final response (interim ones have no status here)
            self.complete = True

    # reading
    def read(self, sock: socket.socket, deadline: float = math.inf) -> Reply | None:
        """Take in what has arrived on `sock`; the response once complete, else None.
        TimeoutError if bytes are still coming at `deadline` (a body that never ends)."""
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the response to {self.what} was still arriving at its deadline")
            if self.body is not None:
                if self.filled == len(self.body):
                    return self._reply(self.body)
                received = self._recv_into(sock, memoryview(self.body)[self.filled:])
                if received is None:
                    return None
                self.filled += received
                continue
            data = self._recv(sock)
            if data is None:
                return None
            if not data:
                return self._eof()
            self._feed(data)
            if self.complete:
                return self._reply(b"".join(self.parts))
            if self.received > MAX_BODY_BYTES:
                raise ProtocolError(f"malformed response to {self.what}: body over {MAX_BODY_BYTES} bytes")
            if DIRECT_BYTES <= self.length - self.received and self.length <= PREALLOCATE_BYTES and not self.chunked:
                self.body = bytearray(self.length)
                self.body[:self.received] = b"".join(self.parts)
                self.filled, self.parts, self.parser = self.received, [], None

    @property
    def _llhttp(self) -> httptools.HttpResponseParser:
        assert self.parser is not None
        return self.parser

    def _feed(self, data: bytes) -> None:
        try:
            self._parse(data)
        except BaseException:
            self.parser = None
            raise

    def _parse(self, data: bytes) -> None:
        if not self.status:
            self.began = self.began or data[:120]
            self.head_bytes += len(data)
        try:
            self._llhttp.feed_data(data)
        except httptools.HttpParserUpgrade:
            if not self.complete:
                raise ProtocolError(f"malformed response to {self.what}: 101 Switching Protocols, "
                                    "but no upgrade was asked for") from None
            self.excess = True
        except httptools.HttpParserCallbackError:
            raise self.refused or ProtocolError(f"malformed response to {self.what}") from None
        except httptools.HttpParserError as exc:
            if not self.complete:
                raise ProtocolError(f"malformed response to {self.what}: {exc} (llhttp); "
                                    f"it began {bytes(self.began)!r}") from None
            self.excess = True  # the response was whole; what followed it pairs with no request
        if not self.status and self.head_bytes > MAX_HEAD_BYTES:
            raise ProtocolError(f"malformed response to {self.what}: head longer than {MAX_HEAD_BYTES} bytes")

    def _eof(self) -> Reply:
        if self.status and self.length < 0 and not self.chunked:
            self.keep_alive = False
            return self._reply(b"".join(self.parts))  # delimited by the end of the connection
        if self.status and self.length >= 0:
            raise Disconnected(f"the server closed the connection {self.length - self.received} bytes before "
                               f"the end of the body (response to {self.what})", started=True)
        raise Disconnected(f"the server closed the connection before the response to {self.what} was complete",
                           started=self.started)

    def _reply(self, body: bytes | bytearray) -> Reply:
        self.parser = None
        return Reply(self.status, self.headers, body, will_close=self.excess or not self.keep_alive)

    def _recv(self, sock: socket.socket) -> bytes | None:
        try:
            data = sock.recv(RECV_BYTES)
        except _WOULD_BLOCK:
            return None
        except ConnectionResetError as exc:
            raise Disconnected(f"the server reset the connection: {exc}", started=self.started) from None
        self.started = self.started or bool(data)
        return data

    def _recv_into(self, sock: socket.socket, view: memoryview) -> int | None:
        try:
            received = sock.recv_into(view)
        except _WOULD_BLOCK:
            return None
        except ConnectionResetError as exc:
            raise Disconnected(f"the server reset the connection mid-body: {exc}", started=True) from None
        if not received:
            raise Disconnected(f"the server closed the connection {len(view)} bytes before the end of the body "
                               f"(response to {self.what})", started=True)
        return received
