"""`/_puma/status` (what `puma status` and the dashboard show) counts ready instances from the same
facts `/_puma/ready` does (what Envoy routes to), converges when a health event was missed, and a
count below what a service wants always says why."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from puma.admin import ClusterStat, HostStat
from puma.health import HealthMonitor
from puma.instances import Instance
from puma.running import format_status
from puma.services import HealthCheck
from puma.status import _service_status


class _Pool:
    def __init__(self, *instances: Instance, owed: int = 0, readiness: str | None = "app:ready") -> None:
        self.name = "agent"
        self.lock = threading.RLock()
        self.instances = {i.id: i for i in instances}
        self.failed = None
        self.owed = owed
        self.service = SimpleNamespace(health_check=HealthCheck(), readiness=readiness,
                                       instances=SimpleNamespace(min=1), visibility="public")

    def wanted(self) -> int:
        return self.owed + sum(1 for i in self.instances.values() if i.state in ("starting", "ready", "unhealthy"))

    def find(self, address: str) -> Instance | None:
        return next((i for i in self.instances.values() if i.state == "ready" and i.address == address), None)


def _instance(id_: int, *, ever_ready: bool = True, state: str = "ready", not_ready: str | None = None,
              not_ready_for_s: float = 0.0) -> Instance:
    return Instance(id=id_, service="agent", pid=None, port=41000 + id_, state=state, ever_ready=ever_ready,
                    not_ready=not_ready, not_ready_since=time.monotonic() - not_ready_for_s if not_ready else None)


def _deployment(pool: _Pool, tmp_path: Path, published: set[str] | None = None) -> Any:
    svc = SimpleNamespace(prefix="/agent", instances=SimpleNamespace(min=3, upper=3), autoscaled=False,
                          threads=4, timeout_s=30.0)
    d = SimpleNamespace(config=SimpleNamespace(puma_services={"agent": svc}, lb_policy=lambda _n: "round_robin"),
                        events=[], pools={"agent": pool})
    d.record = lambda service, message, **data: d.events.append({"time": time.time(), "service": service,
                                                                  "message": message, **data})
    told = published if published is not None else {i.address for i in pool.instances.values()}
    d.envoy = SimpleNamespace(published=lambda _name: told)
    d.health = HealthMonitor(d, tmp_path / "health-events")  # its pipe is never started here
    return d


def _envoy(pool: _Pool, routed: set[int]) -> ClusterStat:
    """Envoy's view of the cluster: the instances `routed` healthy, the others failing their checks."""
    return ClusterStat(name="agent", hosts=[HostStat(address=i.address, healthy=i.id in routed)
                                            for i in pool.instances.values()])


@pytest.mark.parametrize("late", [
    dict(ever_ready=False),  # its first add_healthy_event was never read
    dict(not_ready="the store is unreachable", not_ready_for_s=120.0),  # its "ready again" event was lost
    dict(ever_ready=False, not_ready="still loading", not_ready_for_s=300.0),
])
def test_status_counts_an_instance_envoy_routes_to_as_ready_when_its_health_event_was_missed(
        tmp_path: Path, late: dict[str, Any]) -> None:
    pool = _Pool(_instance(1), _instance(2), _instance(4, **late))
    d = _deployment(pool, tmp_path)
    status = _service_status(d, "agent", pool, _envoy(pool, {1, 2, 4}))
    # /_puma/ready would count 3 (Envoy's membership_healthy): so does the status, and it stays so.
    assert (status["ready"], status["wanted"]) == (3, 3), status
    assert status["not_ready"] == [] and status["short"] == []
    assert pool.instances[4].ever_ready and pool.instances[4].not_ready is None
    assert _service_status(d, "agent", pool, _envoy(pool, {1, 2, 4}))["ready"] == 3


def test_status_a_check_that_just_failed_is_not_cleared_by_envoys_slower_view(tmp_path: Path) -> None:
    # Envoy ejects only after unhealthy_threshold failures: one just seen not ready stays so (no flapping).
    pool = _Pool(_instance(1), _instance(2, not_ready="the store is unreachable", not_ready_for_s=1.0))
    status = _service_status(_deployment(pool, tmp_path), "agent", pool, _envoy(pool, {1, 2}))
    assert status["ready"] == 1 and status["not_ready"] == ["instance 2: the store is unreachable"]


