"""The processes that host a service: one zygote per service forks its instances.

The zygote imports the service's module once, then forks an instance per `spawn` command, so a
new instance serves within milliseconds instead of paying Python start-up and imports again.
It speaks JSON lines with the supervisor: commands on stdin, events on stdout.

    {"op": "spawn", "id": 3}       ->  {"event": "spawned", "id": 3, "pid": 4242, "port": 40123}
    {"op": "stop", "pid": 4242}    ->  (SIGTERM; the instance drains, then exits)
    {"op": "kill", "pid": 4242}    ->  (SIGKILL)
    instance exits                 ->  {"event": "exit", "pid": 4242, "id": 3, "code": 0}
    {"op": "spawn", "id": 4, "reuse": 3}  ->  instance 4 serves on instance 3's socket (same port)
    {"op": "release", "id": 3}     ->  (instance 3's socket is closed)
    stdin closes / {"op": "shutdown"}: stop every instance, then exit.

The zygote keeps each instance's listening socket open. An instance that exits after `stop` gives
its socket up; one that dies any other way (a crash, `kill`) leaves it open, so connections keep
queueing in its backlog until a replacement spawned with `reuse` accepts them on the same port: a
request sent in the gap waits for the replacement instead of being refused.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import logging
import os
import selectors
import signal
import socket
import sys
import threading
import time
import traceback
from typing import Any

from waitress.server import create_server

from . import endpoints, targets, warmup
from .client import ENV_WORKER
from .config import INSTANCE_IDLE_TIMEOUT_S
from .service import Counters, build_app

log = logging.getLogger("puma.worker")

_PR_SET_PDEATHSIG = 1
BUFFER_IN_MEMORY_BYTES = 64 << 20
FLUSH_TIMEOUT_S = 1.0  # after the drain, at most this long to write the last replies out


def main(argv: list[str] | None = None) -> None:
    args = _parse_args(argv)
    logging.basicConfig(level=os.environ.get("PUMA_LOG_LEVEL", "WARNING"),
                        format=f"%(asctime)s {args.service}[%(process)d] %(levelname)s %(message)s")
    os.environ[ENV_WORKER] = "1"
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # prints of the app go to the log, not the channel
    try:
        targets.load(_without_call(args.target))  # importing it is one step, building it (below) another
    except BaseException as exc:  # noqa: BLE001 - any import failure is reported to the supervisor
        _fail(out, f"cannot import {args.target!r}: {type(exc).__name__}: {exc}")
    # The warm-up, then the service's object (a class or a factory), run once here: the forked
    # instances share what they loaded copy-on-write. Their progress (puma.progress, or log lines
    # at INFO) reaches the supervisor, and their calls to services still starting wait for them.
    with warmup.reporting(out):
        if args.warmup:
            _emit(out, {"event": "progress", "message": "warming up"})
            try:
                targets.load(args.warmup)()
            except BaseException as exc:  # noqa: BLE001
                _fail(out, f"warm-up {args.warmup!r} failed: {type(exc).__name__}: {exc}")
        try:
            served = endpoints.build(args.target)
        except BaseException as exc:  # noqa: BLE001
            _fail(out, f"cannot build {args.target!r}: {type(exc).__name__}: {exc}")
    Zygote(args, served, out).run()


def _without_call(target: str) -> str:
    return target.removesuffix(endpoints.FACTORY_SUFFIX)


def _fail(out: Any, message: str) -> None:
    traceback.print_exc()  # into the service's log, which the supervisor keeps and points to
    _emit(out, {"event": "error", "message": message})
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
    p.add_argument("--prefix", default="/", help="the service's URL prefix (its methods are under it)")
    p.add_argument("--host", default="127.0.0.1", help="address each instance listens on (default 127.0.0.1)")
    p.add_argument("--threads", type=int, default=8, help="waitress threads per instance (default 8)")
    p.add_argument("--max-body-bytes", type=int, default=1 << 20,
                   help="largest request body accepted, in bytes (default 1 MiB; more gets 413)")
    p.add_argument("--content-types", default="",
                   help="comma-separated request content types accepted (default: JSON, forms, text)")
    p.add_argument("--drain-timeout-s", type=float, default=5.0,
                   help="seconds a stopping instance waits for its requests to finish (default 5)")
    p.add_argument("--warmup", default=None, help="import path of a function to run once before forking")
    p.add_argument("--cpu-bound", action="store_true",
                   help="run the instances SCHED_BATCH: waking up, they never preempt a running process")
    return p


def _emit(out: Any, event: dict[str, Any]) -> None:
    out.write(json.dumps(event) + "\n")
    out.flush()


class Zygote:
    def __init__(self, args: argparse.Namespace, served: endpoints.Served, out: Any) -> None:
        self.args = args
        self.served = served
        self.out = out
        self.children: dict[int, int] = {}  # pid -> instance id
        self.sockets: dict[int, socket.socket] = {}  # instance id -> its listening socket
        self.stopping: set[int] = set()  # pids told to stop: their sockets close when they exit

    def run(self) -> None:
        signal.signal(signal.SIGTERM, lambda *_: self._shutdown_and_exit())
        # The methods marked @idempotent: the supervisor adds their retrying routes to Envoy.
        _emit(self.out, {"event": "ready", "pid": os.getpid(), "idempotent": self.served.idempotent_methods})
        # Read the raw fd (not sys.stdin's buffer) so select() never misses a buffered command.
        fd = sys.stdin.fileno()
        sel = selectors.DefaultSelector()
        sel.register(fd, selectors.EVENT_READ)
        pending = b""
        while True:
            if sel.select(timeout=0.05):
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    self._command(json.loads(line))
            self._reap()
        self._shutdown_and_exit()

    def _command(self, cmd: dict[str, Any]) -> None:
        op = cmd.get("op")
        if op == "spawn":
            self._spawn(cmd["id"], cmd.get("reuse"))
        elif op == "stop" and cmd.get("pid") in self.children:
            self.stopping.add(cmd["pid"])
            _signal(cmd["pid"], signal.SIGTERM)
        elif op == "kill" and cmd.get("pid") in self.children:
            _signal(cmd["pid"], signal.SIGKILL)
        elif op == "release":
            self._release(cmd.get("id"))
        elif op == "shutdown":
            self._shutdown_and_exit()

    def _spawn(self, instance_id: int, reuse: int | None = None) -> None:
        sock = self.sockets.pop(reuse, None) if reuse is not None else None
        if sock is None:
            sock = socket.create_server((self.args.host, 0), backlog=1024)
        port = sock.getsockname()[1]
        # A stop can come as soon as the pid is known: until the child has dropped the zygote's
        # SIGTERM handler, that signal waits (else the child would run the zygote's shutdown).
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            self._become_instance(sock, instance_id)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        self.sockets[instance_id] = sock
        self.children[pid] = instance_id
        _emit(self.out, {"event": "spawned", "id": instance_id, "pid": pid, "port": port})

    def _release(self, instance_id: Any) -> None:
        sock = self.sockets.pop(instance_id, None)
        if sock is not None:
            sock.close()

    def _become_instance(self, sock: socket.socket, instance_id: int) -> None:
        try:
            _die_with_parent()
            for other in self.sockets.values():  # a sibling's port must close when the zygote lets it go
                other.close()
            sys.stdin.close()
            self.out.close()
            serve(self.args, self.served, sock, instance_id)
        finally:
            os._exit(0)

    def _reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            instance_id = self.children.pop(pid, None)
            if pid in self.stopping:  # stopped on purpose: its port closes now
                self.stopping.discard(pid)
                self._release(instance_id)
            _emit(self.out, {"event": "exit", "pid": pid, "id": instance_id,
                             "code": os.waitstatus_to_exitcode(status)})

    def _shutdown_and_exit(self) -> None:
        for pid in list(self.children):
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + self.args.drain_timeout_s + 1.0
        while self.children and time.monotonic() < deadline:
            self._reap()
            time.sleep(0.02)
        for pid in list(self.children):
            _signal(pid, signal.SIGKILL)
        os._exit(0)


def serve(args: argparse.Namespace, served: endpoints.Served, sock: socket.socket, instance_id: int) -> None:
    """Run one instance: a Flask app on waitress, on the socket the zygote bound."""
    if args.cpu_bound:
        _run_as_batch()
    counters = Counters()
    content_types = tuple(t for t in args.content_types.split(",") if t) or None
    kwargs = {"content_types": content_types} if content_types else {}
    app = build_app(args.service, served, prefix=args.prefix, max_body_bytes=args.max_body_bytes, counters=counters,
                    info=lambda: {"pid": os.getpid(), "instance": instance_id}, **kwargs)
    server = create_server(app, sockets=[sock], threads=args.threads, ident="puma",
                           max_request_body_size=args.max_body_bytes + 1, channel_timeout=INSTANCE_IDLE_TIMEOUT_S,
                           connection_limit=1000, clear_untrusted_proxy_headers=True,
                           # Keep bodies up to 64 MB in memory: waitress would spill anything over
                           # 1 MB (replies) or 512 KB (requests) to a temporary file, though the
                           # app already holds it in memory and the peer is the local Envoy.
                           inbuf_overflow=min(args.max_body_bytes + 1, BUFFER_IN_MEMORY_BYTES),
                           outbuf_overflow=BUFFER_IN_MEMORY_BYTES)
    signal.signal(signal.SIGTERM, lambda *_: _drain_then_exit(server, counters, args.drain_timeout_s))
    server.run()


def serve_standalone(name: str, service: Any, host: str, port: int, *, drain_timeout_s: float = 5.0) -> None:
    """One instance of one service on host:port, in this process (for a container)."""
    os.environ[ENV_WORKER] = "1"
    assert service.target is not None
    args = argparse.Namespace(service=name, threads=service.threads, max_body_bytes=service.max_body_bytes, prefix=service.prefix,
                              content_types=",".join(service.content_types),
                              drain_timeout_s=max(drain_timeout_s, service.timeout_s), cpu_bound=service.cpu_bound)
    # As the zygote does, before the port opens: readiness waits for it; calls to services still
    # starting wait for them.
    with warmup.reporting(None):
        if service.warmup:
            targets.load(service.warmup)()
        served = endpoints.build(service.target)
    sock = socket.create_server((host, port), backlog=1024, reuse_port=False)
    log.warning("serving %s (%s) on %s:%d", name, service.target, host, port)
    serve(args, served, sock, instance_id=1)


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


def _drain_then_exit(server: Any, counters: Counters, drain_timeout_s: float) -> None:
    # Envoy stopped routing here before the SIGTERM; let requests already inside finish, and let
    # waitress write out their replies: the app is done with a request before its bytes are sent.
    def drain() -> None:
        deadline = time.monotonic() + drain_timeout_s + FLUSH_TIMEOUT_S
        counters.wait_idle(drain_timeout_s)
        while _unsent(server) and time.monotonic() < deadline:
            time.sleep(0.01)
        os._exit(0)

    threading.Thread(target=drain, daemon=True).start()


def _unsent(server: Any) -> bool:
    """Whether any connection of waitress `server` still has a request in hand or bytes to send."""
    channels = list(getattr(server, "_map", {}).values())  # waitress's connections (and its listener)
    return any(getattr(c, "requests", None) or getattr(c, "total_outbufs_len", 0) for c in channels)


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


if __name__ == "__main__":
    main()
