"""The `puma` command's entry point: handles Ctrl-C first, then imports the command line."""

from __future__ import annotations

import os

try:
    from . import interrupts
except KeyboardInterrupt:  # Ctrl-C in the millisecond before the handler is in place: the same line
    os.write(2, b"\npuma: stopped during start-up; nothing is left running\n")
    os._exit(130)


def main(argv: list[str] | None = None) -> None:
    """Run `puma` with `argv` (default: `sys.argv[1:]`); see `puma.cli.main`."""
    interrupts.stop_while_starting()
    from .cli import main as cli_main  # the slow imports: a Ctrl-C meanwhile is one line, exit 130

    cli_main(argv)
