"""Handlers that hold their thread without CPU, like a call to a dependency that never answers,
and handlers that raise what ends a program rather than a request."""

from __future__ import annotations

import os
import socket
import threading

_never = threading.Event()


def hold(seconds: float = 0.0) -> dict:
    _never.wait(seconds)  # blocked, no CPU: as a socket read with no timeout
    return {"held": seconds, "pid": os.getpid(), "by": f"{socket.gethostname()}:{os.getpid()}"}


def leave(kind: str = "stay") -> dict:
    if kind == "exit":
        raise SystemExit(3)
    if kind == "exit-text":
        raise SystemExit("usage: leave KIND")
    if kind == "interrupt":
        raise KeyboardInterrupt
    if kind == "generator-exit":
        raise GeneratorExit
    return {"stayed": True, "pid": os.getpid(), "by": f"{socket.gethostname()}:{os.getpid()}"}
