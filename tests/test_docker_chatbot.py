"""The chatbot on PUMA's Docker backend: `puma run chatbot/puma_app.py --backend docker --image
puma-chatbot:latest --env DATABASE_URL`, its conversations in a throwaway PostgreSQL that listens
on loopback and on the Docker bridge's gateway (an address of this machine the containers reach;
never a public interface; password-only from Docker's address ranges). Whole conversations go
through Envoy while an agent container is `docker kill`ed: no turn lost or applied twice, as with
processes (tests/test_puma_app.py). Needs a Docker engine (tests/plugins/docker_engine.py)."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from chatbot.catalog import Catalog
from chatbot.sessions import SqlSessionStore
from tests.helpers import free_port, wait_for
from tests.plugins.docker_engine import APP_IMAGE
from tests.plugins.postgres import PostgresCluster
from tests.swarm_stack import docker
from tests.test_puma_app import check_conversation, run_all, scripts

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
ROOT = Path(__file__).resolve().parents[1]
IMAGE = APP_IMAGE  # this checkout's own tag (tests.plugins.docker_engine)


class Run:
    def __init__(self, proc: subprocess.Popen[str], url: str, log: Path) -> None:
        self.proc, self.url, self.log = proc, url, log

    def ready_containers(self, service: str) -> list[str]:
        done = subprocess.run([sys.executable, "-m", "puma", "status", "--url", self.url, "--json"],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        instances = json.loads(done.stdout)["services"][service]["instances"]
        return [i["container"] for i in instances if i["state"] == "ready"]


@pytest.fixture(scope="module")
def database_url(docker_engine: str, postgres_cluster: PostgresCluster) -> Iterator[str]:
    """The loaded `chatbot` database as the containers reach it (this machine uses loopback)."""
    ipam = json.loads(docker(docker_engine, "network", "inspect", "bridge", "--format", "{{json .IPAM.Config}}"))[0]
    # The default bridge's gateway (docker0's address); Docker 20.10 lists only its subnet, whose
    # first address the engine gives the bridge.
    gateway = ipam.get("Gateway") or str(next(ipaddress.ip_network(ipam["Subnet"]).hosts()))
    password = secrets.token_hex(16)
    postgres_cluster.start(also_listen=gateway, password=password)
    try:
        yield postgres_cluster.url(host=gateway, password=password)
    finally:
        postgres_cluster.stop()


@pytest.fixture(scope="module")
def store(database_url: str, postgres_cluster: PostgresCluster) -> Iterator[SqlSessionStore]:
    """The deployment's conversations, read from this machine over loopback (the same server)."""
    sessions = SqlSessionStore(postgres_cluster.url())
    yield sessions
    sessions.close()


@pytest.fixture(scope="module")
def run(docker_engine: str, docker_images: dict[str, str], database_url: str,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    log = Path(tmp_path_factory.mktemp("docker-chatbot")) / "run.log"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "CHATBOT_SESSION_STORE"} | {"DATABASE_URL": database_url}
    started = time.monotonic()
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "puma", "run", "chatbot/puma_app.py", "--port", str(port),
                                 "--backend", "docker", "--image", IMAGE, "--env", "DATABASE_URL"],
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True, env=env)
    run = Run(proc, f"http://127.0.0.1:{port}", log)
    try:
        wait_for(lambda: re.search("PUMA (is serving|answers) at", log.read_text()) or proc.poll() is not None, timeout_s=600,
                 interval_s=1.0, message="the chatbot on the Docker backend serving")
        assert proc.poll() is None, log.read_text()[-3000:]
        print(f"\nchatbot on the docker backend: serving {time.monotonic() - started:.1f} s after `puma run`")
        yield run
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code: int | None = proc.wait(timeout=180)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = None
    assert code == 130, log.read_text()[-3000:]  # Ctrl-C: 130 in every phase
    # This run's own (its `puma run`'s pid label): another test's deployment may be stopping beside it.
    mine = f"label=io.puma.supervisor-pid={proc.pid}"
    left = docker(docker_engine, "ps", "-aq", "--filter", mine).split()
    networks = docker(docker_engine, "network", "ls", "-q", "--filter", mine).split()
    assert not left and not networks, f"left after Ctrl-C: containers {left}, networks {networks}"


@pytest.fixture(scope="module")
def http(run: Run) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=run.url, timeout=60) as client:
        yield client


def test_docker_chatbot_holds_whole_conversations_through_envoy(
        run: Run, http: httpx.Client, store: SqlSessionStore, catalog: Catalog) -> None:
    assert len(run.ready_containers("agent")) == 3
    for result in run_all(http, scripts(catalog, 4), done=[]):
        check_conversation(result, store)  # a fitting film, `end`, each turn stored once


def test_docker_chatbot_an_agent_container_killed_mid_conversation_loses_and_repeats_no_turn(
        run: Run, http: httpx.Client, store: SqlSessionStore, catalog: Catalog, docker_engine: str) -> None:
    victim = run.ready_containers("agent")[0]
    done: list[int] = []
    killed_after: list[int] = []

    def kill_after(turns: int) -> None:
        wait_for(lambda: len(done) >= turns, timeout_s=120, message=f"{turns} turns before the kill")
        docker(docker_engine, "kill", victim)
        killed_after.append(len(done))

    killer = threading.Thread(target=kill_after, args=(20,))
    killer.start()
    wishes = scripts(catalog, 12)[4:]  # other films than the test above: 8 conversations of 7 turns
    results = run_all(http, wishes, done)
    killer.join()
    assert killed_after and killed_after[0] < len(done), "the conversations ended before the kill"
    assert len(done) == 7 * len(wishes)
    for result in results:
        check_conversation(result, store)  # the history holds each turn exactly once
        assert result["replies"][-1]["turn_no"] == 7
    wait_for(lambda: len(run.ready_containers("agent")) == 3 and victim not in run.ready_containers("agent"),
             timeout_s=240, interval_s=1.0, message="a new agent container in the killed one's place")
