"""What PUMA says about faults is what happened: a zygote's exit status (its signal, or that it is
unknown), a callee's failure said once by its caller, a stuck instance's real replacement bound."""

from __future__ import annotations

import os
import signal
from types import SimpleNamespace

import httpx

import puma
from puma.forkserver import exit_text
from tests.apps import basic
from tests.helpers import wait_for


def test_fault_wording_a_zygote_killed_by_a_signal_is_named_by_it():
    zygote = SimpleNamespace(status_lost=False)
    assert exit_text(zygote, -9) == "code -9 (SIGKILL)"
    assert exit_text(zygote, -15) == "code -15 (SIGTERM)"
    assert exit_text(zygote, 1) == "code 1"
    assert exit_text(object(), -6) == "code -6 (SIGABRT)"  # a Popen (no status_lost)


def test_fault_wording_an_exit_whose_status_is_lost_says_so_not_code_minus_one():
    text = exit_text(SimpleNamespace(status_lost=True), -1)
    assert "-1" not in text and "unknown" in text and "fork server" in text


def test_fault_wording_an_exit_not_yet_reported_is_code_unknown_and_says_why():
    stopped = SimpleNamespace(status_lost=False, server=SimpleNamespace(stopped=lambda: True, proc=SimpleNamespace(pid=4242)))
    text = exit_text(stopped, None)
    assert "None" not in text and text.startswith("code unknown: its parent, the fork server, pid 4242, is stopped")
    assert "kill -CONT 4242" in text and "(" not in text  # said inside "zygote died (...)": no nesting
    running = SimpleNamespace(status_lost=False, server=SimpleNamespace(stopped=lambda: False, proc=SimpleNamespace(pid=1)))
    for zygote in (running, object()):
        assert exit_text(zygote, None) == "code unknown: its parent had not reported its exit status yet"


def test_fault_wording_a_zygote_killed_after_the_fork_server_died_is_not_reported_as_code_minus_one(caplog):
    app = puma.App()
    app.configure({"puma_services": {"echo": {"prefix": "/echo"}}})
    app.add_services({"echo": basic.echo})
    with app.start(listener={"port": 0}) as mesh, httpx.Client(base_url=mesh.url, timeout=10) as http:
        assert mesh.fork_server is not None
        pool = mesh.pools["echo"]
        old = pool.zygote
        assert old is not None and old.pid is not None
        os.kill(mesh.fork_server.proc.pid, signal.SIGKILL)
        wait_for(lambda: getattr(old, "status_lost", False), timeout_s=10, message="the fork server's loss seen")
        os.kill(old.pid, signal.SIGKILL)
        wait_for(lambda: pool.zygote is not old and len(pool.ready()) == 1, timeout_s=20, message="zygote restarted")
        assert http.post("/echo", json={}).status_code == 200
        said = [r.getMessage() for r in caplog.records if "its zygote" in r.getMessage()]
        assert said and all("code -1" not in m for m in said) and "unknown status" in said[-1], said
        events = [e["message"] for e in mesh.status()["events"] if e.get("kind") == "zygote_restarted"]
        assert events and "code -1" not in events[-1], events


def test_fault_wording_a_crashed_callee_s_advice_is_said_once_by_its_caller():
    app = puma.App()
    app.configure({"puma_services": {"relay": {"prefix": "/relay"}, "die": {"prefix": "/die", "instances": 2}}})
    app.add_services({"relay": basic.forward, "die": basic.die})
    with app.start(listener={"port": 0}) as mesh, httpx.Client(base_url=mesh.url, timeout=20) as http:
        reply = http.post("/relay", json={"to": "die", "payload": {}})
        assert reply.status_code == 503, reply.text
        body = reply.json()
        assert body["may_have_taken_effect"] is True and "'die', which 'relay' calls" in body["error"]
        assert body["error"].count("may have taken effect") == 1, body["error"]
        assert body["error"].count("retry only if it is safe to repeat") == 1, body["error"]
