"""Closing an instance's listening socket without lying about the requests queued on it.

The zygote holds each instance's listening socket (`puma.zygote`). When it closes one — the
instance was stopped, or died and no replacement came within `ORPHAN_HOLD_S`, or the deployment
stops — connections may sit in its backlog: the kernel completed their handshake, and Envoy wrote
a request on each, but no instance ever read it. A plain `close()` resets them, and Envoy can only
say "its instance closed the connection ... the request may have taken effect", which is false,
and which a client of a non-idempotent service must not retry.

So the zygote accepts what is queued, reads each request whole (h11 frames it) and answers
503 with `NOT_SENT_HEADER`: Envoy's retry policy re-sends it to another instance (any route,
idempotent or not: no handler ran), and when none is left the client gets this body, which says
it was not sent and is safe to retry.

    refuse_queued(sock, "echo", "its instance has stopped")   # -> 2 (requests answered)
"""

from __future__ import annotations

import json
import logging
import selectors
import socket
import time

import h11

log = logging.getLogger("puma.worker")

NOT_SENT_HEADER = "x-puma-not-sent"  # on the zygote's refusal of a request no instance read: safe to re-send
REFUSE_BUDGET_S = 0.5  # at most this long spent reading queued requests (Envoy writes each at once)
MIN_WAIT_S = 0.05  # each queued connection's own, once the budget is spent
RETRY_AFTER_S = 1


def refuse_queued(sock: socket.socket, service: str, why: str, *, budget_s: float = REFUSE_BUDGET_S) -> int:
    """Close `sock`, first answering each connection queued on it 503 "not sent"; how many were answered."""
    queued = _accept_all(sock)
    sock.close()
    if not queued:
        return 0
    deadline = time.monotonic() + budget_s
    answered = 0
    for conn in queued:
        with conn:
            try:
                if _read_request(conn, deadline):
                    conn.sendall(_refusal(service, why))
                    conn.shutdown(socket.SHUT_WR)
                    answered += 1
            except OSError:  # the peer gave up (Envoy's own timeout): nothing to answer
                pass
    if answered:
        log.warning("answered %d request(s) queued on a closed port 503 'not sent' (%s): Envoy sends them "
                    "to another instance", answered, why)
    return answered


def _accept_all(sock: socket.socket) -> list[socket.socket]:
    sock.setblocking(False)
    queued: list[socket.socket] = []
    while True:
        try:
            conn, _addr = sock.accept()
        except (BlockingIOError, InterruptedError):
            return queued
        except OSError:  # closed already, or out of descriptors: the rest are reset, as before
            return queued
        conn.setblocking(False)
        queued.append(conn)


def _read_request(conn: socket.socket, deadline: float) -> bool:
    """Read one request whole (so closing sends no reset over our answer); False if none came in time."""
    parser = h11.Connection(h11.SERVER)
    started = time.monotonic()
    with selectors.DefaultSelector() as sel:
        sel.register(conn, selectors.EVENT_READ)
        while True:
            try:
                event = parser.next_event()
            except h11.RemoteProtocolError:
                return True  # whatever it is, it never reached an instance
            if isinstance(event, h11.EndOfMessage):
                return True
            if isinstance(event, h11.ConnectionClosed):
                return False
            if event is h11.NEED_DATA:
                try:  # what has arrived is read first, however late: closing over unread bytes resets
                    parser.receive_data(conn.recv(65536))
                    continue
                except (BlockingIOError, InterruptedError):
                    pass
                left = max(deadline, started + MIN_WAIT_S) - time.monotonic()
                if left <= 0 or not sel.select(left):
                    return parser.their_state is not h11.IDLE  # part of one: answer it; nothing at all: no


def _refusal(service: str, why: str) -> bytes:
    error = (f"service '{service}': {why} before it read the request; it was not sent to any instance: "
             "safe to retry after the time in Retry-After")
    body = json.dumps({"error": error, "sent": False, "service": service, "status": 503}).encode()
    head = ("HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\n{NOT_SENT_HEADER}: true\r\nretry-after: {RETRY_AFTER_S}\r\n"
            "connection: close\r\n\r\n")
    return head.encode() + body
