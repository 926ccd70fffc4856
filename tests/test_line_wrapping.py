"""What PUMA and make print fits the terminal it is read in, and a command to copy survives the
wrapping whole (newcomer 88: a restart command wrapped over three lines at its spaces, pasted as
`.venv/bin/python -m` alone; lines wrapped at 100 columns broken again by an 80-column terminal)."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import termios
from pathlib import Path

import pytest

from puma.lines import fill, terminal_width

ROOT = Path(__file__).resolve().parents[1]
COMMAND = (".venv/bin/python -m legacy_socket_server --port 13188 --pid-file var/legacy-server-13188.pid"
           " >> var/legacy-server-13188.log 2>&1 &")


@pytest.mark.parametrize("width", [60, 80, 100])
def test_a_backticked_command_is_never_broken_by_the_wrapping(width: int) -> None:
    reason = (f"service legacy: instance 1 is not ready: nothing accepts connections at 127.0.0.1:13188 and no "
              f"legacy server runs on port 13188; start it: `{COMMAND}`; Envoy routes around it meanwhile")
    lines = fill(reason, width=width).splitlines()
    assert sum(f"`{COMMAND}`" in line for line in lines) == 1, lines  # whole, on one line
    assert all(len(line) <= width for line in lines if COMMAND not in line), lines
    assert " ".join(" ".join(lines).split()) == " ".join(reason.split())  # nothing lost or reordered


@pytest.mark.parametrize(("columns", "expected"), [(60, 60), (80, 80), (200, 100), (20, 40)])
def test_the_width_is_the_terminal_s_when_it_is_narrower(columns: int, expected: int) -> None:
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    with os.fdopen(child, "w") as terminal:
        assert terminal_width(terminal) == expected
    os.close(main)


def test_output_that_is_no_terminal_keeps_the_full_width(tmp_path: Path) -> None:
    with open(tmp_path / "log", "w") as piped:  # a pipe or a file: nothing to fit
        assert terminal_width(piped) == 100


def _in_terminal(columns: int, script: str) -> str:
    """`bash -c script`'s output on a pseudo-terminal `columns` wide."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "SAY_WIDTH")}
    proc = subprocess.Popen(["bash", "-c", script], stdin=child, stdout=child, stderr=child, cwd=ROOT, env=env)
    os.close(child)
    out = b""
    try:
        while chunk := os.read(main, 4096):
            out += chunk
    except OSError:  # the terminal's other end closed: everything was read
        pass
    finally:
        os.close(main)
        proc.wait(timeout=30)
    return out.decode().replace("\r\n", "\n")


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_make_s_own_lines_fit_the_terminal(columns: int) -> None:
    text = "make: " + " ".join(f"word{i}" for i in range(40)) + " var/legacy-server-13188.log"
    out = _in_terminal(columns, f'. scripts/say.sh; say "{text}"')
    lines = out.strip("\n").splitlines()
    assert max(map(len, lines)) <= min(columns, 100), lines
    assert " ".join(" ".join(lines).split()) == text  # words whole, none lost
