"""`make stop`: stop the `make run` serving on PORT (started in another terminal, or in the background).

Usage: python scripts/stop_run.py PORT. `make run` (scripts/run.sh) writes its pid, then its
`puma run`'s, to var/make-run-PORT.pid; this sends SIGTERM to that `puma run`, which drains the requests in flight
and stops the mesh; `make run` then stops its legacy server and removes the pid file. It says what
it stopped and how long that took, and every 5 s while it waits. Idempotent: with nothing running
on PORT it says so and exits 0; a `puma run` started by hand on PORT is named, with the command
that stops it (`puma stop --port PORT`), and it exits 1. Exit 1 if the run did not stop within STOP_TIMEOUT_S (it names the
pid to `kill -9`).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import signal
import sys
import textwrap
import time
from pathlib import Path
from types import ModuleType
from typing import TextIO

STOP_TIMEOUT_S = 120.0  # puma run drains for at most its longest service timeout (README: Ctrl-C drains)
SAY_EVERY_S = 5.0
STOPPED_GIVE_UP_S = 15.0  # stopped again after its SIGCONT (a debugger, a Ctrl-Z loop): no use waiting on
LEGACY_STOP_WAIT_S = 30.0  # the legacy server finishes its turns in progress; niced, it may be slow
ROOT = Path(__file__).resolve().parent.parent
WIDTH = 100  # as puma's own lines (puma.lines): a long line is wrapped, its continuation indented


def say(text: str, file: TextIO | None = None, flush: bool = True) -> None:
    """`text` printed in lines of at most WIDTH characters (words kept whole), continuations indented."""
    width = max(40, min(WIDTH, os.get_terminal_size(sys.stdout.fileno()).columns)) if sys.stdout.isatty() else WIDTH
    print(textwrap.fill(text, width, subsequent_indent="    ", break_long_words=False, break_on_hyphens=False),
          file=file or sys.stdout, flush=flush)


def run_file(port: str) -> Path:
    return Path("var") / f"make-run-{port}.pid"


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def children(pid: int) -> dict[int, str]:
    """The live child processes of `pid`, with their command lines."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            child = int(stat.parent.name)
            found[child] = command_line(child)
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def stopped(pid: int) -> bool:
    """Whether `pid` is stopped (SIGSTOP, Ctrl-Z; 't': held by a debugger): it acts on no signal but SIGKILL."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("T", "t")
    except (OSError, IndexError):
        return False


def terminate(pid: int) -> bool:
    """SIGTERM, then SIGCONT (as systemd and Kubernetes do): a stopped process holds the SIGTERM until
    it runs again, so it is resumed to act on it. Returns whether it was stopped."""
    was_stopped = stopped(pid)
    os.kill(pid, signal.SIGTERM)
    with contextlib.suppress(ProcessLookupError):  # the SIGTERM ended it already (no handler of its own)
        os.kill(pid, signal.SIGCONT)
    return was_stopped


STOPPED_WORDS = "is stopped (state T: SIGSTOP, Ctrl-Z or a debugger)"


def parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def legacy_port(runner: int) -> str | None:
    """The LEGACY_PORT of the make run `runner` (scripts/run.sh BIN PORT LEGACY_PORT LOG)."""
    words = command_line(runner).split()
    at = next((i for i, w in enumerate(words) if w.endswith("run.sh")), None)
    return words[at + 3] if at is not None and len(words) > at + 3 and words[at + 3].isdigit() else None


def legacy_servers(port: str) -> list[int]:
    """The live processes whose command line says they are a legacy server on `port`."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        pid = int(cmdline.parent.name)
        if re.search(rf"legacy_socket_server .*--port {port}\b", command_line(pid)) and alive(pid):
            found.append(pid)
    return sorted(found)


def stopping_legacy(port: str, pid: int) -> bool:
    """Whether `pid`, a legacy server on `port`, is one make run has asked to stop: its pid file names
    it, or its log's last words say it is stopping (it removes its pid file before it exits)."""
    named = Path("var") / f"legacy-server-{port}.pid"
    try:
        if named.read_text().strip() == str(pid):
            return True
        tail = (Path("var") / f"legacy-server-{port}.log").read_text(errors="replace").splitlines()[-5:]
    except OSError:
        return False
    return any("stopping (" in line for line in tail)


