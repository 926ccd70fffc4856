"""Envoy's routes for a `PumaConfig`: each service's prefix (and its methods), their retries,
timeouts, hashing and per-route limits, the status and DynamoDB routes, and a failed service's
fixed answer. Pure and deterministic (see `puma.envoy`, which puts them in its listeners).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import edge, serviceready
from .backlog import NOT_SENT_HEADER
from .config import PumaConfig, Service
from .defaults import DASHBOARD_PATH, DASHBOARD_TIMEOUT_S, READY_PATH, READY_TIMEOUT_S
from .envoynames import (
    _T,
    INTERNAL_REQUEST_HEADERS,
    INTERNAL_ROUTES,
    STATUS_CLUSTER,
    STATUS_LOCAL_HEADER,
    STATUS_PEER_HEADER,
    STATUS_PREFIX,
    TOKEN_HEADER,
    VIA_HEADER,
    duration,
)
from .errors import SERVICE_FAILED_HEADER, flat
from .readiness import NOT_READY_HEADER

# --- routes -------------------------------------------------------------------------------


def route_config(config: PumaConfig, *, status_port: int | None = None, internal: bool = False,
                 remote_workers: bool = False, failed: Mapping[str, str] | None = None,
                 warming: Mapping[str, int] | None = None) -> dict[str, Any]:
    """A RouteConfiguration: one route per service prefix (plus PUMA's own status route).

    The public one (`internal=False`, the client-facing listener) routes `visibility: "public"`
    services; the internal listener's routes all, and DynamoDB. With `remote_workers` (the process
    backend, when the config has a secret), the public one also routes internal services and
    DynamoDB for requests carrying that secret in `x-puma-token`: what instances on worker hosts
    send, which reach the deployment through its public address only. Container targets never
    need it (their pods reach the internal listener), so no secret is written into their configs.
    A service in `failed` (name -> why, for good) is answered 503 by Envoy itself, saying so; one in
    `warming` (name -> seconds) has no instance while its zygote warms up again: its 503s say
    `Retry-After` that many seconds.
    """
    rc = config.http_connection_manager.route_config
    with_token = remote_workers and not internal and bool(config.secret)
    # Envoy takes the first matching route, so the longest prefix must come first.
    names = sorted(config.puma_services, key=lambda n: (-len(config.puma_services[n].prefix), n))
    routes = [r for name in names for r in _service_routes(config, name, internal, with_token)]
    routes = [_failed_route(r, failed[r["route"]["cluster"]], public=not internal) if failed and r.get("route", {}).get("cluster") in failed
              else r for r in routes]
    routes = [_warming_route(r, warming[r["route"]["cluster"]])
              if warming and r.get("route", {}).get("cluster") in warming else r for r in routes]
    routes.insert(0, _connect_route())
    if config.dynamodb is not None and (internal or with_token):
        routes.insert(0, _guarded(_dynamodb_route(config), config, internal))
    if status_port is not None:
        routes.insert(0, _status_route())
        routes.insert(0, _ready_route())  # before the status route's prefix, which it lies under
        routes.insert(0, _service_ready_route())  # likewise
        routes.insert(0, _dashboard_route())  # likewise
        routes.insert(0, edge.own_paths_too_large_guard(config))  # before them all: no body is waited for
    routes.insert(0, edge.escape_guard())
    routes.insert(0, edge.expect_guard())
    routes.insert(0, edge.host_guard())  # before every route: no request with two Hosts goes anywhere
    name = INTERNAL_ROUTES if internal else rc.name
    return {"name": name, "virtual_hosts": [{"name": rc.virtual_host, "domains": list(rc.domains), "routes": routes}]}


def _service_routes(config: PumaConfig, name: str, internal: bool, with_token: bool) -> list[dict[str, Any]]:
    service = config.puma_services[name]
    private = service.visibility == "internal" and not internal
    hidden = [edge.hidden_service(name, config, _prefix_match(service.prefix))] if private else []
    if private and not with_token:
        return hidden  # 404 like any unrouted path, even where a shorter prefix ("/") would match
    # The service's route, after one per method an object service marks idempotent (each retries
    # what the service's own route does not; the longer path first, as Envoy takes the first match).
    methods = (*sorted(service.idempotent_methods), "")
    routes = [_guarded(_route(config, name, method), config, not private) for method in methods]
    if not internal and not private:
        # From a client, PUMA's own headers are dropped; with the secret, they go on (token aside).
        trusted = [_guarded(_route(config, name, m), config, False) for m in methods] if with_token else []
        routes = [*trusted, *(_stripped(r) for r in routes)]
    guard = _guarded(edge.method_guard(name, service, _prefix_match(service.prefix)), config, not private)
    too_large = _guarded(edge.too_large_guard(name, service, _prefix_match(service.prefix)), config, not private)
    return [guard, too_large, *routes, *hidden]


def _guarded(route: dict[str, Any], config: PumaConfig, open_: bool) -> dict[str, Any]:
    """`route` as it is, or matched only with the deployment's secret (removed before it goes on)."""
    if open_:
        return route
    token = {"name": TOKEN_HEADER, "string_match": {"exact": config.secret}}
    match = {**route["match"], "headers": [*route["match"].get("headers", ()), token]}
    return {**route, "name": route["name"] + "_with_token", "match": match,
            "request_headers_to_remove": [TOKEN_HEADER]}


