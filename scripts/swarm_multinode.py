"""A worker node of a multi-node Docker Swarm going away mid-conversation, measured.

Builds a swarm of Docker engines in containers on this machine's engine (scripts/swarm_nodes.py:
a manager and two workers on a bridge network of their own), deploys the chatbot's stack on it
(`puma render --target swarm`, deploy/swarm/chatbot.yml, and a placement override: the agent and
policy services spread over the workers, everything else pinned to the manager, PostgreSQL's volume
with it), reaches the front Envoy from this machine on 127.0.0.1, holds conversations, makes a
worker that runs an agent task go away (``kill``: its engine container killed, the real fault; or
``drain``: ``docker node update --availability drain``), and measures until the agent service is
back at its full replica count, healthy in Envoy. Then it checks every conversation's transcript
(each turn stored once, in order), prints the figures and tears everything down, also on failure
or Ctrl-C: the nodes (each with its engine, its tasks and its swarm state), the network and the
node roots removed; this machine's engine never joins the swarm.

    .venv/bin/python scripts/swarm_multinode.py                    # kill a worker
    .venv/bin/python scripts/swarm_multinode.py --fault drain      # drain it instead
    .venv/bin/python scripts/swarm_multinode.py --dry-run --out D  # the stack files and the plan; no Docker

Needs, as root on the engine's machine: a Docker engine, the images of deploy/docker/build-images.sh
(puma-chatbot:latest, puma-postgres:15) and, once, Debian's package mirror (the node image).
Exit status: 0 when every turn was answered and stored exactly once and the service came back to
full strength; 1 otherwise; 2 for bad arguments or a missing prerequisite.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from swarm_conversations import Talker, conversation_figures  # noqa: E402
from swarm_nodes import ROOT, Cluster, Node, NodeError, docker, ensure_node_image  # noqa: E402

APP_IMAGE = "puma-chatbot:latest"
POSTGRES_IMAGE = "puma-postgres:15"
STACK = "pumamn"
SPREAD = ("agent", "policy")  # replicated services spread over the workers; the rest on the manager
DEFAULT_CACHE = Path.home() / ".cache" / "puma" / "swarm-multinode"


def placement_override(services: list[str], replicas: int) -> dict[str, Any]:
    """The stack file merged over the rendered one: `SPREAD` services with `replicas` tasks spread
    over the worker nodes; every other service on the manager (PostgreSQL's volume is a local
    volume of the node it runs on: moved elsewhere it would start empty, so it stays put).

    >>> placement_override(["agent", "db"], 2)["services"]["db"]
    {'deploy': {'placement': {'constraints': ['node.role == manager']}}}
    """
    doc: dict[str, Any] = {"version": "3.8", "services": {}}
    for name in services:
        if name in SPREAD:
            deploy = {"replicas": replicas, "placement": {"constraints": ["node.role == worker"],
                                                          "preferences": [{"spread": "node.id"}]}}
        else:
            deploy = {"placement": {"constraints": ["node.role == manager"]}}
        doc["services"][name] = {"deploy": deploy}
    return doc


def render_stack(out: Path, replicas: int) -> list[str]:
    """stack.yml + envoy.yaml (`puma render`), chatbot.yml/.env, multinode.yml into `out`; the
    `docker stack deploy` arguments that deploy them (relative to `out`)."""
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "puma", "render", "--target", "swarm", "chatbot/puma_app.py",
                    "--image", APP_IMAGE, "--env-file", "chatbot.env", "--publish", "8080", "--out", str(out)],
                   check=True, capture_output=True, text=True, cwd=ROOT, timeout=120)
    for name in ("chatbot.yml", "chatbot.env"):
        shutil.copy(ROOT / "deploy" / "swarm" / name, out / name)
    services = [*yaml.safe_load((out / "stack.yml").read_text())["services"],
                *yaml.safe_load((out / "chatbot.yml").read_text())["services"]]
    (out / "multinode.yml").write_text(yaml.safe_dump(placement_override(services, replicas), sort_keys=False))
    return ["stack", "deploy", "--resolve-image", "never", "-c", "stack.yml", "-c", "chatbot.yml",
            "-c", "multinode.yml", STACK]


# --- the stack on the swarm ---------------------------------------------------------------------


class Deployment:
    """The chatbot's stack on `cluster`, seen through the manager's engine."""

    def __init__(self, cluster: Cluster, replicas: int) -> None:
        self.cluster, self.replicas = cluster, replicas
        self.url = f"http://127.0.0.1:{cluster.front_port}"

    @property
    def manager(self) -> Node:
        return self.cluster.manager

    def deploy(self, args: list[str]) -> None:
        docker("exec", "-w", "/stack", "-e", f"PUMA_POSTGRES_IMAGE={POSTGRES_IMAGE}", self.manager.name,
               "docker", *args, timeout_s=300)

    def tasks(self, service: str) -> list[tuple[str, str]]:
        """(node, current state) of the service's tasks that should run."""
        out = self.manager.docker("service", "ps", f"{STACK}_{service}", "--filter", "desired-state=running",
                                  "--format", "{{.Node}}\t{{.CurrentState}}", check=False)
        return [(node, state) for node, _, state in (line.partition("\t") for line in out.splitlines()) if state]

    def running_on(self, service: str) -> list[str]:
        return sorted(node for node, state in self.tasks(service) if state.startswith("Running"))

    def node_status(self, name: str) -> str:
        return self.manager.docker("node", "inspect", "--format", "{{.Status.State}}", name, check=False).strip()

    def envoy_hosts(self, cluster: str) -> list[dict[str, Any]]:
        """The front Envoy's hosts of `cluster`: {"address", "healthy", "rq_total"} each."""
        task = self.manager.docker("ps", "-q", "--filter", f"label=com.docker.swarm.service.name={STACK}_envoy",
                                   check=False).split()
        if not task:
            return []
        code = ("import urllib.request; print(urllib.request.urlopen("
                "'http://127.0.0.1:9901/clusters?format=json', timeout=5).read().decode())")
        out = self.manager.docker("exec", task[0], "python", "-c", code, check=False)
        for status in json.loads(out or '{"cluster_statuses": []}')["cluster_statuses"]:
            if status["name"] == cluster:
                return [_host(h) for h in status.get("host_statuses", [])]
        return []

    def healthy_agents(self) -> int:
        return sum(h["healthy"] for h in self.envoy_hosts("agent"))

    def first_turn(self) -> bool:
        try:
            resp = httpx.post(self.url + "/agent", json={"UUID": "-1", "chatText": "", "mode": "false"}, timeout=30)
        except httpx.TransportError:
            return False
        return resp.status_code == 200 and bool(resp.json().get("messages"))

    def at_full_strength(self, workers: set[str]) -> bool:
        """Every agent task running, on more than one worker while two are up, and healthy in Envoy."""
        nodes = self.running_on("agent")
        spread = len(set(nodes)) == min(len(workers), self.replicas) and set(nodes) <= workers
        return len(nodes) == self.replicas and spread and self.healthy_agents() == self.replicas

    def logs(self, service: str) -> str:
        return self.manager.docker("service", "logs", "--no-task-ids", "--tail", "15", f"{STACK}_{service}",
                                   check=False)[-2000:]


