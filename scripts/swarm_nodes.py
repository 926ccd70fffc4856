"""Swarm nodes made of Docker engines in containers ("docker-in-docker") on one machine's engine.

Each node is a container of ``puma-swarm-node:bookworm`` (Debian's docker.io, built offline from
Debian's packages by deploy/docker/lib.sh's ``debian_rootfs``) running its own ``dockerd`` with
overlay2 on a directory of this machine bind-mounted as its /var/lib/docker, all on one
user-defined bridge network. Node 0 is the swarm's manager; the others join it as workers. The
engine the script talks to never joins a swarm itself (other stacks on it are untouched).

The images the nodes run are loaded once into a *seed* engine root (keyed by the images' ids) and
each node's root is copied from it with the image layers hard-linked (``cp -al``; a layer's files
are never written once extracted), so a re-run starts its nodes in seconds instead of loading
1.7 GB into each. Everything a run makes carries the label ``io.puma.multinode=RUN`` and is
removed by `Cluster.teardown`, which reports what it could not remove.

Runs on the engine's own machine (node roots and cgroups are bind mounts of its paths), as root.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_IMAGE = "puma-swarm-node:bookworm"
NODE_PACKAGES = "docker.io,iptables,ca-certificates,procps,iproute2"
LABEL = "io.puma.multinode"
CGROUP_ROOT = Path("/sys/fs/cgroup")
# Linux capability names by number (capability(7)); a privileged container asks for every one.
CAPABILITIES = ["CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
                "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
                "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
                "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
                "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
                "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE"]

Log = Callable[[str], None]


class NodeError(RuntimeError):
    """A step of making the nodes failed: the command, its exit code and its stderr's tail."""


def docker(*args: str, check: bool = True, timeout_s: float = 180, stdin: bytes | None = None) -> str:
    """`docker ARGS` on the engine the CLI points at; its stdout. Raises `NodeError` on failure."""
    cli = os.environ.get("DOCKER", "docker")
    try:
        # Its own session: a Ctrl-C in the terminal reaches this script (which tears down), not the
        # docker commands of the teardown itself.
        done = subprocess.run([cli, *args], capture_output=True, timeout=timeout_s, input=stdin,
                              start_new_session=True)
    except subprocess.TimeoutExpired as exc:
        raise NodeError(f"`docker {' '.join(args[:5])}` took over {timeout_s:g} s") from exc
    if check and done.returncode != 0:
        err = done.stderr.decode(errors="replace").strip()[-1500:]
        raise NodeError(f"`docker {' '.join(args[:6])}` failed (exit {done.returncode}): {err}")
    return done.stdout.decode(errors="replace")


def image_id(image: str) -> str:
    return docker("image", "inspect", "--format", "{{.Id}}", image).strip()


def missing_capabilities(status: str, last_cap: int = len(CAPABILITIES) - 1) -> list[str]:
    """Capabilities up to the kernel's last (/proc/sys/kernel/cap_last_cap) absent from the bounding
    set in a /proc/PID/status text: a privileged container asks for every one and cannot start
    where any is missing (runc: "unable to apply caps"), so those are dropped instead.

    >>> missing_capabilities("CapBnd:\\t000001fffeffffff\\n")
    ['SYS_RESOURCE']
    """
    bounding = next(int(line.split()[1], 16) for line in status.splitlines() if line.startswith("CapBnd:"))
    return [name for bit, name in enumerate(CAPABILITIES[: last_cap + 1]) if not bounding >> bit & 1]


def security_args() -> list[str]:
    """`docker run` options that let a node run its own engine: privileged where this machine's
    bounding set has every capability; otherwise every capability it has, no seccomp/AppArmor
    profile, unmasked /proc and the cgroup hierarchy writable (what privileged would give)."""
    missing = missing_capabilities(Path("/proc/self/status").read_text(),
                                   int(Path("/proc/sys/kernel/cap_last_cap").read_text()))
    if not missing:
        return ["--privileged"]
    return ["--cap-add", "ALL", *(arg for cap in missing for arg in ("--cap-drop", cap)),
            "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
            "--security-opt", "systempaths=unconfined", "-v", f"{CGROUP_ROOT}:{CGROUP_ROOT}:rw"]


