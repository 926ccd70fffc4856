"""Render a `PumaConfig` as a Docker Swarm stack: ``docker stack deploy -c stack.yml NAME``.

Pure and deterministic: config in, file texts out. What a deployment becomes (Compose file
format 3.8, the version `docker stack deploy` reads):

Every service is reached by DNS round robin (``endpoint_mode: dnsrr``), never through a swarm
virtual IP: no IPVS between the tasks (engines without the ip_vs module cannot route a VIP at all)
and Envoy sees every task. So the front publishes its port in ``mode: host`` on its node.

* the front Envoy: a service running the config `puma/envoy.py` renders for every target (a
  swarm ``config`` named by its content, since swarm configs cannot change), each PUMA service's
  cluster resolving the service's name by DNS (``endpoint_mode: dnsrr``: one address per task,
  so Envoy balances, health-checks and retries over the tasks itself, as on compose);
* per PUMA service: ``puma serve APP --service NAME`` with ``replicas`` = ``instances.min``,
  CPU/memory ``limits`` and ``reservations`` from ``resources``, a ``restart_policy``, a rolling
  ``update_config`` that starts the new task before it stops the old one and rolls back on
  failure, a healthcheck on ``/healthz`` and a ``stop_grace_period`` that covers the drain;
* the config's ``jobs`` as one service whose steps run in order and which is restarted only on
  failure (a database that is not up yet), then stays done.

Swarm has no autoscaler of its own: ``puma autoscale --backend swarm`` runs PUMA's (the same
policy and decision log as `puma run`) and sets each service's replica count. Keys with no Swarm
meaning are returned in `Stack.not_mapped`, and written at the top of stack.yml, never dropped.

>>> from puma.config import parse_config
>>> s = render(parse_config({"puma_services": {"agent": {"prefix": "/agent", "instances": 2}}}), Options(app="app.py"))
>>> s.doc["services"]["agent"]["deploy"]["replicas"], s.doc["services"]["agent"]["deploy"]["endpoint_mode"]
(2, 'dnsrr')
"""

from __future__ import annotations

import hashlib
import math
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import envoy
from .config import PumaConfig
from .errors import PumaError
from .kubernetes.notes import process_notes
from .services import Service

SERVICE_PORT = 8000  # every instance listens here in its own task (as on compose and Kubernetes)
FRONT = "envoy"
PUBLIC_PORT = 8080
INTERNAL_PORT = 8081  # calls between services: PUMA_URL=http://envoy:8081 (not published)
ADMIN_PORT = 9901  # on the Envoy task's loopback only; `puma autoscale` reads it through the engine
HEADER = "# Rendered by `puma render --target swarm` - do not edit by hand.\n"
GRACE_MARGIN_S = 3
LABEL = "io.puma."  # every PUMA service carries io.puma.service=NAME, the autoscaler's handle


@dataclass(frozen=True)
class Options:
    """What the config does not say: the app's path and image inside the containers, the port the
    front publishes (None: not published; a published port is open on every interface of the
    front's node), an env file every PUMA service and job reads (the app's settings; relative to
    stack.yml), and whether `resources.cpu` becomes a CPU reservation (a task then waits, pending,
    until a node has that much CPU unreserved: a small node may not start them all)."""

    app: str
    image: str = "puma-app:latest"
    publish: int | None = PUBLIC_PORT
    env_file: str | None = None
    reserve_cpu: bool = False


@dataclass(frozen=True)
class Stack:
    """The stack file's document, Envoy's config text and `(config path, reason)` per unmapped key."""

    doc: dict[str, Any]
    envoy_yaml: str
    not_mapped: list[tuple[str, str]] = field(default_factory=list)

    def files(self) -> dict[str, str]:
        """File name -> text: stack.yml (its notes as comments first) and envoy.yaml beside it."""
        notes = [f"#   {path}: {why}\n" for path, why in self.not_mapped]
        head = HEADER + ("# Not mapped to Swarm:\n" + "".join(notes) if notes else "")
        body = yaml.dump(self.doc, Dumper=_Dumper, sort_keys=False, default_flow_style=False)
        return {"stack.yml": head + body, "envoy.yaml": self.envoy_yaml}


def render(config: PumaConfig, options: Options) -> Stack:
    """The stack for `config`; every PUMA service on one overlay network with the front Envoy."""
    envoy_yaml = _envoy_yaml(config)
    config_name = "envoy-" + hashlib.sha256(envoy_yaml.encode()).hexdigest()[:10]
    services: dict[str, Any] = {FRONT: _front(config_name, options)}
    for name, service in config.puma_services.items():
        services[name] = _service(config, name, service, options)
    if config.jobs:
        services["jobs"] = _jobs(config, options)
    doc = {"version": "3.8", "services": services,
           "networks": {"default": {"driver": "overlay", "attachable": True}},
           "configs": {config_name: {"file": "./envoy.yaml"}}}
    return Stack(doc, envoy_yaml, not_mapped(config, options.reserve_cpu))


