"""One measured phase of `puma bench clients`, in a process of its own, with whichever `puma` is
first on PYTHONPATH (this checkout's, or a baseline revision's exported copy).

Run by path, never imported from the package, so the `puma` it measures is the one on PYTHONPATH:

    PYTHONPATH=CHECKOUT python puma/bench/clients_child.py '{"phase": "call", ...}'

It warms up, prints "warm", waits for a line on stdin (the parent reads the deployment's CPU
meanwhile), runs the phase, and prints one JSON line: calls or chunks, this process's CPU and
the latencies.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from typing import Any

import puma
import puma.mapping


def _phase(spec: dict[str, Any]) -> tuple[Callable[[], Any], int, int]:
    """(one operation, operations, requests per operation) for the phase named in `spec`."""
    payload = {"text": "a comedy with Tom Hanks from the nineties", "n": 3}
    url, secret = spec["map_url"], spec["secret"]
    if spec["phase"] == "call":
        return (lambda: puma.call("echo", payload)), spec["calls"], 1
    if spec["phase"] == "acall":
        loop = asyncio.new_event_loop()
        return (lambda: loop.run_until_complete(puma.acall("echo", payload))), spec["calls"], 1
    if spec["phase"] == "map-small":  # 2 chunks of trivial work: what a chunk costs
        return (lambda: puma.mapping.map(abs, range(100), url=url, secret=secret, chunksize=50)), spec["maps"], 2
    items = [100] * spec["large_items"]  # 68 bytes a result: the big-reply path
    return (lambda: puma.mapping.map("math:factorial", items, url=url, secret=secret)), spec["large_maps"], 0


def main() -> None:
    spec = json.loads(sys.argv[1])
    operation, count, requests = _phase(spec)
    for _ in range(max(3, count // 10)):
        operation()
    print("warm", flush=True)
    sys.stdin.readline()
    latencies = []
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(count):
        started = time.perf_counter()
        operation()
        latencies.append((time.perf_counter() - started) * 1000)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(json.dumps({"phase": spec["phase"], "operations": count, "requests": count * requests,
                      "cpu_s": cpu, "wall_s": wall, "latency_ms": latencies, "puma": puma.__file__}), flush=True)


if __name__ == "__main__":
    main()
