"""The processes that host a service: one zygote per service forks its instances.

The zygote imports the service's module once, builds its WSGI app, then forks an instance per
`spawn` command (see `puma.zygote` for the protocol), so a new instance serves within milliseconds
instead of paying Python start-up, imports and the app's construction again.

Each instance answers Envoy's active health check (`LIVENESS_PATH`) in its network thread, never
behind the requests its worker threads are busy with: a check fails only when the process itself
is stuck (stopped, or a call holding the interpreter), so Envoy takes out and PUMA replaces a hung
instance, never a busy one.
"""

from __future__ import annotations

import argparse
import faulthandler
import logging
import os
import signal
import socket
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from waitress import wasyncore
from waitress.server import create_server

from . import (
    draining,
    endpoints,
    eventloop,
    failing,
    lifeline,
    liveness,
    logs,
    lonefaults,
    recycling,
    sharedcache,
    targets,
    titles,
    wakeups,
    warmup,
)
from .busy import STUCK_GRACE_S, BusyBoard, board_path
from .client import ENV_WORKER
from .config import INSTANCE_IDLE_TIMEOUT_S
from .counters import Counters
from .dispatcher import GrowingDispatcher
from .faultreplies import name_instance
from .liveness import Liveness, StuckWatch, answer_liveness_at_once
from .readiness import Probe
from .serving import build_app, limit_sync_calls
from .zygote import DRAIN_SIGNAL, Zygote, emit

log = logging.getLogger("puma.worker")

BUFFER_IN_MEMORY_BYTES = 64 << 20
IDLE_LOOP_TIMEOUT_S = 30
_identity = {"instance": 0}  # this instance's id, set in the child after the fork


STACK_DUMP_SIGNAL = signal.SIGUSR1


def main(argv: list[str] | None = None) -> None:
    args = _parse_args(argv)
    titles.set_title(f"puma.worker --service {args.service}")  # a zygote, in `ps`: its service and deployment
    logs.configure_service_log(args.service, os.environ.get("PUMA_LOG_LEVEL", "WARNING"))
    os.environ[ENV_WORKER] = "1"
    starting = lifeline.exit_while_starting(args.supervisor_pid)  # a warm-up reads no command: its supervisor's death ends it
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # prints of the app go to the log, not the channel
    # SIGUSR1 writes every thread's stack to the log: the supervisor sends it to a start-up that
    # hangs, so the log shows the line it hangs on.
    faulthandler.register(STACK_DUMP_SIGNAL, file=sys.stderr, all_threads=True)
    # Before the app is imported: its `puma.remote(..., cache=N)` memories, in every instance this
    # zygote forks, share what they are told with each other (and with the host's other services').
    # The zygote itself opens no file: its instances do, each its own connection after the fork.
    sharedcache.share_in(Path(args.answers_dir) if args.answers_dir else None, forker=True)
    # Importing the target is one step, building it (below) another; what its module logs at INFO
    # while it imports (a table it loads) is its progress too, as a warm-up's is.
    with warmup.reporting(out, warmup.own_packages(args.target, args.warmup)):
        try:
            targets.load(_without_call(args.target))
        except BaseException as exc:  # noqa: BLE001 - any import failure is reported to the supervisor
            _fail(out, f"cannot import {args.target!r}: {type(exc).__name__}: {exc}")
    # The warm-up, then the service's object (a class or a factory), run once here: the forked
    # instances share what they loaded copy-on-write. Their progress (puma.progress, or log lines
    # at INFO) reaches the supervisor, and their calls to services still starting wait for them.
    with warmup.reporting(out, warmup.own_packages(args.target, args.warmup)):
        if args.warmup:
            emit(out, {"event": "progress", "message": "warming up"})
            try:
                targets.load(args.warmup)()
            except BaseException as exc:  # noqa: BLE001
                _fail(out, f"warm-up {args.warmup!r} failed: {type(exc).__name__}: {exc}")
        try:
            served = endpoints.build(args.target)
        except BaseException as exc:  # noqa: BLE001
            _fail(out, f"cannot build {args.target!r}: {type(exc).__name__}: {exc}")
        if args.readiness:
            try:
                targets.load(args.readiness)
            except BaseException as exc:  # noqa: BLE001
                _fail(out, f"cannot import the readiness check {args.readiness!r}: {type(exc).__name__}: {exc}; "
                      "give 'module:function' of a function of no arguments")
        marked = [m for m in (args.idempotent or "").split(",") if m]
        if problem := served.unknown_methods(marked):
            _fail(out, f"puma_services.{args.service}.idempotent: {problem}")
        served = served.with_idempotent(marked, everything=args.idempotent_all)  # as its interface says
    app, counters = instance_app(args, served)  # built once; every instance forks with its own copy
    warm_server_path(args, app)

    supervisor = lifeline.supervisor_pidfd(args.supervisor_pid)  # opened here, before any fork: every instance inherits it
    starting()

    def become(sock: socket.socket, instance_id: int, notify: Callable[[], None]) -> None:
        if args.cpu_bound:  # before its first thread: a thread keeps the policy it was started with
            _run_as_batch()
        lifeline.stop_with_supervisor(supervisor)
        _identity["instance"] = instance_id
        name_instance(instance_id, sock.getsockname()[1])
        titles.set_title(f"puma.worker --service {args.service} instance {instance_id} port {sock.getsockname()[1]}")
        _publish_busy(args, app, counters, instance_id)
        serve(args, app, counters, sock, notify)

    # The methods marked @idempotent: the supervisor adds their retrying routes to Envoy.
    Zygote(out, args.host, args.drain_timeout_s, become,
           ready={"idempotent": list(served.idempotent_methods), "methods": _taken(served, args.get)},
           service=args.service, supervisor_pid=args.supervisor_pid).run()


