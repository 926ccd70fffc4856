"""Render a `PumaConfig` into Envoy v3 configuration. Pure and deterministic: dicts in, dicts out.

Two shapes share every piece:

* `bootstrap_files(config, xds_dir)` — what the supervisor runs: routes (RDS), clusters (CDS)
  and each cluster's endpoints (EDS) come from files under `xds_dir`, so services and instances
  change at run time without restarting Envoy.
* `bootstrap_static(config, endpoints)` — one self-contained file (`puma render`, compose).

The routes are rendered by `puma.envoyroutes`; the names both share (type URLs, listener and
cluster names, PUMA's headers) are `puma.envoynames`, named from here too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from . import edge, requestlimits
from .config import LIVENESS_PATH, UPSTREAM_IDLE_TIMEOUT_S, PumaConfig, Service
from .envoynames import _T as _T
from .envoynames import ADMIN_HOST as ADMIN_HOST
from .envoynames import (
    CLUSTER_TYPE,
    CONNECT_TIMEOUT_S,
    DEFAULT_ACCESS_LOG_FORMAT,
    ENDPOINTS_TYPE,
    INTERNAL_ROUTES,
    LEAST_REQUEST_TYPE,
    PANIC_THRESHOLD_PERCENT,
    ROUTES_TYPE,
    STATUS_CLUSTER,
    STATUS_UPSTREAM_IDLE_TIMEOUT_S,
    UNHEALTHY_INTERVAL_S,
)
from .envoynames import HCM_TYPE as HCM_TYPE
from .envoynames import INTERNAL_LISTENER_NAME as INTERNAL_LISTENER_NAME
from .envoynames import INTERNAL_REQUEST_HEADERS as INTERNAL_REQUEST_HEADERS
from .envoynames import LISTENER_NAME as LISTENER_NAME
from .envoynames import SERVED_SCOPE as SERVED_SCOPE
from .envoynames import Endpoint as Endpoint  # re-exported: puma.envoy names what moved, as before
from .envoynames import duration as duration
from .envoyroutes import ENVOY_STREAM_IDLE_S as ENVOY_STREAM_IDLE_S
from .envoyroutes import IDEMPOTENT_RETRIES as IDEMPOTENT_RETRIES
from .envoyroutes import NEVER_REACHED_RETRIES as NEVER_REACHED_RETRIES
from .envoyroutes import local_ratelimit
from .envoyroutes import route_config as route_config
from .mapping.protocol import MAP_TARGET
from .readiness import NOT_READY_HEADER


def to_yaml(document: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(document), sort_keys=False, default_flow_style=False)


# --- listener and HTTP filters -----------------------------------------------------------


def http_connection_manager(config: PumaConfig, *, rds_path: Path | None, internal: bool = False) -> dict[str, Any]:
    hcm_cfg = config.http_connection_manager
    hcm: dict[str, Any] = {
        "@type": HCM_TYPE,
        "stat_prefix": "puma_internal" if internal else "puma",
        "codec_type": "AUTO",
        **edge.hcm_limits(config),
        # '/a/../b' and '/a//b' are routed as the '/b' and '/a/b' a browser would ask for; an
        # encoded slash or backslash (%2F, %5C) is refused (400), not decoded into a new segment.
        "normalize_path": True,
        "merge_slashes": True,
        "path_with_escaped_slashes_action": "REJECT_REQUEST",
        "drain_timeout": duration(hcm_cfg.drain_timeout),
        "http_filters": _http_filters(config, internal=internal),
        "local_reply_config": edge.local_reply_config(config, internal=internal),
    }
    if not internal:
        hcm |= edge.client_facing()
    if rds_path is not None:
        hcm["rds"] = {"route_config_name": INTERNAL_ROUTES if internal else hcm_cfg.route_config.name,
                      "config_source": file_source(rds_path)}
    else:
        hcm["route_config"] = route_config(config, internal=internal)
    # Every response counted by service and status, Envoy's own replies too (read by puma/traffic.py).
    hcm["access_log"] = [*_access_log(config), served_access_logger()]
    if hcm_cfg.tracing is not None:
        hcm["tracing"] = {"random_sampling": {"value": hcm_cfg.tracing.random_sampling}}
    return hcm


def _http_filters(config: PumaConfig, *, internal: bool = False) -> list[dict[str, Any]]:
    # First: a URL or headers over their limits are refused before anything waits for a body.
    filters: list[dict[str, Any]] = [requestlimits.limits_filter()]
    # The deployment's limit is on client requests, at the public listener: a request it admitted is
    # not refused again one hop in (a call through the internal listener). A service's own limit
    # (cluster_name) holds on both: it protects that service from every caller.
    if config.rate_limit is not None and not (internal and config.rate_limit.cluster_name is None):
        # Applied to every route, or (with cluster_name) only where a route enables it.
        enabled = config.rate_limit.cluster_name is None
        filters.append({"name": "envoy.filters.http.local_ratelimit",
                        "typed_config": local_ratelimit(config, enabled=enabled)})
    filters.append({
        "name": "envoy.filters.http.buffer",
        "typed_config": {"@type": _T + "envoy.extensions.filters.http.buffer.v3.Buffer",
                         "max_request_bytes": config.http_connection_manager.max_request_bytes},
    })
    filters.extend(config.http_connection_manager.http_filters)
    filters.append({"name": "envoy.filters.http.router",
                    "typed_config": {"@type": _T + "envoy.extensions.filters.http.router.v3.Router"}})
    return filters


def _access_log(config: PumaConfig) -> list[dict[str, Any]]:
    log = config.logging
    if log.name == "none":
        return []
    fmt = {"text_format_source": {"inline_string": log.config.get("format", DEFAULT_ACCESS_LOG_FORMAT)}}
    if log.name == "file":
        typed = {"@type": _T + "envoy.extensions.access_loggers.file.v3.FileAccessLog",
                 "path": log.config.get("path", "/dev/stdout"), "log_format": fmt}
        entry: dict[str, Any] = {"name": "envoy.access_loggers.file", "typed_config": typed}
    else:
        kind = "Stdout" if log.name == "stdout" else "Stderr"
        typed = {"@type": _T + f"envoy.extensions.access_loggers.stream.v3.{kind}AccessLog", "log_format": fmt}
        entry = {"name": f"envoy.access_loggers.{log.name}", "typed_config": typed}
    access_filter = _access_log_filter(config)
    if access_filter:
        entry["filter"] = access_filter
    return [entry]


def _access_log_filter(config: PumaConfig) -> dict[str, Any] | None:
    f = config.logging.filter
    parts: list[dict[str, Any]] = []
    if f.not_health_check:
        parts.append({"not_health_check_filter": {}})
    if f.status_code_min is not None:
        parts.append({"status_code_filter": {"comparison": {
            "op": "GE", "value": {"default_value": f.status_code_min, "runtime_key": "puma_log_min_status"}}}})
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"and_filter": {"filters": parts}}


def listener(config: PumaConfig, *, rds_path: Path | None, internal: bool = False,
             internal_host: str = "127.0.0.1") -> dict[str, Any]:
    """The client-facing listener, or (`internal`) the one services call each other through."""
    address = socket_address(internal_host, config.listener.internal_port) if internal else \
        socket_address(config.listener.host, config.listener.port)
    return {
        "name": INTERNAL_LISTENER_NAME if internal else LISTENER_NAME,
        "stat_prefix": INTERNAL_LISTENER_NAME if internal else LISTENER_NAME,
        "address": address,
        # Envoy shares a port with any process that also asks for SO_REUSEPORT (another Envoy): a
        # second deployment on the same port would start and take half its connections. Refuse it.
        "enable_reuse_port": False,
        **edge.listener_limits(),
        "filter_chains": [{"filters": [{"name": "envoy.filters.network.http_connection_manager",
                                        "typed_config": http_connection_manager(config, rds_path=rds_path,
                                                                                internal=internal)}]}],
    }


# --- clusters and endpoints -------------------------------------------------------------


def cluster(config: PumaConfig, name: str, *, eds_path: Path | None = None, endpoints: Sequence[Endpoint] = (),
            dns: bool = False, health_events: Path | None = None) -> dict[str, Any]:
    """The Cluster of service `name`: endpoints from an EDS file, or inline (STATIC / STRICT_DNS).

    Envoy health-checks every instance (`health_check`); with `health_events`, it writes each
    instance's health changes to that file (the supervisor's named pipe, see `puma.health`).
    """
    service = config.puma_services[name]
    result: dict[str, Any] = {
        "name": name,
        "connect_timeout": duration(CONNECT_TIMEOUT_S),
        **_load_balancing(config.lb_policy(name)),
        "circuit_breakers": {"thresholds": [service.circuit_breaker.model_dump()]},
        "outlier_detection": {
            # Eject an instance after 3 consecutive gateway errors (refused, reset, 502-504);
            # a service's own 500s are its answer, not a sign the instance is broken.
            "consecutive_gateway_failure": 3, "enforcing_consecutive_gateway_failure": 100,
            "enforcing_consecutive_5xx": 0, "enforcing_success_rate": 0,
            "interval": "1s", "base_ejection_time": "5s", "max_ejection_percent": 50},
        # An instance PUMA removed is gone now, even if it would still pass health checks.
        "ignore_health_on_host_removal": True,
        **upstream_http_options(UPSTREAM_IDLE_TIMEOUT_S),
        "health_checks": [_health_check(service, health_events)],
        "common_lb_config": {
            # A health change (a new instance's first check passing) reaches the worker threads at
            # once, not merged with others for up to Envoy's default second.
            "update_merge_window": "0s",
            # Envoy's panic mode balances over every instance, failed ones included, once fewer than
            # this share pass their checks (default 50 %): with two of three replicas still starting
            # (compose, Swarm) or gone, most requests would go where nothing listens. Panic only
            # when none passes (a one-instance service's only one): requests still go to it then,
            # not "no healthy upstream".
            "healthy_panic_threshold": {"value": PANIC_THRESHOLD_PERCENT}},
    }
    if service.target == MAP_TARGET:
        # Each client connection gets its own connections to the instances, so a request on a new
        # client connection reaches an instance over a new connection: never over an idle one to an
        # instance that has just died (Envoy would write it there and answer "may have taken effect"
        # for a request no instance read). puma_map sends a chunk so after a crash, so that a death
        # it sees is that chunk's doing (puma/mapping/client.py).
        result["connection_pool_per_downstream_connection"] = True
    if eds_path is not None:
        result["type"] = "EDS"
        result["eds_cluster_config"] = {"service_name": name, "eds_config": file_source(eds_path)}
    else:
        result["type"] = "STRICT_DNS" if dns else "STATIC"
        result["load_assignment"] = load_assignment(name, endpoints)
    return result


def served_access_logger() -> dict[str, Any]:
    """The HTTP connection manager's access log entry counting each response by service and status."""
    # not_ready: "true" on a not-ready instance's refusal (puma.readiness), so a 503 for what a
    # service needs being down is counted apart from its server errors (puma.traffic).
    tags = [{"name": "service", "value_format": "%METADATA(ROUTE:puma:service)%"},
            {"name": "code", "value_format": "%RESPONSE_CODE%"},
            {"name": "not_ready", "value_format": f"%RESP({NOT_READY_HEADER})%"}]
    return {"name": "envoy.access_loggers.stats", "typed_config": {
        "@type": _T + "envoy.extensions.access_loggers.stats.v3.Config",
        "stats_scope": {"prefix": SERVED_SCOPE},
        "counters": [{"stat": {"name": "responses", "tags": tags}, "value_fixed": 1}]}}