def _host(status: dict[str, Any]) -> dict[str, Any]:
    health = status.get("health_status", {})
    stats = {s["name"]: int(s.get("value", 0)) for s in status.get("stats", [])}
    return {"address": status["address"]["socket_address"]["address"], "rq_total": stats.get("rq_total", 0),
            "healthy": health.get("eds_health_status", "HEALTHY") == "HEALTHY"
            and not health.get("failed_active_health_check", False)}


def wait(condition: Any, timeout_s: float, what: str, interval_s: float = 1.0) -> float:
    """Seconds until `condition()` is true; raises TimeoutError naming `what`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if condition():
            return time.monotonic() - started
        time.sleep(interval_s)
    raise TimeoutError(f"no {what} within {timeout_s:g} s")


# --- the scenario -------------------------------------------------------------------------------


def check_overlay(cluster: Cluster) -> float:
    """Seconds to show the overlay network's data path across nodes (VXLAN, UDP 4789 between the
    node containers): a container on the manager fetches a page from a task on each worker. Raises
    `NodeError` with what failed, before the stack's minutes of start-up."""
    started, manager = time.monotonic(), cluster.manager
    manager.docker("network", "create", "-d", "overlay", "--attachable", "probe")
    try:
        manager.docker("service", "create", "-d", "--name", "probe", "--network", "probe", "--endpoint-mode",
                       "dnsrr", "--replicas", str(cluster.workers), "--replicas-max-per-node", "1",
                       "--constraint", "node.role == worker", APP_IMAGE, "python", "-m", "http.server", "8000")
        # "2/2 (max 1 per node)"
        wait(lambda: manager.docker("service", "ls", "--filter", "name=probe", "--format", "{{.Replicas}}",
                                    check=False).split(" ")[0] == f"{cluster.workers}/{cluster.workers}",
             120, "probe tasks running on the workers", 0.5)
        code = ("import socket, urllib.request as u; ips = sorted({a[4][0] for a in socket.getaddrinfo('probe', 8000)}); "
                "print(ips, [u.urlopen(f'http://{ip}:8000/', timeout=5).status for ip in ips])")
        out = manager.docker("run", "--rm", "--network", "probe", APP_IMAGE, "python", "-c", code, timeout_s=120)
        if out.count("200") != cluster.workers:
            raise NodeError(f"the overlay network reached {out.strip()} of {cluster.workers} workers' tasks")
    finally:
        manager.docker("service", "rm", "probe", check=False)
        wait(lambda: bool(manager.docker("network", "rm", "probe", check=False)), 60, "the probe network removed")
    return time.monotonic() - started


