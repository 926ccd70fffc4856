"""What a service's warm-up is doing, shown while `puma run` waits for it.

A warm-up (the `warmup` function a zygote runs once before forking instances) may take seconds:
loading a model, preparing a database. `puma.progress("loading the catalogue")` tells the
supervisor, which shows it beside the service in its "starting ..." line; and the start-up
timeout (60 s) counts from the last report, so a warm-up that reports as it goes may take longer.
Outside a zygote (tests, a plain script, `puma serve`) it logs the message at INFO instead.
Example::

    def warm_db() -> None:
        puma.progress("preparing the database (first run: about 15 s)")
        prepare()
"""

from __future__ import annotations

import json
import logging
import threading
from typing import IO

log = logging.getLogger("puma")

_channel: dict[str, IO[str] | None] = {"out": None}
_lock = threading.Lock()


def progress(message: str) -> None:
    """Report what this process is doing now (one short line, e.g. "fitting the recommender")."""
    text = " ".join(str(message).split())[:200]
    out = _channel["out"]
    if out is None:
        log.info("%s", text)
        return
    with _lock:
        out.write(json.dumps({"event": "progress", "message": text}) + "\n")
        out.flush()


def attach(out: IO[str] | None) -> None:
    """Send `progress` messages as events on `out` (the zygote's channel); None: log them."""
    _channel["out"] = out