def _stripped(route: dict[str, Any]) -> dict[str, Any]:
    removed = [*route.get("request_headers_to_remove", ()), *INTERNAL_REQUEST_HEADERS]
    # Tells the instance the request came from a client (its /healthz then shows no pid).
    via = {"header": {"key": VIA_HEADER, "value": "public"}, "append_action": "OVERWRITE_IF_EXISTS_OR_ADD"}
    return {**route, "request_headers_to_remove": sorted(set(removed)),
            "request_headers_to_add": [*route.get("request_headers_to_add", ()), via]}


def _failed_route(route: dict[str, Any], why: str, *, public: bool) -> dict[str, Any]:
    # No Retry-After: nothing changes until an operator restarts it, which may take long; but a retry
    # then works, so the client is told to retry later, not that retrying will not help. A public
    # client gets only that; how it failed and the command are the operator's (and a calling
    # service's, on the internal listener: its log keeps them). (No '%' in the body: Envoy's format
    # strings would read one as a command.)
    service = route["route"]["cluster"]
    text = (f"service {service!r} is down: it has failed and is not restarted on its own; retry later: it serves "
            "again once an operator restarts it") if public else (
            f"service {service!r} has failed: {flat(why)}; it serves again once the operator restarts it, after "
            f"fixing its cause, with `puma scale {service} N` (or by restarting the deployment)")
    kept = {k: v for k, v in route.items() if k in ("name", "match", "metadata")}  # metadata: counted, named
    # The header tells a calling service (puma.client) it is a failure for good, not an outage to wait out.
    return {**kept, "direct_response": {"status": 503, "body": {"inline_string": text.replace("%", " percent")}},
            "response_headers_to_add": [{"header": {"key": SERVICE_FAILED_HEADER, "value": service}}]}


def _warming_route(route: dict[str, Any], retry_after_s: int) -> dict[str, Any]:
    # Envoy's own 503 (no instance ready) keeps a Retry-After the route set (localreplies: ADD_IF_ABSENT).
    header = {"header": {"key": "retry-after", "value": str(retry_after_s)}, "append_action": "OVERWRITE_IF_EXISTS_OR_ADD"}
    return {**route, "response_headers_to_add": [*route.get("response_headers_to_add", ()), header]}


def _connect_route() -> dict[str, Any]:
    # No service tunnels: answer CONNECT at once. (Routed on, it would wait in the buffer filter for
    # the end of a body a tunnel never ends.)
    return {"name": "connect", "match": {"connect_matcher": {}},
            "direct_response": {"status": 405, "body": {"inline_string": "CONNECT is not served here"}},
            "typed_per_filter_config": {"envoy.filters.http.buffer": {
                "@type": _T + "envoy.extensions.filters.http.buffer.v3.BufferPerRoute", "disabled": True}}}


