"""The `puma` command's entry point: handles Ctrl-C first, then imports the command line."""

from __future__ import annotations

from . import interrupts


def main(argv: list[str] | None = None) -> None:
    """Run `puma` with `argv` (default: `sys.argv[1:]`); see `puma.cli.main`."""
    interrupts.stop_while_starting()
    from .cli import main as cli_main  # the slow imports: a Ctrl-C meanwhile is one line, exit 130

    cli_main(argv)
