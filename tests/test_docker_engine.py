"""Without a Docker engine the Docker tests say why they skip (pytest's summary), and fail
instead where an engine is expected (CI); `scripts/dockerd.sh` says what it found. Run against a
stand-in `docker` CLI on PATH, so they hold on any machine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
STOPPED_ENGINE = """#!/bin/sh
echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2
exit 1
"""


@pytest.fixture
def no_engine_path(tmp_path: Path) -> str:
    """A PATH whose `docker` answers like a CLI whose engine is down, with no `dockerd`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "docker"
    fake.write_text(STOPPED_ENGINE)
    fake.chmod(0o755)
    for tool in ("sh", "timeout", "id", "dirname", "mkdir", "cat", "sleep", "date"):
        path = subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True, text=True).stdout.strip()
        if path.startswith("/"):
            (bin_dir / tool).symlink_to(path)
    return str(bin_dir)


def _pytest(path: str, **env: str) -> subprocess.CompletedProcess:
    test = "tests/test_compose_run.py::test_compose_stack_holds_whole_conversations_through_the_front_envoy"
    clean = {k: v for k, v in os.environ.items() if k not in ("CI", "PUMA_REQUIRE_DOCKER")}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-ra", "-p", "no:cacheprovider", test],
                          capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**clean, "PATH": path, **env})


def test_docker_tests_without_an_engine_skip_saying_why_in_the_summary(no_engine_path: str) -> None:
    done = _pytest(no_engine_path)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "1 skipped" in done.stdout
    assert "SKIPPED" in done.stdout and "Docker tests skipped: the Docker engine is not running" in done.stdout
    assert "Is the docker daemon running?" in done.stdout  # the CLI's own words, not a guess


@pytest.mark.parametrize("env", [{"CI": "true"}, {"PUMA_REQUIRE_DOCKER": "1"}], ids=["ci", "required"])
def test_docker_tests_without_an_engine_fail_where_one_is_expected(no_engine_path: str, env: dict[str, str]) -> None:
    done = _pytest(no_engine_path, **env)
    assert done.returncode == 1, done.stdout[-2000:]
    assert "an engine is required here" in done.stdout and "skipped" not in done.stdout


def test_docker_tests_in_ci_may_be_allowed_to_skip_explicitly(no_engine_path: str) -> None:
    done = _pytest(no_engine_path, CI="true", PUMA_REQUIRE_DOCKER="0")
    assert done.returncode == 0 and "1 skipped" in done.stdout, done.stdout[-2000:]


def test_dockerd_script_says_when_there_is_no_engine_to_start(no_engine_path: str, tmp_path: Path) -> None:
    pidfile = tmp_path / "var" / "dockerd.pid"
    done = subprocess.run(["sh", str(ROOT / "scripts" / "dockerd.sh"), "start", str(pidfile)],
                          capture_output=True, text=True, timeout=60, env={"PATH": no_engine_path})
    assert done.returncode == 0, done.stderr
    assert "no Docker engine installed" in done.stdout and not pidfile.exists()
    stop = subprocess.run(["sh", str(ROOT / "scripts" / "dockerd.sh"), "stop", str(pidfile)],
                          capture_output=True, text=True, timeout=60, env={"PATH": no_engine_path})
    assert stop.returncode == 0 and stop.stdout == ""  # it started nothing, so it stops nothing
