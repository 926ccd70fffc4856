"""A service with a bug only some instances hit: one whose pid has a flag file fails every request
(tests/test_lonefaults_replaced.py), and one whose pid has a slow flag takes as many seconds as it
says. The flags' directory is the environment's PUMA_TEST_FLAGS."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path


def work() -> dict:
    flags = Path(os.environ["PUMA_TEST_FLAGS"])
    if (flags / "all").exists() or (flags / f"bad-{os.getpid()}").exists():
        raise RuntimeError("a bug only this instance hits")
    slow = flags / f"slow-{os.getpid()}"
    if slow.exists():
        time.sleep(float(slow.read_text()))
    return {"pid": os.getpid()}


def warm_forever() -> None:
    """A warm-up that never ends (a lock never released, a server that never answers)."""
    threading.Event().wait()
