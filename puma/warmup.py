"""What a service's warm-up is doing, shown while `puma run` waits for it.

A warm-up (the `warmup` function a zygote runs once before forking instances, and the building
of a service's object) may take seconds: loading a model, preparing a database.
`puma.progress("loading the catalogue")` tells the supervisor, which shows it beside the service
in its "starting ..." line; so does any log line at INFO or above that the app's own code writes
(the packages of the service's target and warm-up, `__main__`), so code that already logs what it
does needs no PUMA call. A library's log lines are not the app's words: they stay in the service's
log, and only a curated few become a phase in PUMA's words (`LIBRARY_PHASES`: Alembic's lines
read "migrating the database"). The start-up
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
import time
from collections.abc import Callable, Iterator
from typing import IO

from . import guard

log = logging.getLogger("puma")

# A library's logger (or its parent) -> the phase its INFO lines mean, in PUMA's words. Other
# libraries' lines are not shown as progress ("Will assume non-transactional DDL." means nothing to a user).
LIBRARY_PHASES = {"alembic": "migrating the database", "nltk": "loading language data",
                  "sentence_transformers": "loading the language model", "transformers": "loading the language model"}

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


def active() -> bool:
    """Whether this process is warming up (inside `reporting`)."""
    return _state["active"]


def own_packages(*targets: str | None) -> frozenset[str]:
    """The top-level packages of import paths such as 'chatbot.services:parts' (a '/dir/app.py:f'
    target: its module 'app'), whose log lines are the app's own progress; `__main__` always."""
    found = {"__main__"}
    for target in targets:
        if target:
            module = target.split(":", 1)[0]
            found.add(module.rsplit("/", 1)[-1].removesuffix(".py") if "/" in module or module.endswith(".py")
                      else module.split(".", 1)[0])
    return frozenset(found)


def phase_of(logger: str, own: frozenset[str], message: str) -> str | None:
    """The progress a log line of `logger` shows: the app's own message, a library's phase in
    PUMA's words (`LIBRARY_PHASES`), or None (not shown).

        phase_of("alembic.runtime.migration", frozenset({"chatbot"}), "Will assume non-transactional DDL.")
        # 'migrating the database'
    """
    if logger.split(".", 1)[0] in own:
        return message
    for name, words in LIBRARY_PHASES.items():
        if logger == name or logger.startswith(name + "."):
            return words
    return None


@contextlib.contextmanager
def reporting(out: IO[str] | None, own: frozenset[str] = frozenset({"__main__"})) -> Iterator[None]:
    """While the block runs: `progress`, and the app's own log lines at INFO+ (loggers under `own`,
    see `own_packages`; libraries' only as `phase_of` words them), go to `out` (None: the log), and
    `active()` is true. The log's own handlers keep their level, so they show no more than before."""
    root = logging.getLogger()
    forward = _ProgressHandler(own)
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
    def __init__(self, own: frozenset[str]) -> None:
        super().__init__(logging.INFO)
        self.own = own
        self.last = ""

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == log.name:  # progress() itself, when it logs
            return
        try:
            text = phase_of(record.name, self.own, record.getMessage())
        except Exception:  # noqa: BLE001 - a message that cannot be formatted is not worth failing for
            return
        if text and text != self.last:  # a library's many lines are one phase
            self.last = text
            progress(text)


@contextlib.contextmanager
def announced(what: str, own: frozenset[str], *, first_s: float = 1.0, every_s: float = 5.0,
              done: Callable[[float], None] | None = None) -> Iterator[None]:
    """While the block runs in the supervisor (an import, to find a module's services): after
    `first_s` say `what` ("importing shop.prices to find its services"), then every `every_s` how
    long it has taken, with the last line the app's own code logged at INFO+ (loggers under `own`,
    as `reporting` shows a zygote's), so a slow block is never silent. `done(elapsed_s)` runs after
    a block that was announced (slow enough to be worth a hint).

        with announced("importing shop.prices to find its services", frozenset({"shop"})):
            importlib.import_module("shop.prices")
    """
    said = _LastLine(own)
    # The app's own loggers speak at INFO meanwhile, to `said` only: the log shows no more than before.
    loggers = [logging.getLogger(name) for name in sorted(own) if name != "__main__"]
    saved = [(logger, logger.level, logger.propagate) for logger in loggers]
    for logger in loggers:
        logger.setLevel(min(logger.getEffectiveLevel(), logging.INFO))
        logger.addHandler(said)
        logger.propagate = False
    stop, started = threading.Event(), time.monotonic()
    ticker = guard.thread(_tick, what, said, stop, started, first_s, every_s, name="puma-announce", retry=False)
    ticker.start()
    try:
        yield
    finally:
        stop.set()
        ticker.join()
        for logger, level, propagate in saved:
            logger.removeHandler(said)
            logger.setLevel(level)
            logger.propagate = propagate
    elapsed = time.monotonic() - started
    if done is not None and elapsed >= first_s:
        done(elapsed)


def _tick(what: str, said: _LastLine, stop: threading.Event, started: float, first_s: float, every_s: float) -> None:
    wait = first_s
    while not stop.wait(wait):
        took = time.monotonic() - started
        line = f"; it said: {said.last}" if said.last else ""
        log.info("%s (%.0f s so far%s)", what, took, line)
        wait = every_s


class _LastLine(logging.Handler):
    """Keeps the last line the app's own loggers wrote, and shows it at once."""

    def __init__(self, own: frozenset[str]) -> None:
        super().__init__(logging.INFO)
        self.own, self.last = own, ""

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.split(".", 1)[0] not in self.own:
            return
        try:
            self.last = " ".join(record.getMessage().split())[:200]
        except Exception:  # noqa: BLE001 - a message that cannot be formatted is not worth failing for
            return
        root = logging.getLogger()
        if record.levelno >= root.getEffectiveLevel():
            root.handle(record)  # what the log showed before (a warning): as it was
        elif log.isEnabledFor(logging.INFO):  # shown while PUMA's own progress is, as the app wrote it
            for handler in root.handlers:     # (its logger's name and level, not PUMA's)
                if record.levelno >= handler.level:
                    handler.handle(record)
