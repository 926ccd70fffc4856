"""The legacy server's command-line options, shared by ``python -m legacy_socket_server`` and
``chatbot legacy`` (so both list and accept the same ones). Light: no chatbot import."""

from __future__ import annotations

import argparse

PORT = 13113
DEBUG_PORT = 13120
MAX_LINE_BYTES = 64 * 1024


def add_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the legacy server's options to ``p``; returns ``p``."""
    p.add_argument("mode", nargs="?", choices=["debug"], help="debug: port 13120, debug logging")
    p.add_argument("--debug", action="store_true", help="the same as the word debug")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help=f"port (default {PORT}, or {DEBUG_PORT} in debug; 0 picks one)")
    p.add_argument("--seed", type=seed, default=0,
                   help="paraphrase seed of every conversation (default 0), or 'random'")
    p.add_argument("--database-url", help="the catalogue's database (default $DATABASE_URL, else the SQLite file ./var/chatbot.sqlite3)")
    p.add_argument("--pid-file", metavar="PATH",
                   help="write this server's pid to PATH once its port is bound, and remove it when it stops "
                        "(make run's: var/legacy-server-PORT.pid; `make stop` and Ctrl-C find it there)")
    p.add_argument("--max-line-bytes", type=int, default=MAX_LINE_BYTES,
                   help=f"longest request line accepted, in bytes (default {MAX_LINE_BYTES})")
    return p


def seed(value: str) -> int | None:
    """``--seed``: a whole number, or ``random`` (None: a new seed per conversation)."""
    if value == "random":
        return None
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number or 'random'") from None
