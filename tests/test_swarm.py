"""Docker Swarm stacks: rendered from the PUMA config (replicas, rolling updates, restart policy,
limits, health), valid Compose file format 3.8 as the compose client reads it, every key mapped
or reported, the committed chatbot stack not stale. tests/test_swarm_run.py deploys it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from puma import parse_config, swarm

ROOT = Path(__file__).parents[1]
COMMITTED = ROOT / "deploy" / "swarm"
RENDER_CHATBOT = ["render", "--target", "swarm", "chatbot/puma_app.py", "--image", "puma-chatbot:latest",
                  "--env-file", "chatbot.env"]

CONFIG = {
    "http_connection_manager": {"drain_timeout": "20s"},
    "jobs": [{"name": "migrate", "command": ["app", "migrate", "--to", "head"]},
             {"name": "seed", "command": ["app", "seed", "it's"]}],
    "puma_services": {
        "web": {"prefix": "/", "resources": {"memory_mib": 64}},
        "agent": {"prefix": "/agent", "instances": {"min": 2, "max": 6}, "timeout_s": 30,
                  "resources": {"cpu": 0.5, "memory_mib": 512, "cpu_limit": 1.5, "memory_limit_mib": 768},
                  "warmup": "app:warm", "cpu_bound": True},
    },
}


def _stack(config: dict = CONFIG, **options) -> swarm.Stack:
    return swarm.render(parse_config(config), swarm.Options(app="app.py", **options))


def _puma(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "puma", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_swarm_service_runs_puma_serve_with_replicas_limits_and_health():
    agent = _stack().doc["services"]["agent"]
    assert agent["command"] == ["puma", "serve", "app.py", "--service", "agent", "--port", "8000"]
    deploy = agent["deploy"]
    assert deploy["replicas"] == 2  # instances.min; PUMA's autoscaler moves it within 2-6
    assert deploy["resources"] == {"limits": {"memory": "768M", "cpus": "1.5"}, "reservations": {"memory": "512M"}}
    assert deploy["restart_policy"]["condition"] == "any"
    assert "/healthz" in " ".join(agent["healthcheck"]["test"])
    # The drain (the service's 30 s timeout, above the 20 s drain timeout) fits in the grace period.
    assert int(agent["stop_grace_period"].rstrip("s")) > 30


def test_swarm_rolling_update_starts_the_new_task_before_stopping_the_old_and_rolls_back():
    for spec in _stack().doc["services"].values():
        if "update_config" in spec.get("deploy", {}):
            update = spec["deploy"]["update_config"]
            assert (update["order"], update["parallelism"], update["failure_action"]) == ("start-first", 1, "rollback")


def test_swarm_every_service_is_reached_by_dns_round_robin_so_envoy_sees_each_task():
    doc = _stack().doc
    assert {s["deploy"].get("endpoint_mode") for n, s in doc["services"].items() if n != "jobs"} == {"dnsrr"}
    clusters = yaml.safe_load(_stack().envoy_yaml)["static_resources"]["clusters"]
    agent = next(c for c in clusters if c["name"] == "agent")
    assert agent["type"] == "STRICT_DNS"
    address = agent["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]["socket_address"]
    assert (address["address"], address["port_value"]) == ("agent", 8000)


def test_swarm_front_publishes_in_host_mode_or_not_at_all():
    assert _stack().doc["services"]["envoy"]["ports"] == [
        {"target": 8080, "published": 8080, "protocol": "tcp", "mode": "host"}]
    assert "ports" not in _stack(publish=None).doc["services"]["envoy"]


def test_swarm_front_config_is_a_swarm_config_named_by_its_content():
    doc = _stack().doc
    (name,) = doc["configs"]
    assert doc["services"]["envoy"]["configs"] == [{"source": name, "target": "/etc/puma/envoy.yaml"}]
    changed = {**CONFIG, "http_connection_manager": {"drain_timeout": "25s"}}
    assert list(_stack(changed).doc["configs"]) != [name]  # a new config, since swarm configs never change


def test_swarm_jobs_run_in_order_once_and_retry_only_on_failure():
    jobs = _stack().doc["services"]["jobs"]
    assert jobs["command"] == ["sh", "-c", "app migrate --to head && app seed 'it'\"'\"'s'"]
    assert jobs["deploy"]["restart_policy"]["condition"] == "on-failure"


def test_swarm_cpu_is_reserved_only_when_asked():
    assert "cpus" not in _stack().doc["services"]["agent"]["deploy"]["resources"]["reservations"]
    assert _stack(reserve_cpu=True).doc["services"]["agent"]["deploy"]["resources"]["reservations"]["cpus"] == "0.5"
    paths = [path for path, _ in _stack().not_mapped]
    assert "puma_services.agent.resources.cpu" in paths
    assert "puma_services.agent.resources.cpu" not in [p for p, _ in _stack(reserve_cpu=True).not_mapped]


def test_swarm_reports_what_it_cannot_map():
    notes = dict(_stack().not_mapped)
    assert "`puma autoscale --backend swarm`" in notes["puma_services.agent.instances"]
    assert "puma_services.agent.warmup" in notes and "puma_services.agent.cpu_bound" in notes
    assert "puma_services.web.instances" not in notes  # nothing to say about a fixed count
    head = _stack().files()["stack.yml"].split("version:")[0]
    assert "puma_services.agent.warmup" in head  # also in the file, as comments


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="the compose client (docker-compose) is not installed")
def test_swarm_stack_file_is_valid_compose_format_3_8(tmp_path):
    swarm.write(parse_config(CONFIG), "app.py", tmp_path, env_file="app.env")
    (tmp_path / "app.env").write_text("SETTING=1\n")
    done = subprocess.run(["docker-compose", "-f", str(tmp_path / "stack.yml"), "config", "--quiet"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    broken = (tmp_path / "stack.yml").read_text().replace("endpoint_mode:", "endpont_mode:")
    (tmp_path / "stack.yml").write_text(broken)
    done = subprocess.run(["docker-compose", "-f", str(tmp_path / "stack.yml"), "config", "--quiet"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "endpont_mode" in done.stderr  # the check can fail


def test_swarm_committed_chatbot_stack_is_not_stale(tmp_path):
    out = tmp_path / "swarm"
    result = _puma(*RENDER_CHATBOT, "--out", str(out))
    assert result.returncode == 0, result.stderr
    hint = "deploy/swarm is stale: run `puma " + " ".join(RENDER_CHATBOT) + " --out deploy/swarm`"
    for name in ("stack.yml", "envoy.yaml"):
        assert (out / name).read_text() == (COMMITTED / name).read_text(), f"{name}: {hint}"


def test_swarm_cli_refuses_options_of_other_targets_naming_the_flag(tmp_path):
    result = _puma("render", "--target", "swarm", "chatbot/puma_app.py", "--namespace", "x")
    assert result.returncode != 0 and "--namespace only apply to --target kubernetes" in result.stderr
    result = _puma("render", "--target", "compose", "chatbot/puma_app.py", "--publish", "80")
    assert result.returncode != 0 and "--publish only apply to --target swarm" in result.stderr
    result = _puma("render", "--target", "swarm", "chatbot/puma_app.py", "--publish", "70000")
    assert result.returncode != 0 and "--publish 70000 is not a port" in result.stderr
    assert "Traceback" not in result.stderr


def test_swarm_module_examples_hold():
    import doctest

    from puma import admin

    assert doctest.testmod(swarm).attempted and doctest.testmod(swarm).failed == 0
    assert doctest.testmod(admin).attempted and doctest.testmod(admin).failed == 0  # the in-flight reader


def test_swarm_autoscaler_reads_in_flight_per_service_from_envoy_stats():
    from puma.admin import in_flight_in as in_flight

    stats = ("cluster.agent.upstream_rq_active: 4\ncluster.agent.upstream_rq_pending_active: 3\n"
             "cluster.agent_v2.upstream_rq_active: 9\ncluster.db.upstream_rq_active: 1\nserver.uptime: 12\n")
    assert in_flight(stats, ["agent", "web"]) == {"agent": 7, "web": 0}  # not agent_v2's, nor db's


def test_puma_autoscale_refuses_bad_invocations_naming_the_fix(tmp_path):
    result = _puma("autoscale", "chatbot/puma_app.py", "--backend", "swarm", "--stack", "x", "--tick-s", "0")
    assert result.returncode != 0 and "--tick-s 0 must be above 0 seconds" in result.stderr
    result = _puma("autoscale", "chatbot/puma_app.py", "--stack", "x")
    assert result.returncode != 0 and "--backend" in result.stderr
    assert "Traceback" not in result.stderr