@pytest.mark.parametrize(("instances", "routed", "published", "owed", "said"), [
    ([_instance(1), _instance(2), _instance(3, state="starting")], {1, 2}, None, 0, r"instance 3: starting"),
    ([_instance(1), _instance(2)], {1, 2}, None, 1, r"1 instance not started yet"),
    ([_instance(1), _instance(2), _instance(3)], {1, 2}, None, 0, r"instance 3: Envoy does not route to it"),
    ([_instance(1), _instance(2), _instance(3)], {1, 2}, {"127.0.0.1:41001", "127.0.0.1:41002"}, 0,
     r"instance 3: not in Envoy yet"),
    ([_instance(1), _instance(2, state="unhealthy"), _instance(3)], {1, 3}, None, 0,
     r"instance 2: failing its health checks"),
    ([_instance(1), _instance(2), _instance(3, ever_ready=False)], {1, 2}, None, 0,
     r"instance 3: waiting for its first readiness check"),
])
def test_status_a_count_below_what_the_service_wants_says_why(
        tmp_path: Path, instances: list[Instance], routed: set[int], published: set[str] | None, owed: int,
        said: str) -> None:
    pool = _Pool(*instances, owed=owed)
    status = _service_status(_deployment(pool, tmp_path, published), "agent", pool, _envoy(pool, routed))
    assert status["ready"] < status["wanted"], status
    reasons = status["not_ready"] + status["short"]
    assert any(__import__("re").search(said, why) for why in reasons), reasons
    shown = format_status({"url": "u", "services": {"agent": {**status, "requests_per_s": 0.0, "errors_5xx": 0}}})
    assert "below its count" in shown or "not ready" in shown, shown


def test_status_events_show_when_they_happened() -> None:
    at = time.mktime((2026, 11, 30, 15, 12, 41, 0, 0, -1))
    shown = format_status({"url": "u", "services": {}, "events": [
        {"time": at, "service": "agent", "message": "instance 2 died (code -9); replacing it", "kind": "died"}]})
    assert "15:12:41 agent: instance 2 died" in shown, shown


@pytest.mark.parametrize(("zygote", "said", "unsaid"), [
    # a first start: its zygote imports and warms up (84 s for the chatbot's agent): no crash is implied
    (dict(zygote_ready=False, restarting=False, started_s_ago=84.0),
     r"3 instances not started yet \(its zygote is still importing and warming up, 8[45] s so far", "restarts"),
    (dict(zygote_ready=False, restarting=True, started_s_ago=3.0),
     r"its zygote is starting again after it exited, [34] s so far", "importing"),
    (dict(zygote_ready=True, restarting=False, started_s_ago=300.0),
     r"a replacement waiting for its zygote, or backing off after restarts", "importing"),
])
def test_status_instances_not_started_say_whether_the_zygote_is_still_warming_up(
        tmp_path: Path, zygote: dict[str, Any], said: str, unsaid: str) -> None:
    pool = _Pool(owed=3)
    pool.zygote_ready = lambda: zygote["zygote_ready"]  # type: ignore[attr-defined]
    pool.restarting = zygote["restarting"]  # type: ignore[attr-defined]
    pool.zygote_started_at = time.monotonic() - zygote["started_s_ago"]  # type: ignore[attr-defined]
    status = _service_status(_deployment(pool, tmp_path), "agent", pool, _envoy(pool, set()))
    reasons = " ".join(status["short"])
    assert __import__("re").search(said, reasons) and unsaid not in reasons, reasons


OUTAGE = {"what": "puma-publish", "error": "OSError: [Errno 28] No space left on device", "tries": 21, "since_s": 35.2}


@pytest.mark.parametrize("ever_ready", [False, True])  # never checked by Envoy; or checked, then its file lost
@pytest.mark.parametrize("outages", [[OUTAGE], []])
def test_status_an_instance_envoy_was_not_told_about_is_up_not_ready_and_says_why(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ever_ready: bool, outages: list[dict[str, Any]]) -> None:
    monkeypatch.setattr("puma.guard.outages", lambda: outages)
    pool = _Pool(_instance(1), _instance(2), _instance(3), _instance(5, ever_ready=ever_ready))
    told = {i.address for i in pool.instances.values() if i.id != 5}
    status = _service_status(_deployment(pool, tmp_path, told), "agent", pool, _envoy(pool, {1, 2, 3}))
    (new,) = [i for i in status["instances"] if i["id"] == 5]
    assert new["state"] != "ready" and new["in_envoy"] is False, new
    assert (status["ready"], status["wanted"]) == (3, 4), status
    (why,) = [w for w in status["not_ready"] + status["short"] if w.startswith("instance 5")]
    assert "not in Envoy yet" in why and "readiness check" not in why, why
    if outages:
        assert "No space left on device" in why, why
    shown = format_status({"url": "u", "services": {"agent": {**status, "requests_per_s": 0.0, "errors_5xx": 0}}})
    assert "instance 5: not in Envoy yet" in shown and "3/4" in shown, shown


@pytest.mark.parametrize(("configured", "scaled"), [(3, 4), (3, 1), (2, 8)])
def test_status_bounds_of_a_fixed_count_follow_a_scale(tmp_path: Path, configured: int, scaled: int) -> None:
    pool = _Pool(*(_instance(n) for n in range(1, scaled + 1)))
    d = _deployment(pool, tmp_path)
    d.config.puma_services["agent"].instances = SimpleNamespace(min=configured, upper=configured)
    status = _service_status(d, "agent", pool, _envoy(pool, set(range(1, scaled + 1))))
    assert status["wanted"] == scaled
    assert status["min_instances"] <= status["wanted"] <= status["max_instances"], status
