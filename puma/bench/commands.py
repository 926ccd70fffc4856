"""`puma bench ...`: the benchmarks' subcommands and their argument types. Each benchmark's module
(and its heavy imports) loads only when its command runs."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from ..cliparse import command


def add_bench(sub: Any) -> None:
    """`puma bench ...`: one subcommand per benchmark, each loading its module only when it runs."""
    bench = command(sub, "bench", "benchmarks (write JSON/CSV and PNG plots)",
                     "Benchmarks of PUMA on this machine; each writes JSON (or CSV) and a PNG plot to --out, "
                     "with the git revision and the machine.")
    bench_sub = bench.add_subparsers(title="benchmarks")
    _add_proxy(bench_sub)
    _add_map(bench_sub)
    _add_autoscale(bench_sub)
    _add_remote(bench_sub)
    _add_envoy_features(bench_sub)
    _add_backends(bench_sub)
    _add_clients(bench_sub)
    _add_faults(bench_sub)
    _add_scale(bench_sub)
    _add_peers(bench_sub)


def _add_proxy(bench_sub: Any) -> None:
    proxy = command(bench_sub, "proxy", "latency/throughput of a trivial service direct vs through Envoy",
                     "Latency (sequential requests) and throughput (concurrent clients) of a trivial service, "
                     "called directly and through Envoy, side by side; and the start-up time to every "
                     "service healthy. Writes proxy.json and proxy.png.")
    proxy.add_argument("--out", type=Path, required=True, help="directory for JSON and PNG")
    proxy.add_argument("--requests", type=int, default=5000, help="requests per measured series")
    proxy.add_argument("--concurrency", type=int, default=8, help="clients for the throughput series")
    proxy.set_defaults(func=cmd_bench_proxy)


def _add_map(bench_sub: Any) -> None:
    bmap = command(bench_sub, "map", "the paper's Figure 7: builtin map vs Pool.map vs puma_map vs map_reduce",
                    "The paper's Figure 7: builtin map, multiprocessing Pool.map, puma_map (Pool-like and "
                    "sqrt(n) chunks) and map_reduce over growing data sizes (7a) and factorial inputs (7b), "
                    "beside forked processes that exchange only their sums. Writes CSV, JSON and PNG plots.")
    bmap.add_argument("--out", type=Path, required=True, help="directory for CSV, JSON and PNG plots")
    bmap.add_argument("--quick", action="store_true", help="small sizes and one repetition (under a minute)")
    bmap.add_argument("--instances", type=int, default=os.cpu_count() or 2,
                      help="PUMA instances = Pool processes (this machine's CPUs)")
    bmap.add_argument("--repeats", type=int, default=5, help="repetitions per point (median and spread)")
    bmap.add_argument("--sizes", type=_int_list, default=None, metavar="N,N,...",
                      help="data sizes of Figure 7a (default 100,1000,...,1000000; --quick: 100,1000,10000)")
    bmap.add_argument("--factorials", type=_int_list, default=None, metavar="K,K,...",
                      help="factorial inputs of Figure 7b (default 100,500,1000,1500; '' skips 7b)")
    bmap.set_defaults(func=_lazy("puma.bench.map"))


def _add_autoscale(bench_sub: Any) -> None:
    auto = command(bench_sub, "autoscale", "a bounded load step against a CPU-bound service; instances over time",
                    "A load step (1 to 32 closed-loop clients, bounded in time) against an autoscaled CPU-bound "
                    "service, with the control loop's former settings and its current ones alternating: "
                    "instances over time, how long until a new instance answered and what that time is made "
                    "of (detection, start, routing). Writes autoscale.json and autoscale.png.")
    auto.add_argument("--out", type=Path, required=True, help="directory for JSON and the PNG timeline")
    auto.add_argument("--quick", action="store_true", help="shorter steps, one run of each setting")
    auto.add_argument("--rounds", type=_rounds, default=None,
                      help="runs of each setting, alternating ABBA (default 2; quick 1)")
    auto.set_defaults(func=_lazy("puma.bench.autoscale"))


def _add_remote(bench_sub: Any) -> None:
    bremote = command(bench_sub, "remote", "a call through puma.remote beside puma.call (latency, caller CPU)",
                       "The same call made through puma.remote and through puma.call, alternating, against a "
                       "small deployment: latency and the caller's CPU per call. Writes remote.json and remote.png.")
    bremote.add_argument("--out", type=Path, required=True, help="directory for remote.json and remote.png")
    bremote.add_argument("--requests", type=int, default=5000, help="calls per way")
    bremote.set_defaults(func=_lazy("puma.bench.remote"))


def _add_envoy_features(bench_sub: Any) -> None:
    bfeat = command(bench_sub, "envoy-features", "Envoy CPU per request and latency of PUMA's per-request Envoy "
                     "features, each on against off, in pairs",
                     "The rendered Envoy config as shipped beside the same config with one feature removed (the "
                     "stats access logger counting answers by service, the map cluster's connection pool per "
                     "client connection, the per-service 413 mappers), two Envoys routing to one upstream Envoy, "
                     "sides alternating pair by pair. Writes envoy-features.json, .csv and .png.")
    bfeat.add_argument("--out", type=Path, required=True, help="directory for the JSON, CSV and PNG")
    bfeat.add_argument("--pairs", type=_whole(1, 100, "pairs", 6), default=6, help="pairs per feature, sides alternating (default 6)")
    bfeat.add_argument("--requests", type=_whole(20, 100_000, "requests", 3000), default=3000,
                       help="sequential requests per side of a pair (a quarter with a new connection each)")
    bfeat.add_argument("--cases", type=_feature_cases, default=None, metavar="LIST",
                       help="comma-separated cases to run, e.g. same,rbac (default: every case)")
    bfeat.set_defaults(func=_lazy("puma.bench.envoyfeatures"))


def _add_backends(bench_sub: Any) -> None:
    backends = command(bench_sub, "backends", "the process backend beside the Docker backend (start, latency, "
                        "server CPU, autoscaling)", "The same small app on `puma run`'s processes and on its Docker "
                        "backend in turn (ABBA): start to ready, sequential latency and server CPU per request, "
                        "and a load step's time to a second instance. Writes backends.json and backends.png.")
    backends.add_argument("--out", type=Path, required=True, help="directory for backends.json and backends.png")
    backends.add_argument("--image", default="puma-chatbot:latest", help="an image with PUMA (see Containers)")
    backends.add_argument("--rounds", type=int, default=2, help="runs of each backend, alternating")
    backends.add_argument("--requests", type=int, default=1000, help="sequential requests per run")
    backends.set_defaults(func=_lazy("puma.bench.backends"))


def _add_clients(bench_sub: Any) -> None:
    bclients = command(bench_sub, "clients", "this checkout's mesh client beside a baseline revision's, in pairs",
                        "puma.call, puma.acall and puma_map (2-chunk and large maps) with this checkout's client "
                        "and with a baseline revision's (git archive), alternating in pairs against one deployment: "
                        "client CPU per request, Envoy's and the instances' CPU, latency. Writes clients.json, "
                        "clients.csv and clients.png.")
    bclients.add_argument("--out", type=Path, required=True, help="directory for clients.json, .csv and .png")
    bclients.add_argument("--baseline", required=True, help="git revision whose client is measured beside this one")
    bclients.add_argument("--pairs", type=int, default=5, help="pairs of runs per phase (each side leads every other pair)")
    bclients.add_argument("--calls", type=int, default=2000, help="calls per call/acall run")
    bclients.add_argument("--maps", type=int, default=300, help="2-chunk maps per map-small run")
    bclients.add_argument("--large-items", type=int, default=200_000, help="items of a map-large map")
    bclients.add_argument("--large-maps", type=int, default=3, help="maps per map-large run")
    bclients.set_defaults(func=_lazy("puma.bench.clients"))


def _add_faults(bench_sub: Any) -> None:
    faults = command(bench_sub, "faults", "requests lost when instances are scaled down or killed under load",
                      "Requests lost (a 5xx or no complete answer) when instances are scaled down or killed "
                      "with SIGKILL under a bounded closed-loop load, per scenario. Writes faults.json and "
                      "faults.png.")
    faults.add_argument("--out", type=Path, required=True, help="directory for faults.json and faults.png")
    faults.add_argument("--baseline", type=Path, help="faults.json of another run (e.g. an older revision) to plot beside")
    faults.set_defaults(func=_lazy("puma.bench.faults"))


def _add_scale(bench_sub: Any) -> None:
    scale = command(bench_sub, "scale", "start-up, idle CPU, memory and latency as a deployment grows to 1,000 instances",
                                 "Deployments of 3, 10, 50, 250 and 1,000 trivial instances (beyond 250 on "
                                             "worker hosts in network namespaces), each measured from outside: start to "
                                             "all healthy, idle CPU and memory per component, p50/p99 of a trivial "
                                             "request, autoscale reaction, kill -9 to Envoy. Writes scale.json, "
                                             "scale.csv and scale*.png.")
    scale.add_argument("--out", type=Path, required=True, help="directory for scale.json, scale.csv and the PNG figures")
    scale.add_argument("--quick", action="store_true", help="two small deployments, short windows (about a minute)")
    scale.add_argument("--sizes", type=_int_list, default=None, metavar="N,N,...",
                       help="instance counts (default 3,10,50,250,1000; --quick: 3,8)")
    scale.add_argument("--baseline", metavar="REV", help="also measure this git revision (exported), alternating with this one")
    scale.add_argument("--baseline-max", type=int, default=0, metavar="N",
                       help="measure the baseline only up to N instances (default: every size)")
    scale.add_argument("--workers", type=int, default=3,
                       help="worker hosts (network namespaces) for the instances beyond 250 (default 3; 0: all local)")
    scale.add_argument("--idle-s", type=float, default=10.0, help="seconds of idle CPU measured per deployment (default 10)")
    scale.add_argument("--settle-s", type=float, default=3.0, help="seconds after all healthy before the idle window (default 3)")
    scale.add_argument("--requests", type=int, default=2000, help="sequential requests for p50/p99 (default 2000)")
    scale.set_defaults(func=_lazy("puma.bench.scale"))


def _add_peers(bench_sub: Any) -> None:
    peers = command(bench_sub, "peers", "PUMA beside Ray Serve, and puma_map beside Ray's and Dask's maps",
                     "Against the peers, in one run: the same trivial JSON service on PUMA and on Ray Serve (at "
                     "its defaults and at its fastest documented settings) with the same client: start-up, "
                     "p50/p99 latency, throughput, server CPU per request and a load step with autoscaling; and "
                     "puma_map and map_reduce beside multiprocessing, Ray's and Dask's maps with equal worker "
                     "counts. The peers are an optional extra: `make peers`, `pip install -e '.[peers]'` or "
                     "--install. Writes peers.json, peers_serve.csv, peers_map.csv and peers.png.")
    peers.add_argument("--out", type=Path, required=True, help="directory for JSON, CSV, the PNG and the hosts' logs")
    peers.add_argument("--quick", action="store_true",
                       help="short windows, small sizes, Ray Serve tuned only and no load step on it: that every part runs "
                            "(1-4 minutes: each Ray start takes 10-60 s on a busy 2-core machine)")
    peers.add_argument("--install", action="store_true", help="pip-install the missing peers into this Python first")
    peers.add_argument("--skip-missing", action="store_true",
                       help="benchmark only the peers installed (else a missing peer is an error)")
    peers.add_argument("--only", choices=["serve", "map"], help="run one half only (default: both)")
    peers.add_argument("--requests", type=int, default=0, metavar="N",
                       help="sequential requests for latency (default 3000; --quick: 300)")
    peers.add_argument("--clients", type=int, default=16, help="concurrent clients for throughput and the load step")
    peers.add_argument("--step-s", type=float, default=0.0, metavar="SECONDS",
                       help="length of the load step (default 45, beyond Ray Serve's default 30 s upscale delay; "
                            "--quick: 4)")
    peers.add_argument("--sizes", type=_int_list, default=None, metavar="N,N,...",
                       help="map sizes (default 1000,10000,100000,1000000; --quick: 100,1000)")
    peers.add_argument("--repeats", type=int, default=3, help="rounds of the map phases (median and spread)")
    peers.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                       help="workers of every map (PUMA instances, pool processes, Ray and Dask workers)")
    peers.set_defaults(func=_lazy("puma.bench.peers"))


def _lazy(module: str) -> Any:
    """A command whose implementation (and its heavy imports) loads only when it runs."""

    def run(args: argparse.Namespace) -> None:
        import importlib

        importlib.import_module(module).main(args)

    return run


def _int_list(text: str) -> list[int]:
    try:
        values = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give whole numbers separated by commas, e.g. 100,1000") from None
    if any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: every number must be at least 1")
    return values


def _whole(low: int, high: int, what: str, example: int) -> Any:
    """An argparse type: a whole number of `what` from `low` to `high` (bounded work), else a precise error."""

    def parse(text: str) -> int:
        digits = text.strip().replace("_", "")
        if not digits.isdigit() or not low <= int(digits) <= high:
            raise argparse.ArgumentTypeError(f"{text!r}: give a whole number of {what} from {low} to {high}, "
                                             f"e.g. {example}")
        return int(digits)

    return parse


def _feature_cases(text: str) -> tuple[str, ...]:
    from .envoyfeatures import CASES

    cases = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [c for c in cases if c not in CASES]
    if unknown or not cases:
        raise argparse.ArgumentTypeError(f"{text!r}: {', '.join(unknown) or 'no case'} is not a case; give some of "
                                         f"{', '.join(CASES)} separated by commas, e.g. same,rbac")
    return cases


def _rounds(text: str) -> int:
    if not text.strip().isdigit() or not 1 <= int(text) <= 20:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number of rounds from 1 to 20, e.g. 2")
    return int(text)


def cmd_bench_proxy(args: argparse.Namespace) -> None:
    from .proxy import run

    run(args.out, requests=args.requests, concurrency=args.concurrency)
