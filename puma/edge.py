"""What Envoy's listeners accept from clients, and how Envoy answers by itself. Pure: dicts out.

`puma/envoy.py` builds routes and clusters; this module holds the edge's rules, so they read in
one place:

* **Connections are bounded** — a connection with no request in progress (one that never sends a
  byte, or an idle kept-alive one) is closed after `idle_timeout`; headers must arrive within
  `request_headers_timeout`, the whole request (a stalled body) within `request_timeout` (408);
  at most `listener.max_connections` client connections at once (Envoy's overload manager); each
  connection buffers at most `CONNECTION_BUFFER_BYTES` before Envoy stops reading it; an HTTP/2
  (h2c) client gets at most `H2_MAX_STREAMS` concurrent streams.
* **HTTP/1 is read strictly** — bad chunk framing is a 400 (`strict_chunk_parsing`), a header name
  with an underscore is a 400 (a WSGI server would read `X_Forwarded` as `X-Forwarded`), so is a
  Host header given twice (`HOST_GUARD`, merged by Envoy into "a,b"); a method a service does not
  take is a 405 with an `Allow` header (`method_guard`); an `Expect` other than 100-continue is a
  417 (`expect_guard`).
* **Request ids are Envoy's** — on the public listener Envoy generates every `x-request-id` (a
  client's is replaced), so the key by which a service recognises a request Envoy re-sent is never
  chosen by a client (`client_facing`).
* **Envoy's own replies** (JSON with a message; a page for a browser) are `puma.localreplies`.

What Envoy 1.40 cannot be told (README: "What PUMA guarantees under faults"): a bare CR inside a
header value is dropped rather than refused; request lines of HTTP/0.9, HTTP/1.2 or "HTTP/2.0"
are served as HTTP/1.0 (and the connection closed); a client that half-closes its side gets no
reply (Envoy closes a half-closed HTTP/1 connection).
"""

from __future__ import annotations

import re
from typing import Any

from . import requestlimits
from .config import PumaConfig
from .endpoints import INTERFACE_PATH
from .envoynames import duration
from .localreplies import (
    STATUS_TIMEOUT_S as STATUS_TIMEOUT_S,  # re-exported: named from here before
)
from .localreplies import STOPPING_KEY as STOPPING_KEY
from .localreplies import SUPERVISOR_SILENT_FIELD as SUPERVISOR_SILENT_FIELD
from .localreplies import header, no_route_text, own_paths_too_large_text
from .localreplies import local_reply_config as local_reply_config
from .localreplies import rate_limited_headers as rate_limited_headers
from .services import RESERVED_PREFIX, Service, get_hint, too_large_message

_T = "type.googleapis.com/"
CONNECTION_BUFFER_BYTES = 32 * 1024  # Envoy's recommendation for an edge proxy
H2_MAX_STREAMS = 100
H2_STREAM_WINDOW_BYTES = 64 * 1024
H2_CONNECTION_WINDOW_BYTES = 1 << 20
HTTP_10_DEFAULT_HOST = "puma"  # the Host of an HTTP/1.0 request that names none (routes match any)
RUNTIME_FLAGS = {
    # least_request counts a request still waiting for a connection to its instance too: without it,
    # two requests sent together before a connection exists both see two idle instances.
    "envoy.reloadable_features.least_request_lb_count_pending_requests": True,
    # A chunk whose data is longer than its size line says ("2\r\n{}}}\r\n") is a 400, not truncated.
    "envoy.reloadable_features.strict_chunk_parsing": True,
    # COALESCE skips an empty value (LOCAL_REPLY_BODY of a codec error) for the next one.
    "envoy.reloadable_features.coalesce_formatter_accept_empty_values": False,
}


def runtime() -> dict[str, Any]:
    # The admin layer takes `/runtime_modify`: the supervisor sets STOPPING_KEY there when it stops.
    return {"layers": [{"name": "puma", "static_layer": dict(RUNTIME_FLAGS)}, {"name": "admin", "admin_layer": {}}]}


def overload_manager(config: PumaConfig) -> dict[str, Any]:
    """At most `listener.max_connections` client connections, both listeners together (the admin
    interface is not counted: it stays reachable when the limit is hit)."""
    return {"resource_monitors": [{
        "name": "envoy.resource_monitors.global_downstream_max_connections",
        "typed_config": {"@type": _T + "envoy.extensions.resource_monitors.downstream_connections.v3."
                                        "DownstreamConnectionsConfig",
                         "max_active_downstream_connections": config.listener.max_connections}}]}


