"""The process backend's fault guarantees, held by the Docker backend too: the same test body runs
a small app as forked processes and as containers (`puma run --backend docker`), and an instance
is killed the way its backend allows (SIGKILL to its pid, `docker kill` to its container).

* a scale-down drains: requests already at the retired instance finish, past the drain timeout;
* an instance killed with requests in flight: Envoy re-sends the idempotent ones to another, so
  no client sees the death, and the dead instance is replaced.

The chatbot's whole conversations with a killed agent container: tests/test_docker_chatbot.py.
Docker cases need an engine (tests/plugins/docker_engine.py says when they skip)."""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

import puma
from puma.containers import ContainerSpec
from puma.instances import Instance
from tests.helpers import wait_for
from tests.plugins.docker_engine import APP_IMAGE
from tests.swarm_stack import docker

IMAGE = APP_IMAGE  # PUMA and its dependencies (this checkout's own tag); the app's directory is mounted

APP = """import os, socket, time
import puma
from puma import puma_config, puma_service, puma_start

def slow(request: puma.Request) -> dict:
    time.sleep(float(request.data.get("s", 0.2)))
    rid = next((v for k, v in request.headers.items() if k.lower() == "x-request-id"), "")
    return {"by": f"{socket.gethostname()}:{os.getpid()}", "request_id": rid}

puma_config({"puma_services": {
    "slow": {"prefix": "/slow", "instances": 2, "timeout_s": 8},
    "steady": {"prefix": "/steady", "instances": 2, "idempotent": True, "timeout_s": 8}},
    "http_connection_manager": {"drain_timeout": 0.5}})
puma_service({"slow": slow, "steady": slow})
if __name__ == "__main__":
    puma_start()
"""


class Backend:
    """One running deployment of APP, and how to kill one of its instances."""

    def __init__(self, name: str, mesh: puma.Deployment, docker_cli: str | None) -> None:
        self.name, self.mesh, self.docker_cli = name, mesh, docker_cli

    def kill(self, instance: Instance) -> None:
        if self.docker_cli is None:
            assert instance.pid is not None
            os.kill(instance.pid, signal.SIGKILL)
        else:
            assert instance.container is not None
            docker(self.docker_cli, "kill", instance.container)

    @staticmethod
    def identity(instance: Instance) -> str:
        """What the instance's replies say in "by" (hostname: the container's id; pid), asked
        directly, not through Envoy."""
        by: str = httpx.post(f"http://{instance.address}/slow", json={"s": 0}, timeout=10).json()["by"]
        return by


@pytest.fixture(scope="module", params=["process", "docker"])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    workdir = Path(tmp_path_factory.mktemp(f"faults-{request.param}"))
    script = workdir / "app.py"
    script.write_text(APP)
    app = puma.App.load(script)
    containers, docker_cli = None, None
    if request.param == "docker":
        docker_cli = request.getfixturevalue("docker_engine")
        request.getfixturevalue("docker_images")
        containers = ContainerSpec(IMAGE, script)
    config = app.resolved_config(check_imports=containers is None, listener={"port": 0})
    with puma.Deployment(config, import_paths=app.import_paths, containers=containers,
                         startup_timeout_s=240) as mesh:
        yield Backend(request.param, mesh, docker_cli)
    if docker_cli is not None:
        left = docker(docker_cli, "ps", "-aq", "--filter", f"label=io.puma.run={mesh.run_dir}").split()
        assert not left, f"containers left after the stop: {left}"


def _in_flight(mesh: puma.Deployment, service: str) -> int:
    assert mesh.envoy.admin is not None
    return mesh.envoy.admin.in_flight([service])[service]


def test_backend_faults_a_scale_down_lets_the_retired_instance_finish_its_requests(backend: Backend) -> None:
    # The drain timeout (0.5 s) is far shorter than the requests (2.5 s), which fit timeout_s (8 s).
    mesh = backend.mesh
    mesh.scale("slow", 2)
    wait_for(lambda: len(mesh.instances("slow")) == 2, timeout_s=120, message="2 slow instances")
    ids = {backend.identity(i) for i in mesh.instances("slow")}
    with ThreadPoolExecutor(4) as pool, httpx.Client(base_url=mesh.url, timeout=30) as http:
        calls = [pool.submit(http.post, "/slow", json={"s": 2.5}) for _ in range(4)]
        wait_for(lambda: _in_flight(mesh, "slow") == 4, timeout_s=20, message="4 requests in flight")
        mesh.scale("slow", 1)
        replies = [c.result(timeout=60) for c in calls]
    assert Counter(r.status_code for r in replies) == {200: 4}, [r.text for r in replies]
    assert {r.json()["by"] for r in replies} == ids  # the retired instance answered its own
    wait_for(lambda: len(mesh.instances("slow")) == 1, timeout_s=60, message="slow down to 1 instance")


def test_backend_faults_an_instance_killed_mid_request_has_its_idempotent_requests_re_sent(
        backend: Backend) -> None:
    mesh = backend.mesh
    wait_for(lambda: len(mesh.instances("steady")) == 2, timeout_s=120, message="2 steady instances")
    victim = mesh.instances("steady")[0]
    dead = backend.identity(victim)
    with ThreadPoolExecutor(6) as pool, httpx.Client(base_url=mesh.url, timeout=30) as http:
        calls = [pool.submit(http.post, "/steady", json={"s": 2}) for _ in range(6)]
        wait_for(lambda: _in_flight(mesh, "steady") == 6, timeout_s=20, message="6 requests in flight")
        backend.kill(victim)  # three of them (round robin) were at the victim
        replies = [c.result(timeout=60) for c in calls]
    assert Counter(r.status_code for r in replies) == {200: 6}, [r.text for r in replies]
    answers = [r.json() for r in replies]
    assert dead not in {a["by"] for a in answers}  # the victim's requests were answered elsewhere
    assert len({a["request_id"] for a in answers}) == 6  # each one re-sent as itself, not merged
    wait_for(lambda: len(mesh.instances("steady")) == 2 and victim.id not in {i.id for i in mesh.instances("steady")},
             timeout_s=120, message="the killed instance replaced")
