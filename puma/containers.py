"""The Docker backend of `puma run APP.py --backend docker --image IMAGE`: every instance a container.

The deployment is the same as with processes — the same supervisor, Envoy config, EDS files,
health checking, control loop and status — with two parts swapped:

* **Envoy** runs in a container of the image (`docker run`, attached, so it is a child process
  of the supervisor as before) on the host's network: it listens where `puma run` says, reads
  the same files from the run directory (mounted at the same path) and answers its admin API on
  the same Unix socket. Its internal listener (calls between services) listens on the gateway of
  the deployment's own network, where the instances reach it.
* **Instances** are containers on a bridge network of the deployment's own (`puma-<id>`), each
  running `puma serve APP --service NAME --port 8000`, with CPU and memory limits from the
  service's `resources`. The app's directory is mounted read-only at the same path, so the image
  needs PUMA and the app's dependencies, not the app; the run's busy-board directory is mounted
  read-write, so each container publishes its busy threads there as a forked instance does
  (`puma.busy`: stuck and busy instances shown, replaced). An instance is admitted to Envoy (EDS:
  container address:8000) when its `/healthz` answers, drained before it is stopped, and
  replaced when its container exits unasked. The autoscaler's decisions start and stop them.
  One failing its checks is judged hung or busy by its cgroup's CPU (`puma.activity`), as a
  process is by its /proc: hung (or paused) is replaced, busy kept up to its `timeout_s`.

Containers and the network carry the label ``io.puma.run=<run directory>``; `stop()` removes
them all. Errors: `PumaStartError` naming the image or the engine and the fix.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import guard
from .activity import ContainerProgress
from .errors import PumaStartError
from .instances import Instance, ServicePool
from .services import Service
from .zygotes import PoolOwner

log = logging.getLogger(__name__)

SERVICE_PORT = 8000
LABEL = "io.puma.run"
OWNER_LABEL = "io.puma.supervisor-pid"  # the `puma run` that made it (a container outliving it is removed)
READY_POLL_S = 0.1
# A digest of the installed `puma` package's sources, run here and in the image alike.
PUMA_DIGEST = ("import hashlib, pathlib, puma; root = pathlib.Path(puma.__file__).parent; h = hashlib.sha256()\n"
               "for p in sorted(root.rglob('*.py')):\n"
               "    h.update(p.relative_to(root).as_posix().encode()); h.update(p.read_bytes())\n"
               "print(h.hexdigest()[:16])")
# How long a container may take to answer its first health check when its service sets no
# `startup_timeout_s`: each container imports and warms up on its own (no zygote warmed once, no
# progress reported to the supervisor), several at once on the same cores (README "Containers":
# a chatbot agent container's warm-up took 60 s at load 15-20). A container that exits fails the
# start at once, whatever this is.
CONTAINER_STARTUP_TIMEOUT_S = 300.0
PASSED_ENV = ("PUMA_", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class ContainerSpec:
    """What `puma run --backend docker` is given: the image (PUMA and the app's dependencies), the
    app script (its directory is mounted into every container) and the names of host variables
    passed to every instance besides PUMA's own (the app's settings, e.g. DATABASE_URL)."""

    image: str
    app: Path
    env: tuple[str, ...] = ()


class DockerBackend:
    """The engine, the image and the deployment's network; makes `ContainerPool`s and Envoy's command."""

    def __init__(self, run_dir: Path, spec: ContainerSpec) -> None:
        self.run_dir = run_dir
        self.image = spec.image
        self.app = spec.app.resolve()
        self.env_names = spec.env
        self.client: Any = None
        self.network: Any = None
        self.gateway: str | None = None
        self.label = {LABEL: str(run_dir), OWNER_LABEL: str(os.getpid())}

    def start(self) -> str:
        """Check the engine and the image; make the network; return its gateway address (where
        Envoy's internal listener goes). `PumaStartError` naming the fix."""
        import docker

        unset = [name for name in self.env_names if name not in os.environ]
        if unset:
            raise PumaStartError(f"--env {' '.join(unset)}: not set here, so there is nothing to pass to the "
                                 f"instances; set it (e.g. export {unset[0]}=...) or leave the --env out")
        try:
            self.client = docker.from_env()
            self.client.ping()
        except docker.errors.DockerException as exc:
            raise PumaStartError(f"--backend docker: no Docker engine answers ({exc}); start it (dockerd), "
                                 "or set DOCKER_HOST") from None
        try:
            self.client.images.get(self.image)
        except docker.errors.ImageNotFound:
            raise PumaStartError(f"--backend docker: no image {self.image!r} on this engine; build one with PUMA "
                                 "and the app's dependencies (e.g. sh deploy/docker/build-images.sh makes "
                                 "puma-chatbot:latest), then give it with --image") from None
        self._check_same_puma()
        self._remove_orphans()
        name = f"puma-{uuid.uuid4().hex[:10]}"
        self.network = self.client.networks.create(name, driver="bridge", labels=self.label)
        self.network.reload()
        gateway: str = self.network.attrs["IPAM"]["Config"][0]["Gateway"]
        self.gateway = gateway
        log.info("docker backend: network %s (gateway %s), image %s", name, gateway, self.image)
        return gateway

    def holds(self, address: str) -> bool:
        """Whether `address` is on this deployment's own network: one of its instances (the status
        server trusts them as it trusts this machine: their warm-ups wait on internal services)."""
        if self.network is None:
            return False
        try:
            subnet = ipaddress.ip_network(self.network.attrs["IPAM"]["Config"][0]["Subnet"])
            return ipaddress.ip_address(address.strip().strip("[]")) in subnet
        except (KeyError, IndexError, ValueError):
            return False

    def _check_same_puma(self) -> None:
        """The instances run the image's PUMA and talk to this one: they must be the same code."""
        here = subprocess.run([sys.executable, "-c", PUMA_DIGEST], capture_output=True, text=True, timeout=60,
                              check=True).stdout.strip()
        try:
            there = self.client.containers.run(self.image, ["python", "-c", PUMA_DIGEST], remove=True,
                                               user=self.user).decode().strip()
        except Exception as exc:  # noqa: BLE001 - an image without python or PUMA: say which
            raise PumaStartError(f"--backend docker: the image {self.image!r} cannot run PUMA ({exc}); build it "
                                 "with PUMA and the app's dependencies (sh deploy/docker/build-images.sh)") from None
        if here != there:
            raise PumaStartError(f"--backend docker: the image {self.image!r} holds another PUMA than this one "
                                 f"(its package digest {there}, here {here}), and its instances would not understand "
                                 "this supervisor; rebuild the image from this PUMA (sh deploy/docker/build-images.sh "
                                 "for puma-chatbot:latest), or run the PUMA the image holds")

    def _remove_orphans(self) -> None:
        """Containers and networks of a `puma run` killed without its stop (kill -9): removed, said."""
        def orphan(labels: dict[str, str]) -> bool:
            pid = labels.get(OWNER_LABEL, "")
            return pid.isdigit() and not Path(f"/proc/{pid}").exists()

        # ignore_removed: a container listed may be gone by its inspect (an earlier run's --rm
        # Envoy ending now): a 404 there is no reason to fail this start.
        for container in self.client.containers.list(all=True, filters={"label": LABEL}, ignore_removed=True):
            if orphan(container.labels):
                log.warning("removing container %s of a puma run that is gone (%s)", container.name,
                            container.labels.get(LABEL))
                with contextlib.suppress(Exception):
                    container.remove(force=True)
        for network in self.client.networks.list(filters={"label": LABEL}):
            if orphan(network.attrs.get("Labels") or {}):
                with contextlib.suppress(Exception):
                    network.remove()

    def envoy_command(self, cmd: list[str]) -> list[str]:
        """`cmd` (Envoy's argv on the host) run in a container of the image on the host's network."""
        mounts = ["-v", f"{self.run_dir}:{self.run_dir}"]
        return ["docker", "run", "--rm", "--init", "--network", "host", "--label", f"{LABEL}={self.run_dir}",
                "--label", f"{OWNER_LABEL}={os.getpid()}",
                "--user", self.user, "--name", f"puma-envoy-{self.run_dir.name}", *mounts, self.image, "envoy", *cmd[1:]]

    @property
    def user(self) -> str:
        """Containers run as the user who ran `puma run`: they read its run directory and app (0700)."""
        return f"{os.getuid()}:{os.getgid()}"

    def pool(self, owner: PoolOwner, name: str, service: Service) -> ContainerPool:
        return ContainerPool(owner, name, service, self)

    def instance_env(self, owner_env: dict[str, str], internal_port: int | None) -> dict[str, str]:
        env = {k: v for k, v in owner_env.items() if k.startswith(PASSED_ENV)}
        env |= {name: os.environ[name] for name in self.env_names}  # each checked set by `start`
        env["PUMA_IN_CONTAINER"] = self.image  # errors in the instance speak of the image, not a venv
        # No PYTHONPATH: it would put the app's directory before the standard library, so an app
        # module named like a standard one (the chatbot's numbers.py) would shadow it; `puma serve`
        # appends the directory instead.
        if internal_port:  # calls between services: Envoy's internal listener, on this network's gateway
            env["PUMA_URL"] = f"http://{self.gateway}:{internal_port}"
        return env

    def stop(self) -> None:
        """Remove every container and the network of this deployment (idempotent)."""
        if self.client is None:
            return
        mine = {"label": f"{LABEL}={self.run_dir}"}
        for container in self.client.containers.list(all=True, filters=mine, ignore_removed=True):
            with contextlib.suppress(Exception):
                container.remove(force=True)
        if self.network is not None:
            with contextlib.suppress(Exception):
                self.network.remove()
            self.network = None


class ContainerPool(ServicePool):
    """One service's instances as containers (see the module's docstring); the rest as `ServicePool`."""

    def __init__(self, owner: PoolOwner, name: str, service: Service, backend: DockerBackend) -> None:
        super().__init__(owner, name, service, host="0.0.0.0")
        self.backend = backend
        self.containers: dict[int, Any] = {}
        self.activity = ContainerProgress(self.containers)  # hung or busy: its cgroup's CPU (puma.health)

    # --- no zygote: the image is the warmed-up state there is ------------------------------
    def start_zygote(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.busy_dir.mkdir(parents=True, exist_ok=True)  # made by us: a missing mount source is made root's
        self._ready.set()

    def _command(self, instance: Instance) -> list[str]:
        # --busy-dir: its busy board where the supervisor reads it, as a forked instance's (stuck, busy, status)
        return ["puma", "serve", str(self.backend.app), "--service", self.name, "--port", str(SERVICE_PORT),
                "--busy-dir", str(self.busy_dir), "--instance-id", str(instance.id)]

    def spawn(self, *, reuse: Instance | None = None, replacing: Instance | None = None) -> Instance:
        with self.lock:
            instance = Instance(self.next_id(), self.name, port=SERVICE_PORT)
            self.instances[instance.id] = instance
        guard.thread(self._run, instance, name=f"puma-{self.name}-{instance.id}", retry=False).start()
        return instance

    def _run(self, instance: Instance) -> None:
        """Start the container, admit it once it answers, and handle its exit."""
        b = self.backend
        r = self.service.resources
        envoy = getattr(self.owner, "envoy", None)
        env = b.instance_env(self.owner.child_env(), getattr(envoy, "internal_port", None))
        try:
            container = b.client.containers.run(
                b.image, self._command(instance), detach=True, labels=b.label, network=b.network.name,
                name=f"puma-{b.run_dir.name}-{self.name}-{instance.id}", environment=env,
                volumes={str(b.app.parent): {"bind": str(b.app.parent), "mode": "ro"},
                         str(self.busy_dir): {"bind": str(self.busy_dir), "mode": "rw"}},
                working_dir=str(b.app.parent), init=True, stop_signal="SIGTERM", user=b.user,
                nano_cpus=int((r.cpu_limit or 0) * 1e9) or None, mem_limit=f"{r.memory_limit_mib or r.memory_mib}m")
            container.reload()
            address = container.attrs["NetworkSettings"]["Networks"][b.network.name]["IPAddress"]
        except Exception as exc:  # noqa: BLE001 - the engine's refusal, whatever it is, is logged and ends this one
            log.error("service %s: instance %d: the container did not start: %s", self.name, instance.id, exc)
            self._forget(instance)
            return
        with self.lock:
            instance.host, instance.container = address, container.short_id
            self.containers[instance.id] = container
            stop_now = instance.state == "draining"
        log.info("service %s: instance %d is container %s at %s", self.name, instance.id, container.short_id, address)
        if stop_now:
            self._stop(instance)
        else:
            guard.thread(self._admit_when_healthy, instance, name=f"puma-{self.name}-{instance.id}-admit", retry=False).start()
        code = _wait(container)
        self._exited(instance, code)

    def _admit_when_healthy(self, instance: Instance) -> None:
        url = f"http://{instance.host}:{SERVICE_PORT}/healthz"
        while instance.state == "starting" and not self.owner.stopping:
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(url, timeout=1) as reply:
                    if reply.status == 200:
                        self.admit(instance)
                        return
            time.sleep(READY_POLL_S)

    def _exited(self, instance: Instance, code: int | None) -> None:
        with self.lock:
            expected = instance.state in ("draining", "stopped")
            instance.state = "stopped"
            self.instances.pop(instance.id, None)
            container = self.containers.pop(instance.id, None)
        self._save_logs(instance, container)
        if container is not None:
            with contextlib.suppress(Exception):
                container.remove(force=True)
        if expected or self.owner.stopping or self._closing:
            return
        if self.first_ready_at is None:  # never served: a replacement would fail the same way
            self._zygote_error = (f"its container exited with code {code} before serving; does the image "
                                  f"{self.backend.image!r} hold the app's dependencies? (its output is in the log)")
            return
        log.warning("service %s: instance %d (container) exited with code %s; replacing it", self.name, instance.id, code)
        self.owner.record(self.name, f"instance {instance.id} died (code {code}); replaced", kind="died")
        self.owner.publish()
        self._replace(instance)

    def _save_logs(self, instance: Instance, container: Any) -> None:
        if container is None:
            return
        with contextlib.suppress(Exception), open(self.log_path, "ab") as out:
            out.write(f"--- instance {instance.id} (container {container.short_id}) ---\n".encode())
            out.write(container.logs(stdout=True, stderr=True))

    def _forget(self, instance: Instance) -> None:
        with self.lock:
            instance.state = "stopped"
            self.instances.pop(instance.id, None)

    def _stop(self, instance: Instance) -> None:
        with self.lock:
            container = self.containers.get(instance.id)
        if container is not None:
            with contextlib.suppress(Exception):
                container.stop(timeout=int(self.drain_timeout_s + 3))  # SIGTERM: `puma serve` drains

    def retire(self, instance: Instance) -> None:
        with self.lock:
            if instance.state not in ("starting", "ready"):
                return
            instance.state = "draining"
        try:
            self.owner.publish(wait=True)  # out of Envoy first
        finally:
            self._stop(instance)

    def evict(self, instance: Instance) -> None:
        with self.lock:
            if instance.state != "ready":
                return
            instance.state = "unhealthy"
            container = self.containers.get(instance.id)
        self.owner.publish()
        if container is not None:
            with contextlib.suppress(Exception):
                container.kill()  # its exit brings a replacement

    def shutdown(self) -> None:
        self._closing = True
        with self.lock:
            running = [i for i in self.instances.values() if i.id in self.containers]
        threads = [guard.thread(self._stop, i, name=f"puma-{self.name}-stop", retry=False, daemon=False) for i in running]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def _wait(container: Any) -> int | None:
    try:
        return int(container.wait()["StatusCode"])
    except Exception:  # noqa: BLE001 - removed under us (stop), or the engine went away
        return None