def ensure_node_image(log: Log) -> None:
    """`NODE_IMAGE`, built once from Debian's packages (mmdebstrap + docker import, ~3 min)."""
    if docker("image", "ls", "-q", NODE_IMAGE).strip():
        return
    log(f"building {NODE_IMAGE} from Debian's packages ({NODE_PACKAGES}); once per machine")
    with tempfile.TemporaryDirectory() as tmp:
        tar = Path(tmp) / "node.tar"
        script = '. "$0/deploy/docker/lib.sh" && debian_rootfs "$1" "$2"'
        done = subprocess.run(["sh", "-c", script, str(ROOT), str(tar), NODE_PACKAGES],
                              capture_output=True, text=True, timeout=1200)
        if done.returncode != 0:
            raise NodeError(f"building the node's root file system failed: {done.stderr[-1500:]}")
        docker("import", "--change", "ENV LANG=C.UTF-8", "--change", 'CMD ["dockerd"]', str(tar), NODE_IMAGE,
               timeout_s=600)


@dataclass
class Node:
    name: str  # the container's name, also the swarm node's hostname
    address: str = ""  # on the cluster's network

    def docker(self, *args: str, check: bool = True, timeout_s: float = 180) -> str:
        """`docker ARGS` run by this node's own engine."""
        return docker("exec", self.name, "docker", *args, check=check, timeout_s=timeout_s)


@dataclass
class Cluster:
    """A manager and `workers` worker nodes under run id `run`; `cache` holds seed and node roots."""

    run: str
    workers: int
    cache: Path
    images: list[str]
    stack_dir: Path  # bind-mounted read-only into the manager at /stack
    front_port: int  # the manager's 8080 on this machine's 127.0.0.1
    log: Log = print
    nodes: list[Node] = field(default_factory=list)
    seed_s: float = 0.0  # loading the images into the seed (0: from the cache)

    @property
    def network(self) -> str:
        return f"puma-mn-{self.run}"

    @property
    def manager(self) -> Node:
        return self.nodes[0]

    def node_names(self) -> list[str]:
        return [f"puma-mn-{self.run}-manager"] + [f"puma-mn-{self.run}-worker{i}" for i in range(1, self.workers + 1)]

    def start(self) -> None:
        """Network, engines (from the seed), swarm: the manager on the network, workers joined."""
        seed = self._seed()
        docker("network", "create", "--label", f"{LABEL}={self.run}", self.network)
        for index, name in enumerate(self.node_names()):
            root = self.cache / "runs" / self.run / name
            _copy_root(seed, root)
            extra = ["-v", f"{self.stack_dir}:/stack:ro", "-p", f"127.0.0.1:{self.front_port}:8080"] if index == 0 else []
            self.nodes.append(Node(name))
            _run_node(name, self.network, self.run, root, extra)
        for node in self.nodes:
            _wait_engine(node)
            node.address = _address(node.name, self.network)
        self._form_swarm()

    def _form_swarm(self) -> None:
        ip = self.manager.address
        self.manager.docker("swarm", "init", "--advertise-addr", ip, "--listen-addr", f"{ip}:2377",
                            "--data-path-addr", ip)
        token = self.manager.docker("swarm", "join-token", "-q", "worker").strip()
        for node in self.nodes[1:]:
            node.docker("swarm", "join", "--token", token, "--advertise-addr", node.address, f"{ip}:2377")

    def _seed(self) -> Path:
        key = hashlib.sha256(" ".join([image_id(NODE_IMAGE), *map(image_id, self.images)]).encode()).hexdigest()[:16]
        seed = self.cache / f"seed-{key}"
        if (seed / "overlay2").is_dir():
            self.log(f"node images from the cache ({seed})")
            return seed
        started = time.monotonic()
        for old in self.cache.glob("seed-*"):  # one seed kept: the images' last build
            subprocess.run(["rm", "-rf", str(old)], timeout=600, start_new_session=True)
        self.log(f"loading {', '.join(self.images)} into the node cache (once per build of the images)")
        partial = self.cache / f"partial-{self.run}"
        name = f"puma-mn-{self.run}-seed"
        try:
            _run_node(name, "bridge", self.run, partial, [])
            node = Node(name)
            _wait_engine(node)
            for image in self.images:
                _load(image, node)
            docker("stop", "-t", "60", name, timeout_s=90)  # the engine shuts down cleanly
        finally:
            docker("rm", "-f", name, check=False)
        (partial / "engine-id").unlink(missing_ok=True)
        partial.rename(seed)
        self.seed_s = time.monotonic() - started
        self.log(f"loaded {', '.join(self.images)} into the node cache in {time.monotonic() - started:.0f} s ({seed})")
        return seed

    def teardown(self) -> dict[str, list[str]]:
        """Nodes, network, node roots and cgroups removed; what is left. The swarm exists only inside
        the nodes (this machine's engine never joined it): a node removed with its root takes its
        swarm state with it, without `swarm leave` stopping each task gracefully first (minutes)."""
        started = time.monotonic()
        ids = docker("ps", "-aq", "--filter", f"label={LABEL}={self.run}", check=False).split()
        if ids:
            docker("rm", "-f", "-v", *ids, check=False, timeout_s=300)
        for nid in docker("network", "ls", "-q", "--filter", f"label={LABEL}={self.run}", check=False).split():
            docker("network", "rm", nid, check=False)
        removed = time.monotonic()
        # ~65k files a node: one `rm` a node at once (quicker than rmtree, and than one after another)
        roots = [*(self.cache / "runs" / self.run).glob("*"), self.cache / f"partial-{self.run}"]
        for rm in [subprocess.Popen(["rm", "-rf", str(path)], start_new_session=True) for path in roots]:
            rm.wait(timeout=600)
        subprocess.run(["rm", "-rf", str(self.cache / "runs" / self.run)], timeout=600)
        _remove_cgroups(f"puma-mn-{self.run}-")
        self.log(f"nodes and network removed in {removed - started:.1f} s, node roots and cgroups in "
                 f"{time.monotonic() - removed:.1f} s")
        return self.leftovers()

    def leftovers(self) -> dict[str, list[str]]:
        label = f"label={LABEL}={self.run}"
        left = {"containers": docker("ps", "-aq", "--filter", label, check=False).split(),
                "networks": docker("network", "ls", "-q", "--filter", label, check=False).split(),
                "volumes": docker("volume", "ls", "-q", "--filter", label, check=False).split(),
                "directories": [str(p) for p in (self.cache / "runs" / self.run, self.cache / f"partial-{self.run}")
                                if p.exists()],
                "cgroups": [str(p) for p in CGROUP_ROOT.glob(f"*/puma-mn-{self.run}-*")]}
        return {kind: items for kind, items in left.items() if items}


