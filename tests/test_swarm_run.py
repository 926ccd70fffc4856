"""The chatbot deployed as a Docker Swarm stack (`puma render --target swarm`, `docker stack
deploy`) on a single-node swarm on loopback: a whole conversation through the front Envoy, the
agent service scaled from 1 to 3 replicas while conversations run (nothing lost, every new task
served), and the stack and the swarm left as found. Needs a Docker engine (tests/plugins/docker_engine.py
says when it skips)."""

from __future__ import annotations

import collections
import concurrent.futures
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import wait_for
from tests.swarm_stack import Swarm, SwarmStack
from tests.test_compose_run import SCRIPT, converse, said_by_user, start, turn

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]
START_TIMEOUT_S = 600  # 13 services on a busy 2-core machine (README "Containers" has the figure)


@pytest.fixture(scope="module")
def swarm(docker_engine: str) -> Iterator[Swarm]:
    swarm = Swarm(docker_engine)
    swarm.join()
    yield swarm
    swarm.leave()
    if swarm.made_here:
        assert swarm.state() == "inactive", "the swarm this test made is still there"


@pytest.fixture(scope="module")
def stack(swarm: Swarm, docker_images: dict[str, str], tmp_path_factory) -> Iterator[SwarmStack]:
    stack = SwarmStack(swarm.docker, Path(tmp_path_factory.mktemp("swarm")), docker_images["postgres"])
    try:
        started = time.monotonic()
        stack.deploy()
        wait_for(lambda: _answers(stack), timeout_s=START_TIMEOUT_S, interval_s=1.0,
                 message=f"the stack {stack.name}'s first turn through its front Envoy")
        print(f"\nswarm stack: first turn answered {time.monotonic() - started:.1f} s after `docker stack deploy`")
        yield stack
    finally:
        left = stack.remove()
    assert not left, f"`docker stack rm {stack.name}` left {left}"


def _answers(stack: SwarmStack) -> bool:
    stack.url = stack.front_url() or ""
    if not stack.url:
        return False
    try:
        reply = httpx.post(stack.url + "/agent", json={"UUID": "-1", "chatText": "", "mode": "false"}, timeout=30)
    except httpx.TransportError:
        return False
    return reply.status_code == 200 and bool(reply.json().get("messages"))


@pytest.fixture(scope="module")
def http(stack: SwarmStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.url, timeout=60) as client:
        yield client


def test_swarm_stack_holds_a_whole_conversation_through_the_front_envoy(stack, http) -> None:
    sid = start(http)
    replies = [turn(http, sid, text, n) for n, text in enumerate(SCRIPT, start=2)]
    assert any(reply.get("recommendation") for reply in replies), "no film was proposed"
    assert said_by_user(http, sid)[-len(SCRIPT):] == SCRIPT
    assert http.get("/").status_code == 200  # the page, from the web service's task


def test_swarm_agent_scaled_from_1_to_3_while_conversations_run_loses_nothing(stack, http) -> None:
    assert stack.replicas("agent") == 1  # as deployed
    wait_healthy_agents(stack, 1)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        running = [pool.submit(converse, http, SCRIPT, 1.0) for _ in range(4)]
        wait_for(lambda: _agent_requests(stack) > 0, timeout_s=60, interval_s=0.2, message="turns served")
        stack.scale("agent", 3)
        assert not any(future.done() for future in running), "the conversations ended before the scale-up"
        sids = [future.result(timeout=600) for future in running]
    for sid in sids:
        assert said_by_user(http, sid) == SCRIPT  # each turn once, in order
    assert stack.replicas("agent") == 3
    wait_healthy_agents(stack, 3)
    before = {h["address"]: h["rq_total"] for h in stack.envoy_cluster_hosts("agent")}
    for _ in range(3):
        converse(http, SCRIPT[:3])
    after = {h["address"]: h["rq_total"] for h in stack.envoy_cluster_hosts("agent")}
    served = {address: after[address] - before.get(address, 0) for address in after}
    assert len(served) == 3 and all(count > 0 for count in served.values()), served


