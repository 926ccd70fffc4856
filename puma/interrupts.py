"""Ctrl-C before `puma` has started anything: one line and exit code 130, never a traceback.

Importing PUMA's command line takes about a second (several on a busy machine). A SIGINT then
would raise `KeyboardInterrupt` inside an import and print a traceback ending in importlib; and a
`puma run ... &` inherits SIGINT *ignored* from the shell, so a `kill -INT` then would be lost
while a later one works. `stop_while_starting()` runs first thing (see `puma.entry`) and handles
SIGINT the same way in both cases until `App.run` installs its own handlers (which then undo what
has started); `restore()` gives the other commands back what they inherited.
"""

from __future__ import annotations

import os
import signal
import sys

TYPE_CHECKING = False  # not typing's: nothing but what Python's start-up loaded runs before the handler
if TYPE_CHECKING:
    from typing import Any

STOPPED_LINE = "puma: stopped during start-up; nothing is left running"
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command Ctrl-C ended

_inherited: dict[int, Any] = {}
_said = {"line": STOPPED_LINE}


def stop_while_starting(line: str = STOPPED_LINE) -> None:
    """Until replaced: SIGINT (Ctrl-C, `kill -INT`, even if inherited ignored) and SIGTERM (`make
    stop`, `kill`) print `line` (default `STOPPED_LINE`; another program names itself, and may say
    which signal: ``{signal}``, e.g. SIGINT) and exit at once with 130 (a stop during start-up says the same, whichever signal asked for it), which is
    right only while nothing has been started."""
    _said["line"] = line
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous = signal.signal(signum, _stop_at_once)
        _inherited.setdefault(signum, previous)


def restore() -> None:
    """Give SIGINT and SIGTERM back the handling the process started with (for commands that start nothing)."""
    for signum, inherited in _inherited.items():
        if inherited is not None and signal.getsignal(signum) is _stop_at_once:
            signal.signal(signum, inherited)


def _stop_at_once(signum: int, _frame: object) -> None:
    try:
        line = _said["line"].replace("{signal}", signal.Signals(signum).name)
        os.write(sys.stderr.fileno(), f"\n{line}\n".encode())
    except (OSError, ValueError, AttributeError):  # stderr closed or replaced: the exit code still says it
        pass
    os._exit(EXIT_INTERRUPTED)  # not SystemExit: an import in progress must not turn it into a traceback
