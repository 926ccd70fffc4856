"""Forked sums: the parallel reference of the map benchmark.

Forked processes each sum an equal share of a point; nothing moves but the task (two numbers)
and one sum per process, over pipes. That is about the least a parallel map can cost on this
machine, measured in the same run: on a shared VM two vCPUs often give far less than 2x, and
this series shows how much was on offer (it is measured too, so noise can put a series above it).
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
from types import TracebackType
from typing import cast

from .mapfuncs import factorial_sum

_LENGTH = struct.Struct("!Q")


class ForkedSums:
    """`processes` forked children; `sum(k, n)` = sum of n factorial(k), split evenly between them.

    Fork it before starting threads (like `multiprocessing.Pool`). Close it (or use `with`) to stop them.
    """

    def __init__(self, processes: int) -> None:
        self.children: list[tuple[int, int, int]] = []  # pid, fd to it, fd from it
        for _ in range(processes):
            down_r, down_w = os.pipe()
            up_r, up_w = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: answer tasks until the parent closes the pipe
                os.close(down_w)
                os.close(up_r)
                _serve(down_r, up_w)
            os.close(down_r)
            os.close(up_w)
            self.children.append((pid, down_w, up_r))

    def sum(self, k: int, n: int) -> int:
        base, extra = divmod(n, len(self.children))
        for i, (_, to_child, _) in enumerate(self.children):
            _send(to_child, (k, base + (i < extra)))
        return sum(cast(int, _receive(from_child)) for _, _, from_child in self.children)

    def close(self) -> None:
        for pid, to_child, from_child in self.children:
            os.close(to_child)
            os.close(from_child)
            os.kill(pid, signal.SIGTERM)  # not only EOF: a later fork (a Pool's) may hold the pipe open
            os.waitpid(pid, 0)
        self.children = []

    def __enter__(self) -> ForkedSums:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _serve(tasks: int, answers: int) -> None:
    try:
        while True:
            try:
                task = _receive(tasks)
            except EOFError:
                break
            _send(answers, factorial_sum(cast(tuple[int, int], task)))
    finally:
        os._exit(0)


def _send(fd: int, value: object) -> None:
    data = pickle.dumps(value)
    view = memoryview(_LENGTH.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _receive(fd: int) -> object:
    (length,) = _LENGTH.unpack(_read(fd, _LENGTH.size))
    return pickle.loads(_read(fd, length))  # noqa: S301 - our own forked child, over a private pipe


def _read(fd: int, n: int) -> bytes:
    chunks = []
    while n:
        chunk = os.read(fd, n)
        if not chunk:
            raise EOFError("the other end closed the pipe")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)
