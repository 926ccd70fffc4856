"""The rendered pods, run as processes here. No cluster runs on this machine, so this is the next best
check: the real Envoy with the front's ConfigMap config and command line, and `puma serve` with each
Deployment's command and environment, on loopback ports instead of pod addresses."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from puma import kubernetes, parse_config
from puma.proxy import find_envoy
from tests.apps.kube_app import CONFIG
from tests.helpers import wait_for

ROOT = Path(__file__).parents[1]
APP = "tests/apps/kube_app.py"


_HANDED_OUT: set[int] = set()  # the ports this module's pods were given: never handed out twice


def _free_port() -> int:
    """A free loopback port not handed out before in this module: a port closed after the kernel
    chose it is free again, and a second call could return it (a service pod and the front's
    listener once got the same one: the pod could not bind, the front health-checked itself)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


def _objects(manifests: kubernetes.Manifests, kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in manifests.objects if o["kind"] == kind}


def _container(manifests: kubernetes.Manifests, name: str) -> dict:
    [container] = _objects(manifests, "Deployment")[name]["spec"]["template"]["spec"]["containers"]
    return container


@contextlib.contextmanager
def _process(argv: list[str], log: Path, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    with open(log, "w") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env, start_new_session=True)
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@dataclass
class Front:
    proc: subprocess.Popen
    url: str
    stats_url: str
    prestop: list[str]
    internal_url: str = ""  # the front's internal listener: what pods call each other through


@dataclass
class Pods:
    manifests: kubernetes.Manifests
    ports: dict[str, int]
    front: Front
    tmp: Path


def _front_config(manifests: kubernetes.Manifests, ports: dict[str, int], listener: int, internal: int,
                  stats: int, admin: int) -> dict:
    """The ConfigMap's Envoy config with loopback ports for the pod's ports and the headless Services."""
    doc = yaml.safe_load(_objects(manifests, "ConfigMap")["envoy"]["data"]["envoy.yaml"])
    doc["admin"]["address"]["socket_address"]["port_value"] = admin
    for lst in doc["static_resources"]["listeners"]:
        port = {"puma_stats": stats, "puma_internal": internal}.get(lst["name"], listener)
        lst["address"]["socket_address"] = {"address": "127.0.0.1", "port_value": port}
    for cluster in doc["static_resources"]["clusters"]:
        [[endpoint]] = [e["lb_endpoints"] for e in cluster["load_assignment"]["endpoints"]]
        address = endpoint["endpoint"]["address"]["socket_address"]
        if cluster["name"] in ports:
            assert address["address"] == f"{cluster['name']}.puma.svc.cluster.local"
            address.update(address="127.0.0.1", port_value=ports[cluster["name"]])
        elif cluster["name"] == "_puma_admin":
            address["port_value"] = admin
    return doc


def _start_front(stack: contextlib.ExitStack, manifests: kubernetes.Manifests, ports: dict[str, int],
                 tmp: Path, tag: str) -> Front:
    """A front Envoy pod: the ConfigMap's config and the Deployment's command line, here."""
    listener, internal, stats, admin = _free_port(), _free_port(), _free_port(), _free_port()
    path = tmp / f"envoy-{tag}.yaml"
    path.write_text(yaml.safe_dump(_front_config(manifests, ports, listener, internal, stats, admin)))
    container = _container(manifests, "envoy")
    argv = [find_envoy() if a == "envoy" else str(path) if a.endswith("/envoy.yaml") else a
            for a in container["command"]]
    proc = stack.enter_context(_process(argv, tmp / f"envoy-{tag}.log"))
    stats_url = f"http://127.0.0.1:{stats}"
    probe = container["readinessProbe"]["httpGet"]
    assert probe["port"] == "stats"
    wait_for(lambda: httpx.get(stats_url + probe["path"]).status_code == 200, timeout_s=30,
             message="the front's readiness probe")
    *prestop, script = container["lifecycle"]["preStop"]["exec"]["command"]
    assert ":9901/" in script
    return Front(proc, f"http://127.0.0.1:{listener}", stats_url, [*prestop, script.replace(":9901/", f":{admin}/")],
                 f"http://127.0.0.1:{internal}")


def _start_service(stack: contextlib.ExitStack, manifests: kubernetes.Manifests, name: str, port: int,
                   mesh_url: str, tmp: Path) -> subprocess.Popen:
    """One pod of `name`: the Deployment's command and env values, on a loopback port."""
    container = _container(manifests, name)
    env = dict(os.environ)
    env.update({e["name"]: e["value"] for e in container["env"] if "value" in e})
    assert env["PUMA_URL"] == "http://envoy.puma.svc.cluster.local:8081"  # the front's internal listener
    env["PUMA_URL"] = mesh_url
    command = container["command"]
    assert command[:2] == ["puma", "serve"]
    argv = [sys.executable, "-m", "puma.cli", *command[1:], "--host", "127.0.0.1"]
    argv[argv.index("--port") + 1] = str(port)
    return stack.enter_context(_process(argv, tmp / f"{name}-{port}.log", env))


def _wait_ready(manifests: kubernetes.Manifests, name: str, port: int) -> None:
    probe = _container(manifests, name)["readinessProbe"]["httpGet"]
    wait_for(lambda: httpx.get(f"http://127.0.0.1:{port}{probe['path']}").status_code == 200,
             timeout_s=60, message=f"{name}'s readiness probe")


