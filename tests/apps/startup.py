"""Services whose start-up a test controls: a warm-up that waits for a file, one that fails."""

from __future__ import annotations

import os
import time
from pathlib import Path

import puma


def hold_until_released() -> None:
    """Warm-up: report progress, then wait (at most 60 s) until $STARTUP_RELEASE exists."""
    release = Path(os.environ["STARTUP_RELEASE"])
    puma.progress("waiting for the test to release it")
    deadline = time.monotonic() + 60
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.01)


def broken_warmup() -> None:
    raise RuntimeError("the model file is missing: /nowhere/model.bin")


def answer(request: puma.Request) -> dict:
    """200, or the status asked for with {"fail": 4xx or 5xx}."""
    status = request.data.get("fail")
    if status:
        raise puma.HTTPError(int(status), "asked to fail")
    return {"ok": True}


def long_but_reporting() -> None:
    """Warm-up: $STARTUP_WORK_S seconds of work, reporting progress every 0.3 s."""
    end = time.monotonic() + float(os.environ["STARTUP_WORK_S"])
    while time.monotonic() < end:
        puma.progress(f"working, {end - time.monotonic():.1f} s to go")
        time.sleep(0.3)


def long_and_silent() -> None:
    """Warm-up: $STARTUP_WORK_S seconds of work, saying nothing."""
    time.sleep(float(os.environ["STARTUP_WORK_S"]))


class Shelf:
    """An object service with two methods, `search` and `get`."""

    def search(self, q: str = "") -> list[str]:
        return [q]

    def get(self, key: str) -> str:
        return key
