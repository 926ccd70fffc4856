"""The monolith: a threading socket server with every part of the chatbot in this process.

The paper's Listing 1, in Python 3 and made robust. One JSON object per line in each
direction, any number of requests per connection::

    -> {"id": "-1", "text": "", "mode": "false", "turn_no": 1}
    <- {"response": "Hi, I'm Chatbot...", "userid": "3f2a...", "signal": "listen",
        "passiveLen": 1, "messages": [...], "turn_no": 1, "recommendation": null}

A bad request gets ``{"error": code, "detail": text, "status": HTTP-like status}`` and the
connection stays open, except for a line over ``max_line_bytes`` (the rest of the stream can
no longer be framed): that gets ``line_too_long`` and the connection is closed. Example::

    server = LegacyServer(Chatbot(), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever).start()
    ...
    server.shutdown()
"""

from __future__ import annotations

import errno
import json
import logging
import socket
import socketserver
import threading
from typing import Any

from chatbot.bot import Chatbot
from chatbot.listener import error_reply, handle
from legacy_socket_server.options import DEBUG_PORT, MAX_LINE_BYTES, PORT
from puma import ports
from puma.codec import JSONBodyError, NonFiniteNumberError, decode_json, encode_json

log = logging.getLogger(__name__)

IDLE_TIMEOUT_S = 60.0
CLOSE_TIMEOUT_S = 5.0


def chatbox_socket(debug: bool) -> int:
    """The port of Listing 1: 13113, or 13120 in debug mode."""
    return DEBUG_PORT if debug else PORT


def answer(bot: Chatbot, line: bytes) -> dict[str, Any]:
    """The reply to one request line; never raises for bad input."""
    try:
        # The mesh's decoder, on the bytes as received: the same rules for encodings (a BOM is
        # skipped, invalid UTF-8 such as an encoded surrogate is refused) and duplicate keys.
        request = decode_json(line)
    except JSONBodyError as error:
        return error_reply("bad_request", str(error), 400)
    return handle(bot, request)


class PortInUseError(OSError):
    """The legacy server's port is taken: names it and how to choose another."""

    def __init__(self, host: str, port: int, *, loading: bool = False) -> None:
        what = "another server has bound it and is still starting (a legacy server loading its catalogue?)" \
            if loading else f"stop what uses it ({ports.stop_command(port)})"
        super().__init__(errno.EADDRINUSE, f"port {port} is already in use ({host}:{port}): {what}, "
                         "or choose another port: --port N (with make run: make run LEGACY_PORT=N)")

    def __str__(self) -> str:
        return str(self.strerror)


class LegacyServer(socketserver.ThreadingTCPServer):
    """One thread per client connection; a conversation lives in ``bot``'s memory store."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, bot: Chatbot | None, host: str, port: int, *,
                 max_line_bytes: int = MAX_LINE_BYTES, idle_timeout_s: float = IDLE_TIMEOUT_S,
                 listen: bool = True) -> None:
        """Binds ``host:port`` at once (a port in use raises ``PortInUseError``); with
        ``listen=False`` the socket refuses connections until ``listen()`` (so the port is claimed
        before the slow catalogue load, and nobody connects to a server with no bot yet)."""
        self.bot: Chatbot | None = bot  # None until set, before listen()
        self.max_line_bytes = max_line_bytes
        self.idle_timeout_s = idle_timeout_s
        self._clients: set[socket.socket] = set()
        self._clients_changed = threading.Condition()
        super().__init__((host, port), ClientHandler, bind_and_activate=False)
        # Another server still loading holds the port bound, not listening: a SO_REUSEADDR bind
        # would share it, load for a minute, then fail to listen (and take over its pid file).
        if ports.bound_not_listening(port, host if host not in ("", "0.0.0.0") else "127.0.0.1"):
            self.server_close()
            raise PortInUseError(host, port, loading=True)
        try:
            self.server_bind()
        except OSError as exc:
            self.server_close()
            if exc.errno == errno.EADDRINUSE:
                raise PortInUseError(host, port) from None
            raise
        if listen:
            self.listen()

    def listen(self) -> None:
        """Start accepting connections (the bind happened in the constructor)."""
        self.server_activate()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def shutdown(self) -> None:
        """Stop accepting, let each client's current turn finish, close every connection."""
        super().shutdown()
        with self._clients_changed:
            for client in self._clients:
                _shut_reading(client)
            if not self._clients_changed.wait_for(lambda: not self._clients, CLOSE_TIMEOUT_S):
                log.warning("%d client(s) still busy after %.0f s; closing anyway",
                            len(self._clients), CLOSE_TIMEOUT_S)
        self.server_close()

    def track(self, client: socket.socket, live: bool) -> None:
        with self._clients_changed:
            (self._clients.add if live else self._clients.discard)(client)
            self._clients_changed.notify_all()


class ClientHandler(socketserver.StreamRequestHandler):
    """Listing 1's ``listenToClient``: read a line, answer it, until the client goes."""

    server: LegacyServer

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.idle_timeout_s)  # what a `timeout` attribute would set
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass  # the client is gone; nothing left to flush
        finally:
            self.server.track(self.connection, False)

    def handle(self) -> None:
        try:
            while self._serve_one():
                pass
        except TimeoutError:
            log.debug("client %s idle for %.0f s; closing", self.client_address, self.timeout)
        except OSError as error:
            log.debug("client %s went away: %s", self.client_address, error)

    def _serve_one(self) -> bool:
        line = self.rfile.readline(self.server.max_line_bytes + 1)
        if not line:
            return False
        if len(line) > self.server.max_line_bytes:
            self._send(error_reply("line_too_long", f"request line is over {self.server.max_line_bytes} "
                                   "bytes; send one JSON object per line", 413))
            return False
        if line.strip():
            self._send(self._answer(line))
        return True

    def _answer(self, line: bytes) -> dict[str, Any]:
        try:
            assert self.server.bot is not None, "listen() comes after the bot is set"
            return answer(self.server.bot, line)
        except Exception:  # a failing turn must not take the connection, or the server, down
            log.exception("turn failed for client %s", self.client_address)
            return error_reply("internal_error", "the server failed on this request; try again", 500)

    def _send(self, reply: dict[str, Any]) -> None:
        try:
            line = encode_json(reply)
        except NonFiniteNumberError as error:  # never a line other clients cannot parse
            log.error("reply to %s is not JSON: %s", self.client_address, error)
            line = json.dumps(error_reply("internal_error", "the server built a reply JSON cannot hold", 500))
        self.wfile.write(line.encode("utf-8") + b"\n")
        self.wfile.flush()


def _shut_reading(client: socket.socket) -> None:
    try:
        client.shutdown(socket.SHUT_RD)  # its handler sees end of input after the current turn
    except OSError:
        pass
