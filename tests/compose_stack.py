"""The compose deployment driven from a test: the installed compose client, a project name of
its own (so nothing is shared with another run), Envoy's front on a free loopback port, and a
teardown that reports any container, network or volume left behind."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path

from tests.helpers import free_port
from tests.plugins.docker_engine import APP_IMAGE

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
LABEL = "com.docker.compose.project"


def compose_command() -> list[str]:
    """``docker-compose`` (v1) when installed, else the v2 plugin ``docker compose``."""
    v1 = shutil.which("docker-compose")
    return [v1] if v1 else ["docker", "compose"]


def compose_client() -> str:
    """Which client `compose_command` runs, for test ids and messages: "docker-compose-1.29.2"
    (v1) or "docker-compose-plugin-2.x" (v2), "compose-missing" when neither answers."""
    command = compose_command()
    try:
        done = subprocess.run([*command, "version", "--short"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "compose-missing"
    version = done.stdout.strip().removeprefix("v")
    if done.returncode != 0 or not version:
        return "compose-missing"
    return f"docker-compose-{version}" if len(command) == 1 else f"docker-compose-plugin-{version}"


class ComposeStack:
    """One project of docker-compose.yml: ``up``, ``scale``, ``kill``... and ``down``."""

    def __init__(self, docker: str, postgres_image: str) -> None:
        self.docker = docker
        self.project = f"pumatest{uuid.uuid4().hex[:10]}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {"PUMA_PORT": str(self.port), "PUMA_POSTGRES_IMAGE": postgres_image,
                    "PUMA_IMAGE": APP_IMAGE}  # this checkout's own app image (tests.plugins.docker_engine)

    def compose(self, *args: str, timeout_s: float = 600, check: bool = True) -> subprocess.CompletedProcess:
        import os

        cmd = [*compose_command(), "-p", self.project, "-f", str(COMPOSE_FILE), *args]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, cwd=ROOT,
                              env={**os.environ, **self.env})
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(cmd[-len(args) - 4:])} failed ({done.returncode}): {done.stderr[-2000:]}")
        return done

    def docker_cmd(self, *args: str, timeout_s: float = 120, check: bool = True) -> str:
        done = subprocess.run([self.docker, *args], capture_output=True, text=True, timeout=timeout_s)
        if check and done.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} failed: {done.stderr[-1000:]}")
        return done.stdout

    def up(self, *extra: str) -> None:
        self.compose("up", "-d", "--no-build", *extra)

    def containers(self, service: str, running_only: bool = True) -> list[str]:
        """Ids of the service's containers."""
        args = ["ps", "-q", "--filter", f"label={LABEL}={self.project}",
                "--filter", f"label=com.docker.compose.service={service}"]
        if not running_only:
            args.insert(1, "-a")
        return self.docker_cmd(*args).split()

    def exec_python(self, service: str, code: str) -> str:
        return self.docker_cmd("exec", self.containers(service)[0], "python", "-c", code)

    def envoy_cluster_hosts(self, cluster: str) -> list[dict]:
        """The front Envoy's hosts of ``cluster`` (from its admin, inside its container): each
        {"address", "healthy", "rq_total"}."""
        code = ("import urllib.request; print(urllib.request.urlopen("
                "'http://127.0.0.1:9901/clusters?format=json', timeout=5).read().decode())")
        statuses = json.loads(self.exec_python("envoy", code))["cluster_statuses"]
        for status in statuses:
            if status["name"] == cluster:
                return [_host(h) for h in status.get("host_statuses", [])]
        return []

    def leftovers(self) -> dict[str, list[str]]:
        """Containers, networks and volumes of this project that still exist."""
        label = f"label={LABEL}={self.project}"
        return {"containers": self.docker_cmd("ps", "-aq", "--filter", label).split(),
                "networks": self.docker_cmd("network", "ls", "-q", "--filter", label).split(),
                "volumes": self.docker_cmd("volume", "ls", "-q", "--filter", label).split()}

    def down(self) -> dict[str, list[str]]:
        self.compose("down", "--volumes", "--remove-orphans", "--timeout", "5", check=False)
        return {kind: ids for kind, ids in self.leftovers().items() if ids}

    def logs_tail(self, lines: int = 40) -> str:
        return self.compose("logs", "--no-color", "--tail", str(lines), check=False).stdout[-6000:]


def _host(status: dict) -> dict:
    address = status["address"]["socket_address"]
    stats = {s["name"]: int(s.get("value", 0)) for s in status.get("stats", [])}
    failed = status.get("health_status", {}).get("failed_active_health_check", False)
    eds = status.get("health_status", {}).get("eds_health_status", "HEALTHY")
    return {"address": f"{address['address']}:{address['port_value']}",
            "healthy": eds == "HEALTHY" and not failed, "rq_total": stats.get("rq_total", 0)}
