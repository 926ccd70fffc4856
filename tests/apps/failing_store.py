"""A service whose store can be made to fail each write as a real one does (tests/test_degraded.py):
the file named by PUMA_TEST_STORE_FAULT holds the fault ("full", "enospc", "readonly") or nothing."""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

import puma

FAULT_ENV = "PUMA_TEST_STORE_FAULT"


def save(text: str) -> dict:
    """Store `text`, unless the store fails now."""
    path = os.environ.get(FAULT_ENV)
    fault = Path(path).read_text().strip() if path and Path(path).exists() else ""
    if fault == "full":  # SQLite on a full disk
        raise sqlite3.OperationalError("database or disk is full")
    if fault == "enospc":  # a plain file write on a full disk
        raise OSError(errno.ENOSPC, "No space left on device", "/srv/notes/notes.log")
    if fault == "readonly":  # a database file made read-only (a remount, a permission change)
        raise sqlite3.OperationalError("attempt to write a readonly database")
    return {"saved": text}


def note(request: puma.Request) -> tuple[dict, int]:
    """`save` behind a handler that refuses bad requests itself, as a chat agent does: a missing
    field 400, an out-of-order turn 409, an unknown session 404 (answered before the store is used)."""
    data = request.data
    if "text" not in data:
        return {"error": "bad_request", "detail": "text: required"}, 400
    if data.get("turn_no") not in (None, "1"):
        return {"error": "conflict", "detail": "turn_no: a new session starts at turn 1"}, 409
    if data.get("id") not in (None, "-1"):
        return {"error": "unknown_session", "detail": f"id: no session {data['id']}"}, 404
    return save(str(data["text"])), 200
