"""docker-compose deployment files: valid, consistent with the PUMA app, and not stale."""

from __future__ import annotations

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
    assert compose["envoy"]["ports"] == ["127.0.0.1:8080:8080"]
