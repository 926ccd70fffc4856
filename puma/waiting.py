"""What a starting deployment is waiting for, shown by `puma run` until it serves.

`describe(deployment, elapsed_s)` is one line: the services not ready yet, each with its phase in
words — loading its code (importing), what its warm-up said it is doing (`puma.progress`), or how
many of its instances are ready:

    starting (4.2 s, 5 of 8 ready): db: loading the catalogue; agent: waiting for the db service; policy: 1 of 2 instances ready

`StartupProgress` prints it while `Deployment.start()` runs: on a terminal one line rewritten in
place twice a second, fitted to the terminal's width (the most useful phases first: what a
warm-up said it does, then instance counts, then services importing or warming up, grouped; the
names of the services left out, when they fit, else how many; a phase that must be cut keeps its
reason's words before those names, without "running, but not ready yet", behind a shorter head:
`starting 18.5 s, 2/8 ready: legacy: the legacy socket server is unreachable…`);
otherwise (a log, a pipe) the whole line, a new one only when the phases change. On a terminal
at the default level PUMA's own INFO records of the start are held back (the line says what they
say) and printed only if the start fails; warnings show at once, and `--log-level debug` shows all.
"""

from __future__ import annotations

import logging
import re
import shutil
import sys
import threading
import time
from typing import IO, TYPE_CHECKING

from . import guard
from .clock import process_age_s

if TYPE_CHECKING:
    from .instances import ServicePool
    from .supervisor import Deployment

TICK_S = 0.5
HEARTBEAT_S = 5.0  # without a terminal: the line again after this long, though nothing changed (2 s: 50 lines a start)
LOG_QUIET_S = 0.2  # after a log record wipes the progress line, it is not drawn again for this long
AGE_SHOWN_S = 2.0  # a phase held this long shows its age
LONG_PHASE_CHARS = 100  # a phase longer than this is printed whole once, then shortened (SaidOnce)
MAX_HELD_RECORDS = 1000  # a start's INFO records held back on a terminal (a start writes ~20)
MIN_PHASE_CHARS = 24  # a fitted line shortens its first phase to no less, to name the other services
REASON_CHARS = 30  # ...but keeps this much of a reason (its first clause, if shorter) before naming or counting them


def phase(pool: ServicePool) -> str | None:
    """What `pool`'s service is doing, or None once it has its minimum of ready instances."""
    if not pool.zygote_ready():
        return pool.progress or "importing"
    if pool.zygote_error:
        return "failed"
    instances, wanted = pool.ready(), pool.service.instances.min
    if len(instances) < wanted:
        return f"{len(instances)}/{wanted} instances"
    # Running is not ready: an instance whose readiness check fails is not routed to (puma.states).
    why = [i.not_ready for i in instances if getattr(i, "not_ready", None)]
    if wanted and len(why) == len(instances):
        return f"waiting for its readiness check: {why[0]}"
    return None


_WAITS_FOR = re.compile(r"waiting for the (?P<service>\S+) service")
_WAITED = re.compile(r",? \d+ s$")  # the seconds a reporter appended to its message ("..., 5 s")
_COUNTS = re.compile(r"\d+(?:[.,]\d+)*")  # a figure inside a phase: "40%", "1,234 of 9,000"


def waiting_for(deployment: Deployment) -> dict[str, str]:
    """Each service still starting -> its phase (Envoy first while it starts). A phase that says it
    waits for a service that is ready by now says that instead: the waiter has gone on."""
    found = {} if deployment.envoy.port else {"envoy": "starting"}
    phases = {name: phase(pool) for name, pool in list(deployment.pools.items())}
    for name, now in phases.items():
        if now is None:
            continue
        waited = _WAITS_FOR.match(now)
        if waited and waited["service"] in phases and phases[waited["service"]] is None:
            now = f"warming up (the {waited['service']} service is ready)"
        found[name] = now
    return found


def phases(waiting: dict[str, str]) -> dict[str, str]:
    """`waiting` without the seconds reporters append, nor any count ("40%", "3 of 8"): what changes
    when a phase does (a log gets a line per phase, its counts at each heartbeat, not per percent)."""
    return {name: _COUNTS.sub("#", _WAITED.sub("", text)) for name, text in waiting.items()}