def upstream_http_options(idle_timeout_s: float) -> dict[str, Any]:
    """HTTP/1.1 to the upstream, whose pooled connections Envoy closes after `idle_timeout_s` idle."""
    return {"typed_extension_protocol_options": {"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
        "@type": _T + "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
        "common_http_protocol_options": {"idle_timeout": duration(idle_timeout_s), **edge.reply_header_limits()},
        "explicit_http_config": {"http_protocol_options": {}}}}}


def _load_balancing(policy: str) -> dict[str, Any]:
    """Envoy's `lb_policy`; "least_request" picks the instance with the fewest requests in flight.

    Envoy's least_request compares two instances drawn at random by default; with the two or three
    instances a PUMA service has, both draws hit the busier one time in four (with two). A full scan
    of a handful of hosts costs nothing and always picks a least loaded one (ties at random).
    """
    if policy == "least_request":
        return {"load_balancing_policy": {"policies": [{"typed_extension_config": {
            "name": "envoy.load_balancing_policies.least_request",
            "typed_config": {"@type": LEAST_REQUEST_TYPE, "selection_method": "FULL_SCAN"}}}]}}
    return {"lb_policy": policy.upper()}


def _health_check(service: Service, events: Path | None) -> dict[str, Any]:
    # A new instance is checked as it joins (passing in milliseconds), then every interval_s, traffic
    # or not, with jitter; one that failed (a first check timed out on a busy machine) again within 1 s.
    # With a readiness check, as often as it runs: Envoy routes around an instance within a period
    # of its store going down (the instance itself refuses requests at once meanwhile).
    hc = service.health_check
    interval_s = min(hc.interval_s, service.readiness.period_s) if service.readiness else hc.interval_s
    check: dict[str, Any] = {
        "timeout": duration(min(hc.timeout_s, interval_s)), "interval": duration(interval_s),
        "interval_jitter_percent": 10, "unhealthy_interval": duration(min(interval_s, UNHEALTHY_INTERVAL_S)),
        "unhealthy_threshold": hc.unhealthy_threshold, "healthy_threshold": hc.healthy_threshold,
        "no_traffic_interval": duration(interval_s), "http_health_check": {"path": LIVENESS_PATH}}
    if events is not None:  # every failure too: one never found healthy is never "ejected"
        check["always_log_health_check_failures"] = True
        check["event_logger"] = [{"name": "envoy.health_check.event_sink.file", "typed_config": {
            "@type": _T + "envoy.extensions.health_check.event_sinks.file.v3.HealthCheckEventFileSink",
            "event_log_path": str(events)}}]
    return check


