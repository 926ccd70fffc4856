"""A bare HTTP/2 (h2c, prior knowledge) client for edge tests: sends requests whose headers are
encoded as HPACK literals (no Huffman, no indexing: any size), and reports, per stream, the
response's status or the RST_STREAM error code, and any GOAWAY. Enough to see what Envoy does
with a stream it refuses; not a general client (response headers are read for :status only)."""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass, field

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0, 1, 3, 4, 6, 7, 8, 9
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1
MAX_FRAME = 16_384
REFUSED_STREAM = 0x7
# HPACK static table entries for :status (RFC 7541 appendix A): index -> status.
_STATIC_STATUS = {8: 200, 9: 204, 10: 206, 11: 304, 12: 400, 13: 404, 14: 500}


@dataclass
class Outcome:
    statuses: dict[int, int] = field(default_factory=dict)  # stream id -> :status
    resets: dict[int, int] = field(default_factory=dict)  # stream id -> RST_STREAM error code
    goaway: int | None = None  # the GOAWAY error code, if the connection was ended
    closed: bool = False


def _int(value: int, prefix_bits: int, first: int = 0) -> bytes:
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out, value = bytearray([first | limit]), value - limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _literal(name: str, value: str) -> bytes:
    n, v = name.encode("latin-1"), value.encode("latin-1")
    return b"\x00" + _int(len(n), 7) + n + _int(len(v), 7) + v


def _frame(kind: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def _headers(stream: int, block: bytes, end_stream: bool) -> bytes:
    chunks = [block[i:i + MAX_FRAME] for i in range(0, len(block), MAX_FRAME)] or [b""]
    out = b""
    for i, chunk in enumerate(chunks):
        last = END_HEADERS if i == len(chunks) - 1 else 0
        flags = last | (END_STREAM if end_stream and i == 0 else 0)
        out += _frame(HEADERS if i == 0 else CONTINUATION, flags, stream, chunk)
    return out


def exchange(port: int, requests: list[tuple[str, str, list[tuple[str, str]]]], timeout_s: float = 10.0) -> Outcome:
    """Send each `(method, path, headers)` (no body) on one connection to 127.0.0.1:`port`, on
    streams 1, 3, 5...; wait until each has an answer or a reset, the connection ends, or `timeout_s`."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout_s)
    outcome, deadline = Outcome(), time.monotonic() + timeout_s
    try:
        sock.sendall(PREFACE + _frame(SETTINGS, 0, 0))
        for i, (method, path, headers) in enumerate(requests):
            pseudo = [(":method", method), (":scheme", "http"), (":path", path), (":authority", "localhost")]
            block = b"".join(_literal(k, v) for k, v in pseudo + headers)
            sock.sendall(_headers(2 * i + 1, block, end_stream=True))
        buffer = b""
        while len(outcome.statuses) + len(outcome.resets) < len(requests) and time.monotonic() < deadline:
            try:
                data = sock.recv(65_536)
            except (TimeoutError, ConnectionResetError):
                outcome.closed = True
                break
            if not data:
                outcome.closed = True
                break
            buffer += data
            while len(buffer) >= 9 and len(buffer) >= 9 + int.from_bytes(buffer[:3], "big"):
                length = int.from_bytes(buffer[:3], "big")
                kind, flags, stream = buffer[3], buffer[4], int.from_bytes(buffer[5:9], "big") & 0x7FFFFFFF
                payload, buffer = buffer[9:9 + length], buffer[9 + length:]
                _read(sock, outcome, kind, flags, stream, payload)
            if outcome.goaway is not None:
                break
    finally:
        sock.close()
    return outcome


def _read(sock: socket.socket, outcome: Outcome, kind: int, flags: int, stream: int, payload: bytes) -> None:
    if kind == SETTINGS and not flags & ACK:
        sock.sendall(_frame(SETTINGS, ACK, 0))
    elif kind == RST_STREAM:
        outcome.resets[stream] = int.from_bytes(payload[:4], "big")
    elif kind == GOAWAY:
        outcome.goaway = int.from_bytes(payload[4:8], "big")
    elif kind == HEADERS and stream not in outcome.statuses:
        outcome.statuses[stream] = _status(payload)


def _status(block: bytes) -> int:
    """The :status of a response header block (Envoy sends it first: indexed, or a literal)."""
    first = block[0]
    if first & 0x80:  # indexed
        return _STATIC_STATUS.get(first & 0x7F, -1)
    # A literal whose name is :status (static index 8..14); its value, if not Huffman-coded.
    value_len = block[1] & 0x7F
    raw = block[2:2 + value_len]
    return int(raw) if not block[1] & 0x80 and raw.isdigit() else -1
