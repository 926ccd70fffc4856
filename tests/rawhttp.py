"""Send exactly the bytes a test chooses (malformed, smuggled, pipelined, HTTP/1.0) and read every
response on the connection, parsed by httptools (llhttp, uvicorn's parser) — so a test sees what a
careless or hostile client sees, HTTP/1.0 keep-alive and pipelining included."""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass, field
from typing import Any

import httptools


@dataclass
class RawResponse:
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    http_version: str = ""

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def is_json(self) -> bool:
        return self.headers.get("content-type", "").startswith("application/json")


@dataclass
class Exchange:
    responses: list[RawResponse] = field(default_factory=list)
    closed: bool = False       # the server closed the connection
    timed_out: bool = False    # it was still open, silent, when the time was up
    protocol_error: str | None = None

    @property
    def statuses(self) -> list[int]:
        return [r.status for r in self.responses]


class _Collector:
    """httptools callbacks: one `RawResponse` per message on the connection."""

    def __init__(self, expect_head: bool) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.responses: list[RawResponse] = []
        self.current = RawResponse()
        self.expect_head = expect_head
        self.head_done = False

    def on_message_begin(self) -> None:
        self.current = RawResponse()

    def on_header(self, name: bytes, value: bytes) -> None:
        self.current.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.current.status = self.parser.get_status_code()
        self.current.http_version = self.parser.get_http_version()
        if self.expect_head:  # a HEAD reply has no body, whatever its Content-Length says
            self.responses.append(self.current)
            self.head_done = True

    def on_body(self, body: bytes) -> None:
        self.current.body += body

    def on_message_complete(self) -> None:
        if not self.head_done and self.current.status >= 200:  # "100 Continue" is not an answer
            self.responses.append(self.current)


def exchange(port: int, data: bytes | list[bytes], *, expect: int = 1, timeout_s: float = 5.0,
             pause_s: float = 0.0, head: bool = False, see_close: bool = False,
             host: str = "127.0.0.1") -> Exchange:
    """Write `data` (a list: pieces written `pause_s` apart), then read until `expect` responses
    arrived, the server closed, or `timeout_s` passed. `head`: the (one) request is a HEAD;
    `see_close`: then wait up to 0.3 s more to see whether the server closes the connection."""
    pieces = data if isinstance(data, list) else [data]
    result = Exchange()
    collector = _Collector(head)
    deadline = time.monotonic() + timeout_s
    with socket.create_connection((host, port), timeout=timeout_s) as sock:
        try:
            for n, piece in enumerate(pieces):
                if n and pause_s:
                    time.sleep(pause_s)
                sock.sendall(piece)
        except OSError:  # the server may answer and close before reading all we send
            pass
        while len(collector.responses) < expect and not result.closed and not result.protocol_error:
            received = _recv(sock, result, deadline)
            if not received:
                break
            try:
                collector.parser.feed_data(received)
            except httptools.HttpParserError as exc:
                result.protocol_error = str(exc)
        if see_close and len(collector.responses) >= expect and not result.closed:
            _note_close(sock, result)
    result.responses = collector.responses
    return result


def _recv(sock: socket.socket, result: Exchange, deadline: float) -> bytes | None:
    sock.settimeout(max(0.01, deadline - time.monotonic()))
    try:
        data = sock.recv(65536)
    except TimeoutError:
        result.timed_out = True
        return None
    except OSError:
        result.closed = True
        return None
    if not data:
        result.closed = True
    return data


def _note_close(sock: socket.socket, result: Exchange) -> None:
    """Whether the server closes the connection right after its last answer (waits 0.3 s)."""
    sock.settimeout(0.3)
    try:
        result.closed = sock.recv(1) == b""
    except (TimeoutError, OSError):
        pass
