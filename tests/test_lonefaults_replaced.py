"""An instance answering 500 to every request while its peers serve theirs is taken out of Envoy
and replaced, said in the log and `puma status`'s events; when every instance fails alike nothing
is replaced; past `MAX_REPLACED` in a minute it is said once and kept. Before, such an instance
passed every health check and kept failing a share of the requests for as long as it ran."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

import puma
from puma import lonefaults
from puma.busy import Errors
from puma.lonefaults import FAULTY_AFTER, MAX_REPLACED, LoneFaultWatch, lone_failures, slow_alone
from tests.apps import flagged
from tests.helpers import process_alive, wait_for


def _run(count: int, since: float = 10.0) -> Errors:
    return Errors(count=count, since=since, last=since + 2, what="RuntimeError: boom")


def test_lonefaults_an_instance_failing_alone_is_found_with_its_peers_named():
    found = lone_failures([(1, _run(FAULTY_AFTER), 5.0), (2, Errors(), 11.0), (3, Errors(), 12.0)], now=13.0)
    assert found == [(1, f"instance 1 answered 500 to its last {FAULTY_AFTER} requests over 2 s "
                         "(RuntimeError: boom) while instances 2, 3 served theirs")]


@pytest.mark.parametrize("runs", [
    [(1, _run(FAULTY_AFTER), 5.0), (2, _run(FAULTY_AFTER), 5.0)],  # every instance fails: the code's bug
    [(1, _run(FAULTY_AFTER), 5.0), (2, Errors(), 9.0)],  # its peer served nothing since the run began
    [(1, _run(FAULTY_AFTER - 1), 5.0), (2, Errors(), 11.0)],  # not yet enough in a row
    [(1, _run(FAULTY_AFTER), 5.0)],  # no peer at all
    # its peer served, but raised the same meanwhile: requests of some kind fail on every instance
    [(1, _run(FAULTY_AFTER), 5.0), (2, Errors(last=11.0, what="RuntimeError: boom 2"), 12.0)],
])
def test_lonefaults_no_peer_serving_meanwhile_replaces_nothing(runs):
    assert lone_failures(runs, now=13.0) == []


def test_lonefaults_an_instance_answering_nothing_in_time_while_a_peer_serves_is_found():
    # (id, running, oldest held s, last served at, oldest request); now 100, timeout_s 3
    found = slow_alone([(1, 2, 6.0, 90.0, "GET /work"), (2, 0, 0.0, 99.0, ""), (3, 1, 0.5, 98.0, "")], 3, 100.0)
    assert found == [(1, "instance 1 answered none of its requests within timeout_s (3 s) for 6 s "
                         "(2 running, the oldest GET /work) while instances 2, 3 served theirs")]


@pytest.mark.parametrize("runs", [
    [(1, 2, 6.0, 90.0, "GET /w"), (2, 2, 6.0, 90.0, "GET /w")],  # slow everywhere: a dependency, not one instance
    [(1, 2, 6.0, 95.0, "GET /w"), (2, 0, 0.0, 99.0, "")],  # it served one since its oldest began: slow, not stuck
    [(1, 2, 3.5, 90.0, "GET /w"), (2, 0, 0.0, 99.0, "")],  # within timeout_s and its grace
])
def test_lonefaults_slow_without_a_peer_serving_or_within_its_timeout_replaces_nothing(runs):
    assert slow_alone(runs, 3, 100.0) == []


def test_lonefaults_past_the_budget_it_is_said_once_and_kept(tmp_path: Path):
    replaced: list[int] = []

    def replace_faulty(instance: SimpleNamespace, _why: str) -> bool:
        replaced.append(instance.id)
        return True

    pool = SimpleNamespace(busy_dir=tmp_path, ready=lambda: [], replace_faulty=replace_faulty)
    d = SimpleNamespace(pools={"work": pool}, stopping=False, events=[])
    d.record = lambda service, message, **data: d.events.append((service, message, data["kind"]))
    watch = LoneFaultWatch(d)
    for n in range(MAX_REPLACED + 3):
        watch._replace("work", pool, SimpleNamespace(id=n), "instance 1 answered 500 ...", now=100.0 + n)
    assert replaced == list(range(MAX_REPLACED))
    (said,) = d.events
    assert said[2] == "faulty_kept" and "not replaced" in said[1] and "log" in said[1]
    watch._replace("work", pool, SimpleNamespace(id=99), "again", now=100.0 + lonefaults.WINDOW_S + 10)
    assert replaced[-1] == 99  # a minute later the budget is back


def _deploy(monkeypatch: pytest.MonkeyPatch, flags: Path, instances: int = 3, timeout_s: float = 5) -> puma.Deployment:
    monkeypatch.setenv("PUMA_TEST_FLAGS", str(flags))
    app = puma.App()
    app.configure({"puma_services": {"work": {"prefix": "/work", "instances": instances, "timeout_s": timeout_s}}})
    app.add_services({"work": flagged.work})
    return app.start(listener={"port": 0})


def _events(mesh: puma.Deployment, kind: str) -> list[dict]:
    return [e for e in mesh.status()["events"] if e.get("kind") == kind]


def test_lonefaults_an_instance_failing_every_request_is_replaced_and_said(tmp_path, monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="puma.instances")
    with _deploy(monkeypatch, tmp_path) as mesh, httpx.Client(base_url=mesh.url, timeout=10) as http:
        bad = mesh.instances("work")[0]
        (tmp_path / f"bad-{bad.pid}").touch()

        def said() -> list[dict]:
            http.post("/work", json={})
            return _events(mesh, "faulty")

        (event,) = wait_for(said, timeout_s=30, message="the faulty instance said")
        assert event["message"].startswith(f"instance {bad.id} answered 500 to its last ")
        assert "RuntimeError: a bug only this instance hits" in event["message"]
        assert "served theirs: out of Envoy, replaced" in event["message"]
        wait_for(lambda: not process_alive(bad.pid), timeout_s=20, message="the faulty instance gone")
        wait_for(lambda: len([i for i in mesh.instances("work") if i.state == "ready"]) == 3, timeout_s=20,
                 message="three instances ready again")
        assert [e for e in _events(mesh, "replaced") if e.get("dead") == bad.id]
        replies = [http.post("/work", json={}).status_code for _ in range(12)]
        assert replies == [200] * 12
        assert any("answered 500 to its last" in r.getMessage() for r in caplog.records)


def test_lonefaults_an_instance_answering_nothing_in_time_is_replaced_while_the_others_serve(tmp_path, monkeypatch):
    with _deploy(monkeypatch, tmp_path, timeout_s=2) as mesh, httpx.Client(base_url=mesh.url, timeout=10) as http:
        slow = mesh.instances("work")[0]
        (tmp_path / f"slow-{slow.pid}").write_text("20")
        timed_out: list[dict] = []

        def said() -> list[dict]:
            reply = http.post("/work", json={})
            if reply.status_code == 504:
                timed_out.append(reply.json())
            return [e for e in _events(mesh, "faulty") if "answered none of its requests" in e["message"]]

        (event,) = wait_for(said, timeout_s=40, message="the slow instance said")
        assert event["message"].startswith(f"instance {slow.id} answered none of its requests within timeout_s (2 s)")
        assert timed_out and timed_out[0]["service"] == "work" and "timeout_s (2 s)" in timed_out[0]["error"]
        wait_for(lambda: len([i for i in mesh.instances("work") if i.state == "ready"]) == 3
                 and slow.pid not in {i.pid for i in mesh.instances("work")}, timeout_s=20,
                 message="three instances ready, the slow one not among them")
        assert [http.post("/work", json={}, timeout=3).status_code for _ in range(9)] == [200] * 9