def _run_node(name: str, network: str, run: str, root: Path, extra: list[str]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    docker("run", "-d", "--name", name, "--hostname", name, "--network", network, "--label", f"{LABEL}={run}",
           *security_args(), "-v", f"{root}:/var/lib/docker", *extra, NODE_IMAGE,
           # Its own cgroup parent: the node's containers are not mixed with this engine's.
           "dockerd", "--storage-driver", "overlay2", "--cgroup-parent", f"/{name}")


def _wait_engine(node: Node, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        driver = node.docker("info", "--format", "{{.Driver}}", check=False).strip()
        if driver:
            if driver != "overlay2":
                raise NodeError(f"{node.name}'s engine uses {driver}, not overlay2")
            return
        time.sleep(0.3)
    logs = docker("logs", "--tail", "15", node.name, check=False)
    raise NodeError(f"{node.name}'s engine did not answer within {timeout_s:g} s; its log ends:\n{logs}")


def _address(container: str, network: str) -> str:
    networks = json.loads(docker("inspect", "--format", "{{json .NetworkSettings.Networks}}", container))
    return str(networks[network]["IPAddress"])


def _load(image: str, node: Node) -> None:
    cli = os.environ.get("DOCKER", "docker")
    with subprocess.Popen([cli, "save", image], stdout=subprocess.PIPE, start_new_session=True) as save:
        load = subprocess.run([cli, "exec", "-i", node.name, "docker", "load", "-q"], stdin=save.stdout,
                              capture_output=True, timeout=900, start_new_session=True)
    if save.returncode != 0 or load.returncode != 0:
        raise NodeError(f"loading {image} into {node.name} failed: {load.stderr.decode(errors='replace')[-800:]}")


def _copy_root(seed: Path, root: Path) -> None:
    """A node's engine root from the seed: layers hard-linked, the engine's own state copied."""
    root.mkdir(parents=True, exist_ok=True)
    for entry in seed.iterdir():
        flags = "-al" if entry.name == "overlay2" else "-a"
        subprocess.run(["cp", flags, str(entry), str(root)], check=True, timeout=300)


def _remove_cgroups(prefix: str) -> None:
    # A killed node's engine cannot remove its containers' cgroups; empty directories, removed bottom-up.
    for top in CGROUP_ROOT.glob(f"*/{prefix}*"):
        for path in sorted(top.rglob("*"), key=lambda p: len(p.parts), reverse=True) + [top]:
            if path.is_dir():
                try:
                    path.rmdir()
                except OSError:
                    pass
