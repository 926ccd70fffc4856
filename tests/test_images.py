"""The images deploy/docker/build-images.sh builds: what runs in them, and what must never be
in them (the machine's CA bundle, which the build only borrows as a BuildKit secret)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]  # a fresh machine builds images first

CERT = re.compile(r"-----BEGIN CERTIFICATE-----\n(.*?)-----END CERTIFICATE-----", re.S)
MACHINE_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def _run(docker: str, image: str, *command: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([docker, "run", "--rm", "-i", "--network", "none", image, *command],
                          input=stdin, capture_output=True, text=True, timeout=300)


def test_app_image_runs_every_part_of_the_deployment(docker_engine, docker_images) -> None:
    done = _run(docker_engine, docker_images["app"], "sh", "-c",
                "python --version && envoy --version && command -v puma chatbot moto_server && id -un")
    assert done.returncode == 0, done.stderr
    assert "Python 3.1" in done.stdout and "/1.40.0/" in done.stdout
    assert done.stdout.split()[-1] == "puma"  # not root


def test_app_image_holds_no_trace_of_the_ca_bundle_lent_to_its_build(docker_engine, docker_images) -> None:
    image = docker_images["app"]
    assert _run(docker_engine, image, "test", "-e", "/run/secrets/ca").returncode == 1
    if not MACHINE_BUNDLE.exists():
        pytest.skip(f"{MACHINE_BUNDLE} missing: nothing of it to look for")
    # Every bundle the image ships (Debian's, certifi's copies): a public CA may be in both.
    inside = _run(docker_engine, image, "sh", "-c", "find / -xdev \\( -name '*.pem' -o -name '*.crt' \\) "
                  "-type f -exec cat {} + 2>/dev/null; true").stdout
    # Certificates only this machine trusts: one base64 line of each, searched for in every file.
    only_here = set(CERT.findall(MACHINE_BUNDLE.read_text())) - set(CERT.findall(inside))
    if not only_here:
        pytest.skip("this machine trusts no certificate the image lacks: nothing distinctive to look for")
    needles = "\n".join(body.splitlines()[len(body.splitlines()) // 2] for body in only_here)
    found = _run(docker_engine, image, "sh", "-c", "grep -rlF -f /dev/stdin / --exclude-dir=proc --exclude-dir=sys "
                 "--exclude-dir=dev 2>/dev/null; true", stdin=needles + "\n")
    assert found.stdout.strip() == "", f"the machine's CA certificates are in the image: {found.stdout}"


def test_postgres_image_takes_the_official_images_settings(docker_engine, docker_images) -> None:
    done = _run(docker_engine, docker_images["postgres"], "sh", "-c", "postgres --version && command -v pg_isready")
    assert done.returncode == 0 and "(PostgreSQL) 15." in done.stdout, done.stdout + done.stderr
    refused = subprocess.run([docker_engine, "run", "--rm", "--network", "none", docker_images["postgres"]],
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0 and "POSTGRES_PASSWORD is required" in refused.stderr