def load_assignment(name: str, endpoints: Sequence[Endpoint]) -> dict[str, Any]:
    lb_endpoints = [{"endpoint": {"address": socket_address(host, port)}} for host, port in endpoints]
    return {"cluster_name": name, "endpoints": [{"lb_endpoints": lb_endpoints}] if lb_endpoints else []}


def _dynamodb_cluster(config: PumaConfig) -> dict[str, Any]:
    from urllib.parse import urlsplit

    assert config.dynamodb is not None
    url = urlsplit(config.dynamodb.endpoint or "http://127.0.0.1:8000")
    tls = url.scheme == "https"
    port = url.port or (443 if tls else 80)
    result: dict[str, Any] = {
        "name": "dynamodb", "type": "STRICT_DNS", "connect_timeout": "2s", "dns_lookup_family": "V4_ONLY",
        "load_assignment": load_assignment("dynamodb", [(url.hostname or "127.0.0.1", port)]),
    }
    if tls:
        result["transport_socket"] = {"name": "envoy.transport_sockets.tls", "typed_config": {
            "@type": _T + "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext", "sni": url.hostname}}
    return result


def all_clusters(config: PumaConfig, *, eds_dir: Path | None = None,
                 endpoints: Mapping[str, Sequence[Endpoint]] | None = None, dns: bool = False,
                 status_port: int | None = None, health_events: Path | None = None) -> list[dict[str, Any]]:
    endpoints = endpoints or {}
    clusters = [
        cluster(config, name, eds_path=eds_file(eds_dir, name) if eds_dir else None,
                endpoints=endpoints.get(name, ()), dns=dns, health_events=health_events)
        for name in sorted(config.puma_services)
    ]
    if config.dynamodb is not None:
        clusters.append(_dynamodb_cluster(config))
    if status_port is not None:
        clusters.append({"name": STATUS_CLUSTER, "type": "STATIC", "connect_timeout": "1s",
                         "load_assignment": load_assignment(STATUS_CLUSTER, [("127.0.0.1", status_port)]),
                         **upstream_http_options(STATUS_UPSTREAM_IDLE_TIMEOUT_S)})
    return clusters