def _envoy_yaml(config: PumaConfig) -> str:
    listener = config.listener.model_copy(update={"host": "0.0.0.0", "port": PUBLIC_PORT,
                                                  "internal_port": INTERNAL_PORT})
    config = config.model_copy(update={"listener": listener})
    endpoints = {name: [(name, SERVICE_PORT)] for name in config.puma_services}
    doc = envoy.bootstrap_static(config, endpoints, dns=True, admin_port=ADMIN_PORT, internal_host="0.0.0.0")
    return "# Rendered by `puma render --target swarm` - do not edit by hand.\n" + envoy.to_yaml(doc)


def _front(config_name: str, options: Options) -> dict[str, Any]:
    front: dict[str, Any] = {
        "image": options.image,
        "command": ["envoy", "-c", "/etc/puma/envoy.yaml", "--disable-hot-restart", "--log-level", "warning"],
        "configs": [{"source": config_name, "target": "/etc/puma/envoy.yaml"}],
        "deploy": {"replicas": 1, "endpoint_mode": "dnsrr", "labels": {LABEL + "component": "front"},
                   "restart_policy": {"condition": "any", "delay": "1s"},
                   "update_config": _update_config()},
    }
    if options.publish is not None:
        # On the node running the front (mode host): no routing mesh, no virtual IP in between.
        front["ports"] = [{"target": PUBLIC_PORT, "published": options.publish, "protocol": "tcp", "mode": "host"}]
    return front