def run_fault(dep: Deployment, fault: str, talkers: int, pause_s: float, recover_timeout_s: float) -> dict[str, Any]:
    """Conversations running; a worker with an agent task killed or drained once they are under way;
    the figures until the agent is back at full strength and the conversations' transcripts."""
    workers = {n.name for n in dep.cluster.nodes[1:]}
    agents = dep.running_on("agent")
    victim = max(sorted(workers), key=agents.count)
    stop = threading.Event()
    threads = [Talker(dep.url, stop, pause_s) for _ in range(talkers)]
    for t in threads:
        t.start()
    wait(lambda: sum(len(t.turns) for t in threads) >= 2 * talkers, 120, "conversations under way", 0.2)
    on_victim = {s: dep.running_on(s).count(victim) for s in SPREAD}
    t0 = time.monotonic()
    if fault == "kill":
        docker("kill", victim)
    else:
        dep.manager.docker("node", "update", "--availability", "drain", victim)
    figures: dict[str, Any] = {"fault": fault, "victim": victim, "tasks_on_victim": on_victim}
    survivors = workers - {victim}
    try:
        if fault == "kill":
            figures["node_down_s"] = round(wait(lambda: dep.node_status(victim) == "down", recover_timeout_s,
                                                f"{victim} seen down", 0.5), 1)
        figures["agent_tasks_running_s"] = round(time.monotonic() - t0 + wait(
            lambda: dep.running_on("agent").count(victim) == 0 and len(dep.running_on("agent")) == dep.replicas,
            recover_timeout_s, "agent tasks all running again", 0.5), 1)
        figures["agent_full_strength_s"] = round(time.monotonic() - t0 + wait(
            lambda: dep.at_full_strength(survivors), recover_timeout_s, "agent healthy in Envoy at full count", 0.5), 1)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=300)
    figures |= conversation_figures(dep.url, threads, t0)
    figures["after"] = served_after(dep)
    return figures


def served_after(dep: Deployment) -> dict[str, int]:
    """Requests each agent task serves in three more conversations, once back at full strength."""
    before = {h["address"]: h["rq_total"] for h in dep.envoy_hosts("agent")}
    talker = Talker(dep.url, threading.Event(), 0)
    with httpx.Client(base_url=dep.url, timeout=60) as http:
        for _ in range(3):
            talker.converse(http)
    return {h["address"]: h["rq_total"] - before.get(h["address"], 0) for h in dep.envoy_hosts("agent")}


