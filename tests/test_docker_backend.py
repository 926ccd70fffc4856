"""`puma run APP.py --backend docker --image IMAGE`: Envoy and every instance in a container, the
same deployment otherwise. A small app (one service calling another through the mesh, a fixed
one with limits, an autoscaled slow one) runs as containers of the app image: requests balanced
over containers, a killed container replaced, `puma scale` and the autoscaler starting and
stopping containers, the limits applied, and nothing left after Ctrl-C. Needs a Docker engine
(tests/plugins/docker_engine.py says when it skips)."""

from __future__ import annotations

import collections
import concurrent.futures
import json
import os
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

from tests.compose_stack import free_port
from tests.helpers import wait_for
from tests.plugins.docker_engine import APP_IMAGE
from tests.swarm_stack import docker

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
IMAGE = APP_IMAGE  # PUMA and its dependencies (this checkout's own tag); the app's directory is mounted

APP = """import socket, time
import puma
from puma import puma_config, puma_service, puma_start

def greet(request: puma.Request) -> dict:
    loud = puma.call("shout", {"text": "hello"})  # through the mesh: Envoy's internal listener
    return {"greeting": loud["text"], "greet": socket.gethostname(), "shout": loud["host"]}

def shout(request: puma.Request) -> dict:
    return {"text": request.data["text"].upper(), "host": socket.gethostname()}

def slow(request: puma.Request) -> dict:
    time.sleep(0.3)
    return {"host": socket.gethostname()}

def steady(request: puma.Request) -> dict:
    time.sleep(0.05)
    return {"host": socket.gethostname()}

puma_config({"puma_services": {
    "greet": {"prefix": "/greet", "instances": 2},
    "shout": {"prefix": "/shout", "resources": {"cpu": 0.25, "cpu_limit": 0.5, "memory_mib": 192}},
    "slow": {"prefix": "/slow", "instances": {"min": 1, "max": 3}, "idempotent": True,
             "autoscale": {"target_in_flight": 2, "downscale_delay_s": 3}},
    "steady": {"prefix": "/steady", "instances": 2, "idempotent": True}}})
puma_service({"greet": greet, "shout": shout, "slow": slow, "steady": steady})
if __name__ == "__main__":
    puma_start()
"""


class Run:
    def __init__(self, proc: subprocess.Popen[str], url: str, log: Path) -> None:
        self.proc, self.url, self.log = proc, url, log

    def status(self) -> dict:
        done = subprocess.run([sys.executable, "-m", "puma", "status", "--url", self.url, "--json"],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def containers(self, service: str) -> list[str]:
        return [i["container"] for i in self.status()["services"][service]["instances"] if i["state"] == "ready"]


@pytest.fixture(scope="module")
def run(docker_engine: str, docker_images: dict[str, str], tmp_path_factory) -> Iterator[Run]:
    workdir = Path(tmp_path_factory.mktemp("docker-backend"))
    (workdir / "app.py").write_text(APP)
    port = free_port()
    log = workdir / "run.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "puma", "run", "app.py", "--port", str(port),
                                 "--backend", "docker", "--image", IMAGE], cwd=workdir, stdout=out,
                                stderr=subprocess.STDOUT, text=True)
    run = Run(proc, f"http://127.0.0.1:{port}", log)
    try:
        wait_for(lambda: re.search("PUMA (is serving|answers) at", log.read_text()) or proc.poll() is not None, timeout_s=300,
                 interval_s=0.5, message="puma run --backend docker serving")
        assert proc.poll() is None, log.read_text()[-3000:]
        yield run
    finally:
        proc.send_signal(signal.SIGINT)
        code: int | None
        try:
            code = proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = None
    assert code == 130, log.read_text()[-3000:]  # Ctrl-C: 130 in every phase
    # This run's own (its `puma run`'s pid label): another test's deployment may be stopping beside it.
    mine = f"label=io.puma.supervisor-pid={proc.pid}"
    left = docker(docker_engine, "ps", "-aq", "--filter", mine).split()
    networks = docker(docker_engine, "network", "ls", "-q", "--filter", mine).split()
    assert not left and not networks, f"left after Ctrl-C: containers {left}, networks {networks}"