class PhaseAges:
    """How long each service has been in its phase: `aged(waiting, now)` appends ", N s" to phases
    held 2 s or more, so a long phase shows a live count instead of a reporter's stale one."""

    def __init__(self) -> None:
        self._since: dict[str, tuple[str, float]] = {}

    def aged(self, waiting: dict[str, str], now: float) -> dict[str, str]:
        shown = {}
        for name, text in waiting.items():
            stem = _WAITED.sub("", text)
            if _COUNT.fullmatch(stem) or stem == "failed":
                shown[name] = stem
                continue
            if self._since.get(name, ("", 0.0))[0] != stem:
                self._since[name] = (stem, now)
            age = now - self._since[name][1]
            shown[name] = f"{stem}, {age:.0f} s" if age >= AGE_SHOWN_S else stem
        return shown


class SaidOnce:
    """A long phase (a readiness reason that ends with a shell command, say) in full the first time
    it is printed, then its beginning and "… (in full above)": a log of start-up lines stays
    readable, and each line still says what the service waits for.

    >>> said = SaidOnce()
    >>> said.shorten({"db": "x" * 120}) == {"db": "x" * 120}
    True
    >>> said.shorten({"db": "x" * 120 + ", 4 s"})["db"]
    'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx… (in full above), 4 s'
    """

    def __init__(self, most: int = LONG_PHASE_CHARS) -> None:
        self.most = most
        self._said: set[str] = set()

    def shorten(self, shown: dict[str, str]) -> dict[str, str]:
        out = {}
        for name, text in shown.items():
            stem = _WAITED.sub("", text)
            if len(stem) <= self.most or stem not in self._said:
                self._said.add(stem)
                out[name] = text
                continue
            out[name] = f"{stem[: self.most * 3 // 5 - 1]}… (in full above){text[len(stem):]}"
        return out


_ROUTINE = ("importing", "warming up")
_COUNT = re.compile(r"\d+/\d+ instances")


def _rank(phase: str) -> float:
    """Most useful first: a failure, what a warm-up does (before what waits for it), what a service
    waits for outside PUMA (the shared database), then waits for another service (which says why
    itself: newcomer 91 saw "agent: waiting for the db service" for 35 s while db's "waiting for
    the shared database: legacy_socket_server is preparing it" was cut), instance counts, routine."""
    phase = _WAITED.sub("", phase)  # its age apart
    if phase == "failed":
        return 0
    if phase in _ROUTINE or phase == "starting":
        return 4
    if _COUNT.fullmatch(phase):
        return 3
    if _WAITS_FOR.match(phase):
        return 2.5
    return 2 if phase.startswith("waiting for") else 1  # the service waited for says more


# A phase as a newcomer reads it: the supervisor's terms in words.
_WORDS = ((re.compile(r"^(\d+)/(\d+) instances"), r"\1 of \2 instances ready"),
          (re.compile(r"^importing\b"), "loading code"),
          (re.compile(r"^waiting for its readiness check: "), "running, but not ready yet: "))


def in_words(phase: str) -> str:
    """``in_words("0/1 instances")`` is ``"0 of 1 instances ready"``; a warm-up's own words stay."""
    for pattern, words in _WORDS:
        phase = pattern.sub(words, phase)
    return phase


def _items(waiting: dict[str, str]) -> list[tuple[str, list[str]]]:
    """`(text, services)` per phase, services sharing a phase named together, most useful first."""
    groups: dict[str, list[str]] = {}
    for name, now in sorted(waiting.items(), key=lambda item: _rank(item[1])):
        groups.setdefault(now, []).append(name)
    return [(f"{', '.join(names)}: {in_words(now)}", names) for now, names in groups.items()]


# In a line too short for the whole first phase, the words around a reason go first: what is
# left says why ("legacy: the legacy server on 127.0.0.1:13172 is starting…"), not "running, but not…".
_AROUND_REASON = re.compile(r"(?<=: )running, but not ready yet: ")


def compact(text: str) -> str:
    """`text` (an item of the line) without the words that only frame its reason:
    ``compact("legacy: running, but not ready yet: the server is loading")`` is
    ``'legacy: the server is loading'``."""
    return _AROUND_REASON.sub("", text, count=1)


