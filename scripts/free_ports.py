"""`make run`'s check before it starts or touches anything: is each port free on 127.0.0.1?

Usage: python scripts/free_ports.py PORT=8080 LEGACY_PORT=13113. Exit 0 when every port is free;
else 1, with one line per taken port naming the make variable to change, e.g.
`make: port 8080 (PORT) is already in use on 127.0.0.1: ...; stop it, or choose another: make run PORT=N`.
A port that a server has bound but does not listen on yet (the legacy server while it loads) is taken.
"""

from __future__ import annotations

import os
import re
import socket
import sys
import textwrap
from pathlib import Path

_LISTEN = "0A"  # /proc/net/tcp's state of a listening socket


def taken(port: int, host: str = "127.0.0.1") -> bool:
    """Whether `host:port` is held: a listener, or a socket bound but not listening yet (a legacy
    server binds its port, then loads its catalogue for 30-60 s before it listens).

    The servers bind with SO_REUSEADDR, so a bind with it passes a TIME_WAIT connection, but it
    also passes a socket that is only bound with SO_REUSEADDR (Linux lets two such binds share a
    port until one listens). A bind without it fails on both: when it fails and no connection of
    the port is left in /proc/net/tcp, what holds the port is such a bound socket."""
    if _bind_fails(port, host, reuse=True):
        return True
    return _bind_fails(port, host, reuse=False) and not _connections(port)


def _bind_fails(port: int, host: str, *, reuse: bool) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, int(reuse))
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def _connections(port: int, state: str | None = None) -> bool:
    """Whether /proc/net/tcp{,6} lists a socket on local `port` (in `state`, e.g. "0A", LISTEN): a
    bound-only socket is not listed; a listener and a TIME_WAIT connection are."""
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for fields in (line.split() for line in lines):
            if len(fields) > 3 and int(fields[1].rsplit(":", 1)[1], 16) == port and state in (None, fields[3]):
                return True
    return False


def legacy_server(port: str) -> int | None:
    """The pid in var/legacy-server-PORT.pid if that process is a legacy server on `port` (its
    command line says so: a stale file's pid may have been reused), else None."""
    try:
        pid = int(Path(f"var/legacy-server-{port}.pid").read_text().strip())
        line = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (OSError, ValueError):
        return None
    return pid if re.search(rf"legacy_socket_server .*--port {port}\b", line) else None


def problems(ports: dict[str, str]) -> list[str]:
    """One message per variable whose value is no port, or a taken one."""
    found = []
    held = []
    for name, text in ports.items():
        if not text.isdigit() or not 0 < int(text) < 65536:
            found.append(f"make: {name}={text!r} is not a port; give a number from 1 to 65535, e.g. make run {name}=8090")
        elif _held(text):
            held.append(name)
            found.append(f"make: port {text} ({name}) is already in use on 127.0.0.1: {_holder(text)}, "
                         f"or choose another: make run {name}=N")
    for value in sorted({v for v in ports.values() if list(ports.values()).count(v) > 1}):
        same = [name for name, v in ports.items() if v == value]
        found.append(f"make: {' and '.join(same)} are both {value}; give each its own port")
    if held and len(found) == len(held):  # only taken ports: the whole command that works now
        found.append(_instead(ports, held))
    return found


def _held(text: str) -> bool:
    return bool(legacy_server(text) or taken(int(text)))  # a pid-file server holds it even behind a TIME_WAIT


def _instead(ports: dict[str, str], held: list[str]) -> str:
    """The line that saves a second try (newcomer 83: "choose another: make run PORT=N" alone failed
    again on LEGACY_PORT): which ports are taken or free, and a command with every port, each taken
    one replaced by the next port above it that is free now."""
    used = set(ports.values())
    chosen = dict(ports)
    for name in held:
        chosen[name] = next((str(p) for p in range(int(ports[name]) + 1, min(int(ports[name]) + 200, 65536))
                             if str(p) not in used and not _held(str(p))), "N")
        used.add(chosen[name])
    command = "make run " + " ".join(f"{name}={value}" for name, value in chosen.items())
    free = [f"{name} {ports[name]}" for name in ports if name not in held]
    state = (f"{' and '.join(f'{n} {ports[n]}' for n in held)} are {'both' if len(held) == 2 else 'all'} taken"
             if len(held) > 1 and not free
             else f"{', '.join(free)} {'is' if len(free) == 1 else 'are'} free")
    return f"make: {state}; ports free now: {command}"