def test_docker_backend_balances_over_containers_and_calls_go_through_the_mesh(run) -> None:
    with httpx.Client(base_url=run.url, timeout=30) as client:
        replies = [client.post("/greet", json={}) for _ in range(8)]
    assert all(r.status_code == 200 for r in replies), [r.text for r in replies]
    assert {r.json()["greeting"] for r in replies} == {"HELLO"}
    assert set(run.containers("greet")) == {r.json()["greet"] for r in replies}  # both containers served
    assert {r.json()["shout"] for r in replies} == set(run.containers("shout"))


def test_docker_backend_applies_each_service_s_limits_to_its_containers(run, docker_engine) -> None:
    (container,) = run.containers("shout")
    limits = json.loads(docker(docker_engine, "inspect", "--format", "{{json .HostConfig}}", container))
    assert (limits["NanoCpus"], limits["Memory"]) == (500_000_000, 192 << 20)


def test_docker_backend_replaces_a_killed_container_and_keeps_serving(run, docker_engine) -> None:
    before = run.containers("greet")
    docker(docker_engine, "kill", before[0])
    wait_for(lambda: len(run.containers("greet")) == 2 and before[0] not in run.containers("greet"),
             timeout_s=120, interval_s=0.5, message="a new greet container in the killed one's place")
    with httpx.Client(base_url=run.url, timeout=30) as client:
        assert all(client.post("/greet", json={}).status_code == 200 for _ in range(4))
    assert any("died" in e["message"] for e in run.status()["events"] if e["service"] == "greet")


def test_docker_backend_a_container_killed_under_load_fails_no_idempotent_request(run, docker_engine) -> None:
    victim = run.containers("steady")[0]
    statuses: collections.Counter[int] = collections.Counter()

    def load() -> None:  # bounded: 60 requests
        with httpx.Client(base_url=run.url, timeout=30) as client:
            for _ in range(60):
                statuses[client.post("/steady", json={}).status_code] += 1

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        running = [pool.submit(load) for _ in range(4)]
        wait_for(lambda: sum(statuses.values()) >= 40, timeout_s=60, interval_s=0.05, message="load under way")
        docker(docker_engine, "kill", victim)
        for future in running:
            future.result(timeout=120)
    assert statuses == {200: 240}, statuses  # Envoy retried what the dead container dropped
    wait_for(lambda: len(run.containers("steady")) == 2 and victim not in run.containers("steady"),
             timeout_s=120, interval_s=0.5, message="a new steady container")


def test_docker_backend_scale_and_autoscaler_start_and_stop_containers(run) -> None:
    done = subprocess.run([sys.executable, "-m", "puma", "scale", "shout", "2", "--url", run.url, "--wait-s", "120"],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert len(run.containers("shout")) == 2
    statuses: collections.Counter[int] = collections.Counter()
    stop = threading.Event()

    def load() -> None:  # bounded: until stopped, at most 60 s
        with httpx.Client(base_url=run.url, timeout=30) as client:
            deadline = time.monotonic() + 60
            while not stop.is_set() and time.monotonic() < deadline:
                statuses[client.post("/slow", json={}).status_code] += 1

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for _ in range(8):
            pool.submit(load)
        try:
            wait_for(lambda: len(run.containers("slow")) == 3, timeout_s=60, interval_s=0.5,
                     message="the autoscaler starting slow's 3 containers under 8 clients")
        finally:
            stop.set()
    assert set(statuses) == {200}, statuses
    wait_for(lambda: len(run.containers("slow")) == 1, timeout_s=60, interval_s=0.5,
             message="slow back to 1 container once idle")
    assert "slow 1 -> " in run.log.read_text()  # the decision log, as with processes


ONE_SERVICE = """from puma import puma_config, puma_service, puma_start

def ping(request):
    return {"pong": True}

puma_config({"puma_services": {"ping": "/ping"}})
puma_service({"ping": ping})
if __name__ == "__main__":
    puma_start()
"""


def _start(workdir: Path, script: str = "app.py") -> tuple[subprocess.Popen[str], Path]:
    log = workdir / f"run-{time.monotonic_ns()}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "puma", "run", script, "--port", str(free_port()),
                                 "--backend", "docker", "--image", IMAGE], cwd=workdir, stdout=out,
                                stderr=subprocess.STDOUT, text=True)
    wait_for(lambda: re.search("PUMA (is serving|answers) at", log.read_text()) or proc.poll() is not None, timeout_s=300,
             interval_s=0.5, message="puma run --backend docker serving")
    assert proc.poll() is None, log.read_text()[-3000:]
    return proc, log


