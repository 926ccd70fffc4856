"""Per PUMA service: Deployment, headless Service, HPA, PodDisruptionBudget; and the config's jobs as a Job."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

from ..config import PumaConfig
from ..services import LIVENESS_PATH, Service
from ._common import (
    FRONT,
    GRACE_MARGIN_S,
    IN_FLIGHT_METRIC,
    PRESTOP_S,
    SERVICE_PORT,
    Options,
    internal_port,
    labels,
    meta,
    quantity,
    resources_spec,
    seconds,
    selector,
    service_host,
)

# --- namespace and jobs ---------------------------------------------------------------------


def namespace_object(options: Options) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": options.namespace, "labels": labels(options.namespace, "namespace", options)}}


def _env(config: PumaConfig, options: Options) -> dict[str, Any]:
    """What every PUMA container gets: the mesh URL, the deployment secret by reference, app settings."""
    env: list[dict[str, Any]] = [
        # Calls between services go to the front's internal listener (internal services included).
        {"name": "PUMA_URL", "value": f"http://{service_host(FRONT, options)}:{internal_port(config)}"},
        # Required when the app's config names a secret (it relies on one); optional otherwise.
        {"name": "PUMA_SECRET", "valueFrom": {"secretKeyRef": {
            "name": options.secret, "key": "PUMA_SECRET", "optional": config.secret is None}}},
        # As the process backend sets for instances: one process is one instance, not a thread pool.
        {"name": "OMP_NUM_THREADS", "value": "1"}, {"name": "OPENBLAS_NUM_THREADS", "value": "1"},
        {"name": "MKL_NUM_THREADS", "value": "1"},
    ]
    if config.dynamodb is not None and config.dynamodb.endpoint:
        env += [{"name": "PUMA_DYNAMODB_ENDPOINT", "value": config.dynamodb.endpoint},
                {"name": "PUMA_DYNAMODB_REGION", "value": config.dynamodb.region}]
    return {"env": env, "envFrom": [{"secretRef": {"name": options.secret, "optional": True}}]}


def job_objects(config: PumaConfig, options: Options) -> list[dict[str, Any]]:
    """The config's `jobs` as one Job whose steps run in order (init containers, then the last)."""
    if not config.jobs:
        return []
    steps = [{"name": job.name, "image": options.image, "imagePullPolicy": "IfNotPresent",
              "command": list(job.command), **_env(config, options)} for job in config.jobs]
    pod: dict[str, Any] = {"restartPolicy": "Never", "automountServiceAccountToken": False,
                           "containers": steps[-1:]}
    if len(steps) > 1:
        pod["initContainers"] = steps[:-1]  # run one after another, each to success
    # Named by its content: a new image or command is a new Job (a Job's pod template cannot
    # change), and re-applying the same release leaves the finished Job alone.
    digest = hashlib.sha256(json.dumps(pod, sort_keys=True).encode()).hexdigest()[:10]
    name = f"jobs-{digest}"
    template = {"metadata": {"labels": labels("jobs", "jobs", options)}, "spec": pod}
    return [{"apiVersion": "batch/v1", "kind": "Job", "metadata": meta(name, "jobs", options),
             "spec": {"backoffLimit": 3, "template": template}}]


# --- PUMA services ----------------------------------------------------------------------------


def service_objects(config: PumaConfig, name: str, options: Options,
                     names: Mapping[str, str]) -> list[dict[str, Any]]:
    service = config.puma_services[name]
    kube = names[name]
    replicas = None if service.autoscaled else service.instances.min  # the HPA owns replicas
    most = service.instances.upper if service.autoscaled else service.instances.min
    objects = [deployment(kube, "service", options, _service_pod(config, name, kube, options),
                          replicas=replicas, spread=most >= 2, recreate=service.stateful)]
    objects.append({"apiVersion": "v1", "kind": "Service", "metadata": meta(kube, "service", options),
                    # Headless: DNS answers with every ready pod, and Envoy balances over them.
                    "spec": {"clusterIP": "None", "selector": selector(kube, options),
                             "ports": [{"name": "http", "port": SERVICE_PORT, "targetPort": "http"}]}})
    if service.autoscaled:
        objects.append(_hpa(name, kube, service, options))
    if most >= 2:
        objects.append(pdb(kube, "service", options))
    return objects