def left_running(port: str | None) -> str:
    """What `make stop` says about the legacy server once the run has stopped. A server make run
    asked to stop may still be finishing its turns (it runs niced: on a busy machine that outlasts
    make run's own wait): it is waited for, up to LEGACY_STOP_WAIT_S, rather than called left. One
    that is stopped (state T) holds its SIGTERM: it is resumed (SIGCONT) to act on it, and said so."""
    if port is None:
        return ""
    started = said = time.monotonic()
    resumed: set[int] = set()
    while (left := legacy_servers(port)) and all(stopping_legacy(port, pid) for pid in left):
        for pid in set(filter(stopped, left)) - resumed:
            resumed.add(pid)
            say(f"make stop: the legacy socket server on port {port} (pid {pid}) {STOPPED_WORDS}: "
                  "sent it SIGTERM and SIGCONT, so it resumes to stop", flush=True)
            terminate(pid)
        now = time.monotonic()
        if now - started > LEGACY_STOP_WAIT_S:
            return "; " + legacy_still(port, left)
        if now - said >= SAY_EVERY_S:
            said = now
            say(f"make stop: the legacy socket server on port {port} (pid {' '.join(map(str, left))}) "
                f"{legacy_doing(left)} ({now - started:.0f} s)", flush=True)
        time.sleep(0.1)
    if not left:
        return f"; no legacy socket server is left on port {port}"
    pids = " ".join(map(str, left))
    return (f"; left running: a legacy socket server on port {port} (pid {pids}) that make run did not stop "
            f"(its pid file did not name it); stop it with kill {pids}")


def legacy_doing(pids: list[int]) -> str:
    if any(map(stopped, pids)):
        return f"{STOPPED_WORDS}, so it cannot stop; resume it with kill -CONT {' '.join(map(str, pids))}"
    return "is still finishing its turns"


def legacy_still(port: str, pids: list[int]) -> str:
    named = " ".join(map(str, pids))
    return (f"the legacy socket server on port {port} (pid {named}) {legacy_doing(pids)} after "
            f"{LEGACY_STOP_WAIT_S:.0f} s (var/legacy-server-{port}.log); to force it: kill -9 {named}")


