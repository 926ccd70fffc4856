"""A service whose store can be made to fail each write as a real one does (tests/test_degraded.py):
the file named by PUMA_TEST_STORE_FAULT holds the fault ("full", "enospc", "readonly") or nothing."""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

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
