"""A stop never hangs (newcomer 39 §1.1): it says what it waits for, a second Ctrl-C or SIGTERM
ends it at once, commands to a zygote never block the reading of its events (the deadlock of a
1,000-instance stop), and a fork the host refuses is a failed start that says so. Real `puma run`,
real zygotes, free ports."""

from __future__ import annotations

import errno
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from puma import zygote
from puma.instances import CommandWriter
from tests.helpers import wait_for

ROOT = Path(__file__).resolve().parents[1]
STUCK_APP = ROOT / "tests" / "apps" / "stuck_app.py"


class Run:
    """`puma run APP --port 0` as a user starts it, its stdout and stderr collected as they come."""

    def __init__(self, app: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "puma.cli", "run", str(app), "--port", "0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, **env}, start_new_session=True, cwd=ROOT)
        self.out: list[str] = []
        self.err: list[str] = []
        for stream, lines in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=lambda s=stream, into=lines: into.extend(iter(s.readline, "")), daemon=True).start()

    def url(self) -> str:
        def serving() -> str | None:
            assert self.proc.poll() is None, "".join(self.err)
            return next((line.split("serving at ")[1].split()[0] for line in self.out if "serving at" in line), None)

        return wait_for(serving, timeout_s=90, message="puma run serving")

    def close(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            assert stream is not None
            stream.close()


@pytest.fixture
def stuck_run() -> Iterator[Run]:
    run = Run(STUCK_APP, {"STUCK_TIMEOUT_S": "60", "STUCK_DRAIN_S": "2"})
    try:
        yield run
    finally:
        run.close()


@pytest.mark.parametrize("first, second", [(signal.SIGTERM, signal.SIGTERM), (signal.SIGINT, signal.SIGINT),
                                           (signal.SIGTERM, signal.SIGINT)])
def test_stop_says_what_it_waits_for_and_a_second_signal_ends_it(stuck_run: Run, first: int, second: int) -> None:
    url = stuck_run.url()
    answers: list[object] = []

    def call() -> None:
        try:
            answers.append(httpx.post(url + "/wait", json={"seconds": 40}, timeout=60).status_code)
        except httpx.HTTPError as exc:
            answers.append(type(exc).__name__)

    threading.Thread(target=call, daemon=True).start()
    wait_for(lambda: httpx.get(url + "/_puma/status", timeout=5).json()["services"]["wait"]["in_flight"] >= 1,
             message="the 40-s request in progress")
    stuck_run.proc.send_signal(first)
    line = wait_for(lambda: next((x for x in stuck_run.err if "waiting for 1 instance" in x), None), timeout_s=15,
                    message="a stop progress line")
    assert "(wait 1)" in line and "again to force" in line and "of at most 63 s" in line, line
    assert re.search(r"\(wait 1: 1 request, POST /wait, \d+\.\d s\)", line), line  # which request, how long
    asked = time.monotonic()
    stuck_run.proc.send_signal(second)
    code = stuck_run.proc.wait(timeout=10)
    assert code == 130 and time.monotonic() - asked < 10
    # The process has exited; its last line may still be on its way through the reader thread.
    wait_for(lambda: any("stopped at once" in x for x in stuck_run.err), timeout_s=5,
             message=f"'stopped at once' in the stderr: {stuck_run.err[-3:]}")
    wait_for(lambda: answers, timeout_s=10, message="the cut request answered or failed")
    assert answers != [200]  # it was cut, not finished
    # Said as what happened: which signal after which (a Ctrl-C during make stop's drain is no
    # "Ctrl-C again"), and the requests it cut, counted (none cut is never said as "were cut").
    forced = next(x for x in stuck_run.err if "stopped at once" in x)
    names: dict[int, str] = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}
    how = f"{names[second]} again" if first == second else "Ctrl-C during the stop SIGTERM (make stop or puma stop)"
    assert f"({how}" in forced and "1 request in progress was cut" in forced, forced


def test_a_quick_stop_reports_nothing_and_exits_cleanly(stuck_run: Run) -> None:
    url = stuck_run.url()
    assert httpx.post(url + "/quick", json={}, timeout=10).status_code == 200
    stuck_run.proc.send_signal(signal.SIGTERM)
    stuck_run.proc.wait(timeout=30)
    assert not any("waiting for" in x for x in stuck_run.err), stuck_run.err


_CHATTY_ZYGOTE = r"""
import sys, os
# Writes far more events than a pipe holds before it reads a single command, as a zygote forking
# hundreds of instances does while the supervisor answers each "spawned" with a "stop".
for i in range(N):
    sys.stdout.write('{"event": "spawned", "id": %d, "pid": %d, "port": 1, "pad": "%s"}\n' % (i, 100000 + i, "x" * 40))
sys.stdout.flush()
got = sum(1 for _ in sys.stdin)
sys.stdout.write('{"event": "done", "commands": %d}\n' % got)
"""


@pytest.mark.parametrize("events", [3000, 20000])
def test_commands_answering_events_never_block_their_reading(events: int) -> None:
    proc = subprocess.Popen([sys.executable, "-c", _CHATTY_ZYGOTE.replace("N", str(events))], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, bufsize=1)
    assert proc.stdin is not None and proc.stdout is not None
    commands = CommandWriter(proc.stdin, "chatty")
    done: list[dict[str, int]] = []

    def read() -> None:  # as the supervisor's event reader: a command in answer to each event
        for line in proc.stdout:  # type: ignore[union-attr]
            event = json.loads(line)
            if event["event"] == "spawned":
                commands.send({"op": "stop", "pid": event["pid"], "why": "retired before it started" * 2})
                if event["id"] == events - 1:
                    commands.close()
            else:
                done.append(event)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        reader.join(timeout=60)
        assert done == [{"event": "done", "commands": events}]
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


@pytest.mark.parametrize("err", [errno.EAGAIN, errno.ENOMEM])
def test_a_refused_fork_is_a_failed_start_that_says_so(monkeypatch: pytest.MonkeyPatch, err: int) -> None:
    out = io.StringIO()
    z = zygote.Zygote(out, "127.0.0.1", 1.0, become=lambda *_: None)

    def refuse() -> int:
        raise OSError(err, os.strerror(err))

    monkeypatch.setattr(os, "fork", refuse)  # the host refuses a process (ulimit -u, memory)
    z.spawn(7)
    event = json.loads(out.getvalue())
    assert event["event"] == "spawn_failed" and event["id"] == 7 and os.strerror(err) in event["error"], event
    assert not z.children and 7 in z.sockets  # nothing started; its socket is released on the supervisor's word
    z.command({"op": "release", "id": 7})
    assert not z.sockets
