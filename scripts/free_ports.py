"""`make run`'s check before it starts or touches anything: is each port free on 127.0.0.1?

Usage: python scripts/free_ports.py PORT=8080 LEGACY_PORT=13113. Exit 0 when every port is free;
else 1, with one line per taken port naming the make variable to change, e.g.
`make: port 8080 (PORT) is already in use: ...; stop it, or choose another: make run PORT=8090`.
"""

from __future__ import annotations

import re
import socket
import sys
from pathlib import Path


def taken(port: int, host: str = "127.0.0.1") -> bool:
    """Whether binding `host:port` fails (as the servers bind: SO_REUSEADDR, so TIME_WAIT is free)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
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
    for name, text in ports.items():
        if not text.isdigit() or not 0 < int(text) < 65536:
            found.append(f"make: {name}={text!r} is not a port; give a number from 1 to 65535, e.g. make run {name}=8090")
        elif taken(int(text)):
            server = legacy_server(text)
            holder = (f"a legacy socket server holds it (pid {server}, from var/legacy-server-{text}.pid: started by "
                      f"hand, or by another make run): stop it with kill {server}" if server
                      else "another `make run`?): stop it")
            found.append(f"make: port {text} ({name}) is already in use on 127.0.0.1 ({holder}"
                         f"{')' if server else ''}, or choose another: make run {name}=N")
    for value in sorted({v for v in ports.values() if list(ports.values()).count(v) > 1}):
        same = [name for name, v in ports.items() if v == value]
        found.append(f"make: {' and '.join(same)} are both {value}; give each its own port")
    return found


def main(argv: list[str]) -> int:
    ports = dict(arg.split("=", 1) for arg in argv)
    found = problems(ports)
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
