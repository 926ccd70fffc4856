"""``python -m legacy_socket_server [debug] [--host H] [--port N]`` (also ``chatbot legacy``).

Loads the catalogue and the recommender, then serves on 127.0.0.1:13113 (13120 with
``debug``; ``--port 0`` picks a free port) until SIGINT or SIGTERM. The log line
``listening on HOST:PORT`` says where, once it is ready.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from legacy_socket_server.options import add_arguments

if TYPE_CHECKING:
    from chatbot.bot import Chatbot

log = logging.getLogger("legacy_socket_server")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server until SIGINT/SIGTERM; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    return run(_parser().parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """Serve with the parsed options (``options.add_arguments``) until SIGINT or SIGTERM."""
    from legacy_socket_server.server import LegacyServer, chatbox_socket

    args.debug = args.debug or args.mode == "debug"
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    log.setLevel(logging.DEBUG if args.debug else logging.INFO)
    port = args.port if args.port is not None else chatbox_socket(args.debug)
    # The port first: a taken one fails now, not after the catalogue's load (~30 s on 2 cores).
    server = LegacyServer(None, args.host, port, max_line_bytes=args.max_line_bytes, listen=False)
    try:
        server.bot = _bot(args)
    except BaseException:
        server.server_close()
        raise
    server.listen()
    stop = threading.Event()
    got: list[str] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, _frame: (got.append(signal.Signals(signum).name), stop.set()))
    threading.Thread(target=server.serve_forever, name="legacy-accept").start()
    log.info("listening on %s:%d%s", args.host, server.port, " (debug)" if args.debug else "")
    stop.wait()
    # The signal's name: `make run` tells its own Ctrl-C (SIGINT to the group) from a lost server.
    log.info("stopping (%s): finishing the turns in progress", got[0] if got else "signal")
    server.shutdown()
    log.info("stopped")
    return 0


def _parser() -> argparse.ArgumentParser:
    return add_arguments(argparse.ArgumentParser(prog="python -m legacy_socket_server", description=__doc__,
                                                 formatter_class=argparse.RawDescriptionHelpFormatter))


def _bot(args: argparse.Namespace) -> Chatbot:
    from chatbot.bot import Chatbot
    from chatbot.sessions import MemorySessionStore

    log.info("loading the catalogue and the recommender")
    return Chatbot(store=MemorySessionStore(), seed=args.seed, database_url=args.database_url)


if __name__ == "__main__":
    from chatbot.cli import main as chatbot_main

    # Through the chatbot CLI for its error reporting (the same options: `chatbot legacy`).
    sys.exit(chatbot_main(["legacy", *sys.argv[1:]], prog="python -m legacy_socket_server"))