def test_docker_backend_removes_containers_a_killed_run_left_at_the_next_start(docker_engine, docker_images,
                                                                               tmp_path) -> None:
    (tmp_path / "app.py").write_text(ONE_SERVICE)
    killed, _ = _start(tmp_path)
    mine = docker(docker_engine, "ps", "-q", "--filter", f"label=io.puma.supervisor-pid={killed.pid}").split()
    assert len(mine) == 2  # Envoy and the instance
    killed.kill()  # kill -9: no stop runs
    killed.wait()
    # Envoy's `docker run` dies with its supervisor (its death signal, passed on to the container),
    # so some of the killed run's containers may go by themselves: wait until what is left is
    # left for good; the next start removes that, and says so.
    def left() -> list[str]:
        return docker(docker_engine, "ps", "-aq", "--filter", f"label=io.puma.supervisor-pid={killed.pid}").split()

    settled: list[list[str]] = [left()]

    def unchanged() -> bool:
        settled.append(left())
        return settled[-1] == settled[-2]

    wait_for(unchanged, timeout_s=30, interval_s=2.0, message="the killed run's containers to settle")
    proc, log = _start(tmp_path)
    try:
        # Nothing of the killed run is left once the next start serves. Which of them removed what
        # is a race (a container whose `docker run` died may still go by itself after the listings
        # settled: seen in a clean-clone run), so the start's log line is not required.
        assert not left(), log.read_text()[-3000:]
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=120) == 130, log.read_text()[-3000:]


def test_docker_backend_an_image_without_the_app_s_dependencies_fails_the_start_at_once(docker_images,
                                                                                        tmp_path) -> None:
    # playwright is in this checkout's venv (tests) but not in the app image.
    (tmp_path / "app.py").write_text(ONE_SERVICE.replace("from puma import", "import playwright\nfrom puma import"))
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "puma", "run", "app.py", "--port", "0", "--backend", "docker",
                           "--image", IMAGE], cwd=tmp_path, capture_output=True, text=True, timeout=240)
    assert done.returncode == 1, done.stderr
    assert f"does the image '{IMAGE}' hold the app's dependencies?" in done.stderr
    assert "No module named 'playwright'" in done.stderr  # the container's own words, from the log
    assert time.monotonic() - started < 60  # not the start-up timeout: the first exit says it all


def test_docker_backend_refuses_an_image_whose_puma_differs_from_this_one(docker_engine, docker_images,
                                                                          tmp_path) -> None:
    (tmp_path / "app.py").write_text(ONE_SERVICE)
    tag = f"puma-test-other:{time.monotonic_ns()}"
    (tmp_path / "Dockerfile").write_text(f"FROM {IMAGE}\nUSER root\n"
                                         "RUN python -c \"import puma, pathlib; p = pathlib.Path(puma.__file__).parent / "
                                         "'errors.py'; p.write_text(p.read_text() + '# another build')\"\n")
    docker(docker_engine, "build", "-q", "-t", tag, str(tmp_path), timeout_s=300)
    try:
        done = subprocess.run([sys.executable, "-m", "puma", "run", "app.py", "--port", "0", "--backend", "docker",
                               "--image", tag], cwd=tmp_path, capture_output=True, text=True, timeout=180)
    finally:
        docker(docker_engine, "rmi", "-f", tag, check=False)
    assert done.returncode == 1
    assert f"the image '{tag}' holds another PUMA than this one" in done.stderr and "rebuild the image" in done.stderr
    assert "logs kept" not in done.stderr  # nothing ran: no empty log directory left behind