def _env(config: PumaConfig) -> dict[str, str]:
    env = {"PUMA_URL": f"http://{FRONT}:{INTERNAL_PORT}",
           # As the process backend sets for instances: one process is one instance, not a thread pool.
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    if config.dynamodb is not None and config.dynamodb.endpoint:
        env |= {"PUMA_DYNAMODB_ENDPOINT": config.dynamodb.endpoint, "PUMA_DYNAMODB_REGION": config.dynamodb.region}
    return env


def _service(config: PumaConfig, name: str, service: Service, options: Options) -> dict[str, Any]:
    drain_s = max(_seconds(config.http_connection_manager.drain_timeout), math.ceil(service.timeout_s))
    hc = service.health_check
    probe = ("import urllib.request; "
             f"urllib.request.urlopen('http://127.0.0.1:{SERVICE_PORT}/healthz', timeout={math.ceil(hc.timeout_s)})")
    spec: dict[str, Any] = {
        "image": options.image,
        "command": ["puma", "serve", options.app, "--service", name, "--port", str(SERVICE_PORT)],
        "environment": _env(config),
        "healthcheck": {"test": ["CMD", "python", "-c", probe],
                        "interval": f"{_seconds(hc.interval_s, low=2)}s",
                        # A fresh python per check takes seconds on a busy node; the engine replaces a
                        # task that fails `retries` checks in a row (Envoy's own checks route around it).
                        "timeout": f"{_seconds(hc.timeout_s, low=10)}s",
                        "retries": max(3, hc.unhealthy_threshold),  # warm-up first: 300 s, or the service's own
                        "start_period": f"{max(300, math.ceil(service.startup_timeout_s or 0))}s"},
        "stop_grace_period": f"{drain_s + GRACE_MARGIN_S}s",
        "deploy": {
            "replicas": service.instances.min,
            "endpoint_mode": "dnsrr",  # Envoy resolves every task (STRICT_DNS) and balances itself
            "labels": {LABEL + "service": name},
            "resources": _resources(service, options.reserve_cpu),
            "restart_policy": {"condition": "any", "delay": "1s", "window": "30s"},
            "update_config": _update_config(stop_first=service.stateful),
            "rollback_config": {"parallelism": 1, "order": "stop-first"},
        },
    }
    if options.env_file:
        spec["env_file"] = [options.env_file]
    return spec


def _update_config(*, stop_first: bool = False) -> dict[str, Any]:
    # One task at a time; the new one runs (and is healthy) before the old stops: capacity never drops.
    # A stateful service's one task stops first instead: never two instances at once.
    return {"parallelism": 1, "delay": "2s", "order": "stop-first" if stop_first else "start-first",
            "failure_action": "rollback", "monitor": "30s"}


def _resources(service: Service, reserve_cpu: bool) -> dict[str, Any]:
    r = service.resources
    limits: dict[str, str] = {"memory": f"{r.memory_limit_mib or r.memory_mib}M"}
    if r.cpu_limit is not None:
        limits["cpus"] = f"{r.cpu_limit:g}"
    reservations = {"cpus": f"{r.cpu:g}"} if reserve_cpu else {}
    return {"limits": limits, "reservations": {**reservations, "memory": f"{r.memory_mib}M"}}


def _jobs(config: PumaConfig, options: Options) -> dict[str, Any]:
    script = " && ".join(shlex.join(job.command) for job in config.jobs)
    spec: dict[str, Any] = {
        "image": options.image, "command": ["sh", "-c", script], "environment": _env(config),
        # Re-run until every step succeeds (a database still starting), then never again.
        "deploy": {"replicas": 1, "labels": {LABEL + "component": "jobs"},
                   "restart_policy": {"condition": "on-failure", "delay": "5s", "max_attempts": 60}},
    }
    if options.env_file:
        spec["env_file"] = [options.env_file]
    return spec


def _seconds(value: float | str, *, low: int = 1) -> int:
    if isinstance(value, str):  # an Envoy duration such as "30s"
        value = float(value.rstrip("s"))
    return max(low, math.ceil(value))


# --- what has no Swarm meaning ------------------------------------------------------------------


def not_mapped(config: PumaConfig, reserve_cpu: bool = False) -> list[tuple[str, str]]:
    """`(config path, why)` for each key set in `config` that a swarm cannot express as configured."""
    notes: list[tuple[str, str]] = []
    for name, service in config.puma_services.items():
        key = f"puma_services.{name}"
        if not reserve_cpu and "cpu" in service.resources.model_fields_set:
            notes.append((f"{key}.resources.cpu", f"{service.resources.cpu:g} not reserved (--reserve-cpu "
                          "reserves it: a task then waits until a node has that much CPU unreserved)"))
        if service.autoscaled:
            notes.append((f"{key}.instances", f"{service.instances.min}-{service.instances.upper}: Swarm has no "
                          "autoscaler; the stack starts instances.min replicas and `puma autoscale --backend "
                          "swarm` scales them"))
        if service.warmup is not None:
            notes.append((f"{key}.warmup", "each task runs the warm-up itself before it opens its port; "
                          "nothing is shared between tasks as forked instances share their zygote's memory"))
        if service.cpu_bound:
            notes.append((f"{key}.cpu_bound", "SCHED_BATCH inside the task only; resources.cpu governs sharing"))
        notes += [(f"{key}.{path}", why) for path, why in
                  process_notes(service, "task", "its healthcheck's start_period", "the engine's log driver")]
        if service.stateful:
            notes.append((f"{key}.stateful", "one task, updated stop-first (never two at once, but a gap while "
                          "the new one starts); its state is lost when the task is replaced: keep what must "
                          "survive in a store"))
    if config.jobs:
        notes.append(("jobs", "run in a task of their own: a file they write (a SQLite database) stays in its "
                      "container, unseen by the services' tasks; write to a database server or a shared volume"))
    if config.dynamodb is not None and config.dynamodb.start_local:
        notes.append(("dynamodb.local", "PUMA's local moto server does not run in a stack; give "
                      "dynamodb.endpoint (a DynamoDB-compatible service in the stack, or DynamoDB)"))
    if config.secret is not None:
        notes.append(("secret", "not written to the stack: give PUMA_SECRET in the env file (--env-file)"))
    if "host" in config.listener.model_fields_set or config.listener.port not in (0, PUBLIC_PORT):
        notes.append(("listener", "the front listens on 8080 in its task; --publish says which port of "
                      "the swarm's nodes reaches it"))
    return notes


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def write(config: PumaConfig, app: str, out: Path | None, *, image: str | None = None,
          publish: int | None = None, env_file: str | None = None, reserve_cpu: bool = False) -> None:
    """`puma render --target swarm`: stack.yml and envoy.yaml into directory `out` (stdout: stack.yml
    only, since its config names envoy.yaml beside it). Unmapped keys are listed on stderr too.
    Raises `PumaError` when `out` is a file or `publish` is not a port."""
    if publish is not None and not 0 <= publish <= 65535:
        raise PumaError(f"--publish {publish} is not a port; give 1-65535, or 0 to publish none")
    options = Options(app=app, image=image or Options.image, env_file=env_file, reserve_cpu=reserve_cpu,
                      publish=PUBLIC_PORT if publish is None else (publish or None))
    stack = render(config, options)
    for path, why in stack.not_mapped:
        print(f"puma: not mapped to Swarm: {path}: {why}", file=sys.stderr)
    files = stack.files()
    if out is None:
        sys.stdout.write(files["stack.yml"])
        return
    if out.exists() and not out.is_dir():
        raise PumaError(f"--out {out} is a file; give a directory (stack.yml and envoy.yaml go in it)")
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (out / name).write_text(text)
    print(f"wrote {out}/stack.yml and {out}/envoy.yaml (docker stack deploy -c {out}/stack.yml NAME)",
          file=sys.stderr)