# --- files and bootstraps -----------------------------------------------------------------


def socket_address(host: str, port: int) -> dict[str, Any]:
    return {"socket_address": {"address": host, "port_value": port}}


def file_source(path: Path) -> dict[str, Any]:
    # Watching the directory lets an atomic rename of the file (write temp, os.replace) be seen.
    return {"resource_api_version": "V3",
            "path_config_source": {"path": str(path), "watched_directory": {"path": str(path.parent)}}}


def eds_file(xds_dir: Path, name: str) -> Path:
    # The dynamic files are JSON: json.dumps writes 50 services' clusters ~50x faster than YAML.
    return xds_dir / "eds" / name / "endpoints.json"


def rds_file(xds_dir: Path, *, internal: bool = False) -> Path:
    # One file per route configuration: an RDS subscription takes exactly one resource.
    return xds_dir / "rds" / ("internal_routes.json" if internal else "routes.json")


def cds_file(xds_dir: Path) -> Path:
    return xds_dir / "cds" / "clusters.json"


def discovery_response(type_url: str, resources: Sequence[Mapping[str, Any]], version: str) -> dict[str, Any]:
    return {"version_info": version, "resources": [{"@type": type_url, **r} for r in resources]}


def _admin(admin_port: int, socket_path: Path | None = None) -> dict[str, Any]:
    # On a Unix socket (the process backend) no browser can reach it, whatever Host it sends (DNS
    # rebinding) and whatever page posts to it; a TCP port is on loopback. Either way it stays
    # reachable when the connection limit is hit.
    address = {"pipe": {"path": str(socket_path), "mode": 0o600}} if socket_path is not None \
        else socket_address(ADMIN_HOST, admin_port)
    return {"address": address, "ignore_global_conn_limit": True}


