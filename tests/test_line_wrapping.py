"""What PUMA and make print fits the terminal it is read in, and a command to copy survives the
wrapping whole (newcomer 88: a restart command wrapped over three lines at its spaces, pasted as
`.venv/bin/python -m` alone; lines wrapped at 100 columns broken again by an 80-column terminal)."""

from __future__ import annotations

import fcntl
import os
import pty
import shutil
import struct
import subprocess
import termios
from pathlib import Path

import pytest

from puma.lines import fill, terminal_width
from tests.test_makefile import _free_port, run_checkout  # noqa: F401, F811 (a fixture)

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


def _in_terminal(columns: int, script: str, cwd: Path = ROOT, **more_env: str) -> str:
    """`bash -c script`'s output on a pseudo-terminal `columns` wide."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "SAY_WIDTH")} | more_env
    proc = subprocess.Popen(["bash", "-c", script], stdin=child, stdout=child, stderr=child, cwd=cwd, env=env,
                            start_new_session=True)
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


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
@pytest.mark.parametrize("record", [
    " 2026-12-01 04:33:31,573 INFO legacy_socket_server: stopping (SIGTERM): finishing the turns in progress",
    " 2026-12-01 04:33:31,573 WARNING legacy_socket_server: the database at /tmp/puma-nc91/db.sqlite is locked "
    "by pid 4711 (another program that uses it); waiting 5 s",
])
def test_make_run_relays_the_legacy_server_s_log_within_80_columns(run_checkout: Path, record: str) -> None:  # noqa: F811
    """Newcomer 91: the legacy server's log lines that make run shows (81 and 104 characters) broke
    on an 80-column terminal; relayed, they are wrapped to it, indented, nothing lost."""
    ports = f"PORT={_free_port()} LEGACY_PORT={_free_port()}"
    out = _in_terminal(80, f"make --no-print-directory VENV=venv run {ports}", cwd=run_checkout,
                       FAKE_LEGACY="exit", FAKE_PUMA_S="3", FAKE_LEGACY_SAYS=record)
    lines = out.splitlines()
    assert "has exited" in out, out
    long = [line for line in lines if len(line) > 80 and not line.lstrip().startswith("venv/bin/python -m legacy")]
    assert long == [], long
    relayed = " ".join(" ".join(lines).split())
    assert " ".join(("legacy: boom" + record).split()) in relayed, out


@pytest.mark.parametrize("url", ["http://127.0.0.1:18910", "http://localhost:8080", "http://[::1]:65000"])
def test_puma_is_serving_line_fits_an_80_column_terminal(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """Newcomer 91: `PUMA is serving at http://127.0.0.1:18910 (every service is ready now, 9.1 s
    later)` was 83 characters on an 80-column terminal, the one line puma run printed unwrapped."""
    import threading
    from types import SimpleNamespace

    from puma import app, states
    monkeypatch.setattr(states, "routed_now", lambda deployment: {})
    monkeypatch.setattr(states, "states", lambda deployment, routed, **kw: ({}, {}))
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    terminal = os.fdopen(child, "w")
    monkeypatch.setattr("sys.stdout", terminal)
    app._say_when_all_ready(SimpleNamespace(url=url, stopping=False), threading.Event())  # type: ignore[arg-type]
    terminal.close()
    out = os.read(main, 65536).decode().replace("\r\n", "\n")
    os.close(main)
    lines = out.strip("\n").splitlines()
    assert lines[0].startswith(f"PUMA is serving at {url}") and all(len(line) <= 80 for line in lines), lines