# What Envoy takes of an instance's reply headers (each cluster's common_http_protocol_options, set
# here rather than left to Envoy's defaults, so puma.serving refuses exactly what Envoy would): past
# them Envoy resets the stream, a 502 "protocol error" nothing logs, re-sent where it may retry.
REPLY_HEADERS_MAX_KB = 80
REPLY_HEADERS_MAX_COUNT = 100


def reply_header_limits() -> dict[str, int]:
    return {"max_response_headers_kb": REPLY_HEADERS_MAX_KB, "max_headers_count": REPLY_HEADERS_MAX_COUNT}


def listener_limits() -> dict[str, Any]:
    return {"per_connection_buffer_limit_bytes": CONNECTION_BUFFER_BYTES}


def hcm_limits(config: PumaConfig) -> dict[str, Any]:
    """The http_connection_manager's timeouts and protocol options."""
    hcm = config.http_connection_manager
    return {
        "common_http_protocol_options": {"idle_timeout": duration(hcm.idle_timeout),
                                         "headers_with_underscores_action": "REJECT_REQUEST"},
        # HTTP/1.0 clients (ApacheBench, many probes) are answered, not told to upgrade (426).
        "http_protocol_options": {"accept_http_10": True, "default_host_for_http_10": HTTP_10_DEFAULT_HOST,
                                  # A method Envoy does not know (BREW) reaches method_guard: a 405 with
                                  # `Allow`, as TRACE gets, not a 400 "malformed request line".
                                  "allow_custom_methods": True},
        "http2_protocol_options": {"max_concurrent_streams": H2_MAX_STREAMS,
                                   "initial_stream_window_size": H2_STREAM_WINDOW_BYTES,
                                   "initial_connection_window_size": H2_CONNECTION_WINDOW_BYTES},
        # The codec's one limit for the request line and headers together, above the two checked
        # apart (puma.requestlimits): a long URL is a 414 saying so, not a 431 about headers.
        "max_request_headers_kb": requestlimits.CODEC_LIMIT_KIB,
        "request_headers_timeout": duration(hcm.request_headers_timeout),
        "request_timeout": duration(hcm.request_timeout),
    }


def client_facing() -> dict[str, Any]:
    """The public listener treats every client as external: Envoy generates each request's
    `x-request-id` (kept when it re-sends the request to another instance), so no client chooses
    the key a service recognises a re-sent request by, and strips client-sent `x-envoy-*` headers.
    (An empty `cidr_ranges` means Envoy's defaults, private addresses included; no client comes
    from 255.255.255.255.) The internal listener keeps callers' ids, as services pass them on."""
    return {"use_remote_address": True, "preserve_external_request_id": False,
            "internal_address_config": {"cidr_ranges": [{"address_prefix": "255.255.255.255", "prefix_len": 32}]}}


# --- guards: routes placed before the services' own ----------------------------------------


def host_guard() -> dict[str, Any]:
    """A request with two Host headers (Envoy merges them into "a,b") is a 400, as RFC 9112 asks."""
    two = {"name": ":authority", "string_match": {"contains": ","}}
    return {"name": "two_hosts", "match": {"prefix": "/", "headers": [two]},
            "direct_response": {"status": 400, "body": {"inline_string": (
                "the request has more than one Host header (or a comma in it); send exactly one")}}}


def expect_guard() -> dict[str, Any]:
    """An `Expect` other than 100-continue (the only expectation HTTP defines) is a 417, as RFC 9110
    10.1.1 allows: the server cannot meet it, so the client learns that rather than getting an
    answer it did not ask for. (Envoy answers 100-continue itself and drops that header.)"""
    other = {"name": "expect", "string_match": {"safe_regex": {"regex": "(?i)\\s*100-continue\\s*"}},
             "invert_match": True}
    return {"name": "bad_expect", "match": {"prefix": "/", "headers": [{"name": "expect", "present_match": True},
                                                                        other]},
            "direct_response": {"status": 417, "body": {"inline_string": (
                "the request's Expect header asks for something this server cannot do: it meets only "
                "Expect: 100-continue; send the request without the header")}}}


# A path with a '%' that does not start two hex digits ("/x%ZZ", "/%", "/a%2"): Envoy's path
# normalisation leaves such escapes as they are, and a service would read them its own way.
# (Routes match the path without its query; RE2 matches the whole path.)
_BAD_ESCAPE_RE = ".*%([^0-9A-Fa-f].*|[0-9A-Fa-f]([^0-9A-Fa-f].*)?)?"


