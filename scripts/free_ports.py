"""`make run`'s check before it starts or touches anything: is each port free on 127.0.0.1?

Usage: python scripts/free_ports.py PORT=8080 LEGACY_PORT=13113. Exit 0 when every port is free;
else 1, with one line per taken port naming the make variable to change, e.g.
`make: port 8080 (PORT) is already in use: ...; stop it, or choose another: make run PORT=8090`.
"""

from __future__ import annotations

import socket
import sys


def taken(port: int, host: str = "127.0.0.1") -> bool:
    """Whether binding `host:port` fails (as the servers bind: SO_REUSEADDR, so TIME_WAIT is free)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def problems(ports: dict[str, str]) -> list[str]:
    """One message per variable whose value is no port, or a taken one."""
    found = []
    for name, text in ports.items():
        if not text.isdigit() or not 0 < int(text) < 65536:
            found.append(f"make: {name}={text!r} is not a port; give a number from 1 to 65535, e.g. make run {name}=8090")
        elif taken(int(text)):
            found.append(f"make: port {text} ({name}) is already in use on 127.0.0.1 (another `make run`?): "
                         f"stop it, or choose another: make run {name}=N")
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
