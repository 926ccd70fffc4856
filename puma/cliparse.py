"""An argparse parser whose mistakes are reported by the command that was mistyped.

Plain argparse lets a subcommand's unknown option fall through to the top-level parser, which
prints the top-level usage and calls every word after it unrecognised (`puma run --prot 9000
app.py` names `app.py` too, since 9000 was taken as the app). `SuggestingParser` reports the
first unknown option from the subcommand's own parser, with its usage and the closest option it
has, and suggests the closest choice for a mistyped subcommand or choice:

    puma run: error: unrecognized option --prot; did you mean --port?

Subparsers made by a `SuggestingParser` are `SuggestingParser`s too (argparse's default
`parser_class` is the parent's class), so one parser at the top covers every subcommand.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Sequence
from typing import Any

from .suggest import closest


class SuggestingParser(argparse.ArgumentParser):
    """`argparse.ArgumentParser` whose unknown options are errors of the parser they were given to,
    naming the first one and suggesting the closest known option.

    `synonyms` maps options a user may reach for to the one this command takes under another name
    (`{"--port": "--url"}`: `puma run` takes --port, `puma status` --url); such an option, or a
    typo of one, is answered with the right one and the value given: `did you mean --url 8090?`."""

    synonyms: dict[str, str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.synonyms = {}

    # The ignore: typeshed types this method as overloads generic in the namespace's class; this one
    # passes the namespace through to argparse as it came, and PUMA passes none or a Namespace.
    def parse_known_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                         namespace: argparse.Namespace | None = None) -> tuple[argparse.Namespace, list[str]]:
        if not self._subparsers:  # a leaf: every long option is its own, so check before parsing, or
            # the value after a mistyped option is read as a positional ("invalid choice: '9000'")
            words = list(sys.argv[1:] if args is None else args)
            unknown = self._unknown_options(words)
            if unknown:
                self.error(self.unrecognized(unknown, words))
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(self.unrecognized(extras, extras))
        return parsed, extras

    def _unknown_options(self, words: list[str]) -> list[str]:
        known = [s for action in self._actions for s in action.option_strings if s.startswith("--")]
        words = words[:words.index("--")] if "--" in words else words
        return [w for w in words if w.startswith("--") and not any(k.startswith(w.split("=", 1)[0]) for k in known)]

    def unrecognized(self, extras: list[str], words: list[str] | None = None) -> str:
        """The error for words this parser does not take: the first unknown option and the closest
        known one (or the option a synonym stands for, with the value given), else the words."""
        option = next((word for word in extras if word.startswith("-") and word != "-"), None)
        if option is None:
            return f"unrecognized arguments: {' '.join(extras)}"
        name, _, value = option.partition("=")
        known = [s for action in self._actions for s in action.option_strings if s.startswith("--") == name.startswith("--")]
        hint = closest(name, [*known, *self.synonyms])
        if hint in self.synonyms:
            after = (words or [])[(words or []).index(option) + 1:] if option in (words or []) else []
            given = value or (after[0] if after and not after[0].startswith("-") else "")
            target = self.synonyms[hint]
            return f"unrecognized option {name}; did you mean {target} {given}? ({self.prog} calls it {target})".replace(
                " ?", "?")
        return f"unrecognized option {name}" + (f"; did you mean {hint}?" if hint else f" (see {self.prog} --help)")

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        try:
            super()._check_value(action, value)
        except argparse.ArgumentError as exc:
            hint = closest(str(value), [str(c) for c in action.choices or ()])
            if hint is None:
                raise
            raise argparse.ArgumentError(action, f"{exc.message}; did you mean {hint!r}?") from None


APP_HELP = "the application script, e.g. examples/hello_app.py (it calls puma_config and puma_service)"


class HelpFormatter(argparse.HelpFormatter):
    """Shows each option's default (unless its help already says it) and never breaks a line at a
    hyphen, so names like `puma-app:latest` stay whole."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return textwrap.fill(" ".join(text.split()), width, initial_indent=indent, subsequent_indent=indent,
                             break_on_hyphens=False)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if (not action.option_strings or "default" in text or action.default in (None, False, argparse.SUPPRESS)
                or isinstance(action.default, list)):
            return text
        return text + " (default: %(default)s)"


LOG_LEVELS = ["debug", "info", "warning", "error"]


def command(sub: Any, name: str, summary: str, description: str | None = None) -> argparse.ArgumentParser:
    """A subcommand: `summary` in its parent's list, `description` (else the summary) atop its --help."""
    parser: argparse.ArgumentParser = sub.add_parser(
        name, help=summary, description=description or summary[0].upper() + summary[1:] + ".",
        formatter_class=HelpFormatter)
    # Also after the command (`puma run app.py --log-level debug`), where people put it; not given,
    # it leaves the one before the command (default info) as it is.
    parser.add_argument("--log-level", default=argparse.SUPPRESS, choices=LOG_LEVELS,
                        help="as `puma --log-level` before the command")
    return parser


def add_synonyms(parser: argparse.ArgumentParser, synonyms: dict[str, str]) -> None:
    """Options another command takes under another name, answered with this one's (`SuggestingParser`)."""
    if isinstance(parser, SuggestingParser):
        parser.synonyms.update(synonyms)
