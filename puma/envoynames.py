"""The names every part of PUMA's Envoy config shares: type URLs, listener and cluster names,
PUMA's own headers, and how a duration is spelt. Pure constants (see `puma.envoy`)."""

from __future__ import annotations

from .deadlines import DEADLINE_HEADER
from .readiness import NOT_READY_HEADER

Endpoint = tuple[str, int]

_T = "type.googleapis.com/"
HCM_TYPE = _T + "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
CLUSTER_TYPE = _T + "envoy.config.cluster.v3.Cluster"
ROUTES_TYPE = _T + "envoy.config.route.v3.RouteConfiguration"
ENDPOINTS_TYPE = _T + "envoy.config.endpoint.v3.ClusterLoadAssignment"
LEAST_REQUEST_TYPE = _T + "envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest"
LISTENER_NAME = "puma_http"
INTERNAL_LISTENER_NAME = "puma_internal"
INTERNAL_ROUTES = "puma_internal"
ADMIN_HOST = "127.0.0.1"  # the admin API can reconfigure and stop Envoy: never off loopback
CONNECT_TIMEOUT_S = 1.0
UNHEALTHY_INTERVAL_S = 1.0  # how soon Envoy checks again an instance that failed its checks
PANIC_THRESHOLD_PERCENT = 1.0  # below 1 % of instances passing checks (none, with < 100), Envoy balances over all
STATUS_CLUSTER = "_puma_status"
SERVED_SCOPE = "puma_served"  # Envoy stat: puma_served.responses, tags service and code
STATUS_PREFIX = "/_puma"
STATUS_PEER_HEADER = "x-puma-peer"  # the status server shows more to peers on this machine
STATUS_LOCAL_HEADER = "x-puma-local"  # the address the peer connected to (the same: this machine)
STATUS_UPSTREAM_IDLE_TIMEOUT_S = 10.0  # below the status server's own 30 s (puma/handlers.py)
TOKEN_HEADER = "x-puma-token"  # the deployment's secret: remote workers' calls to internal services
# What PUMA's parts tell each other in headers, trusted only between them: a client of the public
# listener sending one gets it removed before any service sees it (a client-chosen deadline would
# make a service refuse work as a server error; the token must never reach a service). Requests
# carrying the deployment's secret (remote workers, outside callers) and the internal listener keep
# them. (x-puma-signature stays: an HMAC its receiver checks, worthless to forge.)
VIA_HEADER = "x-puma-via"  # "public": set by Envoy on requests from the public listener
INTERNAL_REQUEST_HEADERS = (DEADLINE_HEADER, TOKEN_HEADER, STATUS_PEER_HEADER, STATUS_LOCAL_HEADER,
                            NOT_READY_HEADER, "x-puma-rate-limited")
DEFAULT_ACCESS_LOG_FORMAT = (
    '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" '
    "%RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION%ms "
    '"%UPSTREAM_CLUSTER%" "%UPSTREAM_HOST%"\n'
)


def duration(seconds: float) -> str:
    """Envoy's protobuf Duration spelling: 1.5 -> '1.500s'."""
    return f"{seconds:.3f}s"
