"""A config promise holds on every render target, or the render says what it cannot keep:
`stateful: true` (one instance) never runs two during a rollout on Kubernetes or Swarm, and the
render notes what a pod or task cannot keep (newcomer 63, finding 4)."""

from __future__ import annotations

from typing import Any

import pytest

from puma import kubernetes, swarm
from puma.config import parse_config

SERVICES: dict[str, dict[str, Any]] = {"store": {"stateful": True}, "summarise": {"instances": {"min": 1, "max": 3}},
            "api": {"instances": 2}, "ledger": {"stateful": True, "instances": 1, "timeout_s": 60}}


def _config(**extra: object):
    services = {name: {"target": f"app:{name}", **spec} for name, spec in SERVICES.items()}
    return parse_config({"puma_services": services, **extra})


def _deployments(config) -> dict[str, dict]:
    manifests = kubernetes.render(config, kubernetes.Options(app="app.py"))
    return {o["metadata"]["name"]: o for o in manifests.objects if o["kind"] == "Deployment"}


@pytest.mark.parametrize("name", ["store", "ledger"])
def test_kubernetes_stateful_service_is_recreated_never_surged(name: str) -> None:
    spec = _deployments(_config())[name]["spec"]
    assert spec["replicas"] == 1 and spec["strategy"] == {"type": "Recreate"}, spec["strategy"]


@pytest.mark.parametrize("name", ["summarise", "api", "envoy"])
def test_kubernetes_stateless_services_keep_their_rolling_update(name: str) -> None:
    strategy = _deployments(_config())[name]["spec"]["strategy"]
    assert strategy["type"] == "RollingUpdate" and strategy["rollingUpdate"]["maxSurge"] == 1


def test_kubernetes_render_says_what_a_stateful_pod_cannot_keep() -> None:
    notes = dict(kubernetes.render(_config(), kubernetes.Options(app="app.py")).not_mapped)
    for name in ("store", "ledger"):
        assert "Recreate" in notes[f"puma_services.{name}.stateful"]
    assert "puma_services.api.stateful" not in notes


def test_kubernetes_and_swarm_say_a_jobs_files_are_not_the_services() -> None:
    config = _config(jobs=[{"name": "seed", "command": ["python", "-m", "app.seed"]}])
    k8s = dict(kubernetes.render(config, kubernetes.Options(app="app.py")).not_mapped)
    stack = dict(swarm.render(config, swarm.Options(app="app.py")).not_mapped)
    assert "SQLite" in k8s["jobs"] and "SQLite" in stack["jobs"]
    assert "jobs" not in dict(kubernetes.render(_config(), kubernetes.Options(app="app.py")).not_mapped)


@pytest.mark.parametrize(("name", "order"), [("store", "stop-first"), ("ledger", "stop-first"),
                                             ("api", "start-first"), ("summarise", "start-first")])
def test_swarm_stateful_service_updates_stop_first(name: str, order: str) -> None:
    stack = swarm.render(_config(), swarm.Options(app="app.py"))
    deploy = stack.doc["services"][name]["deploy"]
    assert deploy["update_config"]["order"] == order and deploy["replicas"] == (2 if name == "api" else 1)
    if order == "stop-first":
        assert "stop-first" in dict(stack.not_mapped)[f"puma_services.{name}.stateful"]


@pytest.mark.parametrize("startup_s", [600, 1800])
def test_kubernetes_and_swarm_give_a_slow_start_its_startup_timeout(startup_s: int) -> None:
    config = parse_config({"puma_services": {"model": {"target": "app:model", "startup_timeout_s": startup_s}}})
    pod = _deployments(config)["model"]["spec"]["template"]["spec"]["containers"][0]
    probe = pod["startupProbe"]
    assert probe["periodSeconds"] * probe["failureThreshold"] >= startup_s, probe
    task = swarm.render(config, swarm.Options(app="app.py")).doc["services"]["model"]
    assert task["healthcheck"]["start_period"] == f"{startup_s}s"
    notes = dict(kubernetes.render(config, kubernetes.Options(app="app.py")).not_mapped)
    assert "puma_services.model.startup_timeout_s" in notes
    assert "puma_services.model.startup_timeout_s" in dict(swarm.render(config, swarm.Options(app="app.py")).not_mapped)


def test_kubernetes_and_swarm_say_log_max_bytes_is_the_runtimes_business() -> None:
    config = parse_config({"puma_services": {"chatty": {"target": "app:chatty", "log_max_bytes": 1 << 20}}})
    k8s = dict(kubernetes.render(config, kubernetes.Options(app="app.py")).not_mapped)
    stack = dict(swarm.render(config, swarm.Options(app="app.py")).not_mapped)
    assert "containerLogMaxSize" in k8s["puma_services.chatty.log_max_bytes"]
    assert "log driver" in stack["puma_services.chatty.log_max_bytes"]
