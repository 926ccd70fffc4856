"""A stop answers a request whose body is still arriving with the "deployment is stopping" 503 that new
requests get: Envoy buffers a body whole before routing it, so no instance had it and the drain did not
wait for it; Envoy was stopped under it and the upload was cut with no HTTP answer (a broken pipe)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import ModuleType

import pytest

import puma
from tests.apps import basic

ROOT = Path(__file__).resolve().parents[1]


def _slow_upload(port: int, path: str, body: bytes, pause_s: float, replies: list[bytes],
                 begun: threading.Semaphore) -> None:
    head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head)
        try:
            for n in range(0, len(body), 4):
                sock.sendall(body[n:n + 4])
                if n == 4:
                    begun.release()  # its headers and first bytes are sent: the upload is under way
                time.sleep(pause_s)  # the slow upload under test: 4 bytes every pause_s
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
        except OSError as exc:
            received = f"cut: {type(exc).__name__}".encode()
    replies.append(received)


@pytest.mark.parametrize("bodies", [
    [b'{"text": "a slow upload of a turn"}'],
    [b'{"n": 1, "note": "two at once"}', b'{"n": 2, "padding": "' + b"x" * 30 + b'"}'],
])
def test_a_stop_answers_requests_still_uploading_their_body(bodies: list[bytes]) -> None:
    app = puma.App()
    app.configure({"puma_services": {"echo": {"prefix": "/echo", "timeout_s": 10, "instances": 1}}})
    app.add_services({"echo": basic.echo})
    replies: list[bytes] = []
    mesh = app.start(listener={"port": 0})
    try:
        port = int(mesh.url.rsplit(":", 1)[1])
        begun = threading.Semaphore(0)
        uploads = [threading.Thread(target=_slow_upload, args=(port, "/echo", body, 0.25, replies, begun))
                   for body in bodies]
        for upload in uploads:
            upload.start()
        for _ in uploads:  # each under way (Envoy buffers the rest as it comes), however busy the machine
            assert begun.acquire(timeout=30), "an upload did not begin"
    finally:
        mesh.stop()
    for upload in uploads:
        upload.join(30)
    assert len(replies) == len(bodies)
    for received in replies:
        assert received.startswith(b"HTTP/1.1 503"), received[:300]
        assert b"the deployment is stopping" in received and b"retry-after" in received.lower(), received


APP = """\
import puma
from puma import puma_config, puma_service, puma_start


def work(request: puma.Request) -> dict:
    return {"done": True}


puma_config({"puma_services": {"work": {"prefix": "/work", "timeout_s": TIMEOUT}},
             "http_connection_manager": {"drain_timeout": DRAIN}})
puma_service({"work": work})
if __name__ == "__main__":
    puma_start()
"""


@pytest.mark.parametrize(("timeout_s", "drain_s", "uploads"), [(4, 1.5, 1), (7, 2, 2)])
def test_a_stop_says_its_windows_and_the_uploads_it_cut(tmp_path: Path, timeout_s: int, drain_s: float,
                                                        uploads: int) -> None:
    # Bodies sent slower than the stop's upload window: they are cut (no answer can be given to a
    # request whose body never ended), and the stop says so, with the window and the setting.
    app = tmp_path / "app.py"
    app.write_text(APP.replace("TIMEOUT", str(timeout_s)).replace("DRAIN", str(drain_s)))
    proc = subprocess.Popen([sys.executable, "-m", "puma.cli", "run", str(app), "--port", "0"], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    replies: list[bytes] = []
    try:
        assert proc.stdout is not None
        port = 0
        for line in proc.stdout:  # bounded: the run prints its URL, or ends
            if m := re.search(r"serving at http://127\.0\.0\.1:(\d+)", line):
                port = int(m.group(1))
                break
        assert port, "puma run did not serve"
        begun = threading.Semaphore(0)
        body = b'{"text": "' + b"s" * 40 + b'"}'  # 11 pauses of 0.5 s: longer than any window here
        threads = [threading.Thread(target=_slow_upload, args=(port, "/work", body, 0.5, replies, begun))
                   for _ in range(uploads)]
        for thread in threads:
            thread.start()
        for _ in threads:
            assert begun.acquire(timeout=30), "an upload did not begin"
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    for thread in threads:
        thread.join(30)
    said = " ".join(out.split())
    # Before it waits: what each request gets, and for how long at most, in plain words (the
    # settings behind the limits are README's, not the terminal's: newcomer 91).
    assert f"requests in progress get up to {timeout_s} s" in said, out
    assert f"requests still uploading up to {drain_s:g} s more" in said, out
    plan = said.split("puma: stopping: ", 1)[1].split(" puma: ", 1)[0]
    assert not re.search(r"drain_timeout|timeout_s|http_connection_manager|Envoy|in flight", plan), plan
    # After: what it did with them.
    plural = "request still uploading its body" if uploads == 1 else "requests still uploading their bodies"
    assert f"{uploads} {plural} after {drain_s:g} s" in said and "never sent to an instance" in said, out
    assert len(replies) == uploads and all(r.startswith(b"cut") or r == b"" for r in replies), replies


def _stop_run_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("stop_run", ROOT / "scripts" / "stop_run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("in_flight_s", "uploads_s"), [(30.0, 5.0), (4.0, 12.5)])
def test_make_stop_says_how_long_the_stop_waits_at_most(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        in_flight_s: float, uploads_s: float) -> None:
    monkeypatch.setenv("PUMA_RUNS_DIR", str(tmp_path))
    (tmp_path / "4242.json").write_text(json.dumps({"pid": 4242, "drain": {"in_flight_s": in_flight_s,
                                                                           "uploads_s": uploads_s}}))
    said = _stop_run_module().drain_windows(4242)
    assert f"up to {in_flight_s:g} s" in said and f"{uploads_s:g} s more, then are refused" in said
    assert not re.search(r"drain_timeout|timeout_s|http_connection_manager|Envoy|in flight", said), said
    assert _stop_run_module().drain_windows(4243) == ""  # no run file (an older puma run): no figure, no error