def _status_route() -> dict[str, Any]:
    # The peer header is overwritten with the real peer of the connection, so a client cannot claim
    # to be local by sending it (DIRECT: never taken from x-forwarded-for).
    peer = [{"header": {"key": key, "value": value}, "append_action": "OVERWRITE_IF_EXISTS_OR_ADD"}
            for key, value in ((STATUS_PEER_HEADER, "%DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT%"),
                               (STATUS_LOCAL_HEADER, "%DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT%"))]
    return {"name": STATUS_CLUSTER, "match": _prefix_match(STATUS_PREFIX),
            "metadata": {"filter_metadata": {"puma": {"timeout_s": edge.STATUS_TIMEOUT_S}}},
            "route": {"cluster": STATUS_CLUSTER, "timeout": duration(edge.STATUS_TIMEOUT_S), "retry_policy": {
                "retry_on": "connect-failure,refused-stream,reset-before-request", "num_retries": 2}},
            "request_headers_to_add": peer}


def _ready_route() -> dict[str, Any]:
    # Readiness probes get an answer within READY_TIMEOUT_S: the supervisor's, or else Envoy's own
    # from the state the supervisor last published (puma.localreplies' ready mappers).
    route = _status_route()
    return {**route, "name": "puma_ready", "match": {"path": READY_PATH},
            "metadata": {"filter_metadata": {"puma": {"timeout_s": READY_TIMEOUT_S}}},
            "route": {**route["route"], "timeout": duration(READY_TIMEOUT_S)}}


def _service_ready_route() -> dict[str, Any]:
    # One service's readiness gets an answer within READY_TIMEOUT_S too: the supervisor's, or else
    # Envoy's own 503 saying the supervisor is not answering (puma.localreplies), never a hang.
    route = _ready_route()
    return {**route, "name": "puma_service_ready", "match": {"prefix": serviceready.PREFIX}}


def _dashboard_route() -> dict[str, Any]:
    # The status page gets an answer within DASHBOARD_TIMEOUT_S: the supervisor's page, or else
    # Envoy's own saying it is not answering (puma.localreplies' dashboard mappers), never a blank tab.
    route = _status_route()
    return {**route, "name": "puma_dashboard", "match": {"path": DASHBOARD_PATH},
            "metadata": {"filter_metadata": {"puma": {"timeout_s": DASHBOARD_TIMEOUT_S}}},
            "route": {**route["route"], "timeout": duration(DASHBOARD_TIMEOUT_S)}}


ENVOY_STREAM_IDLE_S = 300.0  # Envoy's default stream_idle_timeout; a longer timeout_s raises its route's


def _route(config: PumaConfig, name: str, method: str = "") -> dict[str, Any]:
    service = config.puma_services[name]
    idempotent = service.retries_all or bool(method)
    action: dict[str, Any] = {
        "cluster": name,
        "timeout": duration(service.timeout_s),
        # Envoy also ends a stream with no bytes either way for its stream idle timeout (5 min by
        # default, "stream timeout"): a handler quiet for its whole timeout_s must not be cut sooner.
        "idle_timeout": duration(max(service.timeout_s, ENVOY_STREAM_IDLE_S)),
        "retry_policy": _retry_policy(service, idempotent=idempotent),
    }
    if service.hash_on is not None:
        action["hash_policy"] = [_hash_policy(service)]
    prefix = _method_path(service.prefix, method) if method else service.prefix
    return {"name": f"{name}.{method}" if method else name, "match": _prefix_match(prefix), "route": action,
            # read by Envoy's own replies (puma/edge.py: a 504 says the service's timeout_s; a request
            # refused on a route that is not idempotent was never sent, as only such failures are retried)
            "metadata": {"filter_metadata": {"puma": {"timeout_s": service.timeout_s, "service": name,
                                                      "idempotent": idempotent}}},
            **_route_limits(config, name)}


def _method_path(prefix: str, method: str) -> str:
    return f"{prefix.rstrip('/')}/{method}"


def _prefix_match(prefix: str) -> dict[str, str]:
    # path_separated_prefix matches '/agent' and '/agent/x' but not '/agents'.
    return {"prefix": "/"} if prefix == "/" else {"path_separated_prefix": prefix}


NEVER_REACHED_RETRIES = 3  # re-sends of a request no instance received (connect failure, closed pool)
IDEMPOTENT_RETRIES = 1  # re-sends on an idempotent route, whatever the cause (resets and 5xx from Envoy included)


