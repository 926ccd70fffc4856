"""One process per deployment that forks every service's zygote, so the host is imported once.

A zygote is `python -m puma.worker`: Python's start-up plus Flask and waitress cost ~0.3 s of CPU
before it imports the service's own module. Started one process per service, a deployment of
eight services spent ~2.4 s of CPU on the same imports, all at once, on a 2-core machine. The
fork server imports `puma.worker` once, then forks a zygote for each request; the zygote runs
exactly what `python -m puma.worker ARGS` runs (it imports its service's module itself, so no
application code is shared or preloaded). Like multiprocessing's "forkserver".

The supervisor talks to it over a Unix SOCK_SEQPACKET socket (one message per datagram):

    -> {"seq": 1, "argv": [...worker args], "env": {...}}  + fds (stdin, stdout, stderr)
    <- {"seq": 1, "pid": 4242}
    <- {"exit": 4242, "code": 0}                 when a zygote exits

The supervisor creates each zygote's pipes and keeps their other ends, so a zygote sees its
stdin close when the supervisor goes away, exactly as with a child of its own. `ForkedZygote`
gives the supervisor the part of `subprocess.Popen` it uses (`pid`, `stdin`, `stdout`, `poll`,
`wait`, `kill`).
"""

from __future__ import annotations

import collections
import contextlib
import gc
import json
import logging
import os
import select
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

from . import guard, titles
from .proxy import process_state

log = logging.getLogger(__name__)

MAX_MESSAGE = 1 << 20
_FD_ARG = "--fd"


class ForkedZygote:
    """A zygote forked by the fork server: what the supervisor uses of a `Popen`."""

    def __init__(self, server: ForkServer, stdin: IO[str], stdout: IO[str]) -> None:
        self.server = server
        self.stdin = stdin
        self.stdout = stdout
        self.pid: int | None = None
        self.returncode: int | None = None
        self.status_lost = False
        self._started = threading.Event()
        self._exited = threading.Event()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._exited.wait(timeout):
            raise subprocess.TimeoutExpired(f"zygote pid {self.pid}", timeout or 0.0)
        assert self.returncode is not None
        return self.returncode

    def kill(self) -> None:
        if self._started.wait(5.0) and self.pid is not None and self.returncode is None:
            try:
                if self._pidfd is not None:  # its pid is not ours to wait on: never signal a reused one
                    signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
                else:
                    os.kill(self.pid, signal.SIGKILL)
            except (ProcessLookupError, OSError):
                pass

    def _exit(self, code: int) -> None:
        self.returncode = code
        self._exited.set()

    _pidfd: int | None = None

    def _lost(self) -> None:
        """Its fork server died: its exit status will go to init. A zygote that runs on is still
        running (so its liveness check goes on covering it): its exit is learnt from a pidfd."""
        self._started.set()
        if self.returncode is not None:
            return
        self.status_lost = True
        try:
            self._pidfd = os.pidfd_open(self.pid) if self.pid is not None else None
        except (AttributeError, OSError):  # gone already, or no pidfds here
            self._pidfd = None
        if self._pidfd is None:
            self._exit(-1)
            return
        guard.thread(self._wait_lost, name=f"puma-zygote-{self.pid}-exit", retry=False).start()

    def _wait_lost(self) -> None:
        assert self._pidfd is not None
        with contextlib.suppress(OSError):
            select.select([self._pidfd], [], [])
        self._exit(-1)
        os.close(self._pidfd)
        self._pidfd = None


def exit_text(zygote: object, code: int | None) -> str:
    """How a zygote's exit is said: "code -9 (SIGKILL)", "code 1", or that its status is unknown
    (forked by a fork server that had died: `ForkedZygote._lost`)."""
    if getattr(zygote, "status_lost", False):
        return "an unknown status (the fork server that started it had died, so its exit status went to init)"
    if code is None:  # its parent reads its status: one stopped (or not yet scheduled) has not
        server = getattr(zygote, "server", None)
        if server is not None and server.stopped():
            pid = server.proc.pid
            return (f"code unknown: its parent, the fork server, pid {pid}, is stopped and has not read its exit "
                    f"status; kill -CONT {pid} resumes it")
        return "code unknown: its parent had not reported its exit status yet"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"code {code} ({signal.Signals(-code).name})"
    return f"code {code}"


