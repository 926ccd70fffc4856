"""The start-up line `puma run` shows: on a terminal it fits the width, the most useful part first."""

from __future__ import annotations

import re

import pytest

from puma.waiting import compact, describe, in_words

# As a first chatbot start shows it: long warm-up messages, counts and routine phases mixed.
FIRST_START = {
    "agent": "waiting for the db service (the understander needs its vocabulary), 5 s",
    "listener": "importing", "policy": "0/2 instances", "web": "importing", "survey": "warming up",
    "db": "loading films and MovieLens ratings (first start: about 15 s)",
}
OTHER = {"api": "importing", "model": "loading weights 3/7 (about 40 s)", "cache": "1/3 instances",
         "search": "building the index of 1,200,000 titles", "ui": "warming up"}


@pytest.mark.parametrize("waiting", [FIRST_START, OTHER])
@pytest.mark.parametrize("width", [40, 60, 80, 100, 132])
def test_waiting_line_fits_the_terminal(waiting: dict[str, str], width: int) -> None:
    line = describe(waiting, 12.34, ready=(2, 8), width=width)
    assert len(line) <= width, line
    # in fewer columns when it must cut a phase, to leave the phase more
    assert line.startswith(("starting (12.3 s, 2 of 8 ready):", "starting 12.3 s, 2/8 ready:")), line


def test_waiting_line_leads_with_what_a_warm_up_does_and_counts_what_it_leaves_out() -> None:
    line = describe(FIRST_START, 30.0, ready=(2, 8), width=80)
    assert line.split(": ", 1)[1].startswith("db: loading films")  # not "agent waiting for the db service"
    assert "db: loading films and MovieLens ratings (first…" in line  # in 80 columns its words before the count
    wide = describe(FIRST_START, 30.0, ready=(2, 8), width=110)
    assert wide.endswith("; 5 more starting")  # every service not shown is counted, when it fits
    wide = describe(OTHER, 3.0, width=200)
    assert wide.index("model: loading") < wide.index("cache: 1 of 3 instances ready") < wide.index("api: loading code")


def test_waiting_line_groups_services_in_the_same_phase() -> None:
    line = describe({"a": "importing", "b": "importing", "c": "warming up"}, 0.5, ready=(0, 3))
    assert line == "starting (0.5 s, 0 of 3 ready): a, b: loading code; c: warming up"


def test_waiting_line_in_a_log_is_whole() -> None:
    line = describe(FIRST_START, 1.0)
    assert all(in_words(phase) in line for phase in FIRST_START.values()) and "more" not in line
    assert all(name in line for name in FIRST_START)


@pytest.mark.parametrize(("waiting", "width"), [
    (FIRST_START, 132),
    (OTHER, 120),
    ({"survey": "0/1 instances", "legacy": "0/1 instances", "agent": "importing, 3 s", "db": "importing, 3 s"}, 90),
    ({"a": "building the index of every film ever made, 12 s", "b": "1/2 instances", "c": "importing"}, 90),
])
def test_waiting_line_says_its_phases_in_words_and_names_every_service_when_few(
        waiting: dict[str, str], width: int) -> None:
    """A newcomer's first start: no "0/1 instances" nor "importing", and no service hidden behind
    "+2 more" when their names fit: each one still starting is on the line, by name."""
    line = describe(waiting, 3.0, ready=(1, 8), width=width)
    assert len(line) <= width, line
    assert all(name in line for name in waiting), line
    assert "more" not in line and "importing" not in line and not re.search(r"\d/\d+ instances", line), line


# --- what a phase says: the app's words, not a library's; never stale -------------------------

import io  # noqa: E402
import logging  # noqa: E402
from types import SimpleNamespace  # noqa: E402
from typing import TYPE_CHECKING, cast  # noqa: E402

from puma import warmup  # noqa: E402
from puma.waiting import PhaseAges, waiting_for  # noqa: E402

if TYPE_CHECKING:
    from puma.supervisor import Deployment


