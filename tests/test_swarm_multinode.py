"""scripts/swarm_multinode.py, checked offline so it cannot rot silently: its --help, its refusals,
the stack files its --dry-run renders (valid Compose format 3.8 once merged; every service placed:
the agent and policy spread over the workers, everything else, PostgreSQL's volume included, on the
manager) and the plan it prints. The run itself (a worker node killed mid-conversation on a swarm of
engines in containers) takes minutes, over the suite's budget: README "Docker Swarm" has its figures
and the command."""

from __future__ import annotations

import doctest
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "swarm_multinode.py"
sys.path.insert(0, str(ROOT / "scripts"))
import swarm_conversations  # type: ignore[import-not-found]  # noqa: E402
import swarm_multinode  # type: ignore[import-not-found]  # noqa: E402
import swarm_nodes  # type: ignore[import-not-found]  # noqa: E402


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("multinode")
    done = run("--dry-run", "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out, done.stdout


def test_swarm_multinode_help_names_the_faults_and_the_dry_run():
    done = run("--help")
    assert done.returncode == 0
    for flag in ("--fault {kill,drain}", "--dry-run", "--workers", "--replicas", "--json", "--cache-dir"):
        assert flag in done.stdout, flag


@pytest.mark.parametrize(("args", "named"), [
    (["--workers", "1"], "--workers 1 is below 2"),
    (["--replicas", "0"], "--replicas 0 is below 2"),
    (["--talkers", "0"], "--talkers 0 is below 1"),
    (["--fault", "reboot"], "invalid choice: 'reboot'"),
    (["--pause-s", "-1"], "--pause-s must be >= 0"),
])
def test_swarm_multinode_refuses_bad_arguments_naming_the_flag(args, named):
    done = run("--dry-run", *args)
    assert done.returncode == 2 and named in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_swarm_multinode_refuses_an_out_that_is_a_file(tmp_path):
    (tmp_path / "stack").write_text("mine")
    done = run("--dry-run", "--out", str(tmp_path / "stack"))
    assert done.returncode == 2 and "is a file; give a directory" in done.stderr, done.stderr
    assert (tmp_path / "stack").read_text() == "mine"


@pytest.mark.parametrize("where", ["missing-dir/figures.json", "."])
def test_swarm_multinode_refuses_a_json_path_it_could_not_write_at_the_end(tmp_path, where):
    done = run("--dry-run", "--json", str(tmp_path / where))
    assert done.returncode == 2 and "give a file in an existing directory" in done.stderr, done.stderr


def test_swarm_multinode_dry_run_without_out_says_the_files_are_not_kept():
    done = run("--dry-run")
    assert done.returncode == 0 and "a temporary directory, removed (--out DIR keeps them)" in done.stdout


@pytest.mark.parametrize(("cli", "says"), [
    ("/nonexistent/docker", "no docker CLI '/nonexistent/docker' found"),
    ("false", "the Docker engine does not answer"),  # a CLI that fails as one without an engine does
])
def test_swarm_multinode_says_why_it_cannot_run_and_how_to_fix_it(cli, says):
    done = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, "DOCKER": cli})
    assert done.returncode == 2, done.stdout + done.stderr
    assert says in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_swarm_multinode_dry_run_writes_the_stack_files_and_prints_the_plan(rendered):
    out, plan = rendered
    assert sorted(p.name for p in out.iterdir()) == ["chatbot.env", "chatbot.yml", "envoy.yaml", "multinode.yml",
                                                     "stack.yml"]
    assert "docker swarm init" in plan and plan.count("docker swarm join") == 2
    assert "-c stack.yml -c chatbot.yml -c multinode.yml" in plan
    assert plan.index("the overlay's data path") < plan.index("stack deploy")  # checked before minutes of start-up
    assert "docker kill " in plan and plan.index("docker kill") > plan.index("stack deploy")
    assert "(teardown) docker rm -f" in plan  # the teardown is part of the plan


def test_swarm_multinode_drain_and_more_workers_are_planned():
    done = run("--dry-run", "--fault", "drain", "--workers", "3")
    assert done.returncode == 0, done.stderr
    assert "node update --availability drain" in done.stdout and "docker kill" not in done.stdout
    assert done.stdout.count("docker swarm join") == 3


