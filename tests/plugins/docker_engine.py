"""The Docker engine and the images for the tests that run containers.

``docker_engine`` (session): the ``docker`` CLI, once the engine answers. ``make test`` starts an
installed engine that is not running (scripts/dockerd.sh). Without one, these tests skip and say
why in pytest's summary (``-ra``) — except where an engine is expected: under CI (``CI`` set, as
CI's runner sets it) or with ``PUMA_REQUIRE_DOCKER=1`` the absence fails them instead, so a
broken engine cannot pass as a skipped one. ``PUMA_REQUIRE_DOCKER=0`` allows the skip in CI.
``docker_images`` (session): ``deploy/docker/build-images.sh`` (cached: seconds when nothing
changed; a first build on a fresh machine takes minutes, see README "Containers").
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = ROOT / "deploy" / "docker" / "build-images.sh"
APP_IMAGE = "puma-chatbot:latest"
POSTGRES_IMAGE = "puma-postgres:15"
FIRST_BUILD_TIMEOUT_S = 1500  # a fresh machine: base, PostgreSQL and ~150 packages from the index


def engine_missing_reason() -> str | None:
    """Why no Docker engine can be used here, or None when one answers."""
    cli = shutil.which("docker")
    if cli is None:
        return "no docker CLI on PATH (Debian: apt-get install docker.io)"
    try:
        info = subprocess.run([cli, "info", "--format", "{{.ServerVersion}}"], capture_output=True,
                              text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return "the Docker engine did not answer `docker info` within 20 s"
    if info.returncode != 0:
        hint = ("dockerd is installed: `make test` starts it as root (scripts/dockerd.sh)"
                if shutil.which("dockerd") else "no dockerd installed (Debian: apt-get install docker.io)")
        return f"the Docker engine is not running ({info.stderr.strip().splitlines()[-1:]}); {hint}"
    return None


def engine_required() -> bool:
    flag = os.environ.get("PUMA_REQUIRE_DOCKER", "").strip()
    if flag:
        return flag not in ("0", "false", "no")
    return bool(os.environ.get("CI", "").strip())


@pytest.fixture(scope="session")
def docker_engine() -> str:
    reason = engine_missing_reason()
    if reason is None:
        return shutil.which("docker") or "docker"
    if engine_required():
        pytest.fail(f"Docker tests: an engine is required here (CI or PUMA_REQUIRE_DOCKER=1) but {reason}",
                    pytrace=False)
    pytest.skip(f"Docker tests skipped: {reason}")


@pytest.fixture(scope="session")
def docker_images(docker_engine: str) -> dict[str, str]:
    started = time.monotonic()
    done = subprocess.run(["sh", str(BUILD_SCRIPT)], capture_output=True, text=True,
                          timeout=FIRST_BUILD_TIMEOUT_S, cwd=ROOT)
    if done.returncode != 0:
        pytest.fail(f"{BUILD_SCRIPT.relative_to(ROOT)} failed (exit {done.returncode}):\n"
                    + "\n".join(done.stderr.splitlines()[-25:]), pytrace=False)
    print(f"\ndocker images ready in {time.monotonic() - started:.1f} s")
    return {"app": APP_IMAGE, "postgres": POSTGRES_IMAGE}