@pytest.mark.parametrize(("logger", "message", "shown"), [
    ("alembic.runtime.migration", "Will assume non-transactional DDL.", "migrating the database"),
    ("alembic.runtime.migration", "Running upgrade  -> 0001, movies", "migrating the database"),
    ("urllib3.connectionpool", "Starting new HTTP connection (1): 127.0.0.1:9", None),
    ("sqlalchemy.engine.Engine", "BEGIN (implicit)", None),
    ("botocore.credentials", "Found credentials in environment variables.", None),
    ("shop.catalogue", "indexed 1,204 products", "indexed 1,204 products"),
    ("__main__", "reading the settings", "reading the settings"),
])
def test_waiting_progress_shows_the_apps_own_log_lines_and_words_a_librarys(logger: str, message: str,
                                                                             shown: str | None) -> None:
    out = io.StringIO()
    with warmup.reporting(out, warmup.own_packages("shop.services:api", None)):
        logging.getLogger(logger).info(message)
    events = [line for line in out.getvalue().splitlines() if line]
    assert events == ([f'{{"event": "progress", "message": "{shown}"}}'] if shown else [])


def test_waiting_progress_own_packages_of_each_kind_of_target() -> None:
    assert warmup.own_packages("chatbot.services:parts", "/srv/app/tasks.py:warm", None) == \
        frozenset({"chatbot", "tasks", "__main__"})


def _pool(progress: str | None, ready: int, wanted: int = 1) -> SimpleNamespace:
    return SimpleNamespace(zygote_ready=lambda: progress is None, progress=progress, zygote_error=None,
                           ready=lambda: [object()] * ready, service=SimpleNamespace(instances=SimpleNamespace(min=wanted)))


def test_waiting_phase_that_waits_for_a_ready_service_says_it_went_on() -> None:
    pools = {"db": _pool(None, 1), "agent": _pool("waiting for the db service (its vocabulary), 5 s", 0),
             "search": _pool("waiting for the index service, 12 s", 0), "index": _pool("building the index", 0)}
    found = waiting_for(cast("Deployment", SimpleNamespace(envoy=SimpleNamespace(port=1), pools=pools)))  # what it reads
    assert found == {"agent": "warming up (the db service is ready)",
                     "search": "waiting for the index service, 12 s", "index": "building the index"}


def test_waiting_phase_shows_a_live_age_instead_of_a_reporters_stale_count() -> None:
    ages = PhaseAges()
    assert ages.aged({"agent": "waiting for the db service, 5 s"}, 10.0) == {"agent": "waiting for the db service"}
    assert ages.aged({"agent": "waiting for the db service, 5 s"}, 19.0) == {"agent": "waiting for the db service, 9 s"}
    assert ages.aged({"agent": "building the understander", "p": "1/2 instances"}, 20.0) == \
        {"agent": "building the understander", "p": "1/2 instances"}
    assert ages.aged({"agent": "building the understander"}, 23.5)["agent"] == "building the understander, 4 s"


def test_waiting_progress_in_a_log_is_never_silent_for_long() -> None:
    """Without a terminal, a phase that does not change is written again every ~5 s, its age counting."""
    import re
    import time

    from puma.waiting import HEARTBEAT_S, StartupProgress
    from tests.helpers import wait_for

    deployment = SimpleNamespace(envoy=SimpleNamespace(port=1), pools={"agent": _pool("building the understander", 0)})
    out = io.StringIO()
    started = time.monotonic()
    with StartupProgress(deployment, out=out):  # type: ignore[arg-type]  # a stand-in deployment
        lines = wait_for(lambda: [line for line in out.getvalue().splitlines() if line][:3] if
                         len(out.getvalue().splitlines()) >= 3 else None, timeout_s=3 * HEARTBEAT_S + 5)
    assert time.monotonic() - started < 3 * HEARTBEAT_S + 2
    assert all("agent: building the understander" in line for line in lines)
    assert re.search(r"understander, \d+ s$", lines[-1]), lines  # a live age, not a frozen line


