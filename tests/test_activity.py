"""Hung against busy for a container instance, judged from what the engine says of it — its CPU
(the engine's stats when its cgroup is not on this machine: DOCKER_HOST elsewhere) and whether it
is paused — by the same health verdict as a process. No engine: the container is a stand-in
answering as the Docker SDK's object does. The real engine: tests/test_supervision.py `[docker]`."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from puma.activity import ContainerProgress
from puma.config import parse_config
from puma.health import HealthMonitor
from puma.instances import Instance


class _Container:
    """What the engine reports of a container: CPU used so far (ns) and its state."""

    def __init__(self, cpu_ns: list[int], paused: bool = False) -> None:
        self.id, self.cpu_ns, self.reads = "c0ffee" * 10, cpu_ns, 0
        self.attrs: dict[str, Any] = {"State": {"Pid": 0, "Paused": paused}}  # Pid 0: not on this machine

    def stats(self, *, stream: bool, one_shot: bool) -> dict[str, Any]:
        assert not stream and one_shot  # one sample, without the engine's second of waiting for a delta
        used = self.cpu_ns[min(self.reads, len(self.cpu_ns) - 1)]
        self.reads += 1
        return {"cpu_stats": {"cpu_usage": {"total_usage": used}}}

    def reload(self) -> None:
        pass


class _Pool:
    def __init__(self, container: _Container, timeout_s: float = 60) -> None:
        self.name = "db"
        self.busy_dir = None
        self.service = parse_config({"puma_services": {"db": {"prefix": "/db", "timeout_s": timeout_s, "health_check": {
            "unhealthy_threshold": 2, "timeout_s": 1}}}}).puma_services["db"]
        self.instance = Instance(1, "db", port=8000, host="172.18.0.2", state="ready", ever_ready=True,
                                 container="c0ffeec0ff")
        self.activity = ContainerProgress({1: container})
        self.evicted: list[int] = []

    def find(self, address: str) -> Instance | None:
        return self.instance if address == self.instance.address else None

    def evict(self, instance: Instance) -> None:
        self.evicted.append(instance.id)


def _monitor(pool: _Pool, tmp_path: Any) -> tuple[HealthMonitor, list[str]]:
    said: list[str] = []
    d = SimpleNamespace(pools={"db": pool}, stopping=False,
                        status_server=SimpleNamespace(sampler=SimpleNamespace(routed=lambda _name: None)),
                        record=lambda _service, message, **_data: said.append(message))
    monitor = HealthMonitor(d, tmp_path / "events")
    monitor.watch = False
    return monitor, said


def _fail_checks(monitor: HealthMonitor, pool: _Pool, times: list[float]) -> None:
    for now in times:
        monitor.failed(pool, pool.instance.address, now=now)


@pytest.mark.parametrize("cpu_ns", [[5_000_000_000] * 3, [10**9, 10**9 + 10**6, 10**9 + 2 * 10**6]])
def test_activity_a_container_without_cpu_progress_is_replaced_as_hung(tmp_path, cpu_ns):
    pool = _Pool(_Container(cpu_ns))
    monitor, said = _monitor(pool, tmp_path)
    _fail_checks(monitor, pool, [100.0, 101.5, 103.0])
    assert pool.evicted == [1]
    assert "hung:" in said[-1] and "no CPU progress" in said[-1], said


@pytest.mark.parametrize("cpu_per_s", [0.3, 1.0, 2.0])  # a starved share of a core up to two busy cores
def test_activity_a_computing_container_is_kept_within_its_timeout(tmp_path, cpu_per_s):
    step_ns = int(cpu_per_s * 1.5e9)
    pool = _Pool(_Container([10**9 + i * step_ns for i in range(6)]))
    monitor, said = _monitor(pool, tmp_path)
    _fail_checks(monitor, pool, [100.0, 101.5, 103.0, 104.5])
    assert pool.evicted == [] and any("busy" in s for s in said), said


def test_activity_a_container_busy_past_its_timeout_is_replaced(tmp_path):
    pool = _Pool(_Container([10**9 + i * 10**9 for i in range(10)]), timeout_s=3)
    monitor, said = _monitor(pool, tmp_path)
    _fail_checks(monitor, pool, [100.0, 101.5, 103.0, 104.5])
    assert pool.evicted == [1] and "past its service's timeout_s 3" in said[-1], said


def test_activity_a_paused_container_is_replaced_at_its_first_failed_check(tmp_path):
    pool = _Pool(_Container([10**9], paused=True))
    monitor, said = _monitor(pool, tmp_path)
    _fail_checks(monitor, pool, [100.0])
    assert pool.evicted == [1]
    assert "hung: stopped: its container is paused (docker pause)" in said[-1], said


def test_activity_a_container_the_engine_no_longer_knows_is_replaced_as_gone(tmp_path):
    pool = _Pool(_Container([10**9]))
    pool.activity.containers.clear()  # removed under us
    monitor, said = _monitor(pool, tmp_path)
    _fail_checks(monitor, pool, [100.0, 101.5])
    assert pool.evicted == [1] and "its container is gone" in said[-1], said
