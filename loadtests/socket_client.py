"""A Locust client for the legacy socket server: one JSON object per line, each way.

Every request fires Locust's ``request`` event (type ``socket``), so the legacy server's
turns appear in Locust's statistics like HTTP requests do. Under Locust the ``socket`` module
is gevent's, so a blocked read yields to the other users. Example::

    client = SocketClient("127.0.0.1", 13113, environment.events.request)
    client.request({"id": "-1", "text": "", "mode": "false", "turn_no": 1}, name="turn")
"""

from __future__ import annotations

import io
import json
import logging
import socket
import time
from typing import Any

from loadtests.conversation import Retriable

log = logging.getLogger(__name__)

MAX_LINE_BYTES = 1024 * 1024


class SocketClient:
    """One connection, opened on first use and re-opened after an error."""

    def __init__(self, host: str, port: int, request_event: Any, *, timeout_s: float = 30.0) -> None:
        self.address = (host, port)
        self.request_event = request_event
        self.timeout_s = timeout_s
        self._sock: socket.socket | None = None
        self._stream: io.BufferedIOBase | None = None

    def request(self, payload: dict[str, Any], *, name: str) -> dict[str, Any]:
        """The reply to ``payload``; ``Retriable`` on a connection error or a 5xx error reply."""
        started = time.perf_counter()
        try:
            line = self._exchange(json.dumps(payload).encode("utf-8") + b"\n")
            reply = json.loads(line)
        except (OSError, ValueError) as error:
            self.close()
            self._fire(name, started, 0, error)
            raise Retriable(f"{type(error).__name__}: {error}") from None
        status = int(reply.get("status", 200)) if isinstance(reply, dict) and "error" in reply else 200
        failure = RuntimeError(f"{status} {reply.get('error')}: {reply.get('detail')}") if status >= 400 else None
        self._fire(name, started, len(line), failure)
        if status >= 500:
            raise Retriable(str(failure))
        return reply

    def close(self) -> None:
        for part in (self._stream, self._sock):
            if part is not None:
                try:
                    part.close()
                except OSError:
                    pass
        self._sock = self._stream = None

    def _exchange(self, data: bytes) -> bytes:
        if self._stream is None:
            self._sock = socket.create_connection(self.address, timeout=self.timeout_s)
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._stream = self._sock.makefile("rwb")
        self._stream.write(data)
        self._stream.flush()
        line = self._stream.readline(MAX_LINE_BYTES)
        if not line.endswith(b"\n"):
            raise ConnectionResetError("the server closed the connection mid-reply")
        return line

    def _fire(self, name: str, started: float, length: int, error: Exception | None) -> None:
        self.request_event.fire(request_type="socket", name=name,
                                response_time=(time.perf_counter() - started) * 1000.0,
                                response_length=length, exception=error, context={})
