"""Runs that ended without stopping (`kill -9` of `puma run`, a crash, the OOM killer), for `puma status`.

A `puma run` removes its run file (`puma.runs`) as it stops; one killed cannot. `puma.runs.running()`
then finds the file of a process that is gone and, instead of dropping it without a word, keeps it as
``<pid>.ended`` with the time of its last heartbeat (the run file is touched every quarter second while
the run lives: `puma.stalls.beat`), so `puma status` can say what happened, when, what is left of it
(its processes still running, its port still answering) and what to do. A later start on the same
address replaces the note (`puma.runs.record`); notes older than `KEEP_S` are dropped. (`puma.runs`
writes and replaces the notes; this module reads them and says what they mean.) Example::

    note = about(ended_at("http://127.0.0.1:8080"))  # "the last `puma run app.py` (pid 42, ...) ended ..."
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
import urllib.parse
from pathlib import Path
from typing import Any

from . import runs

KEEP_S = 7 * 24 * 3600.0  # a week: "the last run ended" stays true until another starts
ENDED_SUFFIX = runs.ENDED_SUFFIX
ENV_SUPERVISOR_PID = "PUMA_SUPERVISOR_PID"  # every process of a deployment inherits it (puma.childenv)


def ended() -> list[dict[str, Any]]:
    """The notes of runs of this user that ended without stopping, newest first (old ones removed)."""
    found = []
    folder = runs.runs_dir()
    for path in folder.glob(f"*{ENDED_SUFFIX}") if folder.is_dir() else []:
        try:
            note = json.loads(path.read_text())
            last = float(note.get("last_beat", 0))
        except (OSError, ValueError, TypeError, AttributeError):
            continue
        if time.time() - last > KEEP_S:
            runs.forget(path)
        else:
            found.append(note)
    return sorted(found, key=lambda note: float(note.get("last_beat", 0)), reverse=True)


def ended_at(url: str | None = None) -> dict[str, Any] | None:
    """The newest note of a run that served at `url` (any address when None), else None."""
    for note in ended():
        if url is None or str(note.get("url", "")).rstrip("/") == url.rstrip("/"):
            return note
    return None


def leftovers(pid: int) -> dict[int, str]:
    """The live processes of this user that run `puma run` `pid` started (Envoy, zygotes,
    instances: they carry its pid in their environment), with their command lines."""
    marker = f"{ENV_SUPERVISOR_PID}={pid}\0".encode()
    left = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if marker not in (entry / "environ").read_bytes():
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except (OSError, IndexError):
            continue  # gone meanwhile, or another user's
        if state != "Z":
            left[int(entry.name)] = command
    return left


def answers(url: str) -> bool:
    """Whether something accepts connections at `url`'s host and port (its port still held)."""
    parts = urllib.parse.urlsplit(url)
    with contextlib.suppress(OSError, ValueError), socket.create_connection((parts.hostname or "127.0.0.1",
                                                                            parts.port or 80), timeout=0.5):
        return True
    return False


def about(note: dict[str, Any] | None) -> str:
    """`note` in words: what ended, when, what is left and what to do ("" for None)."""
    if not note:
        return ""
    pid, url = int(note.get("pid", 0) or 0), str(note.get("url", ""))
    when = time.strftime("%H:%M:%S", time.localtime(float(note.get("last_beat", 0))))
    began = time.strftime("%H:%M:%S", time.localtime(float(note.get("started", 0))))
    head = (f"the last `{runs.command_of(note)}` (pid {pid}, started {began} from {note.get('cwd', '?')}) ended "
            f"without stopping at about {when} (its last sign of life): it was killed (kill -9), crashed or ran "
            "out of memory, and could not stop its deployment")
    left = leftovers(pid)
    held = answers(url)
    if not left and not held:
        return (f"{head}; nothing of it is left (no process of it runs, {url} answers nothing); start it again "
                f"from {note.get('cwd', '?')} with `{runs.command_of(note)}` (or `make run`, if that started it; its run "
                "directory in /tmp is removed by a later start)")
    parts = []
    if left:
        named = ", ".join(f"pid {p} ({command[:60]})" for p, command in sorted(left.items())[:6])
        parts.append(f"{len(left)} of its processes still run{'s' if len(left) == 1 else ''}: {named}")
    if held:
        parts.append(f"its address {url} still answers (its port is held)")
    pids = " ".join(str(p) for p in sorted(left))
    todo = f"stop them with kill {pids} (kill -9 {pids} if they stay)" if left else \
        f"find what holds the port with ss -ltnp 'sport = :{urllib.parse.urlsplit(url).port}'"
    return (f"{head}; left behind: {'; '.join(parts)}; {todo}, then start it again with `{runs.command_of(note)}` "
            f"from {note.get('cwd', '?')}")
