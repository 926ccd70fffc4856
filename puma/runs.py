"""Where `puma run` records the deployments it runs, so `puma status` and `puma scale` find them.

Each running `puma run` writes one small JSON file, readable by its user only, removed when it
stops: ``{"url", "pid", "app", "cwd", "started", "token", "state", "harness", "drain"}`` (``cwd``: the
directory it was started from; ``token`` authorises `puma scale`, see `puma.status`; ``state``:
``starting`` from the moment Envoy listens, so `puma status` finds a deployment during its
start-up, then ``serving``; ``harness``: ``$PUMA_HARNESS``, set by a load test or another tool
that starts its own deployment, which `puma status` then picks only when nothing else fits; ``drain``:
what a stop waits at most, `puma.stopping.windows`, which `make stop` says). The directory is ``$PUMA_RUNS_DIR``, else ``$XDG_RUNTIME_DIR/puma``, else
``~/.cache/puma/runs``. A file whose process is gone (a `puma run` killed with SIGKILL) is
ignored, and kept as a note of a run that ended without stopping (`puma.lastrun`). Example::

    path = record("http://127.0.0.1:8080", app="chatbot/puma_app.py", token="...")
    [run["url"] for run in running()]      # ['http://127.0.0.1:8080']
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ENV_RUNS_DIR = "PUMA_RUNS_DIR"
ENV_HARNESS = "PUMA_HARNESS"  # "the load test": this run is a tool's, not the user's own
ENDED_SUFFIX = ".ended"  # the note of a run that ended without stopping (`puma.lastrun` reads it)


def runs_dir() -> Path:
    """The directory of run files (see the module doc for how it is chosen)."""
    if os.environ.get(ENV_RUNS_DIR):
        return Path(os.environ[ENV_RUNS_DIR])
    if os.environ.get("XDG_RUNTIME_DIR"):
        return Path(os.environ["XDG_RUNTIME_DIR"]) / "puma"
    return Path.home() / ".cache" / "puma" / "runs"


def record(url: str, *, app: str, token: str, state: str = "serving", started: float | None = None,
           drain: dict[str, float] | None = None) -> Path:
    """Write (or rewrite) this process's run file (mode 0600, in a 0700 directory); returns its path.
    `state` is ``starting`` or ``serving``; `started` (epoch s) defaults to now; `drain`, what a stop
    waits at most (``{"in_flight_s": 30, "uploads_s": 5}``), which `make stop` says."""
    folder = runs_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{os.getpid()}.json"
    temp = path.with_suffix(".tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({"url": url, "pid": os.getpid(), "app": app, "command": started_as(app), "cwd": os.getcwd(),
                   "started": time.time() if started is None else started, "token": token, "state": state,
                   "harness": os.environ.get(ENV_HARNESS, "").strip(), **({"drain": drain} if drain else {})}, out)
    os.replace(temp, path)
    _forget_ended_at(url)  # a run here now: an earlier one's "ended without stopping" is no longer news
    return path


def started_as(app: str, argv: list[str] | None = None) -> str:
    """The command that started this process, as its user typed it: ``puma run app.py``,
    ``python app.py`` (a script ending in `puma_start()`), or the program that called `App.start`."""
    argv = sys.argv if argv is None else argv
    if argv[1:2] == ["run"]:
        return f"puma run {app}".strip()
    if argv and argv[0].endswith(".py"):
        return f"python {argv[0]}"
    return f"{Path(argv[0]).name if argv and argv[0] else 'python'} (App.start of {app or 'an app'})"


def command_of(run: dict[str, Any]) -> str:
    """How a run file's process was started (run files of older versions say only the app)."""
    return str(run.get("command") or f"puma run {run.get('app', '')}".strip())


def describe(run: dict[str, Any]) -> str:
    """One run in words: ``http://127.0.0.1:8080 (`puma run app.py` from /src, pid 42, starting)``,
    with ``the load test's`` when a harness started it."""
    notes = [f"pid {run.get('pid', '?')}"]
    if run.get("state") == "starting":
        notes.append("starting")
    if run.get("harness"):
        notes.append(f"{run['harness']}'s")
    where = str(run.get("cwd", "?"))
    with contextlib.suppress(OSError, ValueError):
        root = checkout_of(where)
        if str(root) != where and root != Path(where).resolve():
            where += f" (checkout {root})"
    return f"{run.get('url')} (`{command_of(run)}` from {where}, {', '.join(notes)})"


