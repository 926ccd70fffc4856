"""What the host gave a benchmark: each CPU's speed, and how long waking another CPU takes.

On a shared VM neither is constant. One vCPU can run the same Python code ~1.8x slower than the
other for minutes (a busy hyperthread sibling on the host), which caps any parallel speedup
near 1.3x while it lasts; and a request that wakes a thread on an idle vCPU pays for the
hypervisor's wake-up each time it crosses CPUs (a map through Envoy crosses about five times).
`probe()` measures both, so a benchmark's report can say what the machine was like while it ran.

>>> probe(samples=3)["cpus"]                                                # doctest: +SKIP
[0, 1]
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

from .mapfuncs import factorial

WORK_ITEMS = 500  # factorial(100) each: ~1.8 ms on one of this project's reference vCPUs
IDLE_S = 0.001  # the pause before a "cold" wake-up: long enough for the other vCPU to halt
UNEVEN = 1.2  # slowest/fastest CPU time above which the report warns


def cpu_times_ms(cpus: list[int], samples: int) -> dict[int, float]:
    """Median CPU time (ms) of WORK_ITEMS factorial(100) in this thread, pinned to each CPU in turn."""
    allowed = os.sched_getaffinity(0)
    times: dict[int, float] = {}
    try:
        for cpu in cpus:
            os.sched_setaffinity(0, {cpu})
            runs = []
            for _ in range(samples):
                started = time.thread_time()
                for _ in range(WORK_ITEMS):
                    factorial(100)
                runs.append((time.thread_time() - started) * 1e3)
            times[cpu] = statistics.median(runs)
    finally:
        os.sched_setaffinity(0, allowed)
    return times


def wake_rtt_us(here: int, there: int, samples: int) -> dict[str, float]:
    """Median round trip (µs) over a pipe pair to a process pinned to another CPU: back to back, and after idling.

    Forks; call it before any threads start (or after they have stopped).
    """
    from_parent, to_child = os.pipe()  # (read end, write end)
    from_child, to_parent = os.pipe()
    pid = os.fork()
    if pid == 0:  # echo bytes until the parent closes its end
        try:
            os.close(to_child)
            os.close(from_child)
            os.sched_setaffinity(0, {there})
            while os.read(from_parent, 1):
                os.write(to_parent, b".")
        finally:
            os._exit(0)
    os.close(from_parent)
    os.close(to_parent)
    allowed = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {here})
        return {"hot": _round_trips(to_child, from_child, samples, idle_s=0.0),
                f"after_{IDLE_S * 1e3:g}ms_idle": _round_trips(to_child, from_child, samples, idle_s=IDLE_S)}
    finally:
        os.sched_setaffinity(0, allowed)
        os.close(to_child)
        os.close(from_child)
        os.waitpid(pid, 0)


def _round_trips(out_fd: int, in_fd: int, samples: int, idle_s: float) -> float:
    runs = []
    for _ in range(samples):
        if idle_s:
            time.sleep(idle_s)
        started = time.perf_counter()
        os.write(out_fd, b".")
        os.read(in_fd, 1)
        runs.append((time.perf_counter() - started) * 1e6)
    return statistics.median(runs)


def probe(samples: int = 40) -> dict[str, Any]:
    """Both measurements over the CPUs this process may use (wake-up: first CPU to the second)."""
    cpus = sorted(os.sched_getaffinity(0))
    result: dict[str, Any] = {"cpus": cpus, "work": f"{WORK_ITEMS} x factorial(100)",
                              "cpu_ms": cpu_times_ms(cpus, samples)}
    if len(cpus) > 1:
        result["wake_rtt_us"] = wake_rtt_us(cpus[0], cpus[1], samples * 5)
    return result


def unevenness(times: dict[int, float]) -> float:
    """How many times slower the slowest CPU ran than the fastest (1.0: even)."""
    return max(times.values()) / min(times.values())


def describe(when: str, found: dict[str, Any]) -> str:
    """One line for a report; it says so when the CPUs ran at uneven speeds."""
    times = found["cpu_ms"]
    text = f"host {when}: {found['work']} took " + ", ".join(f"{ms:.2f} ms on CPU {cpu}" for cpu, ms in times.items())
    if unevenness(times) > UNEVEN:
        text += f" - UNEVEN ({unevenness(times):.2f}x): parallel series are capped by the slower CPU"
    if "wake_rtt_us" in found:
        text += "; waking the other CPU: " + ", ".join(f"{k.replace('_', ' ')} {v:.0f} µs"
                                                     for k, v in found["wake_rtt_us"].items())
    return text
