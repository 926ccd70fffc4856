"""One definition of "starting" and "not ready" (puma.states): `/_puma/status`, `/_puma/ready`, the
`puma status` header and `puma run`'s serving line agree. Starting ends when the deployment has
started; a service that stops serving after that is not ready (never "starting" again), and the
serving line names a service whose readiness check has not passed yet."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

import puma
from puma.states import headline, serving_lines, states
from tests.apps.ledger import create
from tests.helpers import interrupt_and_finish, wait_for

ROOT = Path(__file__).resolve().parents[1]


def _instance(id_: int, state: str, not_ready: str | None = None) -> SimpleNamespace:
    return SimpleNamespace(id=id_, state=state, not_ready=not_ready)


def _pool(*instances: SimpleNamespace, low: int = 1, visibility: str = "public", failed: str | None = None) -> Any:
    return SimpleNamespace(lock=threading.Lock(), instances={i.id: i for i in instances}, failed=failed,
                           service=SimpleNamespace(instances=SimpleNamespace(min=low), visibility=visibility))


def _deployment(started_at: float | None, **pools: Any) -> Any:
    return SimpleNamespace(started_at=started_at, pools=pools, url="http://127.0.0.1:1")


def test_states_a_service_with_no_instance_is_starting_only_while_the_deployment_starts() -> None:
    pools = {"agent": _pool(_instance(1, "starting")), "web": _pool(_instance(1, "ready"))}
    assert states(_deployment(None, **pools), {"web": 1, "agent": 0}) == (["agent"], {})
    # The same service after start-up (its instance died, a replacement starts): not ready, never starting.
    waiting, not_ready = states(_deployment(1.0, **pools), {"web": 1, "agent": 0})
    assert waiting == [] and "1 starting" in not_ready["agent"]


def test_states_an_instance_failing_its_readiness_check_is_not_ready_even_during_start_up() -> None:
    pools = {"legacy": _pool(_instance(2, "ready", "the legacy socket server is unreachable")),
             "agent": _pool(_instance(1, "starting"))}
    for started_at in (None, 5.0):
        waiting, not_ready = states(_deployment(started_at, **pools), {"legacy": 0, "agent": 0})
        assert not_ready["legacy"] == "instance 2: the legacy socket server is unreachable"
        assert waiting == ([] if started_at else ["agent"])


def test_states_leave_out_ready_and_unneeded_services_but_not_failed_ones() -> None:
    pools = {"ok": _pool(_instance(1, "ready")), "broken": _pool(failed="its zygote kept dying"),
             "spare": _pool(low=0, visibility="internal"), "public0": _pool(low=0)}
    waiting, not_ready = states(_deployment(9.0, **pools), {"ok": 1})
    assert waiting == [] and sorted(not_ready) == ["broken", "public0"] and "scaled to 0" in not_ready["public0"]
    assert "failed" in not_ready["broken"] and "kept dying" in not_ready["broken"]


@pytest.mark.parametrize(("status", "expected"), [
    ({"waiting_for": [], "not_ready": {}}, None),
    ({"waiting_for": ["agent"], "not_ready": {}}, r"^starting: waiting for agent \("),
    ({"waiting_for": [], "not_ready": {"legacy": "x"}}, r"^serving; not ready: legacy \("),
    ({"waiting_for": ["agent"], "not_ready": {"legacy": "x"}}, r"^starting: waiting for agent .*; not ready: legacy"),
    ({"waiting_for": ["agent"], "not_ready": {}, "stopping": True}, r"^stopping: "),
])
def test_headline_says_starting_only_for_what_starts(status: dict[str, Any], expected: str | None) -> None:
    line = headline(status)
    assert (line is None) if expected is None else (line is not None and re.search(expected, line)), line


def test_serving_lines_count_a_service_failing_its_readiness_check_as_not_ready() -> None:
    pools = {"web": _pool(_instance(1, "ready")), "legacy": _pool(_instance(1, "ready", "still loading"))}
    lines = serving_lines(_deployment(1.0, **pools), 12.34, 15.02)
    assert lines[0] == "PUMA answers at http://127.0.0.1:1 (1 of 2 services ready in 15.0 s; Ctrl-C to stop)"
    assert lines[1].startswith("not ready yet: legacy;") and lines[2] == "  legacy: instance 1: still loading", lines
    pools["legacy"].instances[1].not_ready = None
    assert serving_lines(_deployment(1.0, **pools), 3.0) == [
        "PUMA is serving at http://127.0.0.1:1 (2 services ready after 3.0 s starting them; Ctrl-C to stop)"]


# ------------------------------------------------------------------ real processes

APP = """\
import puma
puma.puma_config({"puma_services": {
    "echo": "/echo",
    "ledger": {"prefix": "/ledger", "readiness": {"check": "tests.apps.ledger:ping", "period_s": 0.3}}}})
