"""The Envoy fields PUMA renders config numbers into, and the range each field's type holds. No IO.

A number Envoy cannot hold (2**32 in a `uint32`) passes a plain `int` check, and Envoy then
rejects the whole file it is in: every route, not only the one service's. So each config key that
becomes an Envoy number names its Envoy field here, once; the config (`puma.fields.fits_envoy`) checks the key against
the range of that field's type and refuses the value with the key, the range and the fix.

>>> envoy_range_problem("max_body_bytes", 2**32)
'4294967296 is more than Envoy can hold in envoy.extensions.filters.http.buffer.v3.Buffer.max_request_bytes (uint32: 0 to 4294967295); give at most 4294967295'
"""

from __future__ import annotations

import math

UINT32_MAX = 2**32 - 1
INT64_MAX = 2**63 - 1

# The range of each protobuf scalar type PUMA renders a config number into (wrappers included:
# google.protobuf.UInt32Value holds a uint32).
TYPE_RANGES: dict[str, tuple[int, int]] = {"uint32": (0, UINT32_MAX), "int64": (-INT64_MAX - 1, INT64_MAX)}

_BUFFER = "envoy.extensions.filters.http.buffer.v3.Buffer.max_request_bytes"
_THRESHOLDS = "envoy.config.cluster.v3.CircuitBreakers.Thresholds."
_HEALTH_CHECK = "envoy.config.core.v3.HealthCheck."
_TOKEN_BUCKET = "envoy.type.v3.TokenBucket."

ENVOY_FIELDS: dict[str, tuple[str, str]] = {
    # config key (as the model's field is named) -> (the Envoy field puma.envoy writes it to, its type)
    "max_body_bytes": (_BUFFER, "uint32"),  # Service: BufferPerRoute.buffer
    "max_request_bytes": (_BUFFER, "uint32"),  # HttpConnectionManager: the Buffer filter
    "max_connections": (_THRESHOLDS + "max_connections", "uint32"),  # CircuitBreaker
    "max_pending_requests": (_THRESHOLDS + "max_pending_requests", "uint32"),
    "max_requests": (_THRESHOLDS + "max_requests", "uint32"),
    "max_retries": (_THRESHOLDS + "max_retries", "uint32"),
    "unhealthy_threshold": (_HEALTH_CHECK + "unhealthy_threshold", "uint32"),
    "healthy_threshold": (_HEALTH_CHECK + "healthy_threshold", "uint32"),
    "burst": (_TOKEN_BUCKET + "max_tokens", "uint32"),
    # requests_per_s is the default burst (max_tokens) and, times the fill interval, tokens_per_fill
    "requests_per_s": (_TOKEN_BUCKET + "max_tokens", "uint32"),
    "listener_max_connections": (
        "envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig."
        "max_active_downstream_connections", "int64"),
}


def envoy_range_problem(key: str, value: float) -> str | None:
    """None if `value` fits the Envoy field config `key` is rendered into, else the sentence saying
    so: the value, the Envoy field, its type and range, and the fix. Raises KeyError for a key
    not in `ENVOY_FIELDS`."""
    field, kind = ENVOY_FIELDS[key]
    low, high = TYPE_RANGES[kind]
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value} is not a number Envoy can hold in {field} ({kind}: {low} to {high}); give a finite number"
    if low <= value <= high:
        return None
    over = value > high
    return (f"{value} is {'more' if over else 'less'} than Envoy can hold in {field} ({kind}: {low} to {high}); "
            f"give {'at most ' + str(high) if over else 'at least ' + str(low)}")