def _taken(served: endpoints.Served, get: bool) -> list[str]:
    """The methods the service's endpoints take: a bound function's POST, and GET when the config lists it."""
    methods = served.http_methods
    return [*methods, "GET", "HEAD"] if get and methods == ["POST"] else methods


def _without_call(target: str) -> str:
    return target.removesuffix(endpoints.FACTORY_SUFFIX)


def _fail(out: Any, message: str) -> None:
    # Into the service's log, which the supervisor keeps and shows the end of: the traceback, or
    # (a refusal with no exception behind it) the message itself, never "NoneType: None".
    if sys.exc_info()[0] is not None:
        traceback.print_exc()
    else:
        print(f"puma: {message}", file=sys.stderr)
    sys.stderr.flush()  # written before the supervisor, told next, reads the log's end
    emit(out, {"event": "error", "message": message})
    sys.exit(1)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    return _parser().parse_args(argv)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m puma.worker",
                                description="Host one PUMA service (zygote). Started by the supervisor, "
                                            "which sends it commands on stdin; not meant to be run by hand.")
    p.add_argument("--service", required=True, help="the service's name (used in logs and replies)")
    p.add_argument("--target", required=True, help="the service's function, class or factory, as an import path "
                   "'module:function', 'module:Class' or 'module:factory()'")
    p.add_argument("--prefix", default="/", help="the service's URL prefix (its methods are under it; default /)")
    p.add_argument("--host", default="127.0.0.1", help="address each instance listens on (default 127.0.0.1)")
    p.add_argument("--threads", type=int, default=8, help="waitress threads per instance (default 8)")
    p.add_argument("--max-body-bytes", type=int, default=1 << 20,
                   help="largest request body accepted, in bytes (default 1 MiB; more gets 413)")
    p.add_argument("--content-types", default="*/*",
                   help="comma-separated content types a handler of the whole body takes besides JSON and forms "
                        "(default */*: any; '': none)")
    p.add_argument("--drain-timeout-s", type=float, default=5.0,
                   help="seconds a stopping instance waits for its requests to finish (default 5)")
    p.add_argument("--timeout-s", type=float, default=0.0,
                   help="the service's request timeout: an instance whose every thread is held past it (and "
                        f"{STUCK_GRACE_S:g} s) fails its liveness check (default 0: never)")
    p.add_argument("--busy-dir", default=None, help="directory each instance publishes its busy threads in")
    p.add_argument("--answers-dir", default=None,
                   help="directory where the host's instances share their remembered answers (puma.sharedcache)")
    p.add_argument("--warmup", default=None, help="import path of a function to run once before forking")
    p.add_argument("--readiness", default=None,
                   help="import path of the service's readiness check (a function of no arguments)")
    p.add_argument("--readiness-period-s", type=float, default=2.0, help="seconds between readiness checks (default 2)")
    p.add_argument("--readiness-timeout-s", type=float, default=1.0, help="longest a readiness check may take, in seconds (default 1)")
    p.add_argument("--readiness-failure-threshold", type=int, default=3,
                   help="checks in a row that must not answer before the instance is not ready (default 3)")
    p.add_argument("--idempotent-all", action="store_true",
                   help="the config makes every request to the service idempotent (its interface says so)")
    p.add_argument("--idempotent", default=None,
                   help="comma-separated method names the config marks idempotent (each must exist; default none)")
    p.add_argument("--supervisor-pid", type=int, default=None,
                   help="the supervisor's pid: each instance drains and exits when it exits (not with its zygote)")
    p.add_argument("--get", action="store_true",
                   help="the config lists GET: a bound function takes it, with its arguments as query parameters")
    p.add_argument("--cpu-bound", action="store_true",
                   help="run the instances SCHED_BATCH: waking up, they never preempt a running process")
    return p


