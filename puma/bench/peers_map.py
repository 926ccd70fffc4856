"""Distributed map peers: Ray's and Dask's maps beside `puma_map`, `map_reduce` and
`multiprocessing.Pool.map`, with equal worker counts, over the paper's workload (factorial(100)
per item, the whole task timed: make the data, map, sum).

Each system runs in a phase of its own, in a fresh process (`python -m puma.bench.peers_map
SYSTEM ...`) that starts the system, warms it up, times every size and stops it, so no system's
idle processes run during another's measurement and none inherits another's threads when it
forks. The phases are repeated in a rotated order each round, so drift on a shared machine does
not always hit the same system.

Series (a user's first pick in each library):
- `Pool.map`: multiprocessing, chunks of n / (4 x processes).
- `puma_map`, `map_reduce`: PUMA (`start_local`), results returned, or sums reduced on the instances.
- `ray Pool.map`: `ray.util.multiprocessing.Pool`, the same chunking as multiprocessing.
- `dask bag`: `dask.bag.from_sequence(items).map(f).compute()` (Dask's default ~100 partitions).
- `dask client.map`: `client.map(f, items, pure=False)` then `client.gather`: one task per item.
  Both Dask series stop at SERIES_MAX_ITEMS.
- `builtin map`: one process, for scale.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from .mapfuncs import factorial

K = 100  # factorial input per item
# Dask's series stop here: measured on this shared 2-core VM at load average ~20, a bag of 10^5
# items took 215 s and one task per item ~30 ms each, so larger sizes would take most of an hour.
SERIES_MAX_ITEMS = {"dask client.map": 10_000, "dask bag": 100_000}
SERIES_BY_SYSTEM = {
    "builtin": ("builtin map",),
    "multiprocessing": ("Pool.map",),
    "puma": ("puma_map", "map_reduce"),
    "ray": ("ray Pool.map",),
    "dask": ("dask bag", "dask client.map"),
}
PEER_SYSTEMS = ("ray", "dask")
Runner = Callable[[int], int]


@contextlib.contextmanager
def _builtin(workers: int) -> Iterator[dict[str, Runner]]:
    yield {"builtin map": lambda n: sum(map(factorial, [K] * n))}


@contextlib.contextmanager
def _multiprocessing(workers: int) -> Iterator[dict[str, Runner]]:
    import multiprocessing

    with multiprocessing.Pool(workers) as pool:
        yield {"Pool.map": lambda n: sum(pool.map(factorial, [K] * n))}


@contextlib.contextmanager
def _puma(workers: int) -> Iterator[dict[str, Runner]]:
    import operator

    from ..mapping import map as puma_map
    from ..mapping import map_reduce, start_local

    with start_local(workers) as mesh:
        yield {"puma_map": lambda n: sum(puma_map(factorial, [K] * n, deployment=mesh)),
               "map_reduce": lambda n: map_reduce(factorial, [K] * n, operator.add, 0, deployment=mesh)}


@contextlib.contextmanager
def _ray(workers: int) -> Iterator[dict[str, Runner]]:
    import shutil
    import tempfile

    import ray
    from ray.util.multiprocessing import Pool

    temp = tempfile.mkdtemp(prefix="pumaray-")
    ray.init(address="local", num_cpus=workers, include_dashboard=False, log_to_driver=False, _temp_dir=temp,
             configure_logging=False)
    try:
        pool = Pool(workers)
        try:
            yield {"ray Pool.map": lambda n: sum(pool.map(factorial, [K] * n))}
        finally:
            pool.terminate()
    finally:
        ray.shutdown()
        shutil.rmtree(temp, ignore_errors=True)


@contextlib.contextmanager
def _dask(workers: int) -> Iterator[dict[str, Runner]]:
    import dask
    import dask.bag as db
    from distributed import Client, LocalCluster

    def client_map(n: int) -> int:
        return sum(client.gather(client.map(factorial, [K] * n, pure=False)))

    with (LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                       host="127.0.0.1") as cluster, Client(cluster) as client, dask.config.set(scheduler=client)):
        yield {"dask bag": lambda n: sum(db.from_sequence([K] * n).map(factorial).compute()),
               "dask client.map": client_map}


SYSTEMS: dict[str, Callable[[int], contextlib.AbstractContextManager[dict[str, Runner]]]] = {
    "builtin": _builtin, "multiprocessing": _multiprocessing, "puma": _puma, "ray": _ray, "dask": _dask}


def phase(system: str, workers: int, sizes: list[int], repeat: int) -> list[dict[str, Any]]:
    """Start `system`, time each of its series at each size, stop it. Every sum is checked."""
    rows = []
    started = time.monotonic()
    with SYSTEMS[system](workers) as runners:
        startup = time.monotonic() - started
        for run in runners.values():  # warm up: imports, connections, worker caches
            run(64)
        for n in sizes:
            for series, run in runners.items():
                if n > SERIES_MAX_ITEMS.get(series, n):
                    continue
                t0 = time.perf_counter()
                value = run(n)
                seconds = time.perf_counter() - t0
                if value != factorial(K) * n:
                    raise RuntimeError(f"{series} returned a wrong sum at {n} items")
                rows.append({"system": system, "series": series, "items": n, "repeat": repeat, "seconds": seconds,
                             "startup_s": startup})
    return rows


def run_phase(system: str, workers: int, sizes: list[int], repeat: int, timeout_s: float) -> list[dict[str, Any]]:
    """`phase` in a fresh process (killed with its whole session if it overruns)."""
    proc = subprocess.Popen([sys.executable, "-m", "puma.bench.peers_map", system, "--workers", str(workers),
                             "--sizes", ",".join(map(str, sizes)), "--repeat", str(repeat)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_session(proc.pid)
        proc.communicate()
        raise RuntimeError(f"the {system} phase overran {timeout_s:.0f} s") from None
    finally:
        _kill_session(proc.pid)  # anything the phase left behind
    if proc.returncode != 0:
        raise RuntimeError(f"the {system} phase failed (exit {proc.returncode}):\n{err[-2000:]}")
    return list(json.loads(out.strip().splitlines()[-1]))


def _kill_session(pid: int) -> None:
    import signal

    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def rounds(systems: list[str], repeats: int) -> list[list[str]]:
    """The phases' order in each round: rotated, so no system always runs first or last.

    >>> rounds(["a", "b", "c"], 2)
    [['a', 'b', 'c'], ['b', 'c', 'a']]
    """
    return [systems[r % len(systems):] + systems[:r % len(systems)] for r in range(repeats)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m puma.bench.peers_map", description="one phase of the map peers")
    parser.add_argument("system", choices=sorted(SYSTEMS))
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--sizes", required=True)
    parser.add_argument("--repeat", type=int, default=0)
    args = parser.parse_args(argv)
    rows = phase(args.system, args.workers, [int(s) for s in args.sizes.split(",")], args.repeat)
    sys.stdout.write(json.dumps(rows) + "\n")


if __name__ == "__main__":
    main()
