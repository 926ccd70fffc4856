"""``python -m legacy_socket_server [debug] [--host H] [--port N]`` (also ``chatbot legacy``).

Loads the catalogue and the recommender, then serves on 127.0.0.1:13113 (13120 with
``debug``; ``--port 0`` picks a free port) until SIGINT or SIGTERM. The log line
``listening on HOST:PORT`` says where, once it is ready.
"""

from __future__ import annotations

# First, before the imports (a second or more on a busy machine): a Ctrl-C meanwhile is one line and
# exit 130, never a KeyboardInterrupt traceback from inside an import. `run` installs the server's own
# handlers (which log the stop) once it starts. Its words as the log's ("stopping (SIGINT)"): `make run`
# reads them there (scripts/run.sh: a Ctrl-C that reached the server, not a server lost).
from puma import interrupts

interrupts.stop_while_starting("legacy socket server: stopping ({signal}) during start-up, before it loaded anything; "
                               "stopped, nothing is left running")

import argparse  # noqa: E402
import sys  # noqa: E402
from collections.abc import Sequence  # noqa: E402

from legacy_socket_server.options import add_arguments  # noqa: E402
from legacy_socket_server.running import run  # noqa: E402
from puma.cliparse import SuggestingParser  # noqa: E402


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server until SIGINT/SIGTERM; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    return run(_parser().parse_args(argv))


def _parser() -> argparse.ArgumentParser:
    return add_arguments(SuggestingParser(prog="python -m legacy_socket_server", description=__doc__,
                                          formatter_class=argparse.RawDescriptionHelpFormatter))


if __name__ == "__main__":
    from chatbot.cli import main as chatbot_main

    # Through the chatbot CLI for its error reporting (the same options: `chatbot legacy`).
    sys.exit(chatbot_main(["legacy", *sys.argv[1:]], prog="python -m legacy_socket_server"))