def test_docker_backend_refuses_to_pass_a_variable_that_is_not_set(tmp_path) -> None:
    (tmp_path / "app.py").write_text(ONE_SERVICE)
    env = {k: v for k, v in os.environ.items() if k != "PUMA_TEST_UNSET_SETTING"}
    done = subprocess.run([sys.executable, "-m", "puma", "run", "app.py", "--port", "0", "--backend", "docker",
                           "--image", IMAGE, "--env", "PUMA_TEST_UNSET_SETTING"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env=env)
    assert done.returncode == 1
    assert "--env PUMA_TEST_UNSET_SETTING: not set here" in done.stderr and "Traceback" not in done.stderr


SIBLINGS_APP = """from puma import puma_config, puma_service, puma_start

puma_config({"puma_services": {"words": "/words"}})
puma_service({"words": "texts:words"})  # a module beside the script, as the chatbot's are
if __name__ == "__main__":
    puma_start()
"""
SIBLINGS = {  # modules beside the app named like standard ones (the chatbot's directory has numbers.py)
    "texts.py": "import calendar, numbers\n\ndef words(request):\n"
                "    return {'upper': request.data['text'].upper(), 'number': hasattr(numbers, 'Number'),\n"
                "            'calendar': hasattr(calendar, 'monthrange')}\n",
    "numbers.py": "ROMAN = {'i': 1, 'v': 5}\n",
    "calendar.py": "HOLIDAYS = []\n",
}


def test_docker_backend_app_modules_named_like_standard_ones_shadow_nothing(docker_images, tmp_path) -> None:
    # Started from the directory above the app's: `python -m` puts its working directory first on
    # this side's path, where the app's numbers.py would shadow the standard one before PUMA runs.
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "app.py").write_text(SIBLINGS_APP)
    for name, text in SIBLINGS.items():
        (tmp_path / "shop" / name).write_text(text)
    proc, log = _start(tmp_path, "shop/app.py")
    try:
        port = next(line.split("127.0.0.1:")[1].split()[0] for line in log.read_text().splitlines()
                    if "PUMA is serving at" in line)
        reply = httpx.post(f"http://127.0.0.1:{port}/words", json={"text": "late"}, timeout=30)
        assert reply.json() == {"upper": "LATE", "number": True, "calendar": True}, reply.text
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=120) == 130, log.read_text()[-3000:]


INTERNAL_APP = """from puma import puma_config, puma_service, puma_start

puma_config({"puma_services": {
    "vault": {"prefix": "/vault", "visibility": "internal"},
    "front": {"prefix": "/front", "warmup": "parts:warm"}}})
puma_service({"vault": "parts:vault", "front": "parts:front"})
if __name__ == "__main__":
    puma_start()
"""
PARTS = """import puma

SEEDS = []

def vault(request):
    return {"seed": 42}

def warm():  # as the chatbot's agent reads the catalogue's vocabulary from its internal db service
    SEEDS.append(puma.call("vault", {})["seed"])

def front(request):
    return {"seeds": SEEDS}
"""


def test_docker_backend_a_warm_up_calling_an_internal_service_gets_its_answer(docker_images, tmp_path) -> None:
    # The warm-up waits until the deployment routes to the internal service: the readiness it asks
    # from its container must name internal services, as it does to a forked instance.
    (tmp_path / "app.py").write_text(INTERNAL_APP)
    (tmp_path / "parts.py").write_text(PARTS)
    started = time.monotonic()
    proc, log = _start(tmp_path)
    try:
        assert time.monotonic() - started < 120, log.read_text()[-3000:]
        port = next(line.split("127.0.0.1:")[1].split()[0] for line in log.read_text().splitlines()
                    if "PUMA is serving at" in line)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            assert client.post("/front", json={}).json() == {"seeds": [42]}
            assert client.post("/vault", json={}).status_code == 404  # still internal to the public
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=120) == 130, log.read_text()[-3000:]
