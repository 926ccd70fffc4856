"""A request that runs out of its `timeout_s` on a stopped (SIGSTOP) or hung instance is a 504 JSON
naming the service, and the supervisor probes that service's instances at once: the stopped one is
replaced within a probe, not at Envoy's next health check (`health_check.interval_s` away: 30 s
here, 10 s by default), and the other instances answer throughout. Before, the stopped instance
kept its share of the requests, each a 504 after `timeout_s`, until that check."""

from __future__ import annotations

import os
import signal
import time

import httpx

import puma
from tests.apps import basic
from tests.helpers import continued_after, wait_for

TIMEOUT_S = 2


def test_health_a_request_timed_out_on_a_stopped_instance_gets_it_replaced_at_once():
    app = puma.App()
    app.configure({"puma_services": {"work": {"prefix": "/work", "instances": 2, "timeout_s": TIMEOUT_S,
                                              "health_check": {"interval_s": 30, "timeout_s": 2}}}})
    app.add_services({"work": basic.echo})
    with app.start(listener={"port": 0}) as mesh, httpx.Client(base_url=mesh.url, timeout=30) as http:
        stopped = mesh.instances("work")[0]
        assert stopped.pid is not None
        with continued_after(stopped.pid):
            os.kill(stopped.pid, signal.SIGSTOP)
            replies = [http.post("/work", json={"n": n}) for n in range(4)]  # round robin: some reach it
            timed_out = [r for r in replies if r.status_code == 504]
            assert timed_out, [r.status_code for r in replies]
            body = timed_out[0].json()
            assert body["service"] == "work" and f"timeout_s ({TIMEOUT_S} s)" in body["error"], body
            assert body["may_have_taken_effect"] is True
            began = time.monotonic()
            (event,) = wait_for(lambda: [e for e in mesh.status()["events"] if e.get("kind") == "unhealthy"],
                                timeout_s=12, message="the stopped instance replaced")
            assert "stopped" in event["message"] and time.monotonic() - began < 12
            wait_for(lambda: stopped.pid not in {i.pid for i in mesh.instances("work") if i.state == "ready"}
                     and len([i for i in mesh.instances("work") if i.state == "ready"]) == 2,
                     timeout_s=10, message="two instances ready again")
            quick = [http.post("/work", json={}, timeout=TIMEOUT_S + 1).status_code for _ in range(6)]
            assert quick == [200] * 6
