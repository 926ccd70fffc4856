"""The chatbot as a Docker Swarm stack, driven from a test: a single-node swarm on loopback (made
here if the engine is in none, and left afterwards), the stack rendered by `puma render --target
swarm` under a name of its own, the front Envoy reached at its task's address on the swarm's
host bridge (nothing published), and a teardown that reports what was left behind."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests.compose_stack import _host, free_port
from tests.plugins.docker_engine import APP_IMAGE

ROOT = Path(__file__).resolve().parents[1]
LABEL = "com.docker.stack.namespace"


class Swarm:
    """The engine's swarm: joined on loopback by `join()` if it is in none; `leave()` undoes only that."""

    def __init__(self, docker: str) -> None:
        self.docker = docker
        self.made_here = False

    def state(self) -> str:
        return docker(self.docker, "info", "--format", "{{.Swarm.LocalNodeState}}").strip()

    def join(self) -> None:
        # A node still leaving (a module's earlier fixture just left it) answers neither state:
        # wait until it has settled, or `swarm init` says it "is already part of a swarm".
        if self._settled() == "active":
            return
        # Manager API and gossip on loopback only (defaults are every interface).
        init = ("swarm", "init", "--advertise-addr", "127.0.0.1", "--listen-addr", f"127.0.0.1:{free_port()}",
                "--data-path-addr", "127.0.0.1")
        try:
            docker(self.docker, *init)
        except AssertionError as exc:
            # A node in neither state after a minute (a leave half done: "pending", "error") is
            # no swarm anyone uses: leave it, then make ours.
            if "already part of a swarm" not in str(exc):
                raise
            if self.state() == "active":  # joined meanwhile by someone else: theirs to leave
                return
            docker(self.docker, "swarm", "leave", "--force", check=False)
            self._settled(want="inactive")
            docker(self.docker, *init)
        self.made_here = True

    def leave(self) -> None:
        if self.made_here:
            docker(self.docker, "swarm", "leave", "--force", check=False)
            self._settled(want="inactive")

    def _settled(self, want: str = "", timeout_s: float = 60) -> str:
        """The node's swarm state once it is "active" or "inactive" (or `want`), polled."""
        deadline = time.monotonic() + timeout_s
        while True:
            state = self.state()
            if (state == want if want else state in ("active", "inactive")) or time.monotonic() > deadline:
                return state
            time.sleep(0.5)