puma.puma_service({"echo": "tests.apps.basic:echo", "ledger": "tests.apps.ledger:ledger"})
if __name__ == "__main__":
    puma.puma_start()
"""


def _puma(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "puma.cli", *args], capture_output=True, text=True, timeout=60,
                          cwd=ROOT)


def test_puma_run_names_the_service_still_not_ready_then_says_when_every_one_is(tmp_path: Path) -> None:
    """The store is missing at start: the serving line says 1 of 2 and names the ledger; status, ready
    and the CLI header all say "serving, ledger not ready"; once the store exists, a line says so."""
    db = tmp_path / "ledger.sqlite3"
    script = tmp_path / "ledger_app.py"
    script.write_text(APP)
    out = tmp_path / "run.log"
    env = {**os.environ, "LEDGER_DB": str(db), "PYTHONPATH": str(ROOT)}
    with open(out, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "puma.cli", "run", str(script), "--port", "0"], cwd=ROOT,
                                env=env, stdout=log, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        serving = wait_for(lambda: re.search(r"PUMA answers at (\S+) \((.*)\)\n(.*)\n((?:  .*\n)+)", out.read_text()),
                           timeout_s=90, message="puma run serving")
        url = serving.group(1)
        assert serving.group(2).startswith("1 of 2 services ready "), serving.group(0)
        assert serving.group(3).startswith("not ready yet: ledger;"), serving.group(0)
        reason = " ".join(serving.group(4).split())  # wrapped at 100 columns (puma.lines)
        assert reason.startswith("ledger: instance 1: ") and "unable to open database file" in reason, reason
        ready = httpx.get(f"{url}/_puma/ready", timeout=5).json()
        status = httpx.get(f"{url}/_puma/status", timeout=5).json()
        assert ready["waiting_for"] == status["waiting_for"] == [], (ready, status)
        assert list(ready["not_ready"]) == list(status["not_ready"]) == ["ledger"], (ready, status)
        table = _puma("status", "--url", url)
        header = table.stdout.splitlines()[1]
        assert header.startswith("serving; not ready: ledger"), table.stdout
        assert "starting" not in table.stdout.split("\n\n")[0], table.stdout
        # The status page's instance words come from the same readiness: never "1: ready" beside "not ready".
        dashboard = httpx.get(f"{url}/_puma/dashboard", timeout=5).text
        ledger = dashboard[dashboard.index('id="service-ledger"'):]
        assert "1: up, not ready: " in ledger and "1: ready" not in ledger, ledger[:1500]
        create(str(db))
        wait_for(lambda: f"PUMA is serving at {url} (every service is ready now" in out.read_text(), timeout_s=30,
                 message="the line saying every service is ready")
        assert httpx.get(f"{url}/_puma/ready", timeout=5).json()["ready"] is True
        assert headline(httpx.get(f"{url}/_puma/status", timeout=5).json()) is None
        # The store goes away again after start-up: not ready, never "starting" again.
        db.rename(tmp_path / "away.sqlite3")
        body = wait_for(lambda: (b := httpx.get(f"{url}/_puma/status", timeout=5).json())["not_ready"] and b,
                        timeout_s=30, message="the ledger not ready again")
        assert body["waiting_for"] == [] and "ledger" in body["not_ready"], body
        assert _puma("status", "--url", url).stdout.splitlines()[1].startswith("serving; not ready: ledger")
    finally:
        interrupt_and_finish(proc, log=out)


def test_a_deployment_that_starts_says_starting_in_status_ready_and_the_header(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = tmp_path / "gate"
    monkeypatch.setenv("PUMA_TEST_GATE", str(gate))
    app = puma.App()
    app.configure({"puma_services": {"echo": "/echo", "gated": {"prefix": "/gated",
                                                                 "warmup": "tests.apps.basic:wait_for_gate"}}})
    app.add_services({"echo": "tests.apps.basic:echo", "gated": "tests.apps.basic:echo"})
    deployment = puma.Deployment(app.resolved_config(listener={"port": 0}))
    starting = threading.Thread(target=deployment.start, daemon=True)
    starting.start()
    try:
        wait_for(lambda: deployment.envoy.port, timeout_s=30, message="Envoy's listener")
        status = wait_for(lambda: (s := httpx.get(f"{deployment.url}/_puma/status", timeout=5).json())
                          ["services"]["echo"]["ready"] == 1 and s, timeout_s=30, message="echo ready")
        ready = httpx.get(f"{deployment.url}/_puma/ready", timeout=5).json()
        assert status["waiting_for"] == ready["waiting_for"] == ["gated"] and status["started_at"] is None
        assert status["not_ready"] == ready["not_ready"] == {}
        assert (headline(status) or "").startswith("starting: waiting for gated")
        gate.touch()
        starting.join(timeout=60)
        status = httpx.get(f"{deployment.url}/_puma/status", timeout=5).json()
        assert status["waiting_for"] == [] and status["started_at"] and headline(status) is None, status
    finally:
        gate.touch()
        starting.join(timeout=60)
        deployment.stop()


def test_refusals_of_a_not_ready_service_are_counted_apart_from_its_server_errors(tmp_path: Path) -> None:
    """The store goes away: the client's retries get 503 "not ready" naming it; the counts say so
    (refused while not ready), not as server errors — in the JSON, `puma status` and the metrics."""
    from puma.running import format_status

    db = tmp_path / "ledger.sqlite3"
    create(str(db))
    old = os.environ.get("LEDGER_DB")
    os.environ["LEDGER_DB"] = str(db)
    app = puma.App()
    app.configure({"puma_services": {"ledger": {"prefix": "/ledger", "readiness": {
        "check": "tests.apps.ledger:ping", "period_s": 0.3}}}})
    app.add_services({"ledger": "tests.apps.ledger:ledger"})
    try:
        with app.start(listener={"port": 0}) as mesh:
            assert httpx.post(f"{mesh.url}/ledger", json={"key": "a", "amount": 1}, timeout=10).status_code == 200
            db.rename(tmp_path / "away.sqlite3")
            # Once it is known not ready (a request that met the store going away may be the handler's own 5xx):
            wait_for(lambda: "ledger" in mesh.status()["not_ready"], timeout_s=20, message="the ledger not ready")
            before = mesh.status()["services"]["ledger"]
            retries = [httpx.post(f"{mesh.url}/ledger", json={"key": "a"}, timeout=10) for _ in range(5)]
            assert {r.status_code for r in retries} == {503} and all("not ready" in r.json()["error"] for r in retries)
            ledger = wait_for(lambda: (s := mesh.status()["services"]["ledger"])["requests_total"]
                              >= before["requests_total"] + 5 and s, timeout_s=10, message="the retries counted")
            assert ledger["refused_not_ready"] - before["refused_not_ready"] == 5, (before, ledger)
            assert ledger["errors_5xx"] == before["errors_5xx"], (before, ledger)
            assert re.search(r"answered 503 while not ready .*: ledger \d+", format_status(mesh.status()))
            metrics = httpx.get(f"{mesh.url}/_puma/metrics", timeout=5).text
            assert re.search(r'puma_errors_total\{class="not_ready",service="ledger"\} [1-9]', metrics) or \
                re.search(r'puma_errors_total\{service="ledger",class="not_ready"\} [1-9]', metrics), metrics
            assert re.search(r'puma_errors_total\{(service="ledger",class="server"|class="server",service="ledger")\} 0\.0',
                             metrics), metrics
    finally:
        os.environ.pop("LEDGER_DB", None) if old is None else os.environ.__setitem__("LEDGER_DB", old)