class ForkServer:
    """The supervisor's side: start the server, ask it for zygotes, learn when they exit.

    Should the server die (kill -9, out of memory), that is logged and recorded (`record(message)`:
    the deployment's event log), and a new one is started in its place, at most
    `MAX_RESTARTS_IN_WINDOW` times in `RESTART_WINDOW_S`; past that, zygotes are started directly
    (`alive()` is False), as while it is stopped. The zygotes it had started serve on, watched
    through pidfds (`ForkedZygote._lost`)."""

    RESTART_WINDOW_S = 60.0
    MAX_RESTARTS_IN_WINDOW = 3

    def __init__(self, env: Mapping[str, str], log_path: Path,
                 record: Callable[[str], None] | None = None) -> None:
        self.env, self.log_path, self.record = dict(env), log_path, record
        self.lock = threading.Lock()
        self.seq = 0
        self.pending: dict[int, ForkedZygote] = {}
        self.zygotes: dict[int, ForkedZygote] = {}
        self.closing = False  # stop() began: its exit is expected
        self.given_up = False  # it died too often: zygotes are started without it
        self._restarts: collections.deque[float] = collections.deque()
        self._launch()

    def _launch(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log_file:
            # Room for the titles of the zygotes it forks (puma.titles); its own title replaces it.
            room = " " * max(0, titles.TITLE_ROOM - len(sys.executable))
            self.proc = subprocess.Popen([sys.executable, "-m", "puma.forkserver", _FD_ARG, str(theirs.fileno()), room],
                                         pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                                         stdout=log_file, stderr=log_file, env=self.env,
                                         start_new_session=True)  # a terminal's signals are the supervisor's
        theirs.close()
        self.sock = ours
        self.reader = guard.thread(self._read, ours, name="puma-forkserver")
        self.reader.start()

    def alive(self) -> bool:
        return not self.given_up and self.proc.poll() is None

    def stopped(self) -> bool:
        """Whether the server is stopped (SIGSTOP, a terminal's Ctrl-Z): it forks nothing until it is
        continued, so a zygote asked of it would never start (a debugger's stop, 't', counts too)."""
        return process_state(self.proc.pid) in ("T", "t")

    def spawn(self, argv: list[str], env: Mapping[str, str], stderr: IO[bytes]) -> ForkedZygote:
        """A new zygote running `python -m puma.worker ARGV` with this environment and stderr."""
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        zygote = ForkedZygote(self, os.fdopen(in_w, "w", buffering=1),
                              os.fdopen(out_r, "r", buffering=1))
        try:
            with self.lock:
                self.seq += 1
                self.pending[self.seq] = zygote
                message = json.dumps({"seq": self.seq, "argv": argv, "env": dict(env)}).encode()
                socket.send_fds(self.sock, [message], [in_r, out_w, stderr.fileno()])
        except OSError:
            zygote._lost()  # the fork server is gone: the zygote's stdout closes below
        finally:
            os.close(in_r)  # the zygote holds them now; the supervisor keeps the other ends
            os.close(out_w)
        return zygote

    def _read(self, sock: socket.socket) -> None:
        while True:
            try:
                data = sock.recv(MAX_MESSAGE)
            except OSError:
                data = b""
            if not data:
                break
            self._handle(json.loads(data))
        with self.lock:  # the server died: whatever it started is no longer reported
            for zygote in [*self.pending.values(), *self.zygotes.values()]:
                zygote._lost()
            self.pending.clear()
            self.zygotes.clear()
            if self.closing:
                return
            self._replace_dead()

    def _replace_dead(self) -> None:
        """Under the lock: the server died unasked; say so, reap it, start another (within budget)."""
        proc = self.proc
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5.0)  # reaped: no <defunct> left behind
        code = exit_text(None, proc.returncode)
        now = time.monotonic()
        while self._restarts and now - self._restarts[0] > self.RESTART_WINDOW_S:
            self._restarts.popleft()
        if len(self._restarts) >= self.MAX_RESTARTS_IN_WINDOW:
            self.given_up = True
            said = (f"the fork server (pid {proc.pid}) exited with {code}, its {len(self._restarts) + 1}th exit in "
                    f"{self.RESTART_WINDOW_S:.0f} s; not started again: zygotes are started without it (a little "
                    "more CPU each); the zygotes it had started serve on")
        else:
            self._restarts.append(now)
            with contextlib.suppress(OSError):
                self.sock.close()
            self._launch()
            said = (f"the fork server (pid {proc.pid}) exited with {code}; started again (pid {self.proc.pid}); "
                    "the zygotes it had started serve on, still under their liveness checks")
        log.error("%s; its log: %s", said, self.log_path)
        if self.record is not None:
            self.record(said)

    def _handle(self, message: dict[str, Any]) -> None:
        with self.lock:
            if "seq" in message:
                zygote = self.pending.pop(message["seq"], None)
                if zygote is not None:
                    zygote.pid = message["pid"]
                    self.zygotes[message["pid"]] = zygote
                    zygote._started.set()
            elif "exit" in message:
                done = self.zygotes.pop(message["exit"], None)
                if done is not None:
                    done._exit(int(message["code"]))

    def stop(self) -> None:
        """Close the socket (the server then exits once its zygotes have); reap it."""
        with self.lock:
            self.closing = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        try:
            self.proc.wait(5.0)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(timeout=2.0)


