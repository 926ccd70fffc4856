"""An app script run as `python app.py` that registered services but never started them says how
to start them, instead of exiting 0 in silence (newcomer 63: `puma_start()` left out, or kept
under a `__main__` guard of a module run otherwise).

`puma_config`, `puma_service` and `@puma.service` called from a script run as `__main__` arm one
reminder at exit; a started deployment, `puma run`/`puma render` reading the script (which only
collect), a worker importing it, or the script ending on an uncaught exception disarm it.
"""

from __future__ import annotations

import atexit
import os
import sys
from typing import Any, Protocol

from .client import ENV_WORKER


class _App(Protocol):
    collect_only: bool
    deployment: Any

    @property
    def targets(self) -> dict[str, str]: ...


_state: dict[str, Any] = {}


def note(caller: dict[str, Any], app: _App) -> None:
    """`caller`: the globals of the code that called puma_service/puma_config."""
    if caller.get("__name__") != "__main__" or app.collect_only or os.environ.get(ENV_WORKER) or "script" in _state:
        return
    _state["script"] = caller.get("__file__") or "the script"
    _state["app"] = app
    atexit.register(_remind)
    _config_errors_in_words()


def _config_errors_in_words() -> None:
    """A config mistake the script does not catch (a `*args` part, a bad key) ends `python app.py`
    with the one message `puma run app.py` prints for it, not a traceback through PUMA's code; the
    exit code stays 1, and every other exception keeps Python's (or the previous hook's) report."""
    from .errors import PumaConfigError

    previous = sys.excepthook

    def hook(kind: type[BaseException], exc: BaseException, tb: Any) -> None:
        if isinstance(exc, PumaConfigError):
            print(f"puma: error: {exc}", file=sys.stderr)
        else:
            previous(kind, exc, tb)

    sys.excepthook = hook


def started() -> None:
    """A deployment was started (or `puma_start()` called): nothing to remind."""
    _state["started"] = True


def reminder(script: str, services: list[str]) -> str:
    """What a script that never started its services is told at exit."""
    named = f" ({', '.join(services)})" if services else ""
    return (f"puma: {script} registered services{named} but never started them, so nothing was served; "
            f"start it with `puma run {script}`, or end the script with\n\n"
            "    if __name__ == \"__main__\":\n        puma_start()\n\nand run it again\n")


def _remind() -> None:
    app = _state.get("app")
    if app is None or _state.get("started") or app.deployment is not None or hasattr(sys, "last_value"):
        return
    try:
        services = sorted(app.targets)
    except Exception:  # noqa: BLE001 - the reminder never fails the exit
        services = []
    sys.stderr.write(reminder(os.path.relpath(_state["script"]) if _state["script"] != "the script" else
                              _state["script"], services))
    sys.stderr.flush()


__all__ = ["note", "reminder", "started"]
