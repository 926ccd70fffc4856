"""Core on one host, workers on two others (network namespaces this test creates and removes)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from puma.bench import netns
from tests.helpers import wait_for

ROOT = Path(__file__).parents[1]
SECRET = "multihost-test-secret"
why_not = netns.available()
pytestmark = pytest.mark.skipif(why_not is not None, reason=why_not or "")


def _spawn(ns: str, argv: list[str], log: Path, **env: str) -> subprocess.Popen:
    full_env = {**os.environ, "PUMA_SECRET": SECRET, **env}
    with open(log, "w") as out:
        return subprocess.Popen(netns.in_ns(ns, argv), stdout=out, stderr=subprocess.STDOUT, env=full_env,
                                cwd=ROOT, start_new_session=True)


def _status(ns: str, url: str) -> dict:
    """The 'where' service's status, read from inside the core's namespace."""
    code = ("import json,urllib.request;"
            "print(json.dumps(json.load(urllib.request.urlopen(%r,timeout=2))['services']['where']))")
    out = subprocess.run(netns.in_ns(ns, [sys.executable, "-c", code % (url + "/_puma/status")]),
                         capture_output=True, text=True, timeout=20)
    return json.loads(out.stdout or "{}")


def _remote_instances(ns: str, url: str) -> dict[str, int]:
    workers = [i["worker"] for i in _status(ns, url).get("instances", []) if i["state"] == "ready"]
    return {w: workers.count(w) for w in set(workers)}


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_multihost_spreads_across_workers_and_survives_losing_one(tmp_path):
    py = sys.executable
    with netns.hosts(["core", "w1", "w2"]) as hosts:
        (core_ns, core_ip), (w1_ns, w1_ip), (w2_ns, w2_ip) = hosts["core"], hosts["w1"], hosts["w2"]
        url = f"http://{core_ip}:8080"
        procs = []
        try:
            core = _spawn(core_ns, [py, "-m", "puma.cli", "run", "tests/apps/multihost_app.py", "--host", core_ip,
                                    "--port", "8080"], tmp_path / "core.log")
            procs.append(core)
            wait_for(lambda: re.search(r"(serving|answers) at", (tmp_path / "core.log").read_text()), timeout_s=60, message="core up")
            for name, ns, ip in (("w1", w1_ns, w1_ip), ("w2", w2_ns, w2_ip)):
                procs.append(_spawn(ns, [py, "-m", "puma.cli", "worker", "--join", url, "--service", "where",
                                         "--instances", "2", "--host", ip], tmp_path / f"{name}.log", PUMA_NODE=name))
            w1 = procs[1]
            wait_for(lambda: sorted(_remote_instances(core_ns, url).values()) == [2, 2], timeout_s=60,
                     message="two instances on each worker host")
            client = subprocess.Popen(netns.in_ns(core_ns, [py, "tests/apps/multihost_client.py", url, "8", "6"]),
                                      stdout=subprocess.PIPE, text=True, cwd=ROOT)
            wait_for(lambda: _status(core_ns, url)["requests_total"] > 100, timeout_s=30, interval_s=0.2,
                     message="load running")
            os.killpg(w1.pid, signal.SIGKILL)  # worker host w1 goes down mid-load
            out, _ = client.communicate(timeout=60)
            summary = json.loads(out)
            assert summary["failed"] == 0, summary
            assert summary["nodes"].get("w1", 0) > 0 and summary["nodes"].get("w2", 0) > 0, summary
            assert summary["conversations"] > 0
            wait_for(lambda: list(_remote_instances(core_ns, url).values()) == [2], timeout_s=20,
                     message="w1's instances removed")
        finally:
            for proc in reversed(procs):
                _stop(proc)


def _wishes(catalog, count: int) -> list[list[str]]:
    """(genre, actor, rating) wishes that some well-known film meets."""
    wishes: dict[str, list[str]] = {}
    for film in sorted((m for m in catalog if m.mpaa and m.cast and m.genres), key=lambda m: -m.votes):
        wishes.setdefault(film.cast[0], [film.genres[0], film.cast[0], film.mpaa])
        if len(wishes) == count:
            break
    return list(wishes.values())


def _agents(ns: str, url: str) -> dict[str, int]:
    """Requests served so far by each worker host's agent instances."""
    status = _status_of(ns, url, "agent")
    served: dict[str, int] = {}
    for i in status.get("instances", []):
        if i["worker"] and i["state"] == "ready":
            served[i["worker"]] = served.get(i["worker"], 0) + i["requests"]
    return served