def _service_pod(config: PumaConfig, name: str, kube: str, options: Options) -> dict[str, Any]:
    service = config.puma_services[name]
    # An instance drains for up to its service's timeout (or the drain timeout, if longer).
    drain_s = max(seconds(config.http_connection_manager.drain_timeout), math.ceil(service.timeout_s))
    healthz = {"path": "/healthz", "port": "http"}
    container = {
        "name": kube, "image": options.image, "imagePullPolicy": "IfNotPresent",
        "command": ["puma", "serve", options.app, "--service", name, "--port", str(SERVICE_PORT)],
        "ports": [{"name": "http", "containerPort": SERVICE_PORT}],
        **_env(config, options),
        "resources": resources_spec(service.resources),
        # Up to 5 minutes to load (a warm-up runs before the port opens), or the service's
        # startup_timeout_s if longer, then the usual checks.
        "startupProbe": {"httpGet": healthz, "periodSeconds": 2,
                         "failureThreshold": max(150, math.ceil((service.startup_timeout_s or 0) / 2))},
        # With a readiness check, the instance's check path answers 503 while it fails (puma.readiness);
        # /healthz stays 200 while the process lives: a store outage never restarts a pod.
        "readinessProbe": {"httpGet": {"path": LIVENESS_PATH, "port": "http"} if service.readiness else healthz,
                           **_readiness(service)},
        "livenessProbe": {"httpGet": healthz, "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 3},
        # Keep serving until Envoy has stopped routing here; SIGTERM then drains what is in flight.
        "lifecycle": {"preStop": {"sleep": {"seconds": PRESTOP_S}}},
    }
    return {"metadata": {"labels": labels(kube, "service", options)},
            "spec": {"automountServiceAccountToken": False,
                     "terminationGracePeriodSeconds": PRESTOP_S + drain_s + GRACE_MARGIN_S,
                     "containers": [container]}}


def _readiness(service: Service) -> dict[str, int]:
    hc = service.health_check
    period_s = min(hc.interval_s, service.readiness.period_s) if service.readiness else hc.interval_s
    return {"periodSeconds": seconds(period_s), "timeoutSeconds": seconds(hc.timeout_s),
            "failureThreshold": hc.unhealthy_threshold, "successThreshold": hc.healthy_threshold}


def deployment(kube: str, component: str, options: Options, pod: dict[str, Any], *,
                replicas: int | None, spread: bool, recreate: bool = False) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if replicas is not None:
        spec["replicas"] = replicas
    spec["selector"] = {"matchLabels": selector(kube, options)}
    if recreate:  # stateful: one instance, so the old pod stops before the new one starts
        spec["strategy"] = {"type": "Recreate"}
    else:  # new pods are ready before old ones go: a rollout never lowers capacity
        spec["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    if spread:  # instances on different nodes when there are several
        pod["spec"]["topologySpreadConstraints"] = [{
            "maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": selector(kube, options)}}]
    spec["template"] = pod
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(kube, component, options), "spec": spec}


def pdb(kube: str, component: str, options: Options) -> dict[str, Any]:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta(kube, component, options),
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector(kube, options)}}}


def _hpa(name: str, kube: str, service: Service, options: Options) -> dict[str, Any]:
    auto = service.autoscale_settings
    if options.autoscale_on == "cpu":
        metric: dict[str, Any] = {"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": auto.target_cpu_percent}}}
    else:  # Envoy's in-flight requests to this cluster, per pod (PUMA's own signal)
        metric = {"type": "External", "external": {
            "metric": {"name": IN_FLIGHT_METRIC, "selector": {"matchLabels": {"envoy_cluster_name": name}}},
            "target": {"type": "AverageValue", "averageValue": quantity(auto.target_in_flight)}}}
    behavior = {"scaleUp": {"stabilizationWindowSeconds": min(3600, seconds(auto.upscale_delay_s, low=0))},
                "scaleDown": {"stabilizationWindowSeconds": min(3600, seconds(auto.downscale_delay_s, low=0))}}
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": meta(kube, "service", options),
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": kube},
                     "minReplicas": max(1, service.instances.min), "maxReplicas": service.instances.upper,
                     "metrics": [metric], "behavior": behavior}}



