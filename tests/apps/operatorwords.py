"""Services whose failures are worded for an operator (a pid, an internal address, a kill command, a
config key): tests/test_public_replies.py checks what a public client is told of each."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import puma

SECRET_WORDS = "the backend (pid 4242) on 10.1.2.3:6379 is stopped (SIGSTOP or Ctrl-Z): resume it: kill -CONT 4242"


class BackendDown(ConnectionError):
    pass


puma.mark_unavailable(BackendDown, store="the backend", retry_after_s=1.0)


def fail(kind: str) -> dict:
    """Fail in the way `kind` names, in operators' words."""
    if kind == "http":
        raise puma.HTTPError(503, f"{SECRET_WORDS}; or raise puma_services.words.timeout_s in the config")
    if kind == "own-words":
        raise puma.HTTPError(502, SECRET_WORDS, public_message="the backend is not answering; retry later")
    if kind == "store":
        raise BackendDown(SECRET_WORDS)
    if kind == "full":
        raise OSError(errno.ENOSPC, "No space left on device", "/srv/app/data/orders.db")
    if kind == "bad":
        raise puma.HTTPError(400, "kind: pick one of http, own-words (see `puma logs words` for pid 4242)")
    return {"kind": kind}


def ready() -> None:
    """Not ready while the file $WORDS_DOWN names exists, saying why in operators' words."""
    flag = os.environ.get("WORDS_DOWN")
    if flag and Path(flag).exists():
        raise BackendDown(SECRET_WORDS)
