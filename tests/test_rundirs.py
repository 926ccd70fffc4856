"""Run directories left in /tmp by deployments that are gone are removed at the next start, and
only those: a live owner's, a recent one's and one PUMA did not make stay."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from puma import rundirs
from puma.config import parse_config
from puma.supervisor import Deployment

HOUR_AGO = time.time() - 2 * rundirs.STALE_AFTER_S


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _run_dir(root: Path, name: str, owner: str | None, mtime: float = HOUR_AGO) -> Path:
    path = root / f"puma-{name}"
    (path / "logs").mkdir(parents=True)
    (path / "logs" / "svc.log").write_text("Traceback ...\n")
    if owner is not None:
        (path / rundirs.OWNER_FILE).write_text(owner)
    os.utime(path, (mtime, mtime))
    return path


def test_rundirs_only_stale_ones_of_gone_owners_are_removed(tmp_path: Path) -> None:
    me = f"{os.getpid()} {rundirs._start_time(os.getpid())}\n"
    gone = _run_dir(tmp_path, "gone", f"{_dead_pid()} 1\n")
    reused = _run_dir(tmp_path, "reused", f"{os.getpid()} 1\n")  # its pid now belongs to another process
    alive = _run_dir(tmp_path, "alive", me)
    recent = _run_dir(tmp_path, "recent", f"{_dead_pid()} 1\n", mtime=time.time())
    foreign = _run_dir(tmp_path, "foreign", None)  # not made by PUMA's run-dir code: never touched
    assert sorted(rundirs.remove_stale(tmp_path)) == sorted([gone, reused])
    assert not gone.exists() and not reused.exists()
    assert alive.exists() and recent.exists() and foreign.exists()


def test_rundirs_a_start_removes_them_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = _run_dir(tmp_path, "killed", f"{_dead_pid()} 1\n")
    caplog.set_level(logging.INFO, logger="puma.supervisor")
    mesh = Deployment(parse_config({"puma_services": {}, "listener": {"port": 0}}))
    try:
        assert not gone.exists() and (mesh.run_dir / rundirs.OWNER_FILE).exists()
    finally:
        mesh.stop()
    assert any("removed 1 run directory left by deployments that are gone" in r.getMessage()
               and str(gone) in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("kind", ["missing", "a-file"])
def test_rundirs_a_tmpdir_that_cannot_hold_a_run_dir_is_named_not_passed_over(tmp_path: Path, kind: str) -> None:
    """Python's tempfile skips an unusable $TMPDIR for /tmp without a word; `puma run` says so and stops
    (a user who pointed TMPDIR at a disk with room, as the disk-full hint says, would fill /tmp again)."""
    given = tmp_path / "scratch"
    if kind == "a-file":
        given.write_text("")
    app = tmp_path / "app.py"
    app.write_text("from puma import puma_service, puma_start\n\ndef echo() -> dict:\n    return {}\n\n"
                   "puma_service({'echo': echo})\n")
    env = {**os.environ, "TMPDIR": str(given)}
    done = subprocess.run([sys.executable, "-m", "puma.cli", "run", str(app), "--port", "0"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert f"TMPDIR={given}" in done.stderr and "unset TMPDIR" in done.stderr, done.stderr