def _holder(port: str) -> str:
    """Who holds `port`, and how to stop it (the part of the message in brackets)."""
    server, listening = legacy_server(port), _connections(int(port), _LISTEN)
    if server:
        doing = "holds it" if listening else "is loading on it"
        owner = _owning_run(server)
        if owner is not None:  # stopping that make run stops its legacy server too; a kill would leave it half up
            run_pid, run_port = owner
            return (f"a legacy socket server {doing} (pid {server}), started by the make run serving on port "
                    f"{run_port} (pid {run_pid}); stop that make run with make stop PORT={run_port}")
        # Who started it is not known here (an earlier make run that could not stop it, or a hand),
        # only that no running make run owns it: said as such, never guessed.
        return (f"a legacy socket server {doing} (pid {server}, from var/legacy-server-{port}.pid) that no running "
                f"make run owns (an earlier make run left it, or it was started by hand); {_stop_it(server)}")
    run = make_run(port)
    if run:
        return f"a make run serves on it (pid {run}, from var/make-run-{port}.pid); stop it with make stop PORT={port}"
    if listening:
        holder = _listener(int(port))
        if holder:
            return f"{holder} listens on it; stop it with {_stop_command(int(port))}"
        return f"something listens on it (another make run?); stop it with {_stop_command(int(port))}"
    return "a process has bound it but does not listen yet (a server still starting?); stop it"


def _stop_it(pid: int) -> str:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        state = ""
    if state in ("T", "t"):  # a SIGTERM alone waits until it runs again
        return f"it is stopped (state T: SIGSTOP or Ctrl-Z): stop it with kill {pid}; kill -CONT {pid}"
    return f"stop it with kill {pid}"


def _owning_run(pid: int) -> tuple[int, str] | None:
    """`(pid, PORT)` of the make run that started process `pid` (an ancestor of it whose pid a
    var/make-run-PORT.pid names), or None."""
    runs = {}
    for path in Path("var").glob("make-run-*.pid"):
        port = path.name[len("make-run-"):-len(".pid")]
        if (run := make_run(port)) is not None:
            runs[run] = port
    for _ in range(4):  # run.sh -> (nice) -> python: a few levels at most
        pid = _parent(pid)
        if pid is None or pid <= 1:
            return None
        if pid in runs:
            return pid, runs[pid]
    return None


def _parent(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^PPid:\s*(\d+)", status, re.M)
    return int(found.group(1)) if found else None


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def make_run(port: str) -> int | None:
    """The pid in var/make-run-PORT.pid if that process is still a make run (scripts/run.sh)."""
    try:
        pid = int(Path(f"var/make-run-{port}.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if "run.sh" in _command_line(pid) else None


def _stop_command(port: int) -> str:
    """`kill 4242` for what listens on `port` (puma.ports.stop_command), or how to find its pid."""
    try:
        from puma.ports import stop_command
    except ImportError:
        return f"kill <pid> (its pid: ss -ltnp 'sport = :{port}')"
    return stop_command(port)


def _listener(port: int) -> str | None:
    """PUMA's own description of the process listening on `port` ("pid 4242 (envoy -c ...)"), as
    `puma run` names a port clash; None when it cannot tell (or PUMA is not importable here)."""
    try:
        from puma.ports import port_holder
    except ImportError:
        return None
    return port_holder(port)


WIDTH = 100  # make's lines, as puma run's (puma/lines.py) and scripts/say.sh's
_COMMAND = re.compile(r"make (?:run|stop)(?: [A-Z_]+=\S+)+")


def wrapped(message: str) -> str:
    """`message` in lines of at most WIDTH characters, wrapped at spaces and indented, a command
    (`make run PORT=N LEGACY_PORT=N`) kept whole on one line so it can be copied as it is."""
    whole = _COMMAND.sub(lambda m: m.group(0).replace(" ", "\0"), message)
    width = max(40, min(WIDTH, os.get_terminal_size(sys.stdout.fileno()).columns)) if sys.stdout.isatty() else WIDTH
    lines = textwrap.wrap(whole, width, subsequent_indent="    ", break_long_words=False, break_on_hyphens=False)
    return "\n".join(lines).replace("\0", " ")


def main(argv: list[str]) -> int:
    ports = dict(arg.split("=", 1) for arg in argv)
    found = problems(ports)
    for line in found:
        print(wrapped(line), file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:  # a Ctrl-C during the check: run.sh says so (and drops what this said)
        sys.exit(130)