def instance_app(args: argparse.Namespace, served: endpoints.Served) -> tuple[Any, Counters]:
    """The WSGI app of an instance of `served` (Flask, behind the liveness answer) and its counters."""
    counters = Counters()
    kwargs = {"content_types": tuple(t for t in args.content_types.split(",") if t)}
    probe = _probe(args)

    def info() -> dict[str, Any]:
        ready = probe.state() if probe is not None else (True, "")
        return {"pid": os.getpid(), "instance": _identity["instance"], "ready": ready[0],
                **({"reason": ready[1]} if not ready[0] else {})}

    app = build_app(args.service, served, prefix=args.prefix, max_body_bytes=args.max_body_bytes, counters=counters,
                    info=info, get=getattr(args, "get", False), **kwargs)
    stuck = StuckWatch(args.service, counters, args.threads, getattr(args, "timeout_s", 0.0),
                       lambda: _identity["instance"])
    wrapped = Liveness(app, args.service, probe, stuck)
    wrapped.awaits = any(eventloop.is_async(e.fn) for e in served.endpoints.values())
    return wrapped, counters


def _probe(args: argparse.Namespace) -> Probe | None:
    check = getattr(args, "readiness", None)
    if not check:
        return None
    return Probe(targets.load(check), period_s=args.readiness_period_s, timeout_s=args.readiness_timeout_s,
                 failure_threshold=getattr(args, "readiness_failure_threshold", 3), name=check)


def serve(args: argparse.Namespace, app: Any, counters: Counters, sock: socket.socket,
          notify: Callable[[], None] | None = None) -> None:
    """Run one instance: `app` on waitress, on the socket the zygote bound; `notify()` once it serves."""
    if args.cpu_bound:
        _run_as_batch()
    server = _server(args, app, sock)
    wakeups.wake_loop_on_signals(server._map)  # a drain signal another thread took wakes the loop (puma.wakeups)
    if getattr(app, "probe", None) is not None:
        app.probe.start()  # here, in the instance: a thread started in the zygote would not survive the fork
    drain = draining.Once(lambda: draining.drain_then_exit(server, counters, args.drain_timeout_s, _identity["instance"]))
    signal.signal(DRAIN_SIGNAL, lambda *_: drain())
    leave = getattr(notify, "leave", None)  # forked by a zygote: the supervisor can take it out of Envoy first
    signal.signal(signal.SIGTERM, lambda *_: draining.ask_to_leave(leave, drain) if leave is not None else drain())
    recycling.enable()
    if notify is not None:
        notify()  # the socket was listening already: requests sent until now wait in its backlog
    server.run()


def _server(args: argparse.Namespace, app: Any, sock: socket.socket) -> Any:
    threads = args.threads
    if getattr(app, "awaits", False):  # requests waiting on the event loop hold a thread each
        threads = max(threads, eventloop.ASYNC_CONCURRENCY)
        limit_sync_calls(args.threads)
    server = create_server(app, sockets=[sock], threads=threads, ident="puma",
                           _dispatcher=GrowingDispatcher(threads),
                           max_request_body_size=args.max_body_bytes + 1, channel_timeout=INSTANCE_IDLE_TIMEOUT_S,
                           connection_limit=1000, clear_untrusted_proxy_headers=True,
                           # Keep bodies up to 64 MB in memory: waitress would spill anything over
                           # 1 MB (replies) or 512 KB (requests) to a temporary file, though the
                           # app already holds it in memory and the peer is the local Envoy.
                           inbuf_overflow=min(args.max_body_bytes + 1, BUFFER_IN_MEMORY_BYTES),
                           outbuf_overflow=BUFFER_IN_MEMORY_BYTES,
                           # Its loop wakes for sockets and signals; an idle instance need not tick.
                           asyncore_loop_timeout=IDLE_LOOP_TIMEOUT_S)
    answer_liveness_at_once(server, getattr(app, "probe", None), getattr(app, "stuck", None))
    return server