def bootstrap_files(config: PumaConfig, xds_dir: Path, *, admin_socket: Path | None = None,
                    internal_host: str = "127.0.0.1") -> dict[str, Any]:
    """The bootstrap the supervisor runs; routes, clusters and endpoints are read from `xds_dir`.
    Two listeners: the public one (`config.listener`) and the internal one on `internal_host`
    (loopback; the containers' gateway with the Docker backend)."""
    return {
        "node": {"id": "puma", "cluster": "puma"},
        "admin": _admin(config.admin_port, admin_socket),
        "stats_flush_interval": "1s",  # latency histograms refresh each second for status and autoscaling
        "layered_runtime": edge.runtime(),
        "overload_manager": edge.overload_manager(config),
        "static_resources": {"listeners": [
            listener(config, rds_path=rds_file(xds_dir)),
            listener(config, rds_path=rds_file(xds_dir, internal=True), internal=True, internal_host=internal_host)]},
        "dynamic_resources": {"cds_config": file_source(cds_file(xds_dir))},
    }


def xds_documents(config: PumaConfig, xds_dir: Path, endpoints: Mapping[str, Sequence[Endpoint]],
                  version: str, *, status_port: int | None = None,
                  health_events: Path | None = None,
                  failed: Mapping[str, str] | None = None,
                  warming: Mapping[str, int] | None = None) -> dict[Path, dict[str, Any]]:
    """Every dynamic file of a deployment, by path: routes, clusters, and one endpoints file per service."""
    clusters = all_clusters(config, eds_dir=xds_dir, status_port=status_port, health_events=health_events)
    # In write order: a cluster's endpoints file exists before the cluster, a cluster before its route.
    docs = {eds_file(xds_dir, name): endpoints_document(name, endpoints.get(name, ()), version)
            for name in sorted(config.puma_services)}
    docs[cds_file(xds_dir)] = discovery_response(CLUSTER_TYPE, clusters, version)
    for internal in (True, False):
        routes = route_config(config, status_port=status_port, internal=internal, remote_workers=True,
                              failed=failed, warming=warming)
        docs[rds_file(xds_dir, internal=internal)] = discovery_response(ROUTES_TYPE, [routes], version)
    return docs


def endpoints_document(name: str, endpoints: Sequence[Endpoint], version: str) -> dict[str, Any]:
    return discovery_response(ENDPOINTS_TYPE, [load_assignment(name, endpoints)], version)


def bootstrap_static(config: PumaConfig, endpoints: Mapping[str, Sequence[Endpoint]] | None = None,
                     *, dns: bool = False, admin_port: int | None = None, admin_socket: Path | None = None,
                     internal_host: str = "127.0.0.1") -> dict[str, Any]:
    """One self-contained Envoy config (for `puma render`, docker-compose and Kubernetes); the
    internal listener on `internal_host` (a container's address, where its network is private);
    the admin on `admin_socket` if given (as `puma run` puts it), else on loopback `admin_port`."""
    return {
        "node": {"id": "puma", "cluster": "puma"},
        "admin": _admin(config.admin_port if admin_port is None else admin_port, admin_socket),
        "layered_runtime": edge.runtime(),
        "overload_manager": edge.overload_manager(config),
        "static_resources": {
            "listeners": [listener(config, rds_path=None),
                          listener(config, rds_path=None, internal=True, internal_host=internal_host)],
            "clusters": all_clusters(config, endpoints=endpoints, dns=dns),
        },
    }
