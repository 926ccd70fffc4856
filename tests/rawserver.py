"""A loopback HTTP/1.1 server that answers with exactly the bytes a test chooses, to try clients
against malformed, smuggled and desynchronised responses. Each connection is numbered; a test
sees which connection each request came on and which ones the client closed."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

# (request head, n-th request) -> bytes to write; in a list, None hangs up there; None alone: hang up at
# once; a function: it is given the socket (the request's body unread) and does as it likes, then hangs up.
Answer = Callable[[bytes, int], bytes | list[bytes | None] | Callable[[socket.socket], None] | None]


@dataclass
class RawServer:
    answer: Answer
    sock: socket.socket = field(default_factory=socket.socket)
    requests: list[tuple[int, bytes]] = field(default_factory=list)  # (connection number, request head)
    closed_by_client: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    open: list[socket.socket] = field(default_factory=list)
    # (request head) -> a function given the socket before the request's body is read (it answers
    # early, then the server hangs up), or None to go on as usual
    early: Callable[[bytes], Callable[[socket.socket], None] | None] = lambda head: None

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def connection_of(self, n: int) -> int:
        return self.requests[n][0]

    def serve(self) -> None:
        number = 0
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.open.append(conn)
            threading.Thread(target=self._connection, args=(conn, number), daemon=True).start()
            number += 1

    def _connection(self, conn: socket.socket, number: int) -> None:
        conn.settimeout(10)
        buffer = b""
        with conn:
            while not self.stop.is_set():
                while b"\r\n\r\n" not in buffer:
                    try:
                        more = conn.recv(65536)
                    except OSError:
                        more = b""
                    if not more:
                        with self.lock:
                            self.closed_by_client.add(number)
                        return
                    buffer += more
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                act = self.early(head)
                if act is not None:
                    with self.lock:
                        self.requests.append((number, head))
                    act(conn)
                    return
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")[1:]
                               if line.lower().startswith(b"content-length:")), 0)
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                buffer = buffer[length:]
                with self.lock:
                    self.requests.append((number, head))
                    index = len(self.requests) - 1
                reply = self.answer(head, index)
                if reply is None:
                    return  # hang up without a word
                if callable(reply):
                    reply(conn)
                    return
                try:
                    for piece in reply if isinstance(reply, list) else [reply]:
                        if piece is None:
                            return
                        conn.sendall(piece)
                except OSError:
                    return


@contextmanager
def raw_server(answer: Answer, early: Callable[[bytes], Callable[[socket.socket], None] | None] | None = None,
               ) -> Iterator[RawServer]:
    server = RawServer(answer) if early is None else RawServer(answer, early=early)
    server.sock.bind(("127.0.0.1", 0))
    server.sock.listen(16)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        for sock in [server.sock, *server.open]:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes accept() and recv() in the server's threads
            except OSError:
                pass
        server.sock.close()
        thread.join(5)