def warm_process() -> None:
    """Build a throwaway instance once (in the fork server): what Flask and waitress load on first
    use is then loaded before any zygote is forked, not again in each one."""
    args = _parse_args(["--service", "warm", "--target", "puma.worker:warm_process"])
    app, _counters = instance_app(args, endpoints.serve(lambda: None))
    warm_server_path(args, app)


def warm_server_path(args: argparse.Namespace, app: Any) -> None:
    """Build (and close) a server once in the zygote: what that loads on first use (the IDNA codec
    for addresses, compiled patterns) is then loaded once, not again in every forked instance."""
    with socket.create_server((args.host, 0)) as sock:
        server = _server(args, app, sock)
        wasyncore.close_all(server._map)


def _publish_busy(args: argparse.Namespace, app: Any, counters: Counters, instance_id: int) -> None:
    """Publish this instance's busy threads, failing parts and readiness where the supervisor reads them (`puma.busy`)."""
    if not args.busy_dir:
        return
    counters.board = BusyBoard(board_path(args.busy_dir, args.service, instance_id))
    liveness.boards[:] = [counters.board]  # each answered check is noted there (puma.health reads it)
    failing.attach(counters.board)  # a part it needs failing its requests: the supervisor reads it there
    lonefaults.attach(counters.board)  # its run of 500s: one failing alone is replaced
    if getattr(app, "probe", None) is not None:
        app.probe.board = counters.board  # its readiness, in its own words: read there too


def serve_standalone(name: str, service: Any, host: str, port: int, *, drain_timeout_s: float = 5.0,
                     busy_dir: Path | None = None, instance_id: int = 1) -> None:
    """One instance of one service on host:port, in this process (for a container). `busy_dir`:
    where to publish its busy board (`puma run --backend docker` mounts the run's own there)."""
    os.environ[ENV_WORKER] = "1"
    assert service.target is not None
    args = argparse.Namespace(service=name, threads=service.threads, max_body_bytes=service.max_body_bytes,
                              prefix=service.prefix, content_types=",".join(service.content_types),
                              drain_timeout_s=max(drain_timeout_s, service.timeout_s), cpu_bound=service.cpu_bound,
                              timeout_s=service.timeout_s, busy_dir=busy_dir, get=service.takes_get,
                              **_readiness_args(service.readiness))
    # As the zygote does, before the port opens: readiness waits for it; calls to services still
    # starting wait for them.
    with warmup.reporting(None, warmup.own_packages(service.target, service.warmup)):
        if service.warmup:
            targets.load(service.warmup)()
        served = endpoints.build(service.target)
    _identity["instance"] = instance_id
    app, counters = instance_app(args, served)
    _publish_busy(args, app, counters, instance_id)
    sock = socket.create_server((host, port), backlog=1024, reuse_port=False)
    log.warning("serving %s (%s) on %s:%d", name, service.target, host, port)
    serve(args, app, counters, sock)


def _readiness_args(readiness: Any) -> dict[str, Any]:
    if readiness is None:
        return {"readiness": None}
    return {"readiness": readiness.check, "readiness_period_s": readiness.period_s,
            "readiness_timeout_s": readiness.timeout_s, "readiness_failure_threshold": readiness.failure_threshold}


def _run_as_batch() -> None:
    """Make this (still single-threaded) instance SCHED_BATCH; the threads it starts inherit that.

    A SCHED_BATCH thread that wakes up does not preempt the one running: a chunk of work arriving
    no longer stops Envoy halfway through passing on the next request (which then waited, with a
    CPU idle, until the chunk was computed), nor the caller reading a reply.
    """
    try:
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    except (AttributeError, OSError) as exc:  # not Linux, or a sandbox that forbids it: run as usual
        log.warning("cpu_bound: cannot make pid %d SCHED_BATCH (%s); it runs as a normal process",
                    os.getpid(), exc)


if __name__ == "__main__":
    main()