def test_waiting_progress_in_a_log_says_a_long_reason_once_then_refers_to_it() -> None:
    """A readiness reason carrying a 250-character shell command is printed whole on the first line
    only; the following lines keep its beginning (what is down) and say it is in full above."""
    from puma.waiting import HEARTBEAT_S, StartupProgress
    from tests.helpers import wait_for

    command = ".venv/bin/python -m legacy_socket_server --port 13149 --pid-file var/legacy-server-13149.pid " * 2
    reason = f"waiting for its readiness check: nothing accepts connections at 127.0.0.1:13149; start it: {command}"
    deployment = SimpleNamespace(envoy=SimpleNamespace(port=1),
                                 pools={"legacy": _pool(reason, 0), "agent": _pool("building the understander", 0)})
    out = io.StringIO()
    with StartupProgress(deployment, out=out):  # type: ignore[arg-type]  # a stand-in deployment
        lines = wait_for(lambda: out.getvalue().splitlines()[:3] if len(out.getvalue().splitlines()) >= 3 else None,
                         timeout_s=3 * HEARTBEAT_S + 5)
    assert sum(command in line for line in lines) == 1 and command in lines[0], lines
    for line in lines[1:]:
        assert "legacy: running, but not ready yet: nothing accepts" in line and "(in full above)" in line, line
        assert "agent: building the understander" in line and len(line) < len(lines[0]) - 150, line


@pytest.mark.parametrize("width", [60, 72, 80, 90])
@pytest.mark.parametrize("reason", [
    "running, but not ready yet: the legacy socket server is unreachable: the legacy server on 127.0.0.1:13172 is starting",
    "loading films and MovieLens ratings for the recommender (first start: about 15 s)",
])
def test_waiting_line_shortens_a_long_reason_at_a_word_boundary(width: int, reason: str) -> None:
    """A reason cut mid-word ("the legacy so…") says nothing: the shortened one ends on a whole word."""
    line = describe({"legacy": reason, "agent": "importing", "db": "importing"}, 11.5, ready=(4, 8), width=width)
    assert len(line) <= width, line
    whole = compact(f"legacy: {reason}")  # a cut line drops "running, but not ready yet: " first
    shown = re.split(r"ready\)?: ", line, maxsplit=1)[1].split("…", 1)[0]
    assert "…" in line and whole.startswith(shown), line
    assert whole[len(shown)] in " ,:;(", (shown, line)  # what follows the cut starts a new word


def test_waiting_progress_line_never_glues_itself_to_a_log_record_written_meanwhile() -> None:
    """On a terminal, a log record wipes the progress line; the line must not be drawn again in the
    moment between that wipe and the record's own write (it then ended up glued to the record)."""
    import io
    import logging
    import threading

    from puma.waiting import StartupProgress

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    progress = StartupProgress.__new__(StartupProgress)
    progress.out, progress._width, progress._quiet_until, progress._lock = out, 0, 0.0, threading.Lock()
    progress._hold = False  # every record shows (as at --log-level debug)
    progress._rewrite("starting (1.0 s, 4 of 8 ready): db: loading")
    assert progress._wipe(logging.makeLogRecord({})) is True
    progress._rewrite("starting (1.5 s, 4 of 8 ready): db: loading")  # the progress thread's next tick, at once
    out.write("18:35:06 puma.instances INFO service policy: instance 1 up\n")  # the record, written after the filter
    last = out.getvalue().rsplit("\r", 1)[-1]
    assert last.strip() == "18:35:06 puma.instances INFO service policy: instance 1 up", repr(last)


# --- a narrow terminal: the first waiting service's reason keeps the room ---------------------

# Reasons an instance gives while its readiness check fails (as `puma.health` records them).
NOT_READY_REASONS = [
    "the legacy socket server is unreachable: the legacy server on 127.0.0.1:13172 is starting (pid 4242, "
    "loading since 05:21:36): it accepts connections once its catalogue is loaded (30-60 s)",
    "the database is unreachable: could not connect to server: Connection refused (is PostgreSQL running "
    "on 127.0.0.1:5432?)",
    "the redis cache is unreachable: [Errno 111] Connection refused, 7 s",
    "model weights still downloading: 1.2 of 4.0 GB fetched from the mirror",
]