class SwarmStack:
    """One stack of the chatbot: `deploy`, `scale`, `envoy_cluster_hosts`... and `remove`."""

    def __init__(self, docker: str, workdir: Path, postgres_image: str) -> None:
        self.docker = docker
        self.name = f"pumatest{uuid.uuid4().hex[:10]}"
        self.dir = workdir
        self.env = {"PUMA_POSTGRES_IMAGE": postgres_image, "PUMA_IMAGE": APP_IMAGE}  # chatbot.yml's too
        self.url = ""

    def deploy(self) -> None:
        render = [sys.executable, "-m", "puma", "render", "--target", "swarm", "chatbot/puma_app.py",
                  "--image", APP_IMAGE, "--env-file", "chatbot.env", "--publish", "0", "--out", str(self.dir)]
        subprocess.run(render, check=True, capture_output=True, text=True, cwd=ROOT, timeout=120)
        for name in ("chatbot.yml", "chatbot.env"):
            shutil.copy(ROOT / "deploy" / "swarm" / name, self.dir / name)
        # One agent to start with (its warm-up is most of a task's start; the test scales it 1 -> 3).
        (self.dir / "one-agent.yml").write_text('version: "3.8"\nservices:\n  agent:\n    deploy: {replicas: 1}\n')
        docker(self.docker, "stack", "deploy", "-c", str(self.dir / "stack.yml"), "-c", str(self.dir / "chatbot.yml"),
               "-c", str(self.dir / "one-agent.yml"), self.name, env=self.env)

    def deploy_app(self, app: Path, override: Path) -> None:
        """A stack of `app` (its file in this stack's directory) with `override` merged in."""
        render = [sys.executable, "-m", "puma", "render", "--target", "swarm", app.name,
                  "--image", APP_IMAGE, "--publish", "0", "--out", str(self.dir)]
        subprocess.run(render, check=True, capture_output=True, text=True, cwd=self.dir, timeout=120)
        docker(self.docker, "stack", "deploy", "-c", str(self.dir / "stack.yml"), "-c", str(override), self.name)

    def tasks(self, service: str) -> list[str]:
        """Ids of the service's running containers."""
        return docker(self.docker, "ps", "-q", "--no-trunc", "--filter",
                      f"label=com.docker.swarm.service.name={self.name}_{service}").split()

    def front_url(self) -> str | None:
        """http://ADDRESS:8080 of the front Envoy's task on the host bridge, once it runs."""
        tasks = self.tasks("envoy")
        if not tasks:
            return None
        bridge = json.loads(docker(self.docker, "network", "inspect", "docker_gwbridge"))[0]["Containers"]
        found = bridge.get(tasks[0])
        return f"http://{found['IPv4Address'].split('/')[0]}:8080" if found else None

    def scale(self, service: str, replicas: int) -> None:
        docker(self.docker, "service", "scale", "--detach", f"{self.name}_{service}={replicas}")

    def replicas(self, service: str) -> int:
        spec = docker(self.docker, "service", "inspect", "--format", "{{.Spec.Mode.Replicated.Replicas}}",
                      f"{self.name}_{service}")
        return int(spec.strip())

    def envoy_cluster_hosts(self, cluster: str) -> list[dict]:
        """The front Envoy's hosts of `cluster` (its admin is on its task's loopback): each
        {"address", "healthy", "rq_total"}."""
        code = ("import urllib.request; print(urllib.request.urlopen("
                "'http://127.0.0.1:9901/clusters?format=json', timeout=5).read().decode())")
        tasks = self.tasks("envoy")
        if not tasks:
            return []
        statuses = json.loads(docker(self.docker, "exec", tasks[0], "python", "-c", code))["cluster_statuses"]
        for status in statuses:
            if status["name"] == cluster:
                return [_host(h) for h in status.get("host_statuses", [])]
        return []

    def leftovers(self) -> dict[str, list[str]]:
        label = f"label={LABEL}={self.name}"
        return {"services": docker(self.docker, "service", "ls", "-q", "--filter", label).split(),
                "containers": docker(self.docker, "ps", "-aq", "--filter", label).split(),
                "networks": docker(self.docker, "network", "ls", "-q", "--filter", label).split(),
                "volumes": docker(self.docker, "volume", "ls", "-q", "--filter", label).split()}

    def remove(self, timeout_s: float = 120) -> dict[str, list[str]]:
        """`docker stack rm`, then its volumes once no container holds them; what is left after `timeout_s`."""
        docker(self.docker, "stack", "rm", self.name, check=False)
        deadline = time.monotonic() + timeout_s
        left = self.leftovers()
        while time.monotonic() < deadline:
            left = self.leftovers()
            if not (left["containers"] or left["networks"] or left["services"]):
                for volume in left["volumes"]:
                    docker(self.docker, "volume", "rm", volume, check=False)
                left = self.leftovers()
                if not left["volumes"]:
                    break
            time.sleep(1)
        return {kind: ids for kind, ids in left.items() if ids}

    def logs_tail(self, service: str, lines: int = 30) -> str:
        return docker(self.docker, "service", "logs", "--no-task-ids", "--tail", str(lines),
                      f"{self.name}_{service}", check=False)[-4000:]


def docker(binary: str, *args: str, check: bool = True, env: dict[str, str] | None = None,
           timeout_s: float = 180) -> str:
    import os

    done = subprocess.run([binary, *args], capture_output=True, text=True, timeout=timeout_s,
                          env={**os.environ, **(env or {})})
    if check and done.returncode != 0:
        raise AssertionError(f"docker {' '.join(args[:4])} failed ({done.returncode}): {done.stderr[-1500:]}")
    return done.stdout
