"""`puma stop [APP] [--port N]`: stop a running `puma run` (or `python app.py`) as Ctrl-C does.

It finds the deployment by the run files `puma run` writes (`puma.runs`: one started from this
directory or this checkout; another checkout's only when --port or APP names it), sends its process SIGTERM
(which drains the requests in flight, then stops Envoy and every instance, as Ctrl-C does), and
waits until it has exited, saying what it stopped and how long that took. Exit codes:

    0  stopped
    1  nothing to stop: no running deployment fits the choice (it names those that run)
    2  several fit (it names each, with the `puma stop --port N` that picks it); or a bad command line
    3  it did not exit within --timeout-s (it names the pid to `kill -9`)

Example: ``puma stop --port 8080`` -> ``puma stop: stopped `puma run app.py` (pid 4242, http://127.0.0.1:8080) in 1.3 s``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import runs

EXIT_NOTHING, EXIT_SEVERAL, EXIT_TIMEOUT = 1, 2, 3
SAY_EVERY_S = 5.0


def run_port(run: dict[str, Any]) -> int | None:
    """The listener port of a recorded run (None when its URL names none)."""
    try:
        return urlsplit(str(run.get("url", ""))).port
    except ValueError:
        return None


def _same_app(run: dict[str, Any], app: Path) -> bool:
    """Whether `run` runs `app`: the same file (its path read from the run's directory), else the
    same file name when the run's path cannot be resolved."""
    recorded = Path(str(run.get("app", "")))
    try:
        mine = app.resolve()
        theirs = (Path(str(run.get("cwd", "."))) / recorded).resolve()
    except (OSError, RuntimeError):
        return recorded.name == app.name
    return mine == theirs


def choose(found: list[dict[str, Any]], *, port: int | None, app: Path | None,
           here: str | None = None) -> list[dict[str, Any]]:
    """The runs of `found` that `puma stop` would stop: by port, by app, else those started from
    this directory (or above it), else from elsewhere in this checkout — never another checkout's
    by default (on a shared machine "the only one running" is often someone else's): naming one by
    --port or APP stops it (the caller refuses more than one)."""
    if port is not None:
        found = [run for run in found if run_port(run) == port]
    if app is not None:
        found = [run for run in found if _same_app(run, app)]
    if port is None and app is None:
        found = runs.started_here(found, here) or runs.started_in_checkout(found, here)
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return runs._alive(pid)  # no /proc (macOS): signal 0
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


STOPPED_GIVE_UP_S = 15.0  # stopped again after its SIGCONT (a debugger, a Ctrl-Z loop): no use waiting on


def _wait(pid: int, timeout_s: float, out: Any) -> float | None:
    """Seconds until `pid` exited, or None after `timeout_s` (or after `STOPPED_GIVE_UP_S` stopped);
    a line every SAY_EVERY_S meanwhile, saying what it does."""
    started = said = time.monotonic()
    stopped_since: float | None = None
    while _alive(pid):
        now = time.monotonic()
        stopped_since = (stopped_since or now) if runs.stopped(pid) else None
        if now - started > timeout_s or (stopped_since is not None and now - stopped_since > STOPPED_GIVE_UP_S):
            return None
        if now - said >= SAY_EVERY_S:
            said = now
            print(f"puma stop: still stopping ({now - started:.0f} s): {_doing(pid)}", file=out, flush=True)
        time.sleep(0.1)
    return time.monotonic() - started


def _doing(pid: int) -> str:
    if runs.stopped(pid):
        return (f"pid {pid} is stopped (state T: SIGSTOP, Ctrl-Z or a debugger), so it cannot stop; "
                f"resume it with kill -CONT {pid} (its SIGTERM then takes effect)")
    return f"pid {pid} finishes its requests in flight (each service drains for at most its timeout)"


def signal_stop(pid: int) -> bool:
    """SIGTERM, then SIGCONT (as systemd and Kubernetes do): a stopped process (SIGSTOP, Ctrl-Z) holds
    the SIGTERM until it runs again, so it is resumed to act on it. Returns whether it was stopped.
    Raises ProcessLookupError / PermissionError as `os.kill` does."""
    was_stopped = runs.stopped(pid)
    os.kill(pid, signal.SIGTERM)
    with contextlib.suppress(ProcessLookupError):  # the SIGTERM ended it already (no handler of its own)
        os.kill(pid, signal.SIGCONT)
    return was_stopped


def _nothing(port: int | None, app: Path | None, others: list[dict[str, Any]]) -> str:
    what = " and ".join(w for w in (f"on port {port}" if port is not None else "",
                                    f"running {app}" if app is not None else "") if w)
    if others and port is None and app is None:  # theirs, not this directory's: named, never stopped unasked
        root = runs.checkout_of(os.getcwd())
        here = f"this checkout ({root})" if (root / ".git").exists() else f"this directory ({os.getcwd()})"
        return (f"puma stop: no puma run started from {here} is running: nothing to stop; started from other "
                "directories: " + "; ".join(f"{runs.describe(run)} (to stop it: puma stop --port "
                                             f"{run_port(run)})" for run in others))
    line = f"puma stop: no puma run is serving{' ' + what if what else ''}: nothing to stop"
    if others:
        line += "; running: " + "; ".join(runs.describe(run) for run in others)
    elif port is not None:
        from .ports import port_holder

        holder = port_holder(port)
        if holder:
            line += f" (port {port} is held by {holder}, which PUMA did not start)"
    return line


def stop(port: int | None = None, app: Path | None = None, *, timeout_s: float = 120.0,
         out: Any = sys.stdout) -> int:
    """Stop the deployment that fits; returns the exit code (see the module doc)."""
    found = runs.running()
    chosen = choose(found, port=port, app=app)
    if not chosen:
        print(_nothing(port, app, found), file=out, flush=True)
        return EXIT_NOTHING
    if len(chosen) > 1:
        print("puma stop: several deployments fit; pick one:\n" + "\n".join(
            f"  puma stop --port {run_port(run)}    # {runs.describe(run)}" for run in chosen), file=out, flush=True)
        return EXIT_SEVERAL
    run = chosen[0]
    pid = int(run["pid"])
    print(f"puma stop: stopping {runs.describe(run)}: it lets the requests in progress finish, then "
          "stops (as Ctrl-C does)", file=out, flush=True)
    try:
        if signal_stop(pid):
            print(f"puma stop: pid {pid} was stopped (state T: SIGSTOP or Ctrl-Z): sent SIGCONT after the SIGTERM, "
                  "so it resumes to stop", file=out, flush=True)
    except ProcessLookupError:
        pass  # it ended meanwhile
    except PermissionError:
        print(f"puma stop: pid {pid} is not yours to signal (another user's run); ask its owner, or: "
              f"sudo kill -TERM {pid}", file=out, flush=True)
        return EXIT_NOTHING
    took = _wait(pid, timeout_s, out)
    if took is None:
        why = (f"is stopped again (state T: SIGSTOP, Ctrl-Z or a debugger) after its SIGCONT; it stops once resumed "
               f"(kill -CONT {pid}), or" if runs.stopped(pid) else f"did not exit within {timeout_s:g} s;")
        print(f"puma stop: pid {pid} {why} to force it: kill -9 {pid} "
              "(its instances and Envoy then stop when they notice it is gone)", file=out, flush=True)
        return EXIT_TIMEOUT
    print(f"puma stop: stopped `{runs.command_of(run)}` (pid {pid}, {run.get('url')}) in {took:.1f} s",
          file=out, flush=True)
    return 0


def add_stop(sub: Any) -> None:
    from .cliparse import APP_HELP, command

    parser = command(sub, "stop", "stop a running deployment gracefully, as Ctrl-C does",
                     "Stop the `puma run` (or `python APP.py`) serving on --port, or running APP, else the one "
                     "started from this directory (or one above it), else one started in this checkout (never another "
                     "checkout's unless named by --port or APP): it finishes "
                     "the requests in flight, then stops Envoy and every instance, and `puma stop` waits for "
                     "that, saying what it stopped. Exit codes: 0 stopped; 1 nothing to stop (it names what "
                     "runs); 2 several fit (it names each, with the command that picks it); 3 not stopped "
                     "within --timeout-s (it names the pid to kill -9).")
    parser.add_argument("app", type=Path, nargs="?", help=APP_HELP + " (optional: the deployment running it)")
    parser.add_argument("--port", type=int, help="the listener port the deployment serves on, e.g. 8080")
    parser.add_argument("--timeout-s", type=float, default=120.0, metavar="SECONDS",
                        help="how long to wait for it to exit (default 120: a drain lasts at most the longest "
                             "service timeout)")
    parser.set_defaults(func=cmd_stop)


def cmd_stop(args: argparse.Namespace) -> None:
    code = stop(args.port, args.app, timeout_s=args.timeout_s)
    if code:
        sys.exit(code)