@pytest.fixture(scope="module")
def pods(tmp_path_factory) -> Iterator[Pods]:
    tmp = tmp_path_factory.mktemp("pods")
    manifests = kubernetes.render(parse_config(CONFIG), kubernetes.Options(app=APP, image="kube-app:test"))
    ports = {name: _free_port() for name in CONFIG["puma_services"]}
    with contextlib.ExitStack() as stack:
        # Nothing orders pods in a cluster either: Envoy routes to each service once it answers.
        front = _start_front(stack, manifests, ports, tmp, "main")
        for name, port in ports.items():
            _start_service(stack, manifests, name, port, front.internal_url, tmp)
        for name, port in ports.items():
            _wait_ready(manifests, name, port)
        yield Pods(manifests, ports, front, tmp)


def _in_flight(stats_url: str, cluster: str) -> int:
    text = httpx.get(stats_url + "/stats/prometheus").text
    line = f'envoy_cluster_upstream_rq_active{{envoy_cluster_name="{cluster}"}} '
    [value] = [row[len(line):] for row in text.splitlines() if row.startswith(line)]
    return int(value)


def test_pods_a_request_crosses_the_front_and_calls_another_service_through_it(pods):
    reply = httpx.post(pods.front.url + "/greet", json={"name": "Ada"}, timeout=10)
    assert reply.status_code == 200, reply.text
    # the warm-up ran before the pod opened its port, so the very first request sees it done
    assert reply.json() == {"greeting": "HELLO, ADA", "warm": True}
    missing = httpx.post(pods.front.url + "/nowhere", json={})
    assert missing.status_code == 404 and "service prefixes" in missing.json()["error"]


def test_pods_front_exposes_in_flight_for_an_adapter_and_nothing_else_of_admin(pods):
    assert _in_flight(pods.front.stats_url, "slow") == 0
    result: dict[str, httpx.Response] = {}
    worker = threading.Thread(target=lambda: result.setdefault(
        "reply", httpx.post(pods.front.url + "/slow", json={"s": 1.5}, timeout=10)))
    worker.start()
    try:
        wait_for(lambda: _in_flight(pods.front.stats_url, "slow") == 1, timeout_s=5,
                 message="the slow request to show as in flight")
    finally:
        worker.join(10)
    assert result["reply"].json()["slept"] is True
    for method, path in (("POST", "/quitquitquit"), ("GET", "/config_dump"), ("POST", "/ready"),
                         ("GET", "/clusters"), ("POST", "/drain_listeners")):
        assert httpx.request(method, pods.front.stats_url + path).status_code == 404, path
    assert pods.front.proc.poll() is None


def test_pods_service_pod_finishes_its_requests_after_sigterm(pods):
    # What the kubelet does after the preStop pause: SIGTERM; the pod drains, then exits 0. Each
    # reply is large, so it is still being sent when the last request's handler has returned.
    with contextlib.ExitStack() as stack:
        port = _free_port()
        proc = _start_service(stack, pods.manifests, "slow", port, pods.front.internal_url, pods.tmp)
        _wait_ready(pods.manifests, "slow", port)
        replies: list[httpx.Response] = []

        def call() -> None:
            replies.append(httpx.post(f"http://127.0.0.1:{port}/slow", json={"s": 3.0, "pad_bytes": 4 << 20},
                                      timeout=30))

        workers = [threading.Thread(target=call) for _ in range(3)]
        for worker in workers:
            worker.start()
        wait_for(lambda: httpx.get(f"http://127.0.0.1:{port}/healthz").json()["in_flight"] == 3, timeout_s=10,
                 message="the requests to be in flight")
        proc.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.join(30)
        assert [r.status_code for r in replies] == [200, 200, 200]
        assert all(len(r.json()["pad"]) == 4 << 20 for r in replies)
        grace = _objects(pods.manifests, "Deployment")["slow"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        assert proc.wait(grace) == 0


def test_pods_front_prestop_tells_clients_to_reconnect_then_sigterm_stops_it(pods):
    with contextlib.ExitStack() as stack:
        front = _start_front(stack, pods.manifests, pods.ports, pods.tmp, "drained")
        with httpx.Client(base_url=front.url, timeout=10) as client:
            before = client.post("/shout", json={"text": "a"})
            assert before.status_code == 200 and before.headers.get("connection") != "close"
            # The hook as rendered, without its pauses (they wait for the cluster's endpoints).
            stub = "import time; time.sleep = lambda s: None\n" + front.prestop[-1]
            hook = subprocess.run([sys.executable, *front.prestop[1:-1], stub], capture_output=True,
                                  text=True, timeout=30)
            assert hook.returncode == 0, hook.stderr
            during = client.post("/shout", json={"text": "b"})
            assert during.json() == {"text": "B"}
            assert during.headers["connection"] == "close"  # go to another front pod from now on
        front.proc.send_signal(signal.SIGTERM)
        assert front.proc.wait(10) == 0


def test_pods_chatbot_job_prepares_an_empty_database(tmp_path):
    # The committed Job's steps, in order, with the Secret's DATABASE_URL (here a SQLite file).
    [job] = yaml.safe_load_all((ROOT / "deploy" / "kubernetes" / "10-jobs.yaml").read_text())
    pod = job["spec"]["template"]["spec"]
    steps = pod.get("initContainers", []) + pod["containers"]
    database = tmp_path / "chatbot.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    for step in steps:
        assert step["command"][0] == "chatbot"
        result = subprocess.run([sys.executable, "-m", "chatbot", *step["command"][1:]], capture_output=True,
                                text=True, cwd=tmp_path, env=env, timeout=300)
        assert result.returncode == 0, f"{step['name']}: {result.stderr[-2000:]}"
    import sqlite3

    with contextlib.closing(sqlite3.connect(database)) as db:
        assert db.execute("SELECT COUNT(*) FROM movies").fetchone()[0] > 10_000
