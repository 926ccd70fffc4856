"""Every answer a client gets counts against its service (issue: newcomer 39, section 3), whoever
produced it: the instance, or Envoy itself (a failed service's 503, the 405 and 413 guards, the
rate limit's 429, a timeout's 504); `/_puma/metrics` and `puma status` agree on it, and Envoy
restarting does not take the counts back. And PUMA's own headers sent by a client never reach
a service (section 3.2), while calls between services keep them."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

import puma
from puma import instances as pools_module
from puma.envoy import INTERNAL_REQUEST_HEADERS
from tests.apps import basic
from tests.helpers import wait_for

SERVICES = {"tiny": {"prefix": "/tiny", "methods": ["POST"], "max_body_bytes": 64},
            "limited": {"prefix": "/limited"},
            "slow": {"prefix": "/slow", "timeout_s": 0.3},
            "doomed": {"prefix": "/doomed"},
            "seen": {"prefix": "/seen"}, "root": {"prefix": "/"}}
FUNCTIONS = {"tiny": basic.echo, "limited": basic.echo, "slow": basic.slow, "doomed": basic.echo,
             "seen": basic.headers, "root": basic.echo}


@pytest.fixture(scope="module")
def mesh() -> Iterator[puma.Deployment]:
    app = puma.App()
    app.configure({"puma_services": SERVICES, "secret": "traffic-test-secret",
                   "rate_limit": {"requests_per_s": 0.05, "burst": 1, "cluster_name": "limited"}})
    app.add_services(FUNCTIONS)
    with app.start(listener={"port": 0}) as d:
        yield d


def _metrics(d: puma.Deployment, service: str) -> dict[str, float]:
    text = httpx.get(d.url + "/_puma/metrics").text
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.labels.get("service") == service:
                extra = s.labels.get("code_class") or s.labels.get("class") or ""
                found[f"{s.name}{'.' + extra if extra else ''}"] = s.value
    return found


def _counts(d: puma.Deployment, service: str) -> tuple[float, float, float, float]:
    """(requests, 4xx, server errors, 5xx) as /_puma/metrics says them, checked against status."""
    m = _metrics(d, service)
    s = httpx.get(d.url + "/_puma/status").json()["services"][service]
    assert (s["requests_total"], s["errors_4xx"], s["errors_5xx"]) == (
        m["puma_requests_total"], m["puma_errors_total.client"], m["puma_errors_total.server"])
    return m["puma_requests_total"], m["puma_responses_total.4xx"], m["puma_errors_total.server"], \
        m["puma_responses_total.5xx"]


def _sent(d: puma.Deployment, service: str, send: Callable[[], list[int]], expected: int) -> None:
    before = _counts(d, service)
    codes = send()
    assert set(codes) == {expected}, codes
    klass = expected // 100

    def counted() -> bool:
        after = _counts(d, service)
        grew = [after[i] - before[i] for i in range(4)]
        return grew == [len(codes), len(codes) if klass == 4 else 0, len(codes) if klass == 5 else 0,
                        len(codes) if klass == 5 else 0]
    wait_for(counted, timeout_s=5, message=f"{len(codes)} x {expected} counted against {service}")


def test_traffic_a_method_guards_405_counts_as_a_client_error(mesh: puma.Deployment) -> None:
    _sent(mesh, "tiny", lambda: [httpx.request(m, mesh.url + "/tiny").status_code for m in ("DELETE", "PUT", "GET")], 405)


def test_traffic_a_body_over_max_body_bytes_413_counts_as_a_client_error(mesh: puma.Deployment) -> None:
    _sent(mesh, "tiny", lambda: [httpx.post(mesh.url + "/tiny", content=b"x" * n).status_code for n in (65, 1000)], 413)


def test_traffic_rate_limited_429s_count_as_client_errors(mesh: puma.Deployment) -> None:
    httpx.post(mesh.url + "/limited", json={})  # takes the one token of the bucket
    _sent(mesh, "limited", lambda: [httpx.post(mesh.url + "/limited", json={}).status_code for _ in range(4)], 429)


def test_traffic_timeouts_504_count_as_server_errors(mesh: puma.Deployment) -> None:
    _sent(mesh, "slow", lambda: [httpx.post(mesh.url + "/slow", json={"s": 1.0}).status_code for _ in range(2)], 504)


def test_traffic_an_instances_own_answers_count_by_class(mesh: puma.Deployment) -> None:
    _sent(mesh, "tiny", lambda: [httpx.post(mesh.url + "/tiny", json={"n": i}).status_code for i in range(3)], 200)


def test_traffic_client_sent_puma_headers_never_reach_a_service(mesh: puma.Deployment) -> None:
    sent = {name: "1" for name in INTERNAL_REQUEST_HEADERS} | {"x-puma-deadline-ms": "1", "X-Puma-Token": "guess"}
    seen = httpx.post(mesh.url + "/seen", json={}, headers=sent)
    assert seen.status_code == 200
    arrived = {k.lower() for k in seen.json()["headers"]}
    assert not arrived & {name.lower() for name in sent}, arrived


def test_traffic_a_client_deadline_cannot_make_a_service_refuse_work(mesh: puma.Deployment) -> None:
    for value in ("1", "0", "-5", "abc"):
        assert httpx.post(mesh.url + "/slow", json={"s": 0.01}, headers={"x-puma-deadline-ms": value}).status_code == 200


def test_traffic_calls_between_services_keep_the_deadline(mesh: puma.Deployment) -> None:
    seen = httpx.post(mesh.internal_url + "/seen", json={}, headers={"x-puma-deadline-ms": "4000"})
    assert {k.lower(): v for k, v in seen.json()["headers"].items()}["x-puma-deadline-ms"] == "4000"


def test_traffic_the_secrets_holders_keep_the_deadline_at_the_public_listener(mesh: puma.Deployment) -> None:
    headers = {"x-puma-deadline-ms": "4000", "x-puma-token": "traffic-test-secret"}
    seen = {k.lower(): v for k, v in httpx.post(mesh.url + "/seen", json={}, headers=headers).json()["headers"].items()}
    assert seen.get("x-puma-deadline-ms") == "4000" and "x-puma-token" not in seen


def test_traffic_counts_survive_an_envoy_restart(mesh: puma.Deployment) -> None:
    for _ in range(3):
        httpx.post(mesh.url + "/tiny", json={})
    before = wait_for(lambda: (c := _counts(mesh, "tiny")) and c[0] > 0 and c, message="counted")
    # The control loop reads every second: let it see these counts before Envoy dies.
    mesh.status_server.sampler.traffic.read()
    assert mesh.envoy.proc is not None
    old = mesh.envoy.proc.pid
    os.kill(old, signal.SIGKILL)
    wait_for(lambda: mesh.envoy.proc is not None and mesh.envoy.proc.pid != old and mesh.envoy.admin is not None, timeout_s=20, message="Envoy back")
    wait_for(lambda: httpx.post(mesh.url + "/tiny", json={}).status_code == 200, timeout_s=10, message="routes back")
    after = _counts(mesh, "tiny")
    assert after[0] >= before[0] + 1 and after[1] >= before[1] and after[2] >= before[2]


def test_traffic_a_failed_services_503s_count_as_server_errors(mesh: puma.Deployment,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pools_module, "MAX_ZYGOTE_RESTARTS_IN_WINDOW", 0)  # the first zygote death fails it
    instance = mesh.instances("doomed")[0]
    with open(f"/proc/{instance.pid}/stat") as stat:
        zygote = int(stat.read().rsplit(")", 1)[1].split()[1])  # its parent
    os.kill(zygote, signal.SIGKILL)
    wait_for(lambda: httpx.post(mesh.url + "/doomed", json={}).status_code == 503 and
             "has failed" in httpx.post(mesh.url + "/doomed", json={}).text, timeout_s=20, message="failed")
    answers: list[httpx.Response] = []

    def send() -> list[int]:
        answers.extend(httpx.post(mesh.url + "/doomed", json={}) for _ in range(5))
        return [a.status_code for a in answers]
    _sent(mesh, "doomed", send, 503)
    assert all(a.json().get("service") == "doomed" for a in answers), answers[0].text


def test_traffic_public_health_answers_show_no_pid(mesh: puma.Deployment) -> None:
    """A service at "/" answers /healthz to anyone: without the pid or instance number (section 7)."""
    for host in ("evil.example", "127.0.0.1"):
        body = httpx.get(mesh.url + "/healthz", headers={"host": host}).json()
        assert body.get("ready") is True and "pid" not in body and "instance" not in body, body
    instance = mesh.instances("root")[0]
    direct = httpx.get(f"http://127.0.0.1:{instance.port}/healthz").json()  # the supervisor's own view
    assert direct["pid"] == instance.pid


def _health_checks(d: puma.Deployment, service: str) -> int:
    assert d.envoy.admin is not None
    line = d.envoy.admin.get(f"/stats?filter=^cluster[.]{service}[.]health_check[.]attempt$").strip()
    return int(line.rpartition(": ")[2] or 0)


def test_traffic_health_checks_are_no_answers_and_each_answer_counts_once() -> None:
    """The 2xx are Envoy's cluster counters (the access logger counts the rest): Envoy's own health
    checks of an instance, several a second here, add nothing; the instance's 200s and 400s add each once."""
    app = puma.App()
    app.configure({"puma_services": {"ok": {"prefix": "/ok", "instances": 2,
                                            "health_check": {"interval_s": 0.3}}}})
    app.add_services({"ok": basic.echo})
    with app.start(listener={"port": 0}) as d:
        before = _counts(d, "ok")
        checks = _health_checks(d, "ok")
        wait_for(lambda: _health_checks(d, "ok") >= checks + 10, timeout_s=10, message="10 health checks")
        assert _counts(d, "ok") == before
        _sent(d, "ok", lambda: [httpx.post(d.url + "/ok", json={"i": i}).status_code for i in range(7)], 200)
        json_type = {"content-type": "application/json"}
        _sent(d, "ok", lambda: [httpx.post(d.url + "/ok", content=b"{not json", headers=json_type).status_code
                                for _ in range(3)], 400)