# --- the server process ------------------------------------------------------------------


def serve(sock: socket.socket) -> None:
    """Fork a zygote per request until the supervisor closes the socket, then wait for them.

    It sleeps until a request comes or a zygote exits (each zygote's pidfd is watched): an idle
    deployment's fork server does not wake up.
    """
    from . import worker  # the import every zygote would otherwise repeat

    worker.warm_process()
    gc.freeze()  # what is loaded now stays shared with every zygote: the collector never touches it

    # No PR_SET_PDEATHSIG here: it fires when the *thread* that started this process ends, and a
    # deployment may be started from any thread. The supervisor's end of the socket closing (it
    # stopped, or died) is the signal instead.
    children: dict[int, int | None] = {}  # pid -> its pidfd (None where pidfds are missing)
    sel = selectors.DefaultSelector()
    sel.register(sock, selectors.EVENT_READ, None)
    open_ = True
    while open_ or children:
        polling = any(fd is None for fd in children.values())
        for key, _ in sel.select(0.05 if polling else None):
            if key.data is not None:
                _reaped(sock, sel, children, key.data)
                continue
            try:
                data, fds, _flags, _addr = socket.recv_fds(sock, MAX_MESSAGE, 3)
            except OSError:
                data, fds = b"", []
            if not data:
                open_ = False
                sel.unregister(sock)
                continue
            request = json.loads(data)
            pid = _fork_zygote(worker, (sock, sel), request, fds)
            children[pid] = _watch(sel, pid)
            _send(sock, {"seq": request["seq"], "pid": pid})
        if polling:
            for pid in [p for p, fd in children.items() if fd is None]:
                _reaped(sock, sel, children, pid)


def _watch(sel: selectors.BaseSelector, pid: int) -> int | None:
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):  # not Linux >= 5.3: the loop polls instead
        return None
    sel.register(fd, selectors.EVENT_READ, pid)
    return fd


def _reaped(sock: socket.socket, sel: selectors.BaseSelector, children: dict[int, int | None], pid: int) -> None:
    """Reap `pid` if it exited (and tell the supervisor)."""
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        done, status = pid, 0
    if done == 0:
        return
    fd = children.pop(pid, None)
    if fd is not None:
        sel.unregister(fd)
        os.close(fd)
    _send(sock, {"exit": pid, "code": os.waitstatus_to_exitcode(status)})


def _fork_zygote(worker: Any, own: tuple[socket.socket, selectors.BaseSelector], request: dict[str, Any],
                 fds: list[int]) -> int:
    pid = os.fork()
    if pid != 0:
        for fd in fds:
            os.close(fd)
        return pid
    code = 1
    try:
        sock, sel = own
        for key in list(sel.get_map().values()):  # the server's socket, selector and pidfds are not the zygote's
            if key.data is not None:
                os.close(key.fd)
        sel.close()
        sock.close()
        for target, fd in zip((0, 1, 2), fds, strict=True):
            os.dup2(fd, target)
            os.close(fd)
        # In `ps` and `top`, a zygote reads as the service it hosts and its deployment, not as the
        # fork server (puma.titles: within the fork server's command line, which keeps room for it).
        os.environ.clear()
        os.environ.update(request["env"])
        service = request["argv"][request["argv"].index("--service") + 1]
        titles.set_title(f"puma.worker --service {service}")
        worker.main(request["argv"])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - reported in the zygote's log; the supervisor sees the exit
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _send(sock: socket.socket, message: dict[str, Any]) -> None:
    try:
        sock.send(json.dumps(message).encode())
    except OSError:
        pass  # the supervisor is gone; its zygotes see their stdin close and stop


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (2, 3) or args[0] != _FD_ARG:  # a third: room for titles (puma.titles)
        raise SystemExit("usage: python -m puma.forkserver --fd N (started by the PUMA supervisor)")
    titles.set_title("puma.forkserver")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the supervisor's to handle
    serve(socket.socket(fileno=int(args[1])))


if __name__ == "__main__":
    main()
