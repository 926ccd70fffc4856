"""`/_puma/ready` tells the truth: a service it waits for that has no instance able to serve (failed
past its restart budget, or every instance stopped) makes it 503 naming that service and why; and a
public client told about a failed internal service never gets a command with its name blanked out."""

from __future__ import annotations

import os
import signal
import threading
from types import SimpleNamespace
from typing import Any

import httpx

import puma
from puma.states import states
from puma.visibility import redact
from tests.apps import basic
from tests.helpers import wait_for


def _start(services: dict, functions: dict, **config: Any) -> puma.Deployment:
    app = puma.App()
    app.configure({"puma_services": services, **config})
    app.add_services(functions)
    return app.start(listener={"port": 0})


def _pool(failed: str | None, *states_: str, low: int = 2, visibility: str = "internal") -> Any:
    instances = {n: SimpleNamespace(id=n, state=s, not_ready=None, address="127.0.0.1:1")
                 for n, s in enumerate(states_, 1)}
    return SimpleNamespace(lock=threading.Lock(), instances=instances, failed=failed,
                           service=SimpleNamespace(instances=SimpleNamespace(min=low), visibility=visibility,
                                                   readiness=None))


def test_states_a_failed_service_it_waits_for_is_not_ready_with_why() -> None:
    for name, low, visibility in (("policy", 2, "internal"), ("shop", 0, "public"), ("db", 1, "internal")):
        deployment = SimpleNamespace(started_at=3.0, pools={name: _pool("its zygote exited 4 times", low=low,
                                                                        visibility=visibility)})
        waiting, not_ready = states(deployment, {name: 0})
        assert waiting == [] and "failed" in not_ready[name] and "exited 4 times" in not_ready[name], not_ready


def test_states_instances_that_run_but_envoy_routes_to_none_are_not_ready() -> None:
    deployment = SimpleNamespace(started_at=3.0, pools={"agent": _pool(None, "ready", "ready", "unhealthy")})
    _waiting, not_ready = states(deployment, {"agent": 0})
    assert "health checks" in not_ready["agent"] and "no instance running" not in not_ready["agent"]


def test_redact_drops_a_command_naming_a_hidden_service_and_keeps_the_advice() -> None:
    cases = [
        ("retrying will not help: the operator can restart it, once its cause is fixed, with "
         "`puma scale policy N` (or by restarting the deployment)", "the operator can restart it"),
        ("policy is down; try `puma logs policy`, then wait", "then wait"),
        ("see (`puma status policy --json`) for more", "for more"),
        ("run `puma scale policy 2`: policy failed", "failed"),
    ]
    for text, kept in cases:
        out = redact(text, {"policy"}, "that service")
        assert "policy" not in out and "`" not in out and "that service N" not in out, out
        assert kept in out and ";," not in out and not out.startswith(":"), out
    assert redact("`puma scale web 2` works", {"policy"}) == "`puma scale web 2` works"


def test_ready_is_503_naming_a_failed_internal_service_and_its_callers_name_no_mangled_command(monkeypatch):
    import puma.instances

    monkeypatch.setattr(puma.instances, "MAX_ZYGOTE_RESTARTS_IN_WINDOW", 0)  # its first death spends the budget
    services = {"upper": {"prefix": "/upper", "visibility": "internal", "instances": 2},
                "relay": {"prefix": "/relay", "timeout_s": 5}}
    with _start(services, {"upper": basic.upper, "relay": basic.relay}) as mesh, \
            httpx.Client(base_url=mesh.url, timeout=10) as http:
        assert http.get("/_puma/ready").status_code == 200
        os.kill(mesh.pools["upper"].zygote.pid, signal.SIGKILL)
        wait_for(lambda: mesh.status()["services"]["upper"]["failed"], timeout_s=10, message="upper reported failed")
        ready = wait_for(lambda: (r := http.get("/_puma/ready")).status_code == 503 and r, timeout_s=10,
                         message="/_puma/ready saying not ready")
        body = ready.json()
        assert body["ready"] is False and "failed" in body["not_ready"]["upper"], body
        # A client elsewhere (the public view) is told it is not ready, without the internal name.
        public = httpx.get(mesh.url + "/_puma/ready", headers={"host": "example.org"}, timeout=10)
        assert public.status_code == 503 and "upper" not in public.text, public.text
        reply = wait_for(lambda: (r := http.post("/relay", json={"text": "b"})).status_code == 500 and r,
                         timeout_s=10, message="relay answering 500")
        error = reply.json()["error"]
        assert "upper" not in error and "`" not in error and "that service N" not in error, error
        assert "operator" in error, error