@pytest.mark.parametrize("width", [60, 66, 72, 80, 90, 100])
@pytest.mark.parametrize("reason", NOT_READY_REASONS)
def test_waiting_line_on_a_narrow_terminal_says_why_before_listing_the_others(width: int, reason: str) -> None:
    """80 columns showed "legacy: running, but not…; 5 more starting": the framing words and the
    list of other services took the room, and not one word of why. The reason's own words come
    first; the other services are named or counted only when the reason keeps 30 characters."""
    waiting = {"legacy": f"waiting for its readiness check: {reason}", "agent": "importing", "web": "importing",
               "policy": "0/2 instances", "survey": "warming up", "listener": "importing"}
    line = describe(waiting, 8.5, ready=(2, 8), width=width)
    assert len(line) <= width, line
    assert line.startswith(("starting (8.5 s, 2 of 8 ready): legacy: ", "starting 8.5 s, 2/8 ready: legacy: ")), line
    shown = line.split("legacy: ", 1)[1].split("…", 1)[0].split("; ", 1)[0]
    assert reason.startswith(shown), (shown, line)  # the reason's own words, not a frame
    if "more starting" in line or "also starting" in line:  # a tail only once the reason's first clause shows
        assert len(shown) >= 30 or reason[len(shown):][:1] in (":", ";", ",", " ("[0]) and \
            re.match(r"[:;,(]\s", reason[len(shown):] + " ") or shown == reason, line
    else:  # as much of it as the width leaves: at most a long word and a "the" or "is" short of the room
        room = width - len("starting 8.5 s, 2/8 ready: legacy: ")
        assert len(shown) >= min(len(reason), room - 18), line
    if width >= 80:  # an 80-column terminal shows why: the reason's first clause, whole
        assert re.split(r"[:;,(]\s", reason, maxsplit=1)[0] in line, line


@pytest.mark.parametrize("width", [85, 100, 120])
def test_waiting_line_keeps_the_framing_words_when_the_whole_phase_fits(width: int) -> None:
    """Only a phase too long for the line loses "running, but not ready yet": a short one reads whole."""
    line = describe({"legacy": "waiting for its readiness check: no catalogue yet"}, 1.0, ready=(7, 8), width=width)
    assert line == "starting (1.0 s, 7 of 8 ready): legacy: running, but not ready yet: no catalogue yet", line


def test_waiting_progress_in_an_80_column_terminal_says_why_legacy_is_not_ready(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The line `puma run` draws on an 80-column terminal (its width read as the CLI reads it)
    during a first start: the legacy service's reason, not "legacy: running, but not…"."""
    from puma.waiting import StartupProgress
    from tests.helpers import wait_for

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("COLUMNS", "80")
    # the line counts from the process's start: a first start's, not this test process's (1,582 s into a suite)
    monkeypatch.setattr("puma.waiting.process_age_s", lambda: 12.0)
    reason = ("the legacy socket server is unreachable: the legacy server on 127.0.0.1:13172 is starting "
              "(pid 4242, loading since 05:21:36): it accepts connections once its catalogue is loaded")
    legacy = _pool(None, 1)
    legacy.ready = lambda: [SimpleNamespace(not_ready=reason)]
    pools = {"legacy": legacy, "agent": _pool("waiting for the db service", 0), "web": _pool("importing", 0),
             "db": _pool("waiting for the shared database: legacy_socket_server (pid 4242) is preparing it", 0)}
    out = Tty()
    with StartupProgress(SimpleNamespace(envoy=SimpleNamespace(port=1), pools=pools), out=out):  # type: ignore[arg-type]
        wait_for(lambda: "\r" in out.getvalue(), timeout_s=5, message="the progress line")
        drawn = out.getvalue().split("\r")[-1].rstrip()
    assert len(drawn) < 80, drawn
    assert "legacy: the legacy socket server is unreachable" in drawn, drawn


@pytest.mark.parametrize("waiting", [
    {"agent": "waiting for the db service, 33 s", "db": "waiting for the shared database: legacy_socket_server "
     "(pid 4711) is preparing it (once, for every program that uses it): loading ratings, 20 s", "legacy": "importing"},
    {"agent": "waiting for the db service", "policy": "waiting for the db service (its vocabulary)",
     "db": "waiting for the shared database: another process is preparing it", "listener": "0/1 instances"},
    {"web": "waiting for the api service, 5 s", "api": "waiting for the cache warm-up lock held by pid 12"},
])
@pytest.mark.parametrize("width", [80, 100])
def test_waiting_line_leads_with_why_the_waited_for_service_waits(waiting: dict[str, str], width: int) -> None:
    """A service waiting for another is less news than what that other one waits for: the line
    leads with the cause (newcomer 91: the shared database being prepared was never shown)."""
    line = describe(waiting, 49.9, ready=(5, 8), width=width)
    cause = next(name for name, phase in waiting.items() if "service" not in phase and "waiting for" in phase)
    assert line.split(": ", 1)[1].startswith(f"{cause}: waiting for the "), line
    assert "shared database" in line or "lock" in line, line
