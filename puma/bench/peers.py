"""`puma bench peers`: PUMA against the tools a user would pick instead, in one run.

(1) Ray Serve beside PUMA (`peers_serve`): the same JSON service on the same machine with the same
client; Ray Serve at its defaults and at its fastest documented settings. (2) Ray's and Dask's
maps beside `puma_map`, `map_reduce` and `multiprocessing.Pool.map` (`peers_map`).

The peers are an optional extra (`pip install -e '.[peers]'`, `make peers`, or this command's
`--install`), never a dependency of PUMA itself.

    puma bench peers --out bench-out/peers               # the full run (serve 9 min, map 10 min per round at load ~20)
    puma bench peers --out /tmp/peers --quick            # small and short: that it runs (1-4 min)
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ..errors import PumaError
from . import peers_map, peers_report, peers_serve
from .common import run_info, summary, write_json

# The same pins as pyproject.toml's `peers` extra (a test keeps the two equal).
PEER_REQUIREMENTS = {"ray": "ray[serve]==2.60.0", "dask": "dask[distributed]==2026.8.0"}
PEER_MODULES = {"ray": ("ray", "ray.serve", "starlette", "uvicorn"), "dask": ("dask", "distributed")}
RAY_SYSTEMS = ("ray-default", "ray-tuned")


class PeersMissing(SystemExit):
    """The peers are not installed: exits 1 with the command that installs them."""


def missing_peers() -> list[str]:
    """The peers ("ray", "dask") whose modules cannot be imported here."""
    return [peer for peer, modules in PEER_MODULES.items()
            if not all(_importable(m) for m in modules)]


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def install_command(peers: list[str]) -> list[str]:
    return [sys.executable, "-m", "pip", "install", *(PEER_REQUIREMENTS[p] for p in peers)]


def ensure_peers(install: bool, skip_missing: bool) -> list[str]:
    """The peers available to benchmark: installs the missing ones with --install; else, without
    --skip-missing, exits 1 saying exactly how to install them."""
    missing = missing_peers()
    if missing and install:
        command = install_command(missing)
        print("installing the peers: " + " ".join(command), file=sys.stderr)
        started = time.monotonic()
        subprocess.run(command, check=True)
        print(f"installed in {time.monotonic() - started:.0f} s", file=sys.stderr)
        importlib.invalidate_caches()
        missing = missing_peers()
    if missing and not skip_missing:
        raise PeersMissing(
            f"puma bench peers: not installed: {', '.join(missing)}. Install the peers with\n"
            f"  {' '.join(install_command(missing))}\n"
            f"(or `make peers`, or `pip install -e '.[peers]'` in a checkout, or rerun with --install), "
            f"or pass --skip-missing to benchmark only what is installed.")
    return [p for p in PEER_MODULES if p not in missing]


def check(args: argparse.Namespace) -> None:
    """Each bad option named with its value and what would do, before anything starts."""
    problems = [f"{name} {value}: {need}" for name, value, bad, need in (
        ("--clients", args.clients, args.clients < 1, "give at least 1 client"),
        ("--workers", args.workers, args.workers < 1, "give at least 1 worker"),
        ("--repeats", args.repeats, args.repeats < 1, "give at least 1 round"),
        ("--requests", args.requests, args.requests < 0, "give a count of requests (0: the default)"),
        ("--step-s", args.step_s, args.step_s < 0, "give a length in seconds (0: the default)"),
    ) if bad]
    if problems:
        raise PumaError("puma bench peers: " + "; ".join(problems))


def plan(args: argparse.Namespace) -> dict[str, Any]:
    quick = args.quick
    return {
        "quick": quick,
        "requests": args.requests or (300 if quick else 3000),
        "clients": args.clients,
        "duration_s": 2.0 if quick else 10.0,
        "idle_s": 1.0 if quick else 3.0,
        "step_s": args.step_s or (4.0 if quick else 45.0),
        "sizes": args.sizes or ([100, 1_000] if quick else [10**k for k in range(3, 7)]),
        "repeats": 1 if quick else args.repeats,
        "workers": args.workers,
    }


def serve_systems(available: list[str], quick: bool) -> list[str]:
    ray = [s for s in RAY_SYSTEMS if "ray" in available]
    return ["puma", *(ray[-1:] if quick else ray)]  # --quick: Ray Serve tuned only


def run_serve(systems: list[str], p: dict[str, Any], logs: Path) -> dict[str, Any]:
    steady, steps = [], []
    # --quick leaves out Ray Serve's load step: each Ray cluster start takes 10-40 s on this shared
    # 2-core machine, and the quick form only shows that every part runs.
    step_systems = ["puma"] if p["quick"] else systems
    with tqdm(total=len(systems) + len(step_systems), desc="bench peers: serve", unit="run") as bar:
        for system in systems:
            bar.set_postfix_str(f"{system}: latency, throughput, CPU")
            steady.append(peers_serve.steady(system, requests=p["requests"], clients=p["clients"],
                                             duration_s=p["duration_s"], log_dir=logs))
            bar.update()
        for system in step_systems:
            bar.set_postfix_str(f"{system}: load step")
            steps.append(peers_serve.load_step(system, clients=p["clients"], idle_s=p["idle_s"], step_s=p["step_s"],
                                               log_dir=logs))
            bar.update()
    return {"steady": steady, "load_step": steps}


def run_map(systems: list[str], p: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    order = peers_map.rounds(systems, p["repeats"])
    timeout_s = 120 + 60 * max(p["sizes"]) / 10_000
    with tqdm(total=sum(map(len, order)), desc="bench peers: map", unit="phase") as bar:
        for repeat, systems_in_round in enumerate(order):
            for system in systems_in_round:
                bar.set_postfix_str(f"round {repeat + 1}: {system}")
                rows += peers_map.run_phase(system, p["workers"], p["sizes"], repeat, timeout_s)
                bar.update()
    return rows


def summarise_map(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, int], list[float]] = {}
    for row in rows:
        groups.setdefault((row["series"], row["items"]), []).append(row["seconds"])
    return [{"series": s, "items": n, **summary(v)} for (s, n), v in sorted(groups.items())]


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)  # every `finally` stops the hosts and phases it started


def main(args: argparse.Namespace) -> None:
    check(args)
    signal.signal(signal.SIGTERM, _interrupt)
    available = ensure_peers(args.install, args.skip_missing)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    logs = out / "logs"
    logs.mkdir(exist_ok=True)
    p = plan(args)
    result: dict[str, Any] = {**run_info("peers", quick=args.quick, peers=available, **{k: v for k, v in p.items() if k != 'quick'}),
                              "load_average": {"start": os.getloadavg()}, "goals": {}}
    if args.only in (None, "serve"):
        serve = run_serve(serve_systems(available, args.quick), p, logs)
        serve["ratios"] = peers_report.serve_ratios(serve) if len(serve["steady"]) > 1 else {}
        result["serve"] = serve
        result["goals"].update(peers_report.serve_goals(serve, serve["ratios"]))
        write_json(out / "peers.json", result)  # the serve half is kept should the map half fail
    map_rows: list[dict[str, Any]] = []
    if args.only in (None, "map"):
        systems = ["builtin", "multiprocessing", "puma", *(s for s in peers_map.PEER_SYSTEMS if s in available)]
        map_rows = run_map(systems, p)
        points = summarise_map(map_rows)
        result["map"] = {"points": points}
        result["goals"].update(peers_report.map_goals(points))
    result["load_average"]["end"] = os.getloadavg()
    written = peers_report.write_csvs(out, result.get("serve"), map_rows)
    written.append(write_json(out / "peers.json", result))
    peers_report.plot(out / "peers.png", result)
    print(peers_report.report(result))
    print("wrote " + ", ".join(str(w) for w in [*written, out / "peers.png"]))
