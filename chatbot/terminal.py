"""``chatbot chat``: a conversation in the terminal. Example::

    $ chatbot chat
    Chatbot: Hi, I'm Chatbot. ...
    you> a comedy with Jim Carrey
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import IO, Any

from puma.cliparse import SuggestingParser

PROMPT = "you> "


def main(args: argparse.Namespace | list[str] | None = None) -> int:
    """Chat on stdin/stdout until the bot says bye, the user types "quit" or input ends."""
    options = _options(args)
    from chatbot.bot import Chatbot
    from chatbot.db.prepare import ensure_prepared

    ensure_prepared(options.database_url, report=lambda line: print(line, file=sys.stderr))
    sys.stderr.write("Loading the catalogue and the recommender...\n")
    bot = Chatbot(seed=options.seed, database_url=options.database_url)
    return converse(bot, input_fn=input, out=sys.stdout)


def converse(bot: Any, *, input_fn: Callable[[str], str], out: IO[str]) -> int:
    """Run one conversation with ``bot``, reading lines with ``input_fn``; 0 when it ends."""
    turn = bot.turn(None, "")
    _show(turn.messages, out)
    while turn.signal != "end":
        try:
            text = input_fn(PROMPT)
        except (EOFError, KeyboardInterrupt):
            out.write("\n")
            return 0
        turn = bot.turn(turn.session_id, text)
        _show(turn.messages, out)
    return 0


def _show(messages: list[str], out: IO[str]) -> None:
    for message in messages:
        out.write(f"Chatbot: {message}\n")
    out.flush()


def _options(args: argparse.Namespace | list[str] | None) -> argparse.Namespace:
    if isinstance(args, argparse.Namespace):
        return argparse.Namespace(seed=getattr(args, "seed", None),
                                  database_url=getattr(args, "database_url", None))
    parser = SuggestingParser(prog="chatbot chat", description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=None,
                        help="fix the paraphrases (default: random per conversation)")
    parser.add_argument("--database-url", default=None,
                        help="SQLAlchemy URL (default: DATABASE_URL or ./var/chatbot.sqlite3)")
    return parser.parse_args(args or [])
