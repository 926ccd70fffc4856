"""What a service's warm-up is doing, shown while `puma run` waits for it.

A warm-up (the `warmup` function a zygote runs once before forking instances, and the building
of a service's object) may take seconds: loading a model, preparing a database.
`puma.progress("loading the catalogue")` tells the supervisor, which shows it beside the service
in its "starting ..." line; so does any log line at INFO or above the warm-up writes (its
libraries' included), so code that already logs what it does needs no PUMA call. The start-up
timeout (60 s) counts from the last report, so a warm-up that reports as it goes may take longer.
Outside a zygote (tests, a plain script) it logs the message at INFO instead. Example::

    def warm_db() -> None:
        puma.progress("preparing the database (first run: about 15 s)")
        prepare()

While a warm-up runs (`active()`), a call to another service that is still starting waits for it
(`puma.client`): a service built from another's data starts in any order.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Iterator
from typing import IO

log = logging.getLogger("puma")

_channel: dict[str, IO[str] | None] = {"out": None}
_state = {"active": False}
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


def wait_ready(service: str, *, why: str = "", timeout_s: float = 600.0, report_every_s: float = 5.0) -> bool:
    """Wait until the deployment routes to a ready instance of `service`, e.g. in a warm-up that
    needs another service's data. Asks the deployment's readiness (`GET /_puma/ready`, answered by
    PUMA, not by `service`), so waiting sends `service` no request it would answer 503 — those
    would count as its start-up failures. Reports "waiting for the db service (why), 5 s" as
    progress meanwhile. Returns False at once where readiness is not served (a deployment
    without PUMA's status route: then call and retry); raises `PumaCallError` after `timeout_s`.

        wait_ready("db", why="the understander needs its vocabulary")
    """
    import time

    from .client import _post, mesh_url
    from .errors import PumaCallError

    started = time.monotonic()
    reported = 0.0
    url = mesh_url() + "/_puma/ready"
    while True:
        try:
            status, _type, body = _post(url, "GET", None, {"accept": "application/json"}, 2.0)
            state = json.loads(body) if status in (200, 503) else None
        except (OSError, ValueError):
            state = {}  # Envoy itself not answering yet: wait
        if state is None or (state and "services" not in state):
            return False  # no readiness here: the caller retries its calls instead
        if (state.get("services", {}).get(service) or {}).get("ready", 0) > 0:
            return True
        waited = time.monotonic() - started
        if waited > timeout_s:
            raise PumaCallError(service, 503, f"not ready after {waited:.0f} s")
        if waited - reported >= report_every_s or reported == 0.0:
            reasons = f" ({why})" if why else ""
            progress(f"waiting for the {service} service{reasons}" + (f", {waited:.0f} s" if waited >= 1 else ""))
            reported = max(waited, 1e-9)
        time.sleep(0.1)


def active() -> bool:
    """Whether this process is warming up (inside `reporting`)."""
    return _state["active"]


@contextlib.contextmanager
def reporting(out: IO[str] | None) -> Iterator[None]:
    """While the block runs: `progress` and log lines at INFO+ go to `out` (None: the log), and
    `active()` is true. The log's own handlers keep their level, so they show no more than before."""
    root = logging.getLogger()
    forward = _ProgressHandler(logging.INFO)
    before = root.level
    quieted = [(h, h.level) for h in root.handlers]
    for handler, _ in quieted:
        handler.setLevel(max(handler.level, before))
    attach(out)
    _state["active"] = True
    if out is not None:
        root.addHandler(forward)
        root.setLevel(min(before, logging.INFO))
    try:
        yield
    finally:
        _state["active"] = False
        root.removeHandler(forward)
        root.setLevel(before)
        for handler, level in quieted:
            handler.setLevel(level)
        attach(None)


class _ProgressHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        if record.name == log.name:  # progress() itself, when it logs
            return
        try:
            progress(record.getMessage())
        except Exception:  # noqa: BLE001 - a message that cannot be formatted is not worth failing for
            pass