def forget(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def running() -> list[dict[str, Any]]:
    """The deployments recorded by live `puma run` processes of this user, newest first."""
    found = []
    for path in runs_dir().glob("*.json") if runs_dir().is_dir() else []:
        try:
            run = json.loads(path.read_text())
            alive = _alive(int(run["pid"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if alive:
            found.append(run)
        else:  # its `puma run` was killed before it could remove it: kept as a note `puma status` says
            _keep_ended(path, run)
            forget(path)
    return sorted(found, key=lambda run: run.get("started", 0), reverse=True)


def started_here(found: list[dict[str, Any]], here: str | None = None) -> list[dict[str, Any]]:
    """The runs of `found` started from `here` (default: the current directory) or from a directory
    above it (a `puma run` in a checkout is "here" in its sub-folders too); the nearest ones only."""
    current = Path(here or os.getcwd()).resolve()
    depth: dict[int, list[dict[str, Any]]] = {}
    for run in found:
        try:
            start = Path(str(run["cwd"])).resolve()
        except (KeyError, OSError, ValueError):
            continue  # a run file written before runs recorded their directory
        if current == start or start in current.parents:
            depth.setdefault(len(start.parts), []).append(run)
    return depth[max(depth)] if depth else []


def checkout_of(path: str | Path) -> Path:
    """The checkout `path` lies in: the nearest directory at or above it holding ``.git`` (a clone
    or a worktree), else `path` itself. ``checkout_of("/src/app/examples")`` is ``/src/app``."""
    start = Path(path).resolve()
    return next((d for d in (start, *start.parents) if (d / ".git").exists()), start)


def started_in_checkout(found: list[dict[str, Any]], here: str | None = None) -> list[dict[str, Any]]:
    """The runs of `found` started anywhere in the checkout of `here` (default: the current
    directory; outside a checkout, from it or below it, unless it is ``/``): another folder of the
    same clone."""
    root = checkout_of(here or os.getcwd())
    if root == Path(root.anchor):
        return []  # below "/" is everywhere: no run is "in" it
    inside = []
    for run in found:
        try:
            start = Path(str(run["cwd"])).resolve()
        except (KeyError, OSError, ValueError):
            continue
        if start == root or root in start.parents:
            inside.append(run)
    return inside


def at(url: str) -> dict[str, Any] | None:
    """The live run recorded as serving at `url` (``http://HOST:PORT``), else None: a deployment
    whose address answers nothing (its Envoy restarting) is still known by its run file."""
    return next((run for run in running() if str(run.get("url", "")).rstrip("/") == url.rstrip("/")), None)


def quiet_s(pid: int, now: float | None = None) -> float | None:
    """Seconds since `puma run` process `pid` last ran, by its run file, which it touches every
    quarter second while it runs (`puma.stalls.beat`); None if there is no such file."""
    try:
        return max(0.0, (time.time() if now is None else now) - (runs_dir() / f"{pid}.json").stat().st_mtime)
    except OSError:
        return None


def stopped(pid: int) -> bool:
    """Whether `pid` is stopped (SIGSTOP, a terminal's Ctrl-Z): /proc's state 'T' (or 't', traced)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text(errors="replace").rsplit(")", 1)[1].split()[0] in ("T", "t")
    except (OSError, IndexError):
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _keep_ended(path: Path, run: dict[str, Any]) -> None:
    """Turn the run file `path` of a process that is gone into its note: the run (its token left out)
    and the time of its last heartbeat (the file's mtime: `puma.stalls.beat`)."""
    try:
        last = path.stat().st_mtime
    except OSError:
        return
    note = {**{k: v for k, v in run.items() if k != "token"}, "last_beat": last, "noticed": time.time()}
    target = path.with_name(f"{run.get('pid', path.stem)}{ENDED_SUFFIX}")
    temp = target.with_suffix(".tmp-ended")
    with contextlib.suppress(OSError):
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(note, out)
        os.replace(temp, target)


def _forget_ended_at(url: str) -> None:
    """Drop the notes of runs that served at `url`: a new run there supersedes them."""
    folder = runs_dir()
    for path in folder.glob(f"*{ENDED_SUFFIX}") if folder.is_dir() else []:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            if str(json.loads(path.read_text()).get("url", "")).rstrip("/") == url.rstrip("/"):
                forget(path)