def _runs_module() -> ModuleType:
    """puma/runs.py, loaded by its path: `make stop` runs with the system's python3, where the
    package `puma` (its dependencies, the venv's editable install) is not importable, and the import
    failed silently, so make stop never said the drain time README promises. It needs the standard
    library only."""
    spec = importlib.util.spec_from_file_location("puma_runs", ROOT / "puma" / "runs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def drain_windows(puma: int) -> str:
    """How long puma run's stop waits at most, from its run file (puma.runs): " (up to 30 s; ...)", or ""."""
    try:
        drain = json.loads((_runs_module().runs_dir() / f"{puma}.json").read_text())["drain"]
        return (f" (up to {float(drain['in_flight_s']):g} s; requests still uploading get "
                f"{float(drain['uploads_s']):g} s more, then are refused, never having reached the app)")
    except (ImportError, OSError, ValueError, KeyError, TypeError, AssertionError):  # an older run, or no run file
        return ""


def waiting_for(puma: int, runner: int) -> str:
    """What the stop waits for now: puma run's drain, or (puma run gone) make run's legacy server."""
    if puma and alive(puma):
        if stopped(puma):
            return (f"puma run (pid {puma}), the supervisor, {STOPPED_WORDS}: it neither drains nor stops until "
                    f"resumed: kill -CONT {puma}; make stop gives up after {STOPPED_GIVE_UP_S:.0f} s of it")
        return "puma run finishes its requests in flight"
    port = legacy_port(runner)
    legacy = legacy_servers(port) if port else [pid for pid, line in children(runner).items()
                                                if "legacy_socket_server" in line]
    if legacy:
        return (f"puma run has stopped; make run stops the legacy socket server (pid {' '.join(map(str, legacy))}), "
                + ("which finishes its turns in progress" if not any(map(stopped, legacy)) else legacy_doing(legacy)))
    return "puma run has stopped; make run is ending"


def other_puma_run(port: str) -> str:
    """The `puma run` (not make run's) recorded as serving on `port`, in words, or ""."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    try:
        from puma import runs
        from puma.stopcmd import run_port
    except ImportError:  # a Python without PUMA's dependencies: make run's own check still holds
        return ""

    found = [run for run in runs.running() if run_port(run) == int(port)]
    return "; ".join(runs.describe(run) for run in found)


def stop(port: str) -> int:
    path = run_file(port)
    lines = path.read_text().split() if path.exists() else []
    runner, puma = (int(x) if x.isdigit() else 0 for x in [*lines, "", ""][:2])
    if not runner or not alive(runner) or "run.sh" not in command_line(runner):
        path.unlink(missing_ok=True)  # left by a run that was killed (kill -9): nothing runs
        other = other_puma_run(port)
        if other:  # started by hand (`puma run`, `python app.py`): not make run's to stop, but said
            say(f"make stop: no make run is serving on port {port}, but {other} is; "
                  f"stop it with: puma stop --port {port} (or Ctrl-C in its terminal)")
            return 1
        say(f"make stop: no make run is serving on port {port}: nothing to stop")
        return 0
    if not (puma and alive(puma) and parent(puma) == runner):
        puma = 0  # not started yet (the ports are being checked): make run itself is stopped
    others = ", ".join(f"the legacy socket server (pid {pid})" for pid, line in children(runner).items()
                       if "legacy_socket_server" in line)
    target, legacy = puma or runner, legacy_port(runner)
    say(f"make stop: stopping the make run on port {port} (pid {runner}): "
          + (f"puma run (pid {puma}) waits for the requests in progress to finish{drain_windows(puma)}, then stops" if puma
             else "it is still starting")
          + (f"; then make run stops {others}" if others else ""), flush=True)
    started = time.monotonic()
    # make run reads it: the stop was asked for, so it ends as a normal stop, not as make's "Error 143".
    Path(f"var/make-run-{port}.ended").unlink(missing_ok=True)  # a killed run's; this run writes its own
    path.with_suffix(".stop").write_text(f"{os.getpid()}\n")
    if terminate(target):
        say(f"make stop: {'puma run' if puma else 'make run'} (pid {target}) {STOPPED_WORDS}: sent SIGCONT "
              "after the SIGTERM, so it resumes to stop", flush=True)
    if target != runner and stopped(runner):  # a Ctrl-Z of make run's job stops it all: make run must run to end
        say(f"make stop: make run (pid {runner}) {STOPPED_WORDS} too: sent SIGCONT to its job, so it ends", flush=True)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(os.getpgid(runner), signal.SIGCONT)
    code = wait_for_run(port, runner, puma, target, started)
    # The whole stop's time, the legacy server's wait included: the figure matches what the command took.
    left = left_running(legacy) if code == 0 else ""
    if code == 0 and ended_by_ctrl_c(port):
        say(f"make stop: the make run on port {port} ended in {time.monotonic() - started:.1f} s by a Ctrl-C in its "
            f"terminal during this stop (its terminal says whether puma run stopped at once, and what that cut){left}")
    elif code == 0:
        say(f"make stop: stopped the make run on port {port} in {time.monotonic() - started:.1f} s{left}")
    return code


def ended_by_ctrl_c(port: str) -> bool:
    """Whether a Ctrl-C in make run's terminal came while this stop waited for it: then that, not
    this stop's SIGTERM alone, ended it (scripts/run.sh's INT trap writes the file)."""
    ended = Path(f"var/make-run-{port}.ended")
    try:
        return ended.read_text().strip() == "ctrl-c"
    except OSError:
        return False
    finally:
        ended.unlink(missing_ok=True)


def wait_for_run(port: str, runner: int, puma: int, target: int, started: float) -> int:
    """Wait for make run to end, saying what it waits for every SAY_EVERY_S; 1 (said) when it does not
    within STOP_TIMEOUT_S, or when its target stays stopped (state T) for STOPPED_GIVE_UP_S."""
    said, stopped_since = started, None
    while alive(runner):
        now = time.monotonic()
        stopped_since = (stopped_since or now) if stopped(target) else None
        if stopped_since is not None and now - stopped_since > STOPPED_GIVE_UP_S:
            say(f"make stop: {'puma run' if puma else 'make run'} (pid {target}) {STOPPED_WORDS} again after "
                  f"its SIGCONT, for {now - stopped_since:.0f} s: it stops once resumed (kill -CONT {target}); "
                  f"to force it: kill -9 {target} {runner}", file=sys.stderr)
            return 1
        if now - started > STOP_TIMEOUT_S:
            say(f"make stop: make run on port {port} did not stop within {STOP_TIMEOUT_S:.0f} s; to force it: "
                  f"kill -9 {target} {runner}", file=sys.stderr)
            return 1
        if now - said >= SAY_EVERY_S:
            said = now
            say(f"make stop: still stopping ({now - started:.0f} s): {waiting_for(puma, runner)}", flush=True)
        time.sleep(0.1)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python scripts/stop_run.py PORT (make stop PORT=8080)")
    if not sys.argv[1].isdigit() or not 0 < int(sys.argv[1]) < 65536:
        sys.exit(f"make stop: PORT={sys.argv[1]!r} is not a port; give the port make run serves on, "
                 "a number from 1 to 65535, e.g. make stop PORT=8080")
    sys.exit(stop(sys.argv[1]))
