"""Running the legacy server until SIGINT or SIGTERM: `python -m legacy_socket_server` and
`chatbot legacy` both come here (its own module, so `chatbot.cli` and `__main__`, which goes
through the chatbot CLI for its error reporting, do not import each other)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chatbot.bot import Chatbot
    from legacy_socket_server.server import LegacyServer

log = logging.getLogger("legacy_socket_server")


def run(args: argparse.Namespace) -> int:
    """Serve with the parsed options (``options.add_arguments``) until SIGINT or SIGTERM."""
    from legacy_socket_server.server import LegacyServer, chatbox_socket

    args.debug = args.debug or args.mode == "debug"
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    log.setLevel(logging.DEBUG if args.debug else logging.INFO)
    port = args.port if args.port is not None else chatbox_socket(args.debug)
    # The port first: a taken one fails now, not after the catalogue's load (~30 s on 2 cores).
    server = LegacyServer(None, args.host, port, max_line_bytes=args.max_line_bytes, listen=False)
    pid_file = PidFile(getattr(args, "pid_file", None))
    try:
        return _serve(args, server)
    finally:
        pid_file.remove()


def _serve(args: argparse.Namespace, server: LegacyServer) -> int:
    for sig in (signal.SIGINT, signal.SIGTERM):  # a stop while loading says so too (`make run` reads it)
        signal.signal(sig, _stop_loading)
    try:
        server.bot = _bot(args)
    except _Stopped as stopped:
        server.server_close()
        log.info("stopping (%s) before the catalogue had loaded", stopped.args[0])
        log.info("stopped")
        return 0
    except BaseException:
        server.server_close()
        raise
    server.listen()
    stop = threading.Event()
    got: list[str] = []

    def on_signal(signum: int, _frame: object) -> None:
        got.append(signal.Signals(signum).name)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    threading.Thread(target=server.serve_forever, name="legacy-accept").start()
    log.info("listening on %s:%d%s", args.host, server.port, " (debug)" if args.debug else "")
    stop.wait()
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


class _Stopped(BaseException):
    """SIGINT or SIGTERM while the catalogue loads (args: the signal's name)."""


def _stop_loading(signum: int, _frame: object) -> None:
    raise _Stopped(signal.Signals(signum).name)


def _bot(args: argparse.Namespace) -> Chatbot:
    from chatbot.bot import Chatbot
    from chatbot.sessions import MemorySessionStore

    log.info("loading the catalogue and the recommender")
    return Chatbot(store=MemorySessionStore(), seed=args.seed, database_url=args.database_url)