def wait_healthy_agents(stack: SwarmStack, count: int) -> None:
    """Envoy resolves the agent service to exactly `count` healthy tasks (DNS round robin)."""
    wait_for(lambda: [h["healthy"] for h in stack.envoy_cluster_hosts("agent")] == [True] * count,
             timeout_s=START_TIMEOUT_S, interval_s=1.0, message=f"Envoy resolving agent to {count} healthy tasks")


def _agent_requests(stack: SwarmStack) -> int:
    return sum(h["rq_total"] for h in stack.envoy_cluster_hosts("agent"))


# --- PUMA's autoscaler driving a stack (`puma autoscale --backend swarm`) ---------------------

SLOW_APP = """import time
from puma import puma_config, puma_service, puma_start

def slow(request):
    time.sleep(0.4)  # a request in flight for a while: load the autoscaler can see
    return {"ok": True}

puma_config({"puma_services": {"slow": {"prefix": "/slow", "instances": {"min": 1, "max": 3},
             "autoscale": {"target_in_flight": 2, "downscale_delay_s": 5}}}})
puma_service({"slow": slow})
if __name__ == "__main__":
    puma_start()
"""
# The app reaches its tasks as a swarm config (the image holds PUMA, not this test's app).
APP_OVERRIDE = """version: "3.8"
services:
  slow:
    configs: [{source: app, target: /app/app.py}]
configs:
  app: {file: ./app.py}
"""


@pytest.fixture(scope="module")
def slow_stack(swarm: Swarm, docker_images: dict[str, str], tmp_path_factory) -> Iterator[SwarmStack]:
    workdir = Path(tmp_path_factory.mktemp("slow"))
    (workdir / "app.py").write_text(SLOW_APP)
    (workdir / "override.yml").write_text(APP_OVERRIDE)
    stack = SwarmStack(swarm.docker, workdir, docker_images["postgres"])
    try:
        stack.deploy_app(workdir / "app.py", workdir / "override.yml")
        wait_for(lambda: _slow_answers(stack), timeout_s=300, interval_s=1.0,
                 message=f"the stack {stack.name}'s /slow through its front Envoy")
        yield stack
    finally:
        left = stack.remove()
    assert not left, f"`docker stack rm {stack.name}` left {left}"


def _slow_answers(stack: SwarmStack) -> bool:
    stack.url = stack.front_url() or ""
    try:
        return bool(stack.url) and httpx.post(stack.url + "/slow", json={}, timeout=10).status_code == 200
    except httpx.TransportError:
        return False


def test_puma_autoscaler_scales_a_swarm_service_up_under_load_and_back_down(slow_stack) -> None:
    app = slow_stack.dir / "app.py"
    scaler = subprocess.Popen([sys.executable, "-m", "puma", "autoscale", str(app), "--backend", "swarm",
                               "--stack", slow_stack.name, "--tick-s", "0.5"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    statuses: collections.Counter[int] = collections.Counter()
    stop = threading.Event()

    def load() -> None:  # bounded: until stopped, at most 90 s
        with httpx.Client(base_url=slow_stack.url, timeout=30) as client:
            deadline = time.monotonic() + 90
            while not stop.is_set() and time.monotonic() < deadline:
                statuses[client.post("/slow", json={}).status_code] += 1

    try:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            for _ in range(8):
                pool.submit(load)
            try:
                wait_for(lambda: slow_stack.replicas("slow") == 3, timeout_s=60, interval_s=0.5,
                         message="the autoscaler setting slow to its 3 replicas under 8 clients")
            finally:
                stop.set()
        assert set(statuses) == {200}, statuses  # scaling up fails no request
        wait_for(lambda: slow_stack.replicas("slow") == 1, timeout_s=90, interval_s=0.5,
                 message="slow back to 1 replica once idle (downscale_delay_s 5)")
    finally:
        scaler.send_signal(signal.SIGINT)
        out, _ = scaler.communicate(timeout=30)
    assert re.search(r"slow 1 -> [23] \(in-flight", out), out  # the decision log, as `puma run` writes it
    assert re.search(r"slow [23] -> 1 \(", out), out
    assert "stopped autoscaling stack" in out, out