def test_swarm_multinode_places_every_service_and_spreads_the_replicated_ones(rendered):
    out, _ = rendered
    placed = yaml.safe_load((out / "multinode.yml").read_text())["services"]
    services = {*yaml.safe_load((out / "stack.yml").read_text())["services"],
                *yaml.safe_load((out / "chatbot.yml").read_text())["services"]}
    assert set(placed) == services  # a service added to the app is placed too
    for name, spec in placed.items():
        placement = spec["deploy"]["placement"]
        if name in ("agent", "policy"):
            assert spec["deploy"]["replicas"] == 2
            assert placement == {"constraints": ["node.role == worker"], "preferences": [{"spread": "node.id"}]}
        else:  # a single task (or a local volume: postgres) stays on the node that does not go away
            assert placement == {"constraints": ["node.role == manager"]}, name
    assert "pgdata:/var/lib/postgresql/data" in str(yaml.safe_load((out / "chatbot.yml").read_text()))


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="the compose client (docker-compose) is not installed")
def test_swarm_multinode_merged_stack_is_valid_compose_format_3_8(rendered):
    out, _ = rendered
    files = [arg for name in ("stack.yml", "chatbot.yml", "multinode.yml") for arg in ("-f", str(out / name))]
    done = subprocess.run(["docker-compose", *files, "config"], capture_output=True, text=True, timeout=60,
                          cwd=out, env={"PATH": "/usr/bin:/bin", "PUMA_POSTGRES_IMAGE": "puma-postgres:15"})
    assert done.returncode == 0, done.stderr
    merged = yaml.safe_load(done.stdout)["services"]
    assert merged["agent"]["deploy"]["replicas"] == 2
    assert merged["agent"]["deploy"]["endpoint_mode"] == "dnsrr"  # the rendered deploy kept under the override
    assert merged["postgres"]["deploy"]["placement"]["constraints"] == ["node.role == manager"]


def test_swarm_multinode_replicas_flag_sets_the_spread_services():
    doc = swarm_multinode.placement_override(["agent", "policy", "web"], 3)["services"]
    assert doc["agent"]["deploy"]["replicas"] == doc["policy"]["deploy"]["replicas"] == 3
    assert "replicas" not in doc["web"]["deploy"]


@pytest.mark.parametrize(("bounding", "last_cap", "missing"), [
    ("000001ffffffffff", 40, []),  # every capability: --privileged works
    ("0000003fffffffff", 37, []),  # an older kernel knows fewer: all it knows is all
    ("000001fffeffffff", 40, ["SYS_RESOURCE"]),  # this machine's VM: privileged fails, so it is dropped
    ("000001fffefeffff", 40, ["SYS_MODULE", "SYS_RESOURCE"]),
    ("00000000a80425fb", 40, ["DAC_READ_SEARCH", "LINUX_IMMUTABLE", "NET_BROADCAST", "NET_ADMIN", "IPC_LOCK",
                          "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN",
                          "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "LEASE",
                          "AUDIT_CONTROL", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND",
                          "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE"]),  # a default container's set
])
def test_swarm_nodes_drop_exactly_the_capabilities_this_machine_lacks(bounding, last_cap, missing):
    status = f"Name:\tdockerd\nCapEff:\t0000000000000000\nCapBnd:\t{bounding}\nCapAmb:\t0000000000000000\n"
    assert swarm_nodes.missing_capabilities(status, last_cap) == missing


def test_swarm_multinode_examples_hold():
    for module in (swarm_multinode, swarm_nodes, swarm_conversations):
        result = doctest.testmod(module)
        assert result.attempted and result.failed == 0, module.__name__


@pytest.mark.parametrize(("health", "healthy"), [
    ({"eds_health_status": "HEALTHY"}, True),
    ({"eds_health_status": "HEALTHY", "failed_active_health_check": True}, False),  # a vanished task
    ({"eds_health_status": "UNHEALTHY"}, False),
    ({}, True),  # Envoy omits what holds
])
def test_swarm_multinode_reads_envoys_hosts_as_the_other_swarm_tests_do(health, healthy):
    status = {"address": {"socket_address": {"address": "10.0.1.7", "port_value": 8000}},
              "stats": [{"name": "cx_active"}, {"name": "rq_total", "value": "12"}], "health_status": health}
    assert swarm_multinode._host(status) == {"address": "10.0.1.7", "rq_total": 12, "healthy": healthy}
