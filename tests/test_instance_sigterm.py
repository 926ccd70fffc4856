"""SIGTERM to one instance from outside PUMA (systemd, a container runtime, an operator) drains it as
a scale-down does (newcomer 43, C3): the supervisor starts a replacement, takes the instance out of
Envoy, then stops it; requests in flight finish and no request is lost or left half done, under a
bounded load on a service that is not idempotent. Real Envoy, free ports."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import puma
from tests.apps import faults
from tests.helpers import wait_for

LOAD_S = 6.0
MAX_REQUESTS = 400


@pytest.fixture(params=[1, 2], ids=["one-instance", "two-instances"])
def mesh(request: pytest.FixtureRequest) -> Iterator[puma.Deployment]:
    app = puma.App()
    app.configure({"puma_services": {"charge": {"prefix": "/charge", "instances": request.param, "timeout_s": 10}}})
    app.add_services({"charge": faults.charge})
    with app.start(listener={"port": 0}) as deployment:
        yield deployment


def _load(url: str, ledger: Path, results: list[int], stop: threading.Event, worker: int) -> None:
    with httpx.Client(timeout=15) as http:
        n = 0
        while not stop.is_set() and len(results) < MAX_REQUESTS:
            n += 1
            reply = http.post(url + "/charge", json={"ledger": str(ledger), "tag": f"{worker}-{n}", "seconds": 0.2})
            results.append(reply.status_code)


def _pids(mesh: puma.Deployment) -> set[int]:
    return {i["pid"] for i in mesh.status()["services"]["charge"]["instances"] if i["state"] == "ready"}


@pytest.mark.parametrize("victims", ["one", "all"])
def test_sigterm_to_instances_under_load_loses_nothing_and_replaces_them(mesh: puma.Deployment, tmp_path: Path,
                                                                         victims: str) -> None:
    ledger, stop = tmp_path / "ledger", threading.Event()
    results: list[int] = []
    wanted = len(_pids(mesh))
    threads = [threading.Thread(target=_load, args=(mesh.url, ledger, results, stop, w)) for w in range(4)]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: len(results) >= 8, timeout_s=20, message="the load under way")
        before = _pids(mesh)
        for pid in sorted(before)[: 1 if victims == "one" else None]:
            os.kill(pid, signal.SIGTERM)
        gone = wait_for(lambda: (now := _pids(mesh)) and len(now) == wanted and not (before & now) or (
            victims == "one" and len(now) == wanted and len(before - now) == 1), timeout_s=30,
            message="the instances sent SIGTERM replaced")
        assert gone
        deadline = time.monotonic() + LOAD_S
        while time.monotonic() < deadline and len(results) < MAX_REQUESTS:
            time.sleep(0.1)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert results and all(code == 200 for code in results), {c: results.count(c) for c in set(results)}
    lines = ledger.read_text().split("\n")
    started = {line.split()[1] for line in lines if line.startswith("start ")}
    done = {line.split()[1] for line in lines if line.startswith("done ")}
    assert started == done and len(started) == len(results)  # every handler that began finished, once
    kinds = [e["kind"] for e in mesh.status()["events"] if e.get("service") == "charge"]
    assert "leaving" in kinds and "died" not in kinds  # a replacement, not a crash
