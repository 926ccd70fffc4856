"""Who holds a listening TCP port on this host: for the message of a start refused "port in use".

Read from /proc (Linux, as the rest of the process backend): the socket's inode from
/proc/net/tcp{,6}, then the process with a descriptor on it. Only this user's processes can be
looked into; another user's is named as such.

>>> port_holder(1) is None  # nothing listens on port 1
True
"""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path

_LISTEN = "0A"
_PROC = Path("/proc")


def port_holder(port: int) -> str | None:
    """`"pid 4242 (python3 -m http.server 9901)"`, "a process of another user", or None (no
    listener found, or no /proc)."""
    if not _listening_inodes(port):
        return None
    pid = holder_pid(port)
    return _describe(pid) if pid is not None else "a process of another user (not visible to this one)"


def holder_pid(port: int) -> int | None:
    """The pid of the process listening on `port`, or None (none, or another user's)."""
    inodes = _listening_inodes(port)
    if not inodes:
        return None
    for fd_dir in _PROC.glob("[0-9]*/fd"):
        with contextlib.suppress(OSError):
            for fd in os.listdir(fd_dir):
                with contextlib.suppress(OSError):
                    link = os.readlink(fd_dir / fd)
                    if link.startswith("socket:[") and link[8:-1] in inodes:
                        return int(fd_dir.parent.name)
    return None


def stop_command(port: int) -> str:
    """The command that stops what listens on `port`, to copy: `kill 4242` (the `puma run` that
    started it when it is a PUMA Envoy: stopping that run stops its Envoy and instances too; with
    `kill -CONT` after it for a stopped process, which a SIGTERM alone waits for), or how to find
    it when this user cannot see it.

    >>> stop_command(1)  # nothing listens on port 1
    "ss -ltnp 'sport = :1' (its pid), then kill <pid>"
    """
    pid = holder_pid(port)
    if pid is None:
        return f"ss -ltnp 'sport = :{port}' (its pid), then kill <pid>"
    parent = _parent(pid)
    if parent is not None and _program(pid) == "envoy" and "puma" in _describe(parent):
        pid = parent
    return f"kill {pid}; kill -CONT {pid}" if _state(pid) in ("T", "t") else f"kill {pid}"


def _parent(pid: int) -> int | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int((_PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
    return None


def _program(pid: int) -> str:
    with contextlib.suppress(OSError, IndexError):
        return Path((_PROC / str(pid) / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")).name
    return ""


def _state(pid: int) -> str:
    with contextlib.suppress(OSError, IndexError):
        return (_PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    return ""


def bound_not_listening(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a socket holds `host:port` bound but not listening (a server that claims its port
    before a slow start-up). Linux lets a second SO_REUSEADDR bind share such a port until one of
    them listens, so only a bind without SO_REUSEADDR tells: it fails, and /proc/net/tcp lists no
    socket of that port (a listener or a TIME_WAIT connection would explain the failure instead).

    >>> bound_not_listening(1)  # nothing holds port 1 (or no permission to test it: False)
    False
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except PermissionError:
            return False
        except OSError:
            return not _sockets_of(port)
    return False


def _sockets_of(port: int) -> bool:
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            for line in (_PROC / "net" / table).read_text().splitlines()[1:]:
                fields = line.split()
                if len(fields) > 3 and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    return True
    return False


def _listening_inodes(port: int) -> set[str]:
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            for line in (_PROC / "net" / table).read_text().splitlines()[1:]:
                fields = line.split()
                if len(fields) > 9 and fields[3] == _LISTEN and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(fields[9])
    return inodes


def _describe(pid: int) -> str:
    try:
        words = (_PROC / str(pid) / "cmdline").read_bytes().split(b"\0")
        command = " ".join(" ".join(w.decode(errors="replace") for w in words if w).split())  # one line
    except OSError:
        command = ""
    if len(command) > 120:
        command = command[:117] + "..."
    return f"pid {pid} ({command})" if command else f"pid {pid}"