def describe(waiting: dict[str, str], elapsed_s: float, *, ready: tuple[int, int] | None = None,
             width: int | None = None) -> str:
    """The line shown for `waiting` (from `waiting_for`) after `elapsed_s` seconds.

    `ready` is (services ready, services); `width` fits the line to a terminal's columns by leaving
    out the least useful phases (naming those services, "; also starting: web, ui", or when their
    names do not fit either, "; 12 more starting") and shortening the first with "…"; when even
    that leaves its reason under `REASON_CHARS`, the reason keeps the room (the head's "N of M
    ready" still counts the services). Example::

        describe({"db": "loading the catalogue", "web": "importing"}, 4.2, ready=(6, 8))
        # 'starting (4.2 s, 6 of 8 ready): db: loading the catalogue; web: loading code'
    """
    count = f", {ready[0]} of {ready[1]} ready" if ready else ""
    head = f"starting ({elapsed_s:.1f} s{count}):"
    if not waiting:
        return f"{head} every service is ready; routing to them"
    items = _items(waiting)
    if width is None:
        return head + " " + "; ".join(text for text, _ in items)
    # A line that must cut its reason says the same in fewer columns ("starting 8.5 s, 2/8 ready:"), for the reason.
    short = f"starting {elapsed_s:.1f} s" + (f", {ready[0]}/{ready[1]} ready" if ready else "") + ":"
    return _fit((head, short), items, max(20, width))


def _named(names: list[str]) -> str:
    return f"; also starting: {', '.join(names)}" if names else ""


def _counted(names: list[str]) -> str:
    return f"; {len(names)} more starting" if names else ""


def _names_of(items: list[tuple[str, list[str]]]) -> list[str]:
    return [name for _, names in items for name in names]


def _fit(heads: tuple[str, str], items: list[tuple[str, list[str]]], width: int) -> str:
    """As many phases as fit; the services left out named (a few fit), else counted."""
    line = heads[0]
    for number, (text, _names) in enumerate(items):
        rest = _names_of(items[number + 1:])
        joined = f"{line}{' ' if number == 0 else '; '}{text}"
        if len(joined) + len(_named(rest)) <= width:
            line = joined
            continue
        left = _names_of(items[number:])
        if number > 0:
            tail = _named(left) if len(line) + len(_named(left)) <= width else _counted(left)
            return line + tail
        return _first_phase(heads, text, rest, width)
    return line


def _first_phase(heads: tuple[str, str], text: str, rest: list[str], width: int) -> str:
    """The most useful phase does not fit with the others' names. One that says why (a warm-up's
    words, a readiness reason) keeps its first clause, up to `REASON_CHARS`, before the other
    services are named, or else counted, or else left to the head's "N of M ready"; the words that
    only frame a reason go first, and a cut phase gets the shorter head (`heads`: whole, short)."""
    whole_room, cut_room = (width - len(head) - 1 for head in heads)
    short = compact(text)
    name, _, reason = short.partition(": ")
    wanted = min(len(_CLAUSE.split(reason, maxsplit=1)[0]), REASON_CHARS)
    for tail in (_named(rest), _counted(rest), ""):
        for shown in (text, short):
            if len(shown) + len(tail) <= whole_room:
                return f"{heads[0]} {shown}{tail}"
        space = cut_room - len(tail)
        if space < 8:
            continue
        cut = cut_at_word(short, space)
        if _ROUTINE_WORDS.fullmatch(reason):  # no reason to keep: names first, as long as the phase keeps a few words
            enough = space >= MIN_PHASE_CHARS or tail != _named(rest)
        else:
            enough = len(cut) - len(name) - 3 >= wanted  # the reason's words shown, "…" apart
        if enough or not tail:
            return f"{heads[1]} {cut}{tail}"
    return f"{heads[1]} {len(rest) + 1} starting"[:width]  # a very narrow terminal: only how many


_ROUTINE_WORDS = re.compile(r"(\d+ of \d+ instances ready|loading code|warming up|starting|failed)(, \d+ s)?")
_CLAUSE = re.compile(r"[:;,(]\s")  # where a reason's first clause ends ("the db is unreachable: ...")


