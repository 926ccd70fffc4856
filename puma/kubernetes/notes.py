"""Config keys that Kubernetes cannot express as configured: reported, never dropped silently."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..config import PumaConfig
from ..services import Service
from ._common import FRONT, NOT_MAPPED, Options

# --- what has no Kubernetes meaning ------------------------------------------------------------


def not_mapped(config: PumaConfig, options: Options) -> list[tuple[str, str]]:
    """`(config path, why)` for each key set in `config` that Kubernetes cannot express as configured."""
    notes: list[tuple[str, str]] = []
    for name, service in config.puma_services.items():
        notes += [(f"puma_services.{name}.{key}", why) for key, why in _service_notes(service, options)]
    notes += _deployment_notes(config, options)
    return notes


def _service_notes(service: Service, options: Options) -> list[tuple[str, str]]:
    notes = []
    if service.stateful:
        notes.append(("stateful", "one pod, rolled out with strategy Recreate (the old pod stops before the new "
                                  "one starts: never two, but a gap while it starts); its state is lost when the "
                                  "pod is replaced, and a node that stops answering may have its pod started "
                                  "again elsewhere while the old one still runs: keep what must survive in a "
                                  "store, not in the process"))
    if service.warmup is not None:
        notes.append(("warmup", "each pod runs the warm-up itself before it opens its port (its readiness "
                                "waits for it); nothing is shared between pods, as forked instances share "
                                "their zygote's memory on one machine"))
    notes += process_notes(service, "pod", "the startupProbe", "kubelet's containerLogMaxSize")
    if service.cpu_bound:
        notes.append(("cpu_bound", "the pod's process still runs SCHED_BATCH, but Kubernetes has no "
                                   "scheduling class: it keeps Envoy responsive only on a node Envoy "
                                   "shares; CPU requests and limits govern sharing between pods"))
    if not service.autoscaled:
        return notes
    auto = service.autoscale_settings
    if options.autoscale_on == "cpu":
        notes.append(("autoscale.target_in_flight", f"the HPA scales on CPU ({auto.target_cpu_percent}% of "
                      f"resources.cpu), not on in-flight requests ({auto.target_in_flight:g} per instance); "
                      "render with --autoscale-on in-flight to scale on Envoy's in-flight requests "
                      "through a metrics adapter"))
    elif auto.model_fields_set & {"target_cpu_percent"}:
        notes.append(("autoscale.target_cpu_percent", "unused: the HPA scales on in-flight requests "
                                                      "(--autoscale-on in-flight)"))
    if service.instances.min == 0:
        notes.append(("instances.min", "0: a HorizontalPodAutoscaler keeps at least 1 pod (scaling to zero "
                                       "needs an alpha feature gate or an event-driven autoscaler)"))
    for key in ("upscale_delay_s", "downscale_delay_s"):
        if getattr(auto, key) > 3600:
            notes.append((f"autoscale.{key}", f"{getattr(auto, key):g} s: an HPA's stabilization window "
                                              "is at most 3600 s; rendered as 3600"))
    return notes


def process_notes(service: Service, unit: str, probe: str, rotation: str) -> list[tuple[str, str]]:
    """Keys about one `puma run` process that a container keeps only in part (Kubernetes and Swarm)."""
    notes = []
    if service.startup_timeout_s is not None:
        notes.append(("startup_timeout_s", f"{service.startup_timeout_s:g} s without progress: a {unit} reports "
                      f"none, so {probe} allows max(300 s, {service.startup_timeout_s:g} s) in all to start"))
    if "log_max_bytes" in service.model_fields_set:
        notes.append(("log_max_bytes", f"the {unit} logs to stdout: the container runtime's rotation ({rotation}) "
                      "caps it, not this"))
    return notes


def _deployment_notes(config: PumaConfig, options: Options) -> list[tuple[str, str]]:
    notes: list[tuple[str, str]] = []
    if config.rate_limit is not None and options.envoy_replicas > 1:
        notes.append(("rate_limit", f"a token bucket in each of the {options.envoy_replicas} front Envoy "
                      f"replicas: up to {options.envoy_replicas} x {config.rate_limit.requests_per_s:g} "
                      "requests/s in all (--envoy-replicas 1 for one bucket)"))
    if config.dynamodb is not None and config.dynamodb.start_local:
        notes.append(("dynamodb.local", "PUMA's local moto server does not run on Kubernetes; give "
                      "dynamodb.endpoint (DynamoDB, or a DynamoDB-compatible Service in the cluster)"))
    path = config.logging.config.get("path")
    if config.logging.name == "file" and path and path not in ("/dev/stdout", "/dev/stderr"):
        notes.append(("logging.config.path", f"{path!r} is a file inside the Envoy container, lost with "
                      "the pod; 'stdout' (the default path) goes to `kubectl logs`"))
    if "host" in config.listener.model_fields_set:
        notes.append(("listener.host", f"{config.listener.host!r}: Envoy listens on the pod's addresses; "
                      "who reaches it is the front Service's business (ClusterIP: the cluster)"))
    if config.listener.port == 0:
        notes.append(("listener.port", "0 picks a free port on one machine; the front listens on 8080"))
    if "rds" in config.http_connection_manager.model_fields_set:
        notes.append(("http_connection_manager.rds", "routes are inline in the front's ConfigMap; a "
                      "changed config rolls out new Envoy pods instead of reloading routes"))
    if config.secret is not None:
        notes.append(("secret", f"not written to the manifests: pods read PUMA_SECRET from Secret "
                      f"{options.secret!r}; create it with `kubectl -n {options.namespace} create secret "
                      f"generic {options.secret} --from-literal=PUMA_SECRET=...`"))
    if config.jobs:
        notes.append(("jobs", "run in a pod of their own: a file they write (a SQLite database) stays in that "
                              "pod, unseen by the services' pods; have them write to a database server, a "
                              "volume the services mount, or object storage"))
    return notes


def annotate(objects: Sequence[dict[str, Any]], notes: Sequence[tuple[str, str]],
              names: Mapping[str, str]) -> None:
    # Each note goes on the Deployment it concerns: a service's own, else the front's.
    for obj in objects:
        if obj["kind"] != "Deployment":
            continue
        mine = [f"{path}: {why}" for path, why in notes if _owner(path, names) == obj["metadata"]["name"]]
        if mine:
            obj["metadata"]["annotations"] = {NOT_MAPPED: "\n".join(mine)}


def _owner(path: str, names: Mapping[str, str]) -> str:
    parts = path.split(".")
    return names[parts[1]] if parts[0] == "puma_services" else FRONT


