"""What an operator reads: /_puma/status's errors and scaling, and /_puma/metrics for Prometheus.

One deployment whose service is held in its warm-up by the test, so the requests sent meanwhile
are start-up failures for certain; then client errors, server errors, successes and a scale-up.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from puma.config import parse_config
from puma.supervisor import Deployment
from tests.helpers import wait_for

EARLY_REQUESTS = 7


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    release = tmp_path_factory.mktemp("startup") / "release"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STARTUP_RELEASE", str(release))
        d = Deployment(parse_config({"puma_services": {
            "held": {"prefix": "/held", "target": "tests.apps.startup:answer",
                     "warmup": "tests.apps.startup:hold_until_released"},
            "other": {"prefix": "/other", "target": "tests.apps.startup:answer"}},
            "listener": {"port": 0}}))  # a free port: 8080 may be another test's (or the user's)
        starting = threading.Thread(target=d.start)
        starting.start()
        try:
            wait_for(lambda: d.envoy.port, message="Envoy listening")
            early = [httpx.post(d.url + "/held", json={}).status_code for _ in range(EARLY_REQUESTS)]
            assert early == [503] * EARLY_REQUESTS  # nothing can serve them yet
            release.touch()
            starting.join(timeout=60)
            _traffic(d.url)
            d.scale("held", 2, reason="test")
            wait_for(lambda: len(d.instances("held")) == 2, message="two instances")
            yield d
        finally:
            release.touch()
            starting.join(timeout=60)
            d.stop()


def _traffic(url: str) -> None:
    for body in ({"fail": 400}, {"fail": 500}, {}, {}, {}):
        httpx.post(url + "/held", json=body)


def _status(d: Deployment) -> dict:
    return httpx.get(d.url + "/_puma/status").json()["services"]


def _metrics(d: Deployment) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    resp = httpx.get(d.url + "/_puma/metrics")  # through the front listener, as Prometheus scrapes
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(resp.text) for s in family.samples}


def _value(samples: dict, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def test_status_counts_startup_failures_apart_from_server_errors(mesh: Deployment) -> None:
    held = _status(mesh)["held"]
    assert held["startup_failures"] == EARLY_REQUESTS
    assert held["unavailable"] == EARLY_REQUESTS
    assert held["errors_5xx"] == 1  # the one the service answered with 500 once ready
    assert held["errors_4xx"] == 1
    assert held["ready_since"] is not None
    other = _status(mesh)["other"]
    assert (other["startup_failures"], other["errors_5xx"]) == (0, 0)


def test_status_error_rate_is_the_share_of_server_errors_since_the_last_sample(mesh: Deployment) -> None:
    _status(mesh)
    for body in ({"fail": 503}, {}, {}, {}):
        httpx.post(mesh.url + "/held", json=body)
    held = _status(mesh)["held"]
    assert held["error_rate"] == pytest.approx(0.25)
    assert held["errors_per_s"] > 0
    assert _status(mesh)["held"]["error_rate"] is None  # nothing answered since


def test_status_lists_each_scaling_decision_with_its_time(mesh: Deployment) -> None:
    held = _status(mesh)["held"]
    assert [(s["from"], s["to"], s["reason"]) for s in held["scaling"]] == [(1, 2, "test")]
    assert held["scaling"][0]["time"] >= held["ready_since"]
    events = httpx.get(mesh.url + "/_puma/status").json()["events"]
    assert {e["kind"] for e in events} >= {"up", "scale"}


def test_metrics_parse_as_prometheus_text_with_errors_by_class(mesh: Deployment) -> None:
    m = _metrics(mesh)
    assert _value(m, "puma_errors_total", service="held", **{"class": "startup"}) == EARLY_REQUESTS
    assert _value(m, "puma_errors_total", service="held", **{"class": "server"}) >= 1
    assert _value(m, "puma_errors_total", service="held", **{"class": "client"}) == 1
    assert _value(m, "puma_errors_total", service="other", **{"class": "startup"}) == 0
    answered = _value(m, "puma_requests_total", service="held")
    by_class = sum(_value(m, "puma_responses_total", service="held", code_class=c) for c in ("2xx", "3xx", "4xx", "5xx"))
    assert answered == by_class >= EARLY_REQUESTS + 5


def test_metrics_show_instances_bounds_in_flight_and_scaling(mesh: Deployment) -> None:
    m = _metrics(mesh)
    assert _value(m, "puma_instances", service="held", state="ready") == 2
    assert _value(m, "puma_instances", service="other", state="ready") == 1
    assert _value(m, "puma_instances_min", service="held") == 1
    assert _value(m, "puma_scaling_decisions_total", service="held", direction="up") == 1
    assert _value(m, "puma_scaling_decisions_total", service="held", direction="down") == 0
    assert _value(m, "puma_in_flight_requests", service="held") == 0


def test_metrics_latency_histogram_in_seconds(mesh: Deployment) -> None:
    # Envoy publishes its histograms every ~5 s.
    m = wait_for(lambda: (s := _metrics(mesh)) and _value(s, "puma_request_duration_seconds_count", service="held") >= 3 and s,
                 timeout_s=15, interval_s=0.5, message="the latency histogram")
    count = _value(m, "puma_request_duration_seconds_count", service="held")
    assert _value(m, "puma_request_duration_seconds_bucket", service="held", le="+Inf") == count
    assert _value(m, "puma_request_duration_seconds_bucket", service="held", le="1.0") == count  # all under 1 s
    assert 0 < _value(m, "puma_request_duration_seconds_sum", service="held") < count


def test_metrics_unknown_path_under_puma_is_a_json_404(mesh: Deployment) -> None:
    resp = httpx.get(mesh.url + "/_puma/metricz")
    assert resp.status_code == 404 and "/_puma/metrics" in resp.json()["error"]


def test_metrics_zygotes_are_forked_by_one_fork_server(mesh: Deployment) -> None:
    server = mesh.fork_server
    assert server is not None and server.alive()
    zygotes = {name: pool.zygote.pid for name, pool in mesh.pools.items()
               if pool.zygote is not None and pool.zygote.pid is not None}
    assert len(zygotes) == len(mesh.pools)
    parents = {_ppid(pid) for pid in zygotes.values()}
    assert parents == {server.proc.pid}
    # In ps, each reads as the service it hosts, not as the fork server.
    for name in mesh.pools:
        cmdline = Path(f"/proc/{zygotes[name]}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        assert f"puma.worker --service {name}" in cmdline
        environ = Path(f"/proc/{zygotes[name]}/environ").read_bytes()
        assert b"PUMA_TEST_SESSION=" in environ  # its environment is still visible (leak checks)


def _ppid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