def cut_at_word(text: str, room: int) -> str:
    """`text` in at most `room` characters, "…" ending it, cut at a word boundary when one is in the
    second half (a reason cut mid-word, "the legacy so…", said nothing): ``cut_at_word("the legacy
    socket server is loading", 20)`` is ``'the legacy socket…'``."""
    if len(text) <= room:
        return text
    cut = text[: room - 1]
    space = cut.rfind(" ")
    if space >= (room - 1) // 2:
        cut = _DANGLING.sub("", cut[:space]) or cut[:space]  # "the legacy socket server is…" says no more
    return cut.rstrip(" ,;:(") + "…"


# Words that end a cut reason without saying anything ("…server is…", "…waiting for the…").
_DANGLING = re.compile(r"(?:\s+(?:a|an|the|is|are|was|of|to|for|and|or|on|in|at|by|with|its|it))+$", re.IGNORECASE)


class StartupProgress:
    """Shows `describe(...)` for `deployment` while used as a context manager."""

    def __init__(self, deployment: Deployment, out: IO[str] | None = None) -> None:
        self.deployment = deployment
        self.out = out or sys.stdout
        self.tty = bool(getattr(self.out, "isatty", lambda: False)())
        # From the process's start (the user's Enter), as the serving line counts: not from here.
        self.started = time.monotonic() - (process_age_s() or 0.0)
        self._stop = threading.Event()
        self._thread = guard.thread(self._run, name="puma-startup-progress", retry=False)
        self._width = 0
        self._quiet_until = 0.0  # monotonic time before which the line is not drawn (a log record is being written)
        self._lock = threading.Lock()
        # On a terminal at the default level, PUMA's INFO records of the start (an instance up, Envoy
        # started) are what the line already says: they are held back, and shown only if the start
        # fails. Warnings always show; --log-level debug shows everything as it comes.
        self._hold = self.tty and logging.getLogger("puma").getEffectiveLevel() == logging.INFO
        self.held: list[logging.LogRecord] = []

    def __enter__(self) -> StartupProgress:
        if self.tty:  # a log line printed meanwhile first wipes the progress line, so none garbles
            for handler in logging.getLogger().handlers:
                handler.addFilter(self._wipe)
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)
        for handler in logging.getLogger().handlers:
            handler.removeFilter(self._wipe)
        self._wipe()  # the URL line (or the error) takes its place
        if exc_type is not None and not issubclass(exc_type, KeyboardInterrupt) and self.held:  # a failed start
            self.out.write("what the start did before it failed:\n")
            self.out.flush()
            for record in self.held:
                logging.getLogger(record.name).handle(record)
        self.held.clear()

    def _wipe(self, record: logging.LogRecord | None = None) -> bool:
        if self._hold and record is not None and (record.levelno or 0) < logging.WARNING \
                and record.name.split(".", 1)[0] == "puma":
            if len(self.held) < MAX_HELD_RECORDS:
                self.held.append(record)
            return False
        with self._lock:
            if self._width:
                self.out.write("\r" + " " * self._width + "\r")
                self.out.flush()
                self._width = 0
            # The record is written after this filter returns, outside the lock: the progress line
            # waits a moment, or it could be drawn in between and the record glued to its end.
            self._quiet_until = time.monotonic() + LOG_QUIET_S
        return True

    def _run(self) -> None:
        last: dict[str, str] | None = None
        ages, said, written = PhaseAges(), SaidOnce(), 0.0
        while not self._stop.wait(TICK_S):
            if getattr(self.deployment, "stopping", False):  # interrupted: no "starting" line may follow "stopping"
                return
            now = time.monotonic()
            waiting = waiting_for(self.deployment)
            total = len(self.deployment.pools)
            ready = (total - len([n for n in waiting if n in self.deployment.pools]), total)
            shown = ages.aged(waiting, now)
            if self.tty:  # one line, rewritten in place: it must fit the terminal's width
                width = shutil.get_terminal_size((120, 24)).columns - 1
                self._rewrite(describe(shown, now - self.started, ready=ready, width=width))
            elif phases(waiting) != last or now - written >= HEARTBEAT_S:  # a log: per change, or a heartbeat
                self.out.write(describe(said.shorten(shown), now - self.started, ready=ready) + "\n")
                self.out.flush()
                written = now
            last = phases(waiting)

    def _rewrite(self, line: str) -> None:
        with self._lock:
            if time.monotonic() < self._quiet_until:  # a log record is being written: the next tick draws
                return
            self.out.write("\r" + line.ljust(self._width))
            self.out.flush()
            self._width = max(self._width, len(line))
