"""Running the legacy server until SIGINT or SIGTERM: `python -m legacy_socket_server` and
`chatbot legacy` both come here (its own module, so `chatbot.cli` and `__main__`, which goes
through the chatbot CLI for its error reporting, do not import each other)."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from puma import wakeups

if TYPE_CHECKING:
    from chatbot.bot import Chatbot
    from legacy_socket_server.server import LegacyServer

log = logging.getLogger("legacy_socket_server")
# Each line with its time: an operator reads from the log where a stop's seconds go.
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# The phase is shown at the end of this process's command line (`ps`, /proc/PID/cmdline), where
# `chatbot.legacy_processes` reads it: a refused connection then says "loading" or "stopping
# (SIGTERM)" for what this process is doing, not a guess from its being alive.
PHASE_MARK = " [phase: "
_TITLE: dict[str, str] = {}


def show_phase(phase: str) -> None:
    """Append ``[phase: PHASE]`` to this process's title (``loading``, ``serving``, ``stopping SIGTERM``)."""
    try:
        import setproctitle
    except ImportError:  # an install without it: the phase is only in the log
        return
    base = _TITLE.setdefault("base", setproctitle.getproctitle().split(PHASE_MARK)[0])
    setproctitle.setproctitle(f"{base}{PHASE_MARK}{phase}]")


def run(args: argparse.Namespace) -> int:
    """Serve with the parsed options (``options.add_arguments``) until SIGINT or SIGTERM."""
    from legacy_socket_server.server import LegacyServer, chatbox_socket

    args.debug = args.debug or args.mode == "debug"
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    for handler in logging.getLogger().handlers:  # `chatbot legacy` configured them first, without times
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
    log.setLevel(logging.DEBUG if args.debug else logging.INFO)
    port = args.port if args.port is not None else chatbox_socket(args.debug)
    # The port first: a taken one fails now, not after the catalogue's load (~30 s on 2 cores).
    server = LegacyServer(None, args.host, port, max_line_bytes=args.max_line_bytes, listen=False)
    pid_file = PidFile(getattr(args, "pid_file", None))
    try:
        code = _serve(args, server)
    finally:
        pid_file.remove()
    _exit_now(code)
    return code  # not reached


def _exit_now(code: int) -> None:
    """End the process as soon as it has stopped serving: every connection is closed and "stopped"
    is logged, so nothing is left to do but free the catalogue and the recommender object by object
    (seconds for a server niced to 19 on a busy machine, all of it after its port was freed)."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def _serve(args: argparse.Namespace, server: LegacyServer) -> int:
    # One handler from the start: a signal only records its name and wakes the main thread. The
    # catalogue loads on a thread of its own, so a stop while it loads is honoured at once (an
    # exception raised from a handler instead lands wherever the main thread happens to be, and
    # one landing in a garbage-collection callback is printed and ignored: the server went on
    # loading and served on, deaf to the SIGTERM it had been sent).
    # Set from the handler too: never Event.set() there (it can wait for its own thread: puma.wakeups).
    wake = wakeups.SignalEvent()  # a signal or the load's end
    stopping = wakeups.SignalEvent()  # a signal
    got: list[str] = []

    def on_signal(signum: int, _frame: object) -> None:
        got.append(signal.Signals(signum).name)
        show_phase(f"stopping {got[0]}")
        stopping.set_from_signal()
        wake.set_from_signal()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    loaded: list[Chatbot] = []
    failed: list[BaseException] = []

    def load() -> None:
        try:
            loaded.append(_bot(args))
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread, raised there
            failed.append(exc)
        finally:
            wake.set()

    # A daemon: a stop while it loads ends the process without waiting for the load (what it
    # writes is written atomically or in a transaction: nothing half-done is left).
    show_phase("loading")
    threading.Thread(target=load, name="legacy-load", daemon=True).start()
    # Never a bare `wait()`: a signal the kernel gives another thread (after a SIGSTOP, whichever
    # thread resumes first takes a SIGTERM that came meanwhile) wakes no lock, and the server then
    # served on, deaf to the stop; `wakeups.wait` runs the handler within half a second.
    wakeups.wait(wake)
    if stopping.is_set():  # a stop while it loads says so too (`make run` reads it)
        server.server_close()
        log.info("stopping (%s) before the catalogue had loaded", got[0])
        log.info("stopped")
        return 0
    if failed:
        server.server_close()
        raise failed[0]
    server.bot = loaded[0]
    server.listen()
    # Polled every 0.1 s for a stop (socketserver's default 0.5 s is half a second more per stop).
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="legacy-accept").start()
    if not stopping.is_set():  # a stop that came meanwhile has said "stopping" already
        show_phase("serving")
    log.info("listening on %s:%d%s", args.host, server.port, " (debug)" if args.debug else "")
    wakeups.wait(stopping)
    # The signal's name: `make run` tells its own Ctrl-C (SIGINT to the group) from a lost server.
    log.info("stopping (%s): finishing the turns in progress", got[0] if got else "signal")
    server.shutdown()
    log.info("stopped")
    return 0


class PidFile:
    """This process's pid in `path` (written once the port is bound: a server that could not bind
    never overwrites the pid of the one that holds the port), removed at the stop if it still
    names this process. No path: nothing."""

    def __init__(self, path: str | None) -> None:
        self.path = Path(path) if path else None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(f"{os.getpid()}\n")

    def remove(self) -> None:
        if self.path is None:
            return
        try:
            if self.path.read_text().strip() == str(os.getpid()):
                self.path.unlink()
        except OSError:
            pass


def _bot(args: argparse.Namespace) -> Chatbot:
    from chatbot.bot import Chatbot
    from chatbot.sessions import MemorySessionStore

    log.info("loading the catalogue and the recommender")
    return Chatbot(store=MemorySessionStore(), seed=args.seed, database_url=args.database_url)
