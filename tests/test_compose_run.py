"""The compose deployment, run: docker-compose.yml brought up with the installed compose client,
whole conversations through the front Envoy on loopback, agents scaled to 4 and balanced by
Envoy (STRICT_DNS), an agent container killed mid-conversation, PostgreSQL stopped briefly, and
everything torn down. Needs a Docker engine (tests/plugins/docker_engine.py says when it skips)."""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.compose_stack import ComposeStack, compose_client
from tests.helpers import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]  # a fresh machine builds images first

SCRIPT = ["crime", "no preference", "no preference", "no preference", "no", "another one please",
          "yes"]
START_TIMEOUT_S = 600  # 12 containers on a busy 2-core machine; README "Containers" has the figure


# The client in every test's id (e.g. `[docker-compose-1.29.2]`): which of v1 and v2 this run tried.
@pytest.fixture(scope="module", params=[compose_client()])
def stack(request: pytest.FixtureRequest, docker_engine: str, docker_images: dict[str, str]) -> Iterator[ComposeStack]:
    print(f"\ncompose client: {request.param}")
    stack = ComposeStack(docker_engine, docker_images["postgres"])
    try:
        started = time.monotonic()
        stack.up()
        wait_for(lambda: _answers(stack), timeout_s=START_TIMEOUT_S, interval_s=1.0,
                 message=f"the compose stack's first turn through Envoy on {stack.url}")
        print(f"\ncompose stack: first turn answered {time.monotonic() - started:.1f} s after `up`")
        yield stack
    finally:
        left = stack.down()
    assert not left, f"`docker-compose down --volumes` left {left} of project {stack.project}"


@pytest.fixture(scope="module")
def http(stack: ComposeStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.url, timeout=60) as client:
        yield client


def _answers(stack: ComposeStack) -> bool:
    reply = httpx.post(stack.url + "/agent", json={"UUID": "-1", "chatText": "", "mode": "false"}, timeout=30)
    return reply.status_code == 200 and bool(reply.json().get("messages"))


def start(http: httpx.Client) -> str:
    """A new conversation, as the page opens one: a 503 that says when to retry (nothing was
    started: the instance could not be reached) is retried after Retry-After, a bounded few times.
    Once, in a clean-clone run, the first start after the stack's first answer got one."""
    for _ in range(5):
        reply = http.post("/agent", json={"UUID": "-1", "chatText": "", "mode": "false"})
        if reply.status_code != 503 or not reply.headers.get("retry-after"):
            break
        time.sleep(min(float(reply.headers["retry-after"]), 5.0))
    assert reply.status_code == 200, reply.text
    return reply.json()["userid"]


def turn(http: httpx.Client, sid: str, text: str, turn_no: int, statuses: list[int] | None = None,
         attempts: int = 12) -> dict[str, Any]:
    """One turn as a careful client sends it: the same turn_no again after a 5xx or a dropped
    connection (the server applies it once). Every status seen goes to ``statuses``."""
    payload = {"UUID": sid, "chatText": text, "mode": "false", "turn_no": turn_no}
    for attempt in range(attempts):
        try:
            resp = http.post("/agent", json=payload)
        except httpx.TransportError:
            resp = None
        if statuses is not None:
            statuses.append(resp.status_code if resp is not None else 0)
        if resp is not None and resp.status_code < 500:
            assert resp.status_code == 200, resp.text
            return resp.json()
        time.sleep(min(0.1 * 2 ** attempt, 3.0))
    raise AssertionError(f"turn {turn_no} of {sid} failed {attempts} times")


def converse(http: httpx.Client, script: list[str] = SCRIPT, pause_s: float = 0.0) -> str:
    sid = start(http)
    for turn_no, text in enumerate(script, start=2):
        turn(http, sid, text, turn_no)
        time.sleep(pause_s)  # a user reading the reply; the conversation then spans the fault
    return sid


