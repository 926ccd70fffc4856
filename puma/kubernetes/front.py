"""The front Envoy on Kubernetes: its config (from `puma/envoy.py`), ConfigMap, Deployment, Service."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from .. import envoy
from ..config import PumaConfig
from ._common import (
    CONFIG_DIR,
    DNS_REFRESH_S,
    FRONT,
    GRACE_MARGIN_S,
    PRESTOP_S,
    SERVICE_PORT,
    STATS_PORT,
    Options,
    admin_port,
    front_port,
    internal_port,
    kube_names,
    labels,
    meta,
    quantity,
    seconds,
    selector,
    service_host,
)
from .services import deployment, pdb

DNS_CLUSTER_TYPE = "type.googleapis.com/envoy.extensions.clusters.dns.v3.DnsCluster"
ROUTER_TYPE = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"


def envoy_config(config: PumaConfig, options: Options) -> dict[str, Any]:
    """The front Envoy's bootstrap: `envoy.bootstrap_static` as for compose (a DNS cluster per service),
    each resolving the service's headless Service, plus a read-only listener for probes and metrics.

    >>> from puma.config import parse_config
    >>> doc = envoy_config(parse_config({"puma_services": {"agent": "/agent"}}), Options(app="app.py"))
    >>> doc["static_resources"]["clusters"][0]["load_assignment"]["endpoints"][0]["lb_endpoints"][0][
    ...     "endpoint"]["address"]["socket_address"]["address"]
    'agent.puma.svc.cluster.local'
    """
    names = kube_names(config, options)
    listener = config.listener.model_copy(update={"host": "0.0.0.0", "port": front_port(config),
                                                  "internal_port": internal_port(config)})
    endpoints = {name: [(service_host(kube, options), SERVICE_PORT)] for name, kube in names.items()}
    # The internal listener is on the pod's network too: pods call each other through it; only the
    # `http` port is meant for clients (route an Ingress or a LoadBalancer there, never to `internal`).
    doc = envoy.bootstrap_static(config.model_copy(update={"listener": listener}), endpoints,
                                 dns=True, admin_port=admin_port(config), internal_host="0.0.0.0")
    resources = doc["static_resources"]
    for cluster in resources["clusters"]:
        if cluster["name"] in names:
            # A headless Service answers with its ready pods' addresses: re-resolve each second
            # so new pods get traffic and removed ones stop getting it within the preStop pause.
            # (Envoy's DNS cluster extension; the Cluster's own dns_refresh_rate is deprecated.)
            del cluster["type"]
            cluster["cluster_type"] = {"name": "envoy.clusters.dns", "typed_config": {
                "@type": DNS_CLUSTER_TYPE, "dns_refresh_rate": envoy.duration(DNS_REFRESH_S)}}
    resources["listeners"].append(_stats_listener())
    resources["clusters"].append({"name": "_puma_admin", "type": "STATIC", "connect_timeout": "1s",
                                  "load_assignment": envoy.load_assignment(
                                      "_puma_admin", [(envoy.ADMIN_HOST, admin_port(config))])})
    return doc


def _stats_listener() -> dict[str, Any]:
    # The admin API can reconfigure and stop Envoy, so it stays on loopback; probes and Prometheus
    # reach only GET /ready and GET /stats/prometheus through this listener (anything else: 404).
    get = [{"name": ":method", "string_match": {"exact": "GET"}}]
    routes = [{"match": {"path": path, "headers": get}, "route": {"cluster": "_puma_admin", "timeout": "5s"}}
              for path in ("/ready", "/stats/prometheus")]
    hcm = {"@type": envoy.HCM_TYPE, "stat_prefix": "puma_stats",
           "route_config": {"name": "puma_stats", "virtual_hosts": [
               {"name": "puma_stats", "domains": ["*"], "routes": routes}]},
           "http_filters": [{"name": "envoy.filters.http.router", "typed_config": {
               "@type": ROUTER_TYPE}}]}
    return {"name": "puma_stats", "address": envoy.socket_address("0.0.0.0", STATS_PORT),
            "filter_chains": [{"filters": [{"name": "envoy.filters.network.http_connection_manager",
                                            "typed_config": hcm}]}]}


def front_objects(config: PumaConfig, options: Options, names: Mapping[str, str]) -> list[dict[str, Any]]:
    text = envoy.to_yaml(envoy_config(config, options))
    configmap = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(FRONT, "front", options),
                 "data": {"envoy.yaml": text}}
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    port = front_port(config)
    service = {"apiVersion": "v1", "kind": "Service", "metadata": meta(FRONT, "front", options),
               "spec": {"type": "ClusterIP", "selector": selector(FRONT, options),
                        "ports": [{"name": "http", "port": port, "targetPort": "http"},
                                  {"name": "internal", "port": internal_port(config), "targetPort": "internal"}]}}
    objects = [configmap, _front_deployment(config, options, digest), service]
    if options.envoy_replicas >= 2:
        objects.append(pdb(FRONT, "front", options))
    return objects


def _front_deployment(config: PumaConfig, options: Options, digest: str) -> dict[str, Any]:
    drain_s = seconds(config.http_connection_manager.drain_timeout)
    container = {
        "name": "envoy", "image": options.image, "imagePullPolicy": "IfNotPresent",
        "command": ["envoy", "-c", f"{CONFIG_DIR}/envoy.yaml", "--disable-hot-restart", "--log-level", "warning",
                    "--concurrency", str(config.envoy_concurrency),
                    "--drain-time-s", str(drain_s), "--drain-strategy", "immediate"],
        "ports": [{"name": "http", "containerPort": front_port(config)},
                  {"name": "internal", "containerPort": internal_port(config)},
                  {"name": "stats", "containerPort": STATS_PORT}],
        "readinessProbe": {"httpGet": {"path": "/ready", "port": "stats"}, "periodSeconds": 2, "failureThreshold": 2},
        "livenessProbe": {"tcpSocket": {"port": "http"}, "periodSeconds": 10, "failureThreshold": 3},
        "resources": {"requests": {"cpu": quantity(0.1 * config.envoy_concurrency), "memory": "64Mi"},
                      "limits": {"memory": "256Mi"}},
        # Keep serving while the Service stops sending here; then drain: kept-alive clients are told
        # to reconnect (Connection: close) elsewhere and requests in flight finish; then SIGTERM.
        "lifecycle": {"preStop": {"exec": {"command": ["python", "-c", _drain_script(config, drain_s)]}}},
        "volumeMounts": [{"name": "config", "mountPath": CONFIG_DIR, "readOnly": True}],
    }
    pod = {"metadata": {"labels": labels(FRONT, "front", options),
                        # A changed config changes this, so the Deployment rolls new pods.
                        "annotations": {"puma/config-sha256": digest, "prometheus.io/scrape": "true",
                                        "prometheus.io/port": str(STATS_PORT),
                                        "prometheus.io/path": "/stats/prometheus"}},
           "spec": {"automountServiceAccountToken": False,
                    "terminationGracePeriodSeconds": PRESTOP_S + drain_s + GRACE_MARGIN_S,
                    "containers": [container],
                    "volumes": [{"name": "config", "configMap": {"name": FRONT}}]}}
    return deployment(FRONT, "front", options, pod, replicas=options.envoy_replicas, spread=True)


def _drain_script(config: PumaConfig, drain_s: int) -> str:
    url = f"http://{envoy.ADMIN_HOST}:{admin_port(config)}/drain_listeners?graceful"
    return (f"import time, urllib.request as u; time.sleep({PRESTOP_S}); "
            f"u.urlopen(u.Request({url!r}, method='POST'), timeout=2); time.sleep({drain_s})")
