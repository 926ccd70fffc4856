"""A service's zygote: forks its instances on command and reports what happens to them.

It speaks JSON lines with the supervisor: commands on stdin, events on stdout.

    {"op": "spawn", "id": 3}       ->  {"event": "spawned", "id": 3, "pid": 4242, "port": 40123}
                                   ->  {"event": "serving", "id": 3, "pid": 4242}  (once it serves)
    {"op": "stop", "pid": 4242}    ->  (DRAIN_SIGNAL; the instance drains, then exits)
    SIGTERM to an instance from elsewhere -> {"event": "leaving", "id": 3, "pid": 4242}: the supervisor
                                   starts a replacement, stops routing to it, then sends "stop"
    {"op": "kill", "pid": 4242}    ->  (SIGKILL)
    instance exits                 ->  {"event": "exit", "pid": 4242, "id": 3, "code": 0, "at": 5012.3}
    {"op": "spawn", "id": 4, "reuse": 3}  ->  instance 4 serves on instance 3's socket (same port)
    {"op": "release", "id": 3}     ->  (instance 3's socket is closed)
    {"op": "ping", "n": 7}         ->  {"event": "pong", "n": 7}  (its liveness check: puma.zygotewatch)
    a fork that fails              ->  {"event": "spawn_failed", "id": 3, "error": "[Errno 11] ..."}
    stdin closes / {"op": "shutdown"}: stop every instance, then exit.
    SIGTERM to the zygote from elsewhere: it exits alone; its instances serve on (`puma.orphans`)
                                   and the supervisor starts another zygote.

Nothing here polls: the zygote sleeps until a command arrives, an instance says it serves (a line
on a pipe every instance inherits) or one exits (its pidfd becomes readable), so an idle
deployment's zygotes cost nothing however many instances they hold, and the supervisor learns of
a death the moment it happens. An instance that has not said it serves within `SERVING_TIMEOUT_S`
of its fork is killed (its exit then brings a replacement).

The zygote keeps each instance's listening socket open. An instance that exits after `stop` gives
its socket up; one that dies any other way (a crash, `kill`) leaves it open, so connections keep
queueing in its backlog until a replacement spawned with `reuse` accepts them on the same port: a
request sent in the gap waits for the replacement instead of being refused. That holds only while
the supervisor orders the replacement: if none comes within `ORPHAN_HOLD_S` (the supervisor is
hung), or at once when the supervisor is stopped (SIGSTOP), the zygote closes the socket itself, answering the requests queued there 503
"not sent" (`puma.backlog`: Envoy re-sends them to another instance), and new ones are refused at once (Envoy sends those to another instance, and its checks eject the port),
instead of each request waiting out its `timeout_s` on a port no process will ever read. A late
replacement then gets a new port.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import selectors
import signal
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

from .backlog import refuse_queued

log = logging.getLogger("puma.worker")

SERVING_TIMEOUT_S = 30.0
ORPHAN_HOLD_S = 3.0  # how long a dead instance's port waits for its replacement (usually ordered in ms)
FALLBACK_POLL_S = 0.05  # only where pidfds are missing (not Linux >= 5.3)


def _drain_pipe(fd: int) -> None:
    try:
        while os.read(fd, 512):
            pass
    except (BlockingIOError, InterruptedError):
        pass


def _stopped(pid: int | None, states: tuple[str, ...] = ("T", "t")) -> bool:
    """Whether process `pid` is stopped (SIGSTOP, a terminal's Ctrl-Z, a debugger): state T or t."""
    if pid is None:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state in states


def _drain(pid: int) -> None:
    """Tell instance `pid` to drain and exit; one stopped (SIGSTOP, Ctrl-Z) is resumed to do so. Left
    stopped, it handled nothing: a stop waited out its whole drain window for it, then killed it with
    the requests it held (a debugger's stop, state t, is left alone: SIGCONT does not resume it)."""
    signal_pid(pid, DRAIN_SIGNAL)
    if _stopped(pid, states=("T",)):
        signal_pid(pid, signal.SIGCONT)


def emit(out: Any, event: dict[str, Any]) -> None:
    out.write(json.dumps(event) + "\n")
    out.flush()


def signal_pid(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


# The zygote's "drain now, then exit" to an instance (a stop, a scale-down, the deployment stopping).
# Not SIGTERM: an instance told SIGTERM by someone else (systemd, an operator) first asks to leave
# (`_Notifier.leave`), so it is taken out of Envoy and replaced before it drains, as a scale-down is.
DRAIN_SIGNAL = signal.SIGUSR2


class _Notifier:
    """What an instance tells its zygote on the pipe every instance inherits: that it serves (called),
    and that it was sent SIGTERM and asks to leave (`leave`)."""

    def __init__(self, fd: int, instance_id: int) -> None:
        self.fd, self.instance_id = fd, instance_id

    def __call__(self) -> None:
        os.write(self.fd, f"{self.instance_id}\n".encode())

    def leave(self) -> None:
        os.write(self.fd, f"-{self.instance_id}\n".encode())


class Zygote:
    """Forks instances; `become(sock, instance_id, notify)` runs in each child and never returns."""

    def __init__(self, out: Any, host: str, drain_timeout_s: float,
                 become: Callable[[socket.socket, int, Callable[[], None]], None],
                 ready: dict[str, Any] | None = None, service: str = "", supervisor_pid: int | None = None) -> None:
        self.out = out
        self.service = service  # named in its answers to requests queued on a port it closes
        self.supervisor_pid = supervisor_pid  # stopped (SIGSTOP, Ctrl-Z): no replacement comes, a dead port closes at once
        self.ready_fields = ready or {}  # more for the supervisor in the "ready" event
        self.host = host
        self.drain_timeout_s = drain_timeout_s
        self.become = become
        self.children: dict[int, int] = {}  # pid -> instance id
        self.sockets: dict[int, socket.socket] = {}  # instance id -> its listening socket
        self.stopping: set[int] = set()  # pids told to stop: their sockets close when they exit
        self.unserving: dict[int, tuple[int, float]] = {}  # instance id -> (pid, deadline to serve)
        self.orphaned: dict[int, float] = {}  # a dead instance's id -> when its socket is closed, unless reused
        self.pidfds: dict[int, int] = {}  # pid -> pidfd
        self.sel = selectors.DefaultSelector()
        self.serving_r, self.serving_w = os.pipe()
        self.signal_r, self.signal_w = os.pipe()

    def run(self) -> None:
        signal.signal(signal.SIGTERM, lambda *_: self._exit_alone())
        gc.freeze()  # what the zygote loaded stays untouched by the collector: forked pages stay shared
        # When it was ready, by this host's monotonic clock: the supervisor measures its warm-up from
        # it, not from when it read this (it may have been stopped meanwhile: `puma.stalls`).
        emit(self.out, {"event": "ready", "pid": os.getpid(), "at": time.monotonic(), **self.ready_fields})
        # Read the raw fds (not sys.stdin's buffer) so select() never misses a buffered command.
        stdin = sys.stdin.fileno()
        self.sel.register(stdin, selectors.EVENT_READ, "commands")
        self.sel.register(self.serving_r, selectors.EVENT_READ, "serving")
        self._wake_on_signals()
        pending, serving = b"", b""
        while True:
            for key, _ in self.sel.select(self._timeout()):
                if key.data == "commands":
                    chunk = os.read(stdin, 65536)
                    if not chunk:
                        self.shutdown_and_exit()
                    *lines, pending = (pending + chunk).split(b"\n")
                    for line in lines:
                        self.command(json.loads(line))
                elif key.data == "serving":
                    *lines, serving = (serving + os.read(self.serving_r, 65536)).split(b"\n")
                    for line in lines:
                        self._serving(int(line)) if int(line) >= 0 else self._leaving(-int(line))
                elif key.data == "signal":  # its handler runs now, in this thread (see _wake_on_signals)
                    _drain_pipe(self.signal_r)
                else:
                    self._reap(key.data)
            if not self.pidfds:
                self._reap_any()  # no pidfds on this system: look at every turn
            self._kill_unserving(time.monotonic())
            self._close_orphans(time.monotonic())

    def _wake_on_signals(self) -> None:
        # A SIGTERM the kernel gives another thread (one a warm-up or an imported library started)
        # only marks the Python handler pending for this, the main thread, asleep in select() until
        # the next command: the supervisor's liveness ping, `health_check.interval_s` later. The C
        # handler also writes a byte to this pipe, from whichever thread took the signal: it wakes
        # select() and the handler runs at once (as puma.wakeups does for an instance's loop).
        os.set_blocking(self.signal_w, False)  # a full pipe drops the byte, never blocks a handler
        os.set_blocking(self.signal_r, False)
        signal.set_wakeup_fd(self.signal_w, warn_on_full_buffer=False)
        self.sel.register(self.signal_r, selectors.EVENT_READ, "signal")

    def _timeout(self) -> float | None:
        waits = [deadline - time.monotonic() for _pid, deadline in self.unserving.values()]
        waits += [deadline - time.monotonic() for deadline in self.orphaned.values()]
        if self.children and not self.pidfds:
            waits.append(FALLBACK_POLL_S)
        return max(0.0, min(waits)) if waits else None

    def command(self, cmd: dict[str, Any]) -> None:
        op = cmd.get("op")
        if op == "spawn":
            self.spawn(cmd["id"], cmd.get("reuse"))
        elif op == "stop" and cmd.get("pid") in self.children:
            self.stopping.add(cmd["pid"])
            _drain(cmd["pid"])
        elif op == "kill" and cmd.get("pid") in self.children:
            signal_pid(cmd["pid"], signal.SIGKILL)
        elif op == "ping":  # the supervisor's liveness check (puma.zygotewatch)
            emit(self.out, {"event": "pong", "n": cmd.get("n")})
        elif op == "release":
            self._release(cmd.get("id"))
        elif op == "shutdown":
            self.shutdown_and_exit()

    def spawn(self, instance_id: int, reuse: int | None = None) -> None:
        sock = self.sockets.pop(reuse, None) if reuse is not None else None
        if reuse is not None:  # taken in time: the requests queued on its port wait for the replacement
            self.orphaned.pop(reuse, None)
        try:
            if sock is None:
                sock = socket.create_server((self.host, 0), backlog=1024)
            pid = self._fork(sock, instance_id)
        except OSError as exc:  # EAGAIN (no process left: ulimit -u, pid_max), ENOMEM, EMFILE: a failed start
            log.error("instance %d could not start: %s", instance_id, exc)
            if sock is not None:
                self.sockets[instance_id] = sock  # a replacement may take it (reuse) or release it
            emit(self.out, {"event": "spawn_failed", "id": instance_id, "error": f"{type(exc).__name__}: {exc}"})
            return
        port = sock.getsockname()[1]
        self.sockets[instance_id] = sock
        self.children[pid] = instance_id
        self.unserving[instance_id] = (pid, time.monotonic() + SERVING_TIMEOUT_S)
        self._watch(pid)
        emit(self.out, {"event": "spawned", "id": instance_id, "pid": pid, "port": port})

    def _fork(self, sock: socket.socket, instance_id: int) -> int:
        # A stop can come as soon as the pid is known: until the child has dropped the zygote's
        # SIGTERM handler, that signal waits (else the child would run the zygote's shutdown).
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        try:
            pid = os.fork()
        except OSError:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            raise
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            self._child(sock, instance_id)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        return pid

    def _watch(self, pid: int) -> None:
        try:
            fd = os.pidfd_open(pid)
        except (AttributeError, OSError):  # not Linux >= 5.3: the loop polls instead
            return
        self.pidfds[pid] = fd
        self.sel.register(fd, selectors.EVENT_READ, pid)

    def _child(self, sock: socket.socket, instance_id: int) -> None:
        try:
            for other in self.sockets.values():  # a sibling's port must close when the zygote lets it go
                other.close()
            for fd in self.pidfds.values():
                os.close(fd)
            self.sel.close()
            os.close(self.serving_r)
            signal.set_wakeup_fd(-1)  # the instance's own loop sets its own (puma.wakeups)
            os.close(self.signal_r)
            os.close(self.signal_w)
            sys.stdin.close()
            self.out.close()
            self.become(sock, instance_id, self._notifier(instance_id))
        finally:
            os._exit(0)

    def _notifier(self, instance_id: int) -> Callable[[], None]:
        return _Notifier(self.serving_w, instance_id)

    def _serving(self, instance_id: int) -> None:
        entry = self.unserving.pop(instance_id, None)
        if entry is not None and entry[0] in self.children:
            emit(self.out, {"event": "serving", "id": instance_id, "pid": entry[0]})

    def _leaving(self, instance_id: int) -> None:
        pid = next((p for p, i in self.children.items() if i == instance_id), None)
        if pid is not None and pid not in self.stopping:
            emit(self.out, {"event": "leaving", "id": instance_id, "pid": pid})

    def _kill_unserving(self, now: float) -> None:
        for instance_id, (pid, deadline) in list(self.unserving.items()):
            if now >= deadline:
                del self.unserving[instance_id]
                log.warning("instance %d (pid %d) did not serve within %.0f s; killing it",
                            instance_id, pid, SERVING_TIMEOUT_S)
                signal_pid(pid, signal.SIGKILL)

    def _close_orphans(self, now: float) -> None:
        for instance_id, deadline in list(self.orphaned.items()):
            if now >= deadline:
                sock = self.sockets.get(instance_id)
                port = sock.getsockname()[1] if sock is not None else None
                log.warning("instance %d died and no replacement was ordered within %.0f s (is the supervisor "
                            "stopped?): closing its port %s, so requests sent there are refused and go elsewhere "
                            "instead of waiting out their timeout", instance_id, ORPHAN_HOLD_S, port)
                self._release(instance_id, "its instance died and no replacement was started in time")

    def _release(self, instance_id: Any, why: str = "its instance has stopped") -> None:
        self.orphaned.pop(instance_id, None)
        sock = self.sockets.pop(instance_id, None)
        if sock is not None:  # what Envoy queued there never reached an instance: say so (puma.backlog)
            refuse_queued(sock, self.service, why)

    def _reap(self, pid: int) -> None:
        try:
            _pid, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            _pid, status = pid, 0
        if _pid == 0:
            return  # not yet (a pidfd turns readable only at exit, so this is rare)
        fd = self.pidfds.pop(pid, None)
        if fd is not None:
            self.sel.unregister(fd)
            os.close(fd)
        self._exited(pid, status)

    def _reap_any(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self._exited(pid, status)

    def _exited(self, pid: int, status: int) -> None:
        instance_id = self.children.pop(pid, None)
        if instance_id is not None:
            self.unserving.pop(instance_id, None)
        if pid in self.stopping:  # stopped on purpose: its port closes now
            self.stopping.discard(pid)
            self._release(instance_id)
        elif instance_id in self.sockets and _stopped(self.supervisor_pid):
            # No replacement can be ordered while the supervisor is stopped: what Envoy queued there, and
            # sends until its checks eject the port, goes to the live instances now, not ORPHAN_HOLD_S later.
            self._release(instance_id, "its instance died while PUMA's supervisor is stopped")
        elif instance_id in self.sockets:  # died: its port waits for a replacement, for a while
            self.orphaned[instance_id] = time.monotonic() + ORPHAN_HOLD_S
        # "at": CLOCK_MONOTONIC, one clock for the host: a supervisor that reads this late can say how late.
        emit(self.out, {"event": "exit", "pid": pid, "id": instance_id, "code": os.waitstatus_to_exitcode(status),
                        "at": time.monotonic()})

    def _exit_alone(self) -> None:
        # A SIGTERM comes from outside PUMA (an operator, a process manager): a zygote is needed only to
        # fork, so its instances keep serving, tied to the supervisor, which starts another zygote.
        # (The supervisor stops a zygote by closing its stdin: that drains the instances.)
        log.warning("sent SIGTERM: exiting; its instances serve on, and the supervisor starts another zygote")
        os._exit(0)

    def shutdown_and_exit(self) -> None:
        for pid in list(self.children):
            _drain(pid)
        deadline = time.monotonic() + self.drain_timeout_s + 1.0
        while self.children and time.monotonic() < deadline:
            self._reap_any()
            time.sleep(0.02)
        for pid in list(self.children):
            signal_pid(pid, signal.SIGKILL)
        for instance_id in list(self.sockets):
            self._release(instance_id, "the deployment is stopping: its instance stopped")
        os._exit(0)
