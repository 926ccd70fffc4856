"""The Docker engine and the images for the tests that run containers.

``docker_engine`` (session): the ``docker`` CLI, once the engine answers. ``make test`` starts an
installed engine that is not running (scripts/dockerd.sh). Without one, these tests skip and say
why in pytest's summary (``-ra``) — except where an engine is expected: under CI (``CI`` set, as
CI's runner sets it) or with ``PUMA_REQUIRE_DOCKER=1`` the absence fails them instead, so a
broken engine cannot pass as a skipped one. ``PUMA_REQUIRE_DOCKER=0`` allows the skip in CI.
``docker_images`` (session): ``deploy/docker/build-images.sh`` (cached: seconds when nothing
changed; a first build on a fresh machine takes minutes, see README "Containers").

The app image the tests build and run is tagged ``puma-chatbot:test-<checkout>-<sources>`` (`APP_IMAGE`),
not ``puma-chatbot:latest``: every checkout on the machine shares the Docker engine, and a run of
another checkout rebuilt the shared tag under this one's feet (its containers then "hold another PUMA
than this one"). ``<checkout>`` names this checkout (its path), ``<sources>`` what the image packages
(the Dockerfile's COPY list, as .dockerignore leaves it); this checkout's older test tags are removed
after each build, so they do not pile up (one a source change otherwise).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = ROOT / "deploy" / "docker" / "build-images.sh"
APP_REPOSITORY = "puma-chatbot"
# What the Dockerfile copies into the image; under them, what .dockerignore keeps out.
PACKAGED = ("Dockerfile", "pyproject.toml", "README.md", "alembic.ini", "puma", "chatbot", "legacy_socket_server",
            "loadtests", "db", "web", "envoy")
NOT_PACKAGED = ("__pycache__", "node_modules", ".pytest_cache")


def sources_digest(root: Path = ROOT) -> str:
    """A digest of the files the app image packages (names and contents): 16 hex digits."""
    digest = hashlib.sha256()
    for name in PACKAGED:
        top = root / name
        for path in sorted([top] if top.is_file() else top.rglob("*")):
            relative = path.relative_to(root)
            if not path.is_file() or any(p in NOT_PACKAGED or p.endswith(".egg-info") for p in relative.parts):
                continue
            digest.update(f"{relative}\0".encode() + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def checkout_tag_prefix(root: Path = ROOT) -> str:
    """``puma-chatbot:test-<8 hex digits of this checkout's path>-``: the start of its test tags."""
    return f"{APP_REPOSITORY}:test-{hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:8]}-"


APP_IMAGE = checkout_tag_prefix() + sources_digest()
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
    done = subprocess.run(["sh", str(BUILD_SCRIPT)], capture_output=True, text=True, timeout=FIRST_BUILD_TIMEOUT_S,
                          cwd=ROOT, env={**os.environ, "PUMA_APP_IMAGE": APP_IMAGE})
    if done.returncode != 0:
        pytest.fail(f"{BUILD_SCRIPT.relative_to(ROOT)} failed (exit {done.returncode}):\n"
                    + "\n".join(done.stderr.splitlines()[-25:]), pytrace=False)
    pruned = prune_test_tags(docker_engine, keep=APP_IMAGE)
    print(f"\ndocker images ready in {time.monotonic() - started:.1f} s: {APP_IMAGE}"
          + (f" (removed this checkout's older test tags: {', '.join(pruned)})" if pruned else ""))
    return {"app": APP_IMAGE, "postgres": POSTGRES_IMAGE}


def prune_test_tags(docker: str, keep: str) -> list[str]:
    """Remove this checkout's app-image test tags but `keep`; the removed ones. A tag a container still
    uses is left (`docker rmi` refuses it without -f): the next build removes it."""
    listed = subprocess.run([docker, "images", APP_REPOSITORY, "--format", "{{.Repository}}:{{.Tag}}"],
                            capture_output=True, text=True, timeout=60)
    prefix = keep[: len(checkout_tag_prefix())]
    old = [tag for tag in listed.stdout.split() if tag.startswith(prefix) and tag != keep]
    removed = []
    for tag in old:
        if subprocess.run([docker, "rmi", tag], capture_output=True, text=True, timeout=120).returncode == 0:
            removed.append(tag)
    return removed