def _status_of(ns: str, url: str, service: str) -> dict:
    code = ("import json,urllib.request;"
            f"print(json.dumps(json.load(urllib.request.urlopen({url + '/_puma/status'!r},timeout=2))['services'][{service!r}]))")
    out = subprocess.run(netns.in_ns(ns, [sys.executable, "-c", code]), capture_output=True, text=True, timeout=20)
    return json.loads(out.stdout or "{}")


def test_multihost_chatbot_conversations_survive_losing_a_worker_host(tmp_path, chatbot_db_url, catalog):
    from chatbot.sessions import SqlSessionStore

    py = sys.executable
    db_env = {"DATABASE_URL": chatbot_db_url}
    with netns.hosts(["core", "w1", "w2"], subnet="10.213.78") as hosts:
        (core_ns, core_ip), (w1_ns, w1_ip), (w2_ns, w2_ip) = hosts["core"], hosts["w1"], hosts["w2"]
        url = f"http://{core_ip}:8080"
        procs = []
        try:
            procs.append(_spawn(core_ns, [py, "-m", "puma.cli", "run", "tests/apps/multihost_chatbot.py",
                                          "--host", core_ip, "--port", "8080"], tmp_path / "core.log", **db_env))
            wait_for(lambda: re.search(r"(serving|answers) at", (tmp_path / "core.log").read_text()), timeout_s=120, message="core up")
            workers = {}
            for name, ns, ip in (("w1", w1_ns, w1_ip), ("w2", w2_ns, w2_ip)):
                workers[name] = _spawn(ns, [py, "-m", "puma.cli", "worker", "--join", url, "--service", "agent",
                                            "--host", ip], tmp_path / f"{name}.log", **db_env)
                procs.append(workers[name])
            wait_for(lambda: len(_agents(core_ns, url)) == 2, timeout_s=120, interval_s=0.5,
                     message="an agent instance on each worker host")
            wishes = _wishes(catalog, 12)
            client = subprocess.Popen(netns.in_ns(core_ns, [py, "tests/apps/chat_client.py", url, json.dumps(wishes)]),
                                      stdout=subprocess.PIPE, text=True, cwd=ROOT)
            served = wait_for(lambda: (s := _agents(core_ns, url)) and len(s) == 2 and min(s.values()) >= 8 and s,
                              timeout_s=60, interval_s=0.1, message="turns served by both worker hosts")
            os.killpg(workers["w1"].pid, signal.SIGKILL)  # a worker host goes down mid-conversation
            out, _ = client.communicate(timeout=180)
        finally:
            for proc in reversed(procs):
                _stop(proc)
    results = json.loads(out)
    assert len(served) == 2 and all(n >= 8 for n in served.values()), served
    store = SqlSessionStore(chatbot_db_url)
    try:
        for result in results:
            replies = result["replies"]
            assert all("error" not in r for r in replies), replies
            assert [r["turn_no"] for r in replies] == list(range(1, 8))
            assert all(r["userid"] == result["sid"] for r in replies)
            assert replies[-1]["messages"][-1].startswith("Bye!") and result["polls"][-1]["signal"] == "end"
            history = store.transcript(result["sid"])["history"]
            assert [h["c"] for h in history] == [r["messages"] for r in replies]  # each turn exactly once
    finally:
        store.close()
