"""`puma stop`: a deployment started any documented way is stopped by one command, which says what
it stopped; `make stop` names a `puma run` it did not start, with that command."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from puma.stopcmd import choose
from tests.helpers import wait_for

ROOT = Path(__file__).parents[1]
APP = """\
import time
import puma
time.sleep(float(__import__("os").environ.get("APP_READ_S", "0")))  # a slow import of the app's own modules
puma.puma_config({"puma_services": {"echo": "/echo"}})
puma.puma_service({"echo": "tests.apps.basic:echo"})
if __name__ == "__main__":
    puma.puma_start()
"""


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "PUMA_RUNS_DIR": str(tmp_path / "runs"), "PYTHONPATH": str(ROOT), **extra}


def _puma(tmp_path: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "puma.cli", *args], capture_output=True, text=True, timeout=150,
                          env=_env(tmp_path), cwd=cwd or tmp_path)


def _start(tmp_path: Path, command: list[str], log: Path, **extra: str) -> tuple[subprocess.Popen[str], str]:
    with open(log, "w") as out:
        proc = subprocess.Popen(command, cwd=tmp_path, env=_env(tmp_path, **extra), stdout=out,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        url = wait_for(lambda: re.search(r"serving at (http://\S+)", log.read_text()), timeout_s=120,
                       message="the deployment to serve").group(1)
    except BaseException:
        _kill(proc)
        raise
    return proc, url


def _kill(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, 9)
        proc.wait(timeout=10)


def _run(port: int, app: str, cwd: str, pid: int | None = None, started: float = 0.0) -> dict[str, object]:
    return {"url": f"http://127.0.0.1:{port}", "pid": pid or os.getpid(), "app": app, "cwd": cwd,
            "started": started, "state": "serving"}


def test_stop_chooses_by_port_by_app_then_by_directory(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b" / "sub").mkdir(parents=True)
    found = [_run(8081, "shop.py", str(tmp_path / "a")), _run(8082, "api/main_app.py", str(tmp_path / "b"))]
    assert [r["url"] for r in choose(found, port=8082, app=None)] == ["http://127.0.0.1:8082"]
    assert choose(found, port=9999, app=None) == []
    assert [r["url"] for r in choose(found, port=None, app=tmp_path / "a" / "shop.py")] == ["http://127.0.0.1:8081"]
    assert [r["url"] for r in choose(found, port=None, app=None, here=str(tmp_path / "b" / "sub"))] == [
        "http://127.0.0.1:8082"]
    # neither was started here nor in this checkout: none is stopped unless named (another user's)
    assert choose(found, port=None, app=None, here="/") == []
    assert [r["url"] for r in choose(found, port=8081, app=None, here="/")] == ["http://127.0.0.1:8081"]


def test_stop_with_several_deployments_names_each_and_stops_none(tmp_path: Path) -> None:
    """Two live run files started here (this very process's pid, so nothing may be signalled): exit
    2, each named with the command that picks it."""
    folder = tmp_path / "runs"
    folder.mkdir()
    for port in (19561, 19562):
        (folder / f"{port}.json").write_text(json.dumps(_run(port, "app.py", str(tmp_path))))
    done = _puma(tmp_path, "stop")
    assert done.returncode == 2, done
    assert "puma stop --port 19561" in done.stdout and "puma stop --port 19562" in done.stdout
    assert done.stdout.count("puma stop --port") == 2


@pytest.mark.parametrize("elsewhere", [["/srv/someone/else"], ["/srv/a", "/home/b/clone"]])
def test_stop_never_stops_another_checkouts_deployment_unless_named(tmp_path: Path, elsewhere: list[str]) -> None:
    """On a shared machine "the only one running" is often another user's: a bare `puma stop` from a
    directory that started none names them with the command that would stop each, exit 1."""
    folder = tmp_path / "runs"
    folder.mkdir()
    for port, cwd in zip((19571, 19572), elsewhere, strict=False):
        (folder / f"{port}.json").write_text(json.dumps(_run(port, "app.py", cwd)))
    done = _puma(tmp_path, "stop")
    assert done.returncode == 1, done
    assert "nothing to stop" in done.stdout and "started from other directories" in done.stdout, done.stdout
    assert f"this directory ({tmp_path})" in done.stdout or "this checkout (" in done.stdout, done.stdout
    assert all(f"puma stop --port {p}" in done.stdout for p in (19571, 19572)[:len(elsewhere)]), done.stdout


def test_stop_with_nothing_running_says_so_and_exits_1(tmp_path: Path) -> None:
    for args in (["stop"], ["stop", "--port", "19563"], ["stop", "nosuch_app.py"]):
        done = _puma(tmp_path, *args)
        assert done.returncode == 1, done
        assert "nothing to stop" in done.stdout, done.stdout


def test_stop_stops_a_puma_run_and_make_stop_names_it(tmp_path: Path) -> None:
    """A `puma run` started by hand: `make stop` names it and the command; `puma stop --port` drains
    and stops it, saying so; a second `puma stop` finds nothing."""
    (tmp_path / "shop_app.py").write_text(APP)
    proc, url = _start(tmp_path, [sys.executable, "-m", "puma.cli", "run", "shop_app.py", "--port", "0"],
                       tmp_path / "run.log")
    port = url.rsplit(":", 1)[1]
    try:
        make = subprocess.run([sys.executable, str(ROOT / "scripts" / "stop_run.py"), port], capture_output=True,
                              text=True, timeout=60, env=_env(tmp_path), cwd=ROOT)
        assert make.returncode == 1, make
        said = " ".join(make.stdout.split())  # lines are wrapped at ~100 columns
        assert f"puma stop --port {port}" in said and f"pid {proc.pid}" in said, make.stdout
        assert proc.poll() is None  # named, not stopped
        done = _puma(tmp_path, "stop", "--port", port)
        assert done.returncode == 0, done
        assert re.search(rf"stopped `puma run shop_app.py` \(pid {proc.pid}, {url}\) in [\d.]+ s", done.stdout)
        assert proc.wait(timeout=30) == 0  # a graceful stop, as Ctrl-C: exit 0
        assert "deployment stopped" in (tmp_path / "run.log").read_text()
        again = _puma(tmp_path, "stop", "--port", port)
        assert again.returncode == 1 and "nothing to stop" in again.stdout
    finally:
        _kill(proc)


def test_stop_stops_an_app_started_with_python_by_its_file(tmp_path: Path) -> None:
    """`python app.py` (puma_start) is a deployment too: `puma stop APP` finds and stops it."""
    (tmp_path / "ledger_app.py").write_text(APP)
    proc, url = _start(tmp_path, [sys.executable, "ledger_app.py"], tmp_path / "run.log")
    try:
        # Named by the command that started it, not as a `puma run` (newcomer 69 m8).
        make = subprocess.run([sys.executable, str(ROOT / "scripts" / "stop_run.py"), url.rsplit(":", 1)[1]],
                              capture_output=True, text=True, timeout=60, env=_env(tmp_path), cwd=ROOT)
        assert "`python ledger_app.py`" in make.stdout and "puma run" not in make.stdout, make.stdout
        done = _puma(tmp_path, "stop", str(tmp_path / "ledger_app.py"), cwd=ROOT)
        assert done.returncode == 0, done
        assert f"stopped `python ledger_app.py` (pid {proc.pid}, {url})" in done.stdout, done.stdout
        assert proc.wait(timeout=30) == 0
    finally:
        _kill(proc)


def test_serving_line_counts_from_the_command_and_says_so(tmp_path: Path) -> None:
    """An app that takes 2 s to read: the time printed covers it (the user's wait from Enter)."""
    (tmp_path / "slow_app.py").write_text(APP)
    began = time.monotonic()
    proc, _url = _start(tmp_path, [sys.executable, "-m", "puma.cli", "run", "slow_app.py", "--port", "0"],
                        tmp_path / "run.log", APP_READ_S="2")
    waited = time.monotonic() - began
    try:
        text = (tmp_path / "run.log").read_text()
        found = re.search(r"\(1 service ready in ([\d.]+) s;", text)
        assert found, text
        total = float(found.group(1))
        assert 2.0 <= total <= waited + 0.5, (total, waited)  # the app's 2 s read counted, as a stopwatch would
        assert "1 services" not in text and re.search(r"Envoy and 1 service running", text), text
    finally:
        proc.send_signal(2)
        proc.wait(timeout=30)
        _kill(proc)
