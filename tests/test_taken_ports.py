"""`make run` on taken ports (newcomer 83): "choose another: make run PORT=N" alone failed again on
LEGACY_PORT. The check names every taken port, says which is free, and ends with one command whose
ports are all free now. Real processes: scripts/free_ports.py against sockets held on OS-chosen ports."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def held() -> Iterator[list[int]]:
    """Three ports held by listeners of this test (from the OS: free ports)."""
    with ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(3)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
            sock.listen()
        yield [sock.getsockname()[1] for sock in socks]


def _free() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _check(tmp_path: Path, **ports: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "free_ports.py"), *(f"{k}={v}" for k, v in ports.items())],
                          cwd=tmp_path, capture_output=True, text=True, timeout=30)


def _command_works(said: str, tmp_path: Path) -> dict[str, int]:
    found = re.search(r"ports free now: make run ((?:\w+=\d+ ?)+)$", " ".join(said.split()))  # wrapped at ~100
    assert found, said
    ports = {k: int(v) for k, v in (pair.split("=") for pair in found.group(1).split())}
    assert _check(tmp_path, **ports).returncode == 0, ports  # the suggested command passes the same check
    return ports


def test_both_ports_taken_are_named_and_one_command_fixes_both(tmp_path: Path, held: list[int]) -> None:
    done = _check(tmp_path, PORT=held[0], LEGACY_PORT=held[1])
    assert done.returncode == 1
    done.stderr = " ".join(done.stderr.split())  # the messages, wrapped at ~100 columns, read as one text
    assert f"port {held[0]} (PORT)" in done.stderr and f"port {held[1]} (LEGACY_PORT)" in done.stderr
    assert f"PORT {held[0]} and LEGACY_PORT {held[1]} are both taken" in done.stderr, done.stderr
    ports = _command_works(done.stderr, tmp_path)
    assert set(ports) == {"PORT", "LEGACY_PORT"} and ports["PORT"] not in held and ports["LEGACY_PORT"] not in held


@pytest.mark.parametrize("which", ["PORT", "LEGACY_PORT"])
def test_one_port_taken_says_the_other_is_free_and_keeps_it(tmp_path: Path, held: list[int], which: str) -> None:
    other = "LEGACY_PORT" if which == "PORT" else "PORT"
    free = _free()
    done = _check(tmp_path, **{which: held[2], other: free})
    assert done.returncode == 1
    assert f"{other} {free} is free" in done.stderr, done.stderr
    ports = _command_works(done.stderr, tmp_path)
    assert ports[other] == free and ports[which] != held[2]  # the free one kept as given


def test_ports_taken_in_a_row_are_skipped_in_the_suggestion(tmp_path: Path) -> None:
    with ExitStack() as stack:
        base = None
        for _ in range(20):  # a run of 3 consecutive ports held here
            start = _free()
            try:
                socks = []
                for port in range(start, start + 3):
                    sock = stack.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port))
                    sock.listen()
                    socks.append(sock)
                base = start
                break
            except OSError:
                continue
        assert base is not None
        done = _check(tmp_path, PORT=base, LEGACY_PORT=_free())
        ports = _command_works(done.stderr, tmp_path)
        assert ports["PORT"] >= base + 3, ports


def _holder(kind: str) -> tuple[subprocess.Popen[str], int]:
    """A process of another program listening on a free port (as `python3 -m http.server` would)."""
    code = "import socket, time\ns = socket.create_server(('127.0.0.1', 0))\nprint(s.getsockname()[1], flush=True)\ntime.sleep(60)"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    if kind == "stopped":
        import os
        import signal

        os.kill(proc.pid, signal.SIGSTOP)  # Ctrl-Z'd in its terminal: a SIGTERM alone waits for a SIGCONT
    return proc, port


@pytest.mark.parametrize("kind", ["running", "stopped"])
@pytest.mark.parametrize("which", ["PORT", "LEGACY_PORT"])
def test_a_port_held_by_another_program_says_the_command_that_stops_it(tmp_path: Path, kind: str, which: str) -> None:
    """"stop it" alone left the user to find how: the message ends in the command to copy (for a
    stopped holder, the SIGCONT it needs to act on the SIGTERM), and running it frees the port."""
    proc, port = _holder(kind)
    try:
        done = _check(tmp_path, **{"PORT": _free(), "LEGACY_PORT": _free()} | {which: port})
        said = " ".join(done.stderr.split())
        command = f"kill {proc.pid}; kill -CONT {proc.pid}" if kind == "stopped" else f"kill {proc.pid}"
        assert done.returncode == 1 and f"stop it with {command}," in said, said
        subprocess.run(["sh", "-c", command], check=True, timeout=10)  # the command as given works
        proc.wait(timeout=10)
        assert _check(tmp_path, **{which: port}).returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