def scenario(cluster: Cluster, deploy_args: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """Nodes, stack, the fault; the figures measured (seconds from the step's start)."""
    figures: dict[str, Any] = {"workers": args.workers, "replicas": args.replicas}
    started = time.monotonic()
    ensure_node_image(log)
    figures["node_image_s"] = round(time.monotonic() - started, 1)
    started = time.monotonic()
    cluster.start()
    figures["seed_s"] = round(cluster.seed_s, 1)
    figures["nodes_up_s"] = round(time.monotonic() - started - cluster.seed_s, 1)
    log(f"{len(cluster.nodes)} nodes up in {figures['nodes_up_s']} s: {', '.join(n.name for n in cluster.nodes)}")
    figures["overlay_check_s"] = round(check_overlay(cluster), 1)
    log(f"overlay network across nodes: a task on each worker answered the manager ({figures['overlay_check_s']} s)")
    dep = Deployment(cluster, args.replicas)
    started = time.monotonic()
    dep.deploy(deploy_args)
    try:
        figures["first_turn_s"] = round(wait(dep.first_turn, args.deploy_timeout_s, "first turn answered"), 1)
        workers = {n.name for n in cluster.nodes[1:]}
        wait(lambda: dep.at_full_strength(workers), args.deploy_timeout_s, "agent at full strength")
    except TimeoutError:
        log("the stack did not come up; the agent's log ends:\n" + dep.logs("agent"))
        log(dep.manager.docker("service", "ls", check=False))
        raise
    figures["deploy_full_strength_s"] = round(time.monotonic() - started, 1)
    log(f"first turn answered {figures['first_turn_s']} s after `docker stack deploy`; agent at full strength "
        f"({args.replicas} tasks on {args.workers} workers, healthy in Envoy) after {figures['deploy_full_strength_s']} s")
    figures |= run_fault(dep, args.fault, args.talkers, args.pause_s, args.recover_timeout_s)
    return figures


def report(figures: dict[str, Any]) -> bool:
    """Prints the fault's figures; True when the run holds (every turn answered once, back to full)."""
    if "agent_full_strength_s" not in figures:
        return False
    tasks = ", ".join(f"{s} {n}" for s, n in figures["tasks_on_victim"].items())
    down = f"node seen down after {figures['node_down_s']} s; " if "node_down_s" in figures else ""
    log(f"{figures['fault']}: {figures['victim']} (tasks on it: {tasks}), mid-conversation:\n"
        f"  {down}agent tasks all running again after {figures['agent_tasks_running_s']} s; "
        f"{figures['replicas']} healthy in Envoy after {figures['agent_full_strength_s']} s")
    wrong, failures = figures["transcripts_wrong"], figures["failures"]
    log(f"  {figures['conversations']} conversations, {figures['turns_answered']} turns answered "
        f"({figures['turns_after_fault']} after the fault), {figures['turns_retried']} re-sent by the client "
        f"(statuses before the answer: {figures['retry_statuses'] or 'none'}), slowest turn "
        f"{figures['slowest_turn_s']} s; failures: {failures or 'none'}; transcripts: "
        + (f"WRONG {wrong}" if wrong else "each turn stored once, in order"))
    served = figures["after"]
    log(f"  after: 3 more conversations; agent requests per task {served}")
    return not wrong and not failures and len(served) == figures["replicas"] and all(served.values())


_STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"swarm-multinode [{time.monotonic() - _STARTED:6.1f} s]: {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prerequisites() -> str | None:
    """Why the scenario cannot run here, with the fix; None when it can."""
    cli = os.environ.get("DOCKER", "docker")
    if shutil.which(cli) is None:
        return f"no docker CLI {cli!r} found (Debian: apt-get install docker.io)"
    try:
        docker("info", "--format", "{{.ServerVersion}}", timeout_s=20)
    except NodeError as exc:
        return f"the Docker engine does not answer ({exc}); start it: sh scripts/dockerd.sh start var/dockerd.pid"
    missing = [i for i in (APP_IMAGE, POSTGRES_IMAGE) if not docker("image", "ls", "-q", i).strip()]
    if missing:
        return f"images {', '.join(missing)} missing: build them with sh deploy/docker/build-images.sh"
    if os.geteuid() != 0:
        return "the nodes' engines need root on this machine: run as root"
    return None


def plan(cluster: Cluster, deploy_args: list[str], fault: str) -> str:
    """The steps the run takes, as commands (what --dry-run prints)."""
    names = cluster.node_names()
    lines = [f"docker network create --label io.puma.multinode={cluster.run} {cluster.network}"]
    lines += [f"docker run -d --name {n} --network {cluster.network} ... {'-p 127.0.0.1:PORT:8080 ' if i == 0 else ''}"
              f"puma-swarm-node:bookworm dockerd --storage-driver overlay2" for i, n in enumerate(names)]
    lines += [f"docker exec {names[0]} docker swarm init --advertise-addr MANAGER_IP ..."]
    lines += [f"docker exec {n} docker swarm join --token TOKEN MANAGER_IP:2377" for n in names[1:]]
    lines += [f"docker exec {names[0]} docker service create --name probe --network probe ... python -m http.server"
              "   # the overlay's data path: a page from a task on each worker"]
    lines += [f"docker exec -w /stack {names[0]} docker {' '.join(deploy_args)}"]
    lines += [f"docker kill {names[-1]}" if fault == "kill"
              else f"docker exec {names[0]} docker node update --availability drain {names[-1]}"]
    lines += [f"(teardown) docker rm -f {' '.join(names)}; docker network rm {cluster.network}; "
              "the node roots removed"]
    return "\n".join(lines)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="swarm_multinode.py", description=(__doc__ or "").split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--fault", choices=["kill", "drain"], default="kill",
                        help="kill: the worker's engine container killed (the real fault); drain: the node drained")
    parser.add_argument("--workers", type=int, default=2, help="worker nodes (at least 2)")
    parser.add_argument("--replicas", type=int, default=2, help="agent and policy tasks, spread over the workers (at least 2)")
    parser.add_argument("--talkers", type=int, default=3, help="conversations held at once")
    parser.add_argument("--pause-s", type=float, default=1.0, help="a user's pause between turns")
    parser.add_argument("--deploy-timeout-s", type=float, default=900, help="the stack's start, to full strength")
    parser.add_argument("--recover-timeout-s", type=float, default=600, help="the agent back at full strength after the fault")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help="the nodes' image cache and roots")
    parser.add_argument("--out", type=Path, help="where the stack files go (default: a temporary directory)")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--dry-run", action="store_true", help="render the stack files and print the plan; no Docker")
    args = parser.parse_args(argv)
    for flag, value, low in (("--workers", args.workers, 2), ("--replicas", args.replicas, 2), ("--talkers", args.talkers, 1)):
        if value < low:
            parser.error(f"{flag} {value} is below {low}: give {low} or more")
    if args.json is not None and (args.json.is_dir() or not args.json.parent.is_dir()):
        parser.error(f"--json {args.json}: give a file in an existing directory (the figures are written there at the end)")
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        parser.error(f"--out {args.out} is a file; give a directory (the stack files go in it)")
    if args.pause_s < 0 or args.deploy_timeout_s <= 0 or args.recover_timeout_s <= 0:
        parser.error("--pause-s must be >= 0 and the timeouts > 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    with tempfile.TemporaryDirectory(prefix="puma-mn-") as tmp:
        out = (args.out or Path(tmp)).resolve()
        try:
            deploy_args = render_stack(out, args.replicas)
        except (OSError, subprocess.CalledProcessError) as exc:
            detail = exc.stderr.strip() if isinstance(exc, subprocess.CalledProcessError) else str(exc)
            print(f"swarm-multinode: cannot render the stack into --out {out}: {detail}", file=sys.stderr)
            return 2
        cluster = Cluster(run=uuid.uuid4().hex[:8], workers=args.workers, cache=args.cache_dir.resolve(),
                          images=[APP_IMAGE, POSTGRES_IMAGE], stack_dir=out, front_port=free_port(), log=log)
        if args.dry_run:
            where = str(out) if args.out else "a temporary directory, removed (--out DIR keeps them)"
            files = ", ".join(sorted(p.name for p in out.iterdir()))
            print(f"stack files ({where}): {files}\n" + plan(cluster, deploy_args, args.fault))
            return 0
        problem = prerequisites()
        if problem:
            print(f"swarm-multinode: cannot run: {problem}", file=sys.stderr)
            return 2
        return _run(cluster, deploy_args, args)


def _run(cluster: Cluster, deploy_args: list[str], args: argparse.Namespace) -> int:
    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    # Both set here: a shell starts a background job with SIGINT ignored, and Python keeps that.
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    figures: dict[str, Any] = {}
    try:
        figures = scenario(cluster, deploy_args, args)
    except (NodeError, TimeoutError, KeyboardInterrupt, subprocess.SubprocessError) as exc:
        figures["error"] = f"{type(exc).__name__}: {exc}"
        log(f"stopped: {figures['error']}")
    finally:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C does not cut the teardown short
        log("tearing down: the nodes (each with its engine, tasks and swarm state), network and node roots")
        started = time.monotonic()
        left = cluster.teardown()
        signal.signal(signal.SIGINT, previous)
    figures["left_behind"], figures["teardown_s"] = left, round(time.monotonic() - started, 1)
    log(f"left behind: {left}" if left else f"torn down in {figures['teardown_s']} s: nothing left behind")
    holds = report(figures) and not left
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    log("holds" if holds else "DOES NOT HOLD")
    return 0 if holds else 1


if __name__ == "__main__":
    sys.exit(main())
