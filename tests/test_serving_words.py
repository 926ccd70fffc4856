"""What a first `make run` / `puma run` / `make stop` prints (newcomer 83): "PUMA is serving" only
once every public service is ready (else what answers and what still starts, with why); no line
over ~100 characters (the why kept, wrapped); stop lines in the order things happen; `make stop`
says the most the stop waits, as README promises, even from the system's python3."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from puma.lines import WIDTH, WrappingFormatter
from puma.states import all_ready_line, serving_lines
from puma.stopping import describe

ROOT = Path(__file__).resolve().parents[1]
MOST = WIDTH + 5  # "about 100": a word (a URL, a path) is never split, so one may run a little past
LONG_WHY = ("the legacy socket server is unreachable: the legacy server on 127.0.0.1:13183 is starting "
            "(pid 21144, loading since 00:58:40): it accepts connections once its catalogue is loaded (30-60 s; a "
            "first start also prepares the database, a few minutes: its log shows the progress)")


def _pool(ready: bool, why: str | None = None, visibility: str = "public") -> Any:
    instance = SimpleNamespace(id=1, state="ready" if ready or why else "starting", not_ready=why)
    return SimpleNamespace(lock=threading.Lock(), instances={1: instance}, failed=None,
                           service=SimpleNamespace(instances=SimpleNamespace(min=1), visibility=visibility))


def _deployment(url: str = "http://127.0.0.1:18830", **pools: Any) -> Any:
    return SimpleNamespace(started_at=1.0, pools=pools, url=url)


def _words(lines: list[str]) -> str:
    return " ".join(" ".join(lines).split())


@pytest.mark.parametrize(("late", "why"), [
    ({"agent": None}, "1 starting"),                   # the chat's own service still warming up
    ({"legacy": LONG_WHY}, "catalogue is loaded"),     # what it needs still loading
    ({"agent": None, "legacy": LONG_WHY}, "the database"),
    ({"pages": "no template directory yet"}, "no template directory yet"),
])
def test_serving_line_never_says_serving_while_a_public_service_is_not_ready(late: dict[str, str | None],
                                                                             why: str) -> None:
    pools = {name: _pool(False, reason) for name, reason in late.items()}
    pools.update({"web": _pool(True), "db": _pool(True), "listener": _pool(True)})
    lines = serving_lines(_deployment(**pools), 30.2, 35.8)
    assert "is serving" not in lines[0] and lines[0].startswith("PUMA answers at http://127.0.0.1:18830 ("), lines
    said = _words(lines)
    assert all(f"{name}:" in said for name in late) and why in said, said  # what still starts, and why
    assert all(len(line) <= MOST for line in lines), [len(line) for line in lines]
    later = all_ready_line(_deployment(**{n: _pool(True) for n in pools}), 0.0, 12.5)
    assert later is not None and later.startswith("PUMA is serving at http://127.0.0.1:18830 ") and len(later) <= MOST


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://127.0.0.1:18830", "http://192.168.100.200:65535"])
def test_serving_line_when_all_is_ready_fits_100_columns(url: str) -> None:
    lines = serving_lines(_deployment(url, **{f"s{i}": _pool(True) for i in range(8)}), 5.9, 107.1)
    assert lines == [f"PUMA is serving at {url} (8 services ready in 107.1 s; Ctrl-C to stop)"]
    assert len(lines[0]) <= MOST


def test_an_internal_service_not_ready_still_lets_it_say_serving() -> None:
    pools = {"web": _pool(True), "agent": _pool(True), "cache": _pool(False, "warming", "internal")}
    lines = serving_lines(_deployment(**pools), 3.0, 4.0)
    assert lines[0].startswith("PUMA is serving at ") and "cache: instance 1: warming" in _words(lines), lines


def test_stop_progress_never_says_envoy_stops_once_it_has_stopped() -> None:
    assert "Envoy stops once" in describe({}, 1.0, 33.0)  # still waiting for uploads: true
    line = describe({}, 2.0, 33.0, envoy_done=True)
    assert "Envoy stops" not in line and "Envoy stopped" in line, line


@pytest.mark.parametrize("tty", [True, False])
def test_log_records_wrap_at_100_columns_on_a_terminal_only(tty: bool) -> None:
    stream = io.StringIO()
    stream.isatty = lambda: tty  # type: ignore[method-assign]
    formatter = WrappingFormatter("%(name)s %(levelname)s %(message)s", "%H:%M:%S", stream)
    record = logging.LogRecord("puma.health", logging.WARNING, __file__, 1, "legacy instance 1: " + LONG_WHY
                               + "; Envoy routes around it, and it is kept (a restart would not bring back what "
                               "it needs)", None, None)
    text = formatter.format(record)
    lines = text.splitlines()
    if tty:
        assert len(lines) > 2 and all(len(line) <= MOST for line in lines), lines
        assert all(line.startswith("    ") for line in lines[1:]), lines  # continuations read as one record
    else:
        assert len(lines) == 1  # piped to a file or grep: one record a line
    assert " ".join(text.split()).endswith("(a restart would not bring back what it needs)")


def test_make_stop_says_the_longest_drain_even_where_puma_is_not_importable(tmp_path: Path) -> None:
    """`make stop` runs scripts/stop_run.py with the system's python3 (no venv): it still reads the run file."""
    runner = tmp_path / "run.sh"  # make run's script, as make stop recognises it by name
    runner.write_text("#!/bin/bash\nsleep 60 &\nchild=$!\necho $$ $child > var/make-run-18830.pid\n"
                      "trap 'kill $child; exit 0' TERM\nwait $child\n")
    runner.chmod(0o755)
    (tmp_path / "var").mkdir()
    runs = tmp_path / "runs"
    runs.mkdir()
    proc = subprocess.Popen([str(runner)], cwd=tmp_path, start_new_session=True)
    try:
        pid_file = tmp_path / "var" / "make-run-18830.pid"
        for _ in range(200):
            if pid_file.exists() and len(pid_file.read_text().split()) == 2:
                break
            threading.Event().wait(0.05)
        puma_pid = int(pid_file.read_text().split()[1])
        (runs / f"{puma_pid}.json").write_text(json.dumps({"pid": puma_pid, "drain": {"in_flight_s": 45.0,
                                                                                       "uploads_s": 7.5}}))
        # -S -I: no site-packages, no user paths: `import puma` fails, as with the system's python3.
        done = subprocess.run([sys.executable, "-S", "-I", str(ROOT / "scripts" / "stop_run.py"), "18830"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=60,
                              env={**os.environ, "PUMA_RUNS_DIR": str(runs)})
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    said = " ".join(done.stdout.split())
    assert done.returncode == 0, done
    assert "up to 45 s" in said and "7.5 s more" in said, done.stdout
    assert all(len(line) <= MOST for line in done.stdout.splitlines()), done.stdout
