"""What a deployment's processes cost, read from /proc: CPU time and memory, by component.

A deployment is a tree of processes: the supervisor (`puma run`), Envoy, the fork server, one
zygote per service and the instances each zygote forked; on worker hosts, `puma worker` and its
own fork server, zygotes and instances. `tree(roots)` finds them all, `component(...)` names
each one's role, `cpu_ns` sums every thread's time on a CPU (`/proc/PID/task/*/schedstat`,
nanoseconds, so short idle windows are measured exactly), and `pss_kib` reads the proportional
set size (shared pages split among the processes sharing them, so forked instances are not
counted many times over).
"""

from __future__ import annotations

import collections
from collections.abc import Iterable
from pathlib import Path

PROC = Path("/proc")
COMPONENTS = ("supervisor", "envoy", "forkserver", "zygotes", "instances", "worker_hosts")


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of `pid`, or None if it is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return fields[0], int(fields[1])


def parents() -> dict[int, int]:
    """pid -> parent pid of every live (non-zombie) process."""
    found = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None and stat[0] != "Z":
                found[int(entry.name)] = stat[1]
    return found


def tree(roots: Iterable[int]) -> set[int]:
    """The `roots` and all their live descendants."""
    children: dict[int, list[int]] = collections.defaultdict(list)
    for pid, ppid in parents().items():
        children[ppid].append(pid)
    found: set[int] = set()
    todo = [r for r in roots if _stat(r) is not None]
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo.extend(children.get(pid, ()))
    return found


def cmdline(pid: int) -> str:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def component(pid: int, roots: set[int], workers: set[int], pids: set[int]) -> str:
    """The role of `pid` in a deployment whose supervisor pids are `roots` (worker hosts: `workers`)."""
    if pid in roots:
        return "supervisor"
    if pid in workers:
        return "worker_hosts"
    line = cmdline(pid)
    if "envoy" in line.split(" ", 1)[0]:
        return "envoy"
    if "puma.forkserver" in line:
        return "forkserver"
    stat = _stat(pid)
    parent = stat[1] if stat else 0
    if parent in roots or parent in workers or "puma.forkserver" in cmdline(parent):
        return "zygotes"
    return "instances" if parent in pids else "supervisor"


def thread_cpu_ns(pid: int) -> dict[int, int]:
    """Time each live thread of `pid` has spent on a CPU so far, in nanoseconds, by thread id."""
    found = {}
    try:
        tasks = list((PROC / str(pid) / "task").iterdir())
    except OSError:
        return {}
    for task in tasks:
        try:
            found[int(task.name)] = int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return found


def cpu_ns(pid: int) -> int:
    """Time every live thread of `pid` has spent on a CPU, in nanoseconds (0 if it is gone)."""
    return sum(thread_cpu_ns(pid).values())


def pss_kib(pid: int) -> int:
    """Proportional set size of `pid` in KiB (0 if it is gone)."""
    try:
        for line in (PROC / str(pid) / "smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def roles(roots: set[int], workers: set[int]) -> dict[int, str]:
    """pid -> component of every process of the deployment."""
    pids = tree(roots | workers)
    return {pid: component(pid, roots, workers, pids) for pid in pids}


def cpu_by_component(role: dict[int, str]) -> dict[str, int]:
    """CPU time so far per component, nanoseconds."""
    totals = dict.fromkeys(COMPONENTS, 0)
    for pid, name in role.items():
        totals[name] += cpu_ns(pid)
    return totals


def cpu_snapshot(role: dict[int, str]) -> dict[tuple[int, int], int]:
    """(pid, thread id) -> CPU nanoseconds, for `cpu_between`."""
    return {(pid, tid): ns for pid in role for tid, ns in thread_cpu_ns(pid).items()}


def cpu_between(role: dict[int, str], before: dict[tuple[int, int], int],
                after: dict[tuple[int, int], int]) -> dict[str, int]:
    """CPU used between two snapshots per component, nanoseconds: every thread alive at the end,
    counted from the start or from its birth (a thread that ended in between is missed, never
    counted negative)."""
    totals = dict.fromkeys(COMPONENTS, 0)
    for (pid, tid), ns in after.items():
        totals[role[pid]] += ns - before.get((pid, tid), 0)
    return totals


def memory_by_component(role: dict[int, str]) -> dict[str, float]:
    """PSS per component in MiB."""
    totals = dict.fromkeys(COMPONENTS, 0.0)
    for pid, name in role.items():
        totals[name] += pss_kib(pid) / 1024
    return {k: round(v, 1) for k, v in totals.items()}


def counts(role: dict[int, str]) -> dict[str, int]:
    return dict(collections.Counter(role.values()))
