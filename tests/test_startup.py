"""`puma run` while it starts: what it says it waits for, the URL only once all is ready, a failed
start that keeps its logs and points at them, Ctrl-C during start-up, a killed supervisor."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import pytest

from puma.config import parse_config
from puma.errors import PumaStartError
from puma.supervisor import Deployment
from tests.helpers import interrupt_and_finish, wait_for

ROOT = Path(__file__).parents[1]


def _app(tmp_path: Path, services: str) -> Path:
    app = tmp_path / "app.py"
    app.write_text("from puma import puma_config, puma_start\n"
                   f"puma_config({{'puma_services': {services}}})\n"
                   "if __name__ == '__main__':\n    puma_start()\n")
    return app


def _run(app: Path, log: Path, **env: str) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", "puma.cli", "run", str(app), "--port", "0"], cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **env})


HELD = ("{'held': {'prefix': '/held', 'target': 'tests.apps.startup:answer', "
        "'warmup': 'tests.apps.startup:hold_until_released'}, "
        "'quick': {'prefix': '/quick', 'target': 'tests.apps.startup:answer', 'instances': 2}}")


def test_startup_says_what_it_waits_for_and_prints_the_url_once_all_is_ready(tmp_path: Path) -> None:
    release, log = tmp_path / "release", tmp_path / "run.log"
    proc = _run(_app(tmp_path, HELD), log, STARTUP_RELEASE=str(release))
    try:
        waiting = wait_for(lambda: re.search(r"starting \([^)]*\): .*held: waiting for the test to release it",
                                             log.read_text()), timeout_s=60, message="the progress line")
        assert waiting and "serving at" not in log.read_text()
        release.touch()
        url = wait_for(lambda: re.search(r"PUMA is serving at (http://\S+) \(2 services ready in [\d.]+ s;",
                                         log.read_text()), timeout_s=60, message="the URL").group(1)
        # Printed only once every service answers: no request in between can fail.
        assert httpx.post(url + "/held", json={}).status_code == 200
        assert httpx.post(url + "/quick", json={}).status_code == 200
    finally:
        release.touch()
        code, _ = interrupt_and_finish(proc, timeout_s=30, log=log)
    assert code == 130  # Ctrl-C: 130 in every phase


def test_startup_failure_keeps_the_logs_and_shows_their_end(tmp_path: Path) -> None:
    app = _app(tmp_path, "{'model': {'prefix': '/model', 'target': 'tests.apps.startup:answer', "
                         "'warmup': 'tests.apps.startup:broken_warmup'}}")
    done = subprocess.run([sys.executable, "-m", "puma.cli", "run", str(app), "--port", "0"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env={**os.environ, "TMPDIR": str(tmp_path)})
    assert done.returncode == 1
    assert "service 'model'" in done.stderr and "warm-up 'tests.apps.startup:broken_warmup' failed" in done.stderr
    # The traceback's end is in the message, and the log it came from is still there.
    assert "RuntimeError: the model file is missing: /nowhere/model.bin" in done.stderr
    kept = Path(_found(r"last lines of (\S+model\.log) \(kept\)", done.stderr))
    assert "Traceback" in kept.read_text() and "broken_warmup" in kept.read_text()
    assert f"logs kept in {kept.parent.parent}" in done.stderr and kept.is_relative_to(tmp_path)


def test_startup_failure_to_import_a_service_keeps_the_logs(tmp_path: Path) -> None:
    # Its module is there and parses (a missing module is refused before anything starts:
    # tests/test_run_checks.py); importing it fails only where it runs, on a dependency.
    (tmp_path / "gone_mod.py").write_text("import not_installed_here_xyz\n\n\ndef answer() -> int:\n    return 42\n")
    app = _app(tmp_path, "{'gone': {'prefix': '/gone', 'target': 'gone_mod:answer'}}")
    done = subprocess.run([sys.executable, "-m", "puma.cli", "run", str(app), "--port", "0"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env={**os.environ, "TMPDIR": str(tmp_path)})
    assert done.returncode == 1
    assert "cannot import 'gone_mod:answer'" in done.stderr
    kept = Path(_found(r"last lines of (\S+gone\.log) \(kept\)", done.stderr))
    assert "ModuleNotFoundError" in kept.read_text() and kept.is_relative_to(tmp_path)


def test_startup_ctrl_c_while_starting_stops_everything_and_keeps_nothing(tmp_path: Path) -> None:
    release, log = tmp_path / "release", tmp_path / "run.log"
    proc = _run(_app(tmp_path, HELD), log, STARTUP_RELEASE=str(release))
    wait_for(lambda: "held: waiting for the test" in log.read_text(), timeout_s=60, message="the warm-up")
    run_dir = Path(_found(r"config (\S+)/envoy\.yaml", log.read_text()))
    code, _ = interrupt_and_finish(proc, timeout_s=30, log=log)
    assert code == 130  # as a Ctrl-C at any moment of the start-up (test_startup_interrupts.py)
    assert "puma: stopped during start-up; nothing is left running" in log.read_text()
    assert "Traceback" not in log.read_text()
    assert not run_dir.exists()  # an interrupt is no failure: nothing kept


def test_startup_supervisor_killed_takes_its_service_processes_along(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    proc = _run(_app(tmp_path, "{'quick': {'prefix': '/quick', 'target': 'tests.apps.startup:answer', "
                               "'instances': 2}}"), log, TMPDIR=str(tmp_path))  # a killed run cannot clean up
    wait_for(lambda: "serving at" in log.read_text(), timeout_s=60, message="serving")
    envoy_pid = int(_found(r"envoy started \(pid (\d+)\)", log.read_text()))
    proc.kill()
    proc.wait()
    try:
        # Zygotes see their stdin close, stop their instances and exit; the fork server follows.
        wait_for(lambda: not _processes_of(proc.pid), timeout_s=15, message="the service processes to exit")
    finally:
        os.kill(envoy_pid, signal.SIGKILL)  # Envoy is not the supervisor's child to take along


def _processes_of(supervisor: int) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if ("puma.worker" in cmdline or "puma.forkserver" in cmdline) and \
                f"PUMA_SUPERVISOR_PID={supervisor}".encode() in environ:
            found.append(cmdline)
    return found


def _deployment(warmup: str, timeout_s: float) -> Deployment:
    return Deployment(parse_config({"puma_services": {"slow": {
        "prefix": "/slow", "target": "tests.apps.startup:answer", "warmup": f"tests.apps.startup:{warmup}"}},
        "listener": {"port": 0}}),
        startup_timeout_s=timeout_s)


def test_startup_timeout_counts_from_a_warmups_last_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STARTUP_WORK_S", "3")  # longer than the timeout, but reporting as it goes
    with _deployment("long_but_reporting", timeout_s=1.5) as mesh:
        assert httpx.post(mesh.url + "/slow", json={}).status_code == 200


def test_startup_timeout_stops_a_silent_warmup(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STARTUP_WORK_S", "30")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the kept logs go
    mesh = _deployment("long_and_silent", timeout_s=1.0)
    with pytest.raises(PumaStartError, match=r"services \['slow'\] did not start within 1 s of their last progress") \
            as caught:
        mesh.start()
    fix = str(caught.value).split("\n")[1]  # the fixes, before the log's tail
    assert "warm-up" in fix and "puma.progress(" in fix  # move the loading, or report it as it goes
    assert 'puma_config({"puma_services": {"slow": {"startup_timeout_s": 300}}})' in fix  # or give it longer
    assert mesh.keep_logs and (mesh.run_dir / "logs" / "slow.log").exists()
    assert mesh.run_dir.is_relative_to(tmp_path)


def test_startup_timeout_a_services_own_startup_timeout_s_gives_it_longer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STARTUP_WORK_S", "2.5")  # silent for longer than the deployment's 1 s
    config = parse_config({"puma_services": {"slow": {
        "prefix": "/slow", "target": "tests.apps.startup:answer", "warmup": "tests.apps.startup:long_and_silent",
        "startup_timeout_s": 60}}, "listener": {"port": 0}})
    with Deployment(config, startup_timeout_s=1.0) as mesh:
        assert httpx.post(mesh.url + "/slow", json={}).status_code == 200


def test_startup_timeout_a_services_shorter_startup_timeout_s_is_its_own(monkeypatch: pytest.MonkeyPatch,
                                                                          tmp_path: Path) -> None:
    monkeypatch.setenv("STARTUP_WORK_S", "30")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    config = parse_config({"puma_services": {"slow": {
        "prefix": "/slow", "target": "tests.apps.startup:answer", "warmup": "tests.apps.startup:long_and_silent",
        "startup_timeout_s": 1}}, "listener": {"port": 0}})
    with pytest.raises(PumaStartError, match=r"did not start within 1 s of their last progress \(importing or "
                                             r"warming up: slow was "):
        Deployment(config, startup_timeout_s=600).start()


def _found(pattern: str, text: str) -> str:
    """The first group of `pattern` in `text`; fails naming the pattern when it is not there."""
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not in:\n{text[-2000:]}"
    return match.group(1)


@pytest.mark.parametrize(("target", "idempotent", "needles"), [
    ("Shelf", ["serch"], ["['serch'] is not a method of Shelf", "its methods: get, search"]),
    ("Shelf", ["get", "seach", "lookup"], ["['lookup', 'seach'] are not methods of Shelf"]),
    ("answer", ["get"], ["answer is a function, which has no methods", "write true"]),
])
def test_startup_refuses_idempotent_methods_the_service_does_not_have(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, idempotent: list[str], needles: list[str]) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    mesh = Deployment(parse_config({"puma_services": {"shelf": {
        "prefix": "/shelf", "target": f"tests.apps.startup:{target}", "idempotent": idempotent}},
        "listener": {"port": 0}}))
    with pytest.raises(PumaStartError) as caught:
        mesh.start()
    message = str(caught.value)
    assert "puma_services.shelf.idempotent" in message, message
    # The log's end it shows says the same, not an empty traceback ("NoneType: None").
    assert "NoneType: None" not in message and message.count("puma_services.shelf.idempotent") >= 2, message
    for needle in needles:
        assert needle in message, message


def test_startup_takes_idempotent_methods_the_service_has(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with Deployment(parse_config({"puma_services": {"shelf": {
            "prefix": "/shelf", "target": "tests.apps.startup:Shelf", "idempotent": ["search"]}},
            "listener": {"port": 0}})) as mesh:
        assert httpx.post(mesh.url + "/shelf/search", json={"q": "x"}).json() == ["x"]


SLOW_IMPORT = '''import logging, os, time
logging.getLogger(__name__).info("loading the price table")
deadline = time.monotonic() + 60
while not os.path.exists(os.environ["STARTUP_RELEASE"]) and time.monotonic() < deadline:
    time.sleep(0.01)


def price(sku: str) -> int:
    return 3
'''


def test_startup_a_modules_log_line_while_it_imports_is_its_progress(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    (tmp_path / "slow_price_table.py").write_text(SLOW_IMPORT)
    release = tmp_path / "release"
    monkeypatch.setenv("STARTUP_RELEASE", str(release))
    mesh = Deployment(parse_config({"puma_services": {"prices": {"prefix": "/prices",
                                                                  "target": "slow_price_table:price"}},
                                    "listener": {"port": 0}}), import_paths=(str(tmp_path),))
    starting = threading.Thread(target=mesh.start)
    starting.start()
    try:
        assert wait_for(lambda: "prices" in mesh.pools and mesh.pools["prices"].progress == "loading the price table",
                        timeout_s=30)
    finally:
        release.touch()
        starting.join(60)
        try:
            assert httpx.post(mesh.url + "/prices", json={"sku": "tea"}).json() == 3
        finally:
            mesh.stop()