def escape_guard() -> dict[str, Any]:
    """A path with an invalid percent-escape is a 400 at the edge, before any service sees it."""
    return {"name": "bad_escape", "match": {"safe_regex": {"regex": _BAD_ESCAPE_RE}},
            "direct_response": {"status": 400, "body": {"inline_string": (
                "the request's path has an invalid percent-escape (a '" + "%" + "' not followed by two hex "
                "digits); write a '" + "%" + "' in a path as " + "%" + "25")}}}


def method_guard(name: str, service: Service, match: dict[str, Any]) -> dict[str, Any]:
    """A 405 with `Allow` for any method `service` does not take (TRACE, PROPFIND... never)."""
    allowed = service.allowed_methods
    other = {"name": ":method", "string_match": {"safe_regex": {"regex": f"^({'|'.join(allowed)})$"}},
             "invert_match": True}
    headers = [other]
    if "GET" not in allowed:  # its interface (GET <prefix>/_puma/interface, what puma.remote reads) stays served
        interface = re.escape(service.prefix.rstrip("/") + INTERFACE_PATH)
        headers.append({"name": ":path", "string_match": {"safe_regex": {"regex": f"^{interface}([?].*)?$"}},
                        "invert_match": True})
    allow = ", ".join(allowed)
    return {"name": f"{name}_methods", "match": {**match, "headers": headers},
            "direct_response": {"status": 405, "body": {"inline_string": (
                f"this method is not allowed on any path of service {name!r} ({service.prefix} and under it, "
                f"the path asked included); use {allow}" + _get_advice(name, service))}},
            "metadata": {"filter_metadata": {"puma": {"service": name}}},  # the body's "service"
            "response_headers_to_add": [header("allow", allow)]}


def _get_advice(name: str, service: Service) -> str:
    """A function binding its arguments, which PUMA narrowed to POST: how it takes GET too."""
    return f"; {get_hint(name)}" if service.narrowed and service.allowed_methods == ("POST",) else ""


def too_large_guard(name: str, service: Service, match: dict[str, Any]) -> dict[str, Any]:
    """A 413 at once for a request whose Content-Length is over the service's `max_body_bytes`: no
    body is waited for (the buffer filter would read up to the limit first), so a client that sent
    `Expect: 100-continue` learns it before uploading."""
    over = {"name": "content-length", "range_match": {"start": service.max_body_bytes + 1, "end": 2**63 - 1}}
    return {"name": f"{name}_too_large", "match": {**match, "headers": [*match.get("headers", ()), over]},
            "direct_response": {"status": 413, "body": {"inline_string": too_large_message(
                name, service.max_body_bytes)}},
            "metadata": {"filter_metadata": {"puma": {"service": name}}},  # the body's "service"
            "response_headers_to_add": [header("connection", "close")],  # its body is not read
            # Answered by the router, after the buffer filter, which would wait for the body first.
            "typed_per_filter_config": {"envoy.filters.http.buffer": {
                "@type": _T + "envoy.extensions.filters.http.buffer.v3.BufferPerRoute", "disabled": True}}}


def own_paths_too_large_guard(config: PumaConfig) -> dict[str, Any]:
    """`too_large_guard` for PUMA's own paths (/_puma/scale, /_puma/workers...): a body over the
    listener's buffer limit is a 413 before it is sent, as at a service, not after a 100 Continue."""
    limit = config.http_connection_manager.max_request_bytes
    over = {"name": "content-length", "range_match": {"start": limit + 1, "end": 2**63 - 1}}
    return {"name": "puma_own_too_large", "match": {"prefix": RESERVED_PREFIX + "/", "headers": [over]},
            "direct_response": {"status": 413, "body": {"inline_string": own_paths_too_large_text(config)}},
            "response_headers_to_add": [header("connection", "close")],  # its body is not read
            "typed_per_filter_config": {"envoy.filters.http.buffer": {
                "@type": _T + "envoy.extensions.filters.http.buffer.v3.BufferPerRoute", "disabled": True}}}


def hidden_service(name: str, config: PumaConfig, match: dict[str, Any]) -> dict[str, Any]:
    """An internal service's prefix on the public listener: what any unrouted path gets."""
    return {"name": f"{name}_hidden", "match": match,
            "direct_response": {"status": 404, "body": {"inline_string": no_route_text(config)}}}