def _retry_policy(service: Service, *, idempotent: bool) -> dict[str, Any]:
    # A request that never reached the service (connect failure, refused stream, a pooled connection
    # found closed before any byte was sent) is always safe to retry. A reset after sending, or a
    # 502/503/504, may come after the service acted, so only routes marked idempotent retry those.
    # Never "5xx": a service's own 500 is its answer (the same request fails the same way on every
    # instance), and never 4xx: a client's bad request is answered once, and the handler runs once.
    # A request whose instance died while holding it may be what killed it (a crashing handler):
    # re-sent on every retry, each to a fresh instance, one request took four processes down. So an
    # idempotent route re-sends at most once (Envoy counts retries per route, not per cause: its
    # never-reached retries share that one), and one crashing request costs at most two instances.
    retry_on = "connect-failure,refused-stream,reset-before-request"
    if idempotent:
        retry_on += ",reset,gateway-error"
    # Refusals made before any handler saw the request are always safe to send to another instance:
    # a not-ready instance's (puma.readiness) and a zygote's for requests queued on a port it closed
    # (puma.backlog). Only those headers match, never a status: a service's own 503 is its answer.
    refused = [NOT_SENT_HEADER] + ([NOT_READY_HEADER] if service.readiness is not None else [])
    retry_on += ",retriable-headers"
    return {
        "retriable_headers": [{"name": name, "string_match": {"exact": "true"}} for name in refused],
        "retry_on": retry_on,
        "num_retries": IDEMPOTENT_RETRIES if idempotent else NEVER_REACHED_RETRIES,
        "per_try_timeout": duration(service.timeout_s),
        "retry_host_predicate": [{"name": "envoy.retry_host_predicates.previous_hosts",
                                  "typed_config": {"@type": _T + "envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate"}}],
        "host_selection_retry_max_attempts": 5,
        "retry_back_off": {"base_interval": "0.010s", "max_interval": "0.100s"},
    }


def _hash_policy(service: Service) -> dict[str, Any]:
    assert service.hash_on is not None
    if service.hash_on.header is not None:
        return {"header": {"header_name": service.hash_on.header}}
    return {"cookie": {"name": service.hash_on.cookie}}


def _route_limits(config: PumaConfig, name: str) -> dict[str, Any]:
    per_filter: dict[str, Any] = {
        "envoy.filters.http.buffer": {
            "@type": _T + "envoy.extensions.filters.http.buffer.v3.BufferPerRoute",
            "buffer": {"max_request_bytes": config.puma_services[name].max_body_bytes},
        }
    }
    rl = config.rate_limit
    if rl is not None and rl.cluster_name == name:
        per_filter["envoy.filters.http.local_ratelimit"] = local_ratelimit(config, enabled=True)
    return {"typed_per_filter_config": per_filter}


def _dynamodb_route(config: PumaConfig) -> dict[str, Any]:
    # DynamoDB's API is POST / with an `x-amz-target: DynamoDB_20120810.<Op>` header; matching the
    # header leaves the path alone, so a request signed for the endpoint stays valid.
    match = {"prefix": "/", "headers": [{"name": "x-amz-target", "string_match": {"prefix": "DynamoDB_"}}]}
    return {"name": "dynamodb", "match": match, "route": {"cluster": "dynamodb", "timeout": "30s"}}


def local_ratelimit(config: PumaConfig, *, enabled: bool) -> dict[str, Any]:
    rl = config.rate_limit
    assert rl is not None
    burst = rl.burst or max(1, round(rl.requests_per_s))
    # Refill in small steps so the limit is smooth: tokens_per_fill per fill_interval = requests_per_s.
    fill_interval_s = max(0.05, 1.0 / rl.requests_per_s)
    percent = {"default_value": {"numerator": 100 if enabled else 0, "denominator": "HUNDRED"},
               "runtime_key": "puma_ratelimit_enabled"}
    return {
        "@type": _T + "envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
        "stat_prefix": "puma_ratelimit",
        "token_bucket": {"max_tokens": burst,
                         "tokens_per_fill": max(1, round(rl.requests_per_s * fill_interval_s)),
                         "fill_interval": duration(fill_interval_s)},
        "filter_enabled": percent,
        "filter_enforced": percent,
        "response_headers_to_add": edge.rate_limited_headers(fill_interval_s),
    }
