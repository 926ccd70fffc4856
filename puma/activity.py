"""How far an instance's own work got, read where its backend keeps it: the one interface
`puma.health` judges *hung* against *busy* by.

Two questions, asked of an instance that fails its health checks:

* `cpu_seconds(instance)`: the CPU time it has used so far (None: it is gone). Between two failed
  checks, no progress is hung (deadlocked, waiting forever); progress is busy (computing).
* `stopped(instance)`: why it can answer nothing until someone resumes it (None: it is not). It is
  replaced at its first failed check: there is no need to look twice.

A process (`ProcessProgress`) answers from `/proc/<pid>/stat`: utime + stime of every thread, and
state T (SIGSTOP, SIGTSTP). A container (`ContainerProgress`) answers from its cgroup's CPU
accounting, which counts every process in it: read from the cgroup's own file when the engine runs
on this machine (~0.1 ms; found once through `/proc/<its init's pid>/cgroup`), else from the
engine's stats (one-shot, ~50 ms); and stopped is the engine's `paused` (`docker pause`: the cgroup
freezer) or, on this machine, the service's process in state T (a `kill -STOP` inside it).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, Protocol

from .proxy import process_state

_TICKS_PER_S = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
CGROUP_ROOT = Path("/sys/fs/cgroup")


class Progress(Protocol):
    """What `puma.health.HealthMonitor.verdict` asks of an instance's backend."""

    what: str  # how its unit is named in a verdict: "process", "container"

    def cpu_seconds(self, instance: Any) -> float | None: ...

    def stopped(self, instance: Any) -> str | None: ...


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system, every thread) `pid` has used so far; None if it is gone or a zombie."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    if fields[0] in ("Z", "X"):
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS_PER_S


class ProcessProgress:
    """An instance that is a process of this machine (`instance.pid`)."""

    what = "process"

    def cpu_seconds(self, instance: Any) -> float | None:
        return None if instance.pid is None else cpu_seconds(instance.pid)

    def stopped(self, instance: Any) -> str | None:
        if instance.pid is not None and process_state(instance.pid) == "T":
            return "stopped by SIGSTOP or SIGTSTP"
        return None


PROCESSES = ProcessProgress()


class ContainerProgress:
    """The instances of a `puma.containers.ContainerPool`: `containers` maps an instance id to its
    container (the Docker SDK's object, as the pool started it)."""

    what = "container"

    def __init__(self, containers: dict[int, Any]) -> None:
        self.containers = containers
        self.usage_files: dict[str, Path | None] = {}  # container id -> its cgroup's CPU usage file (None: not here)

    def cpu_seconds(self, instance: Any) -> float | None:
        container = self.containers.get(instance.id)
        if container is None:
            return None
        path = self._usage_file(container)
        if path is not None:
            with contextlib.suppress(OSError, ValueError):
                return _read_usage(path)
        try:  # not on this machine (DOCKER_HOST elsewhere), or the cgroup went away under us
            stats = container.stats(stream=False, one_shot=True)
            return float(stats["cpu_stats"]["cpu_usage"]["total_usage"]) / 1e9
        except Exception:  # noqa: BLE001 - the container is gone, or the engine is: no progress to tell
            return None

    def stopped(self, instance: Any) -> str | None:
        container = self.containers.get(instance.id)
        if container is None:
            return None
        try:
            container.reload()
        except Exception:  # noqa: BLE001 - removed meanwhile: its exit is handled as one
            return None
        state = container.attrs.get("State") or {}
        if state.get("Paused"):
            return "stopped: its container is paused (docker pause)"
        init = int(state.get("Pid") or 0)
        if init and any(process_state(pid) == "T" for pid in _children(init)):
            return "stopped by SIGSTOP or SIGTSTP (its process in the container)"
        return None

    def _usage_file(self, container: Any) -> Path | None:
        if container.id not in self.usage_files:
            self.usage_files[container.id] = _find_usage_file(int((container.attrs.get("State") or {}).get("Pid") or 0))
        return self.usage_files[container.id]


def _find_usage_file(init_pid: int) -> Path | None:
    """The CPU accounting file of the cgroup `init_pid` (a container's first process) runs in, if it
    is on this machine: cgroup v1 `cpuacct.usage` (ns), v2 `cpu.stat` (`usage_usec`)."""
    if not init_pid:
        return None
    try:
        lines = Path(f"/proc/{init_pid}/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "cpuacct" in controllers.split(","):  # v1: mounted as cpuacct (or cpu,cpuacct, linked as cpuacct)
            candidates = [CGROUP_ROOT / "cpuacct" / path.lstrip("/") / "cpuacct.usage"]
        elif controllers == "":  # v2, alone or beside v1 (hybrid: under unified/)
            candidates = [CGROUP_ROOT / root / path.lstrip("/") / "cpu.stat" for root in ("", "unified")]
        else:
            continue
        for found in candidates:
            if found.exists():
                return found
    return None


def _read_usage(path: Path) -> float:
    text = path.read_text()
    if path.name == "cpuacct.usage":
        return int(text) / 1e9
    usage = next(line.split()[1] for line in text.splitlines() if line.startswith("usage_usec "))
    return int(usage) / 1e6


def _children(pid: int) -> list[int]:
    """The processes `pid` started (a container's init: the service it runs)."""
    try:
        found = []
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
        return found
    except (OSError, ValueError):
        return []