def said_by_user(http: httpx.Client, sid: str) -> list[str]:
    """What the user said, by the page's read path; a 503 with Retry-After (the listener not ready
    again yet: its store check runs every 2 s) is waited out as a careful client does."""
    for _ in range(30):
        transcript = http.post("/listener", json={"UUID": sid, "mode": "transcript"})
        if transcript.status_code != 503 or not transcript.headers.get("retry-after"):
            break
        time.sleep(float(transcript.headers["retry-after"]))
    assert transcript.status_code == 200, transcript.text
    return [line for entry in transcript.json()["history"] for line in entry["u"]]


def test_compose_stack_holds_whole_conversations_through_the_front_envoy(stack, http) -> None:
    sid = start(http)
    replies = [turn(http, sid, text, n) for n, text in enumerate(SCRIPT, start=2)]
    assert all(reply["messages"] for reply in replies)
    assert any(reply.get("recommendation") for reply in replies), "no film was proposed"
    assert said_by_user(http, sid)[-len(SCRIPT):] == SCRIPT
    assert http.get("/").status_code == 200  # the page, from the web service's container


def test_compose_agent_scaled_to_4_containers_is_balanced_by_envoy(stack, http) -> None:
    stack.up("--no-recreate", "--scale", "agent=4")
    assert len(stack.containers("agent")) == 4
    wait_agents_healthy(stack, 4)
    before = {h["address"]: h["rq_total"] for h in stack.envoy_cluster_hosts("agent")}
    for _ in range(3):
        converse(http, SCRIPT[:3])
    after = {h["address"]: h["rq_total"] for h in stack.envoy_cluster_hosts("agent")}
    served = {address: after[address] - before.get(address, 0) for address in after}
    assert len(served) == 4 and all(count > 0 for count in served.values()), served


def test_compose_agent_container_killed_mid_conversation_loses_and_repeats_no_turn(stack, http) -> None:
    stack.up("--no-recreate", "--scale", "agent=4")
    wait_agents_healthy(stack, 4)
    served_before = _agent_requests(stack)
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        running = [pool.submit(converse, http, SCRIPT, 1.0) for _ in range(6)]
        wait_for(lambda: _agent_requests(stack) >= served_before + 12, timeout_s=120, interval_s=0.1,
                 message="two turns of each conversation served")
        stack.docker_cmd("kill", stack.containers("agent")[0])
        assert not any(future.done() for future in running), "the conversations ended before the kill"
        sids = [future.result(timeout=600) for future in running]
    for sid in sids:
        assert said_by_user(http, sid) == SCRIPT  # each turn once, in order


def wait_agents_healthy(stack: ComposeStack, count: int) -> None:
    """Envoy sees ``count`` healthy agent containers (a new one warms up first: a minute here)."""
    wait_for(lambda: sum(h["healthy"] for h in stack.envoy_cluster_hosts("agent")) == count,
             timeout_s=START_TIMEOUT_S, interval_s=1.0, message=f"Envoy resolving agent to {count} healthy hosts")


def _agent_requests(stack: ComposeStack) -> int:
    return sum(h["rq_total"] for h in stack.envoy_cluster_hosts("agent"))


def test_compose_postgres_stopped_briefly_gives_clear_503s_then_recovers_losing_nothing(stack, http) -> None:
    wait_agents_healthy(stack, len(stack.containers("agent")))
    sid = start(http)
    turn(http, sid, SCRIPT[0], 2)
    stack.compose("stop", "--timeout", "10", "postgres")
    try:
        refused = http.post("/agent", json={"UUID": sid, "chatText": SCRIPT[1], "mode": "false", "turn_no": 3})
        assert refused.status_code == 503, refused.text
        assert "error" in refused.json() and refused.headers.get("retry-after"), refused.text
    finally:
        stack.compose("start", "postgres")
    statuses: list[int] = []
    turn(http, sid, SCRIPT[1], 3, statuses, attempts=20)  # the refused turn, sent again
    assert set(statuses) <= {200, 503}, statuses
    for n, text in enumerate(SCRIPT[2:], start=4):
        turn(http, sid, text, n)
    assert said_by_user(http, sid) == SCRIPT
