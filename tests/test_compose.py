"""docker-compose deployment files: valid, consistent with the PUMA app, and not stale."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from puma.proxy import find_envoy

ROOT = Path(__file__).parents[1]
COMPOSE = ROOT / "docker-compose.yml"
ENVOY_YAML = ROOT / "envoy" / "envoy.yaml"


def _puma_services() -> dict:
    from tests.helpers import chatbot_app

    return chatbot_app().resolved_config().model_dump()["puma_services"]


def test_compose_envoy_config_is_not_stale():
    rendered = subprocess.run([sys.executable, "-m", "puma.cli", "render", "chatbot/puma_app.py", "--target", "compose"],
                              capture_output=True, text=True, cwd=ROOT, timeout=120, check=True).stdout
    assert rendered == ENVOY_YAML.read_text(), (
        "envoy/envoy.yaml is stale: run `puma render --target compose chatbot/puma_app.py --out envoy/envoy.yaml`")


def test_compose_envoy_config_validates_with_envoy():
    result = subprocess.run([find_envoy(), "--mode", "validate", "-c", str(ENVOY_YAML)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_file_validates_with_docker_compose():
    exe = shutil.which("docker-compose")
    assert exe, "docker-compose missing: `make test` installs it (scripts/ensure-system-packages.sh)"
    result = subprocess.run([exe, "-f", str(COMPOSE), "config", "--quiet"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_compose_runs_every_puma_service_with_its_instances():
    compose = yaml.safe_load(COMPOSE.read_text())["services"]
    for name, spec in _puma_services().items():
        assert name in compose, f"docker-compose.yml has no container for service {name!r}"
        assert compose[name]["command"][-4:] == ["--service", name, "--port", "8000"]
        instances = spec.get("instances", 1) if isinstance(spec, dict) else 1
        if isinstance(instances, dict):  # autoscaled: compose cannot scale, so it runs the minimum
            instances = instances.get("min", 1)
        assert compose[name].get("deploy", {}).get("replicas", 1) == instances, name
    assert {"envoy", "postgres", "dynamodb", "migrate"} <= set(compose)
    assert compose["envoy"]["ports"] == ["127.0.0.1:${PUMA_PORT:-8080}:8080"]  # loopback only


def test_compose_builds_every_image_from_one_dockerfile_with_a_base_image_argument():
    compose = yaml.safe_load(COMPOSE.read_text())["services"]
    built = {name for name, spec in compose.items() if "build" in spec}
    assert built == set(compose) - {"postgres"}  # the DynamoDB endpoint too: moto server, from the app image
    for name in built:
        assert compose[name]["image"] == "${PUMA_IMAGE:-puma-chatbot:latest}", name  # the tests: their own tag
        assert compose[name]["build"]["args"]["BASE_IMAGE"] == "${PUMA_BASE_IMAGE:-python:3.11-slim}", name
    assert compose["postgres"]["image"] == "${PUMA_POSTGRES_IMAGE:-postgres:15}"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "ARG BASE_IMAGE=python:3.11-slim\nFROM ${BASE_IMAGE}" in dockerfile


def test_compose_file_resolves_the_published_port_and_images_from_the_environment():
    exe = shutil.which("docker-compose")
    assert exe, "docker-compose missing: `make test` installs it (scripts/ensure-system-packages.sh)"
    env = {**os.environ, "PUMA_PORT": "18123", "PUMA_POSTGRES_IMAGE": "puma-postgres:15",
           "PUMA_BASE_IMAGE": "puma-base:bookworm"}
    result = subprocess.run([exe, "-f", str(COMPOSE), "config"], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)["services"]
    port = resolved["envoy"]["ports"][0]  # v1 prints "127.0.0.1:18123:8080/tcp"; v2 a mapping
    if isinstance(port, str):
        host_ip, published, _target = port.split(":")
        port = {"host_ip": host_ip, "published": published}
    assert (port["host_ip"], str(port["published"])) == ("127.0.0.1", "18123")
    assert resolved["postgres"]["image"] == "puma-postgres:15"
    assert resolved["agent"]["build"]["args"]["BASE_IMAGE"] == "puma-base:bookworm"
