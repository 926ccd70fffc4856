"""What the CLI prints is at most `WIDTH` characters a line: a long message (a reason with its fix,
a log record naming a service, its pid and why) is wrapped at spaces, its continuation indented,
so the key fact stays findable among the lines of a terminal (newcomer 83: 300-420 character
lines wrapped over 4-5 rows among the log lines). Words are never split (a URL, a path, a command
stays whole, even past the width), and a span in backticks (a command to copy, "start it:
`.venv/bin/python -m x --port 1 &`") is never broken inside: it moves to a line of its own instead,
so what a user pastes is the whole command. On a terminal narrower than `WIDTH`, its width is the
limit. Log records are wrapped only on a terminal: piped to a file or `grep`, each record stays one
line, as the start-up status line does (`puma.waiting`).

>>> wrap("not ready yet: legacy (instance 1: the legacy socket server is unreachable ...)", width=40)
['not ready yet: legacy (instance 1: the', '    legacy socket server is unreachable', '    ...)']
"""

from __future__ import annotations

import logging
import os
import re
import sys
import textwrap
from typing import IO

WIDTH = 100
MORE = "    "  # a continuation: indented, so it reads as the line above's
_QUOTED = re.compile(r"`[^`\n]+`")  # a command to copy: one unit, never broken inside
_KEEP = "\x00"  # stands for a space inside a quoted span while textwrap splits (it splits at ASCII whitespace)


def terminal_width(stream: IO[str] | None = None) -> int:
    """`WIDTH`, or the width of the terminal `stream` (default stdout) is, when it is narrower;
    `WIDTH` when it is no terminal (a pipe, a file: what reads it has no width to fit)."""
    stream = stream or sys.stdout
    try:
        columns = os.get_terminal_size(stream.fileno()).columns if stream.isatty() else WIDTH
    except (AttributeError, OSError, ValueError):  # no file behind it (a test's StringIO), or closed
        columns = WIDTH
    return max(40, min(WIDTH, columns))


def wrap(text: str, *, width: int | None = None, first: str = "", more: str = MORE) -> list[str]:
    """`text` (each of its own lines) as lines of at most `width` characters (default
    `terminal_width()`); words and backticked spans kept whole."""
    width = width or terminal_width()
    out: list[str] = []
    for i, line in enumerate(text.split("\n")):
        lead = first if i == 0 else more
        kept = _QUOTED.sub(lambda m: m.group(0).replace(" ", _KEEP), line)
        out += [row.replace(_KEEP, " ") for row in textwrap.wrap(
            kept, width, initial_indent=lead, subsequent_indent=more, break_long_words=False,
            break_on_hyphens=False)] or [lead.rstrip()]
    return out


def fill(text: str, *, width: int | None = None, first: str = "", more: str = MORE) -> str:
    """`wrap`'s lines joined: what to print."""
    return "\n".join(wrap(text, width=width, first=first, more=more))


def fill_for(text: str, stream: IO[str]) -> str:
    """`text` wrapped to `stream`'s terminal when it is one; piped to a file or `grep`, one line
    (what reads it searches lines, and has no width to fit)."""
    try:
        on_terminal = stream.isatty()
    except (AttributeError, ValueError):
        on_terminal = False
    return fill(text, width=terminal_width(stream)) if on_terminal else text


class WrappingFormatter(logging.Formatter):
    """The CLI's log format, each record wrapped at `WIDTH` when its stream is a terminal."""

    def __init__(self, fmt: str, datefmt: str, stream: IO[str]) -> None:
        super().__init__(fmt, datefmt)
        self.wraps = bool(getattr(stream, "isatty", lambda: False)())

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if not self.wraps or record.exc_info or "\n" in text:  # a traceback keeps its own layout
            return text
        return fill(text)
