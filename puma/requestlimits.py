"""How large a request's URL and headers may be, each said apart: a long URL is a 414 naming its
length and the limit, headers over their limit a 431 about headers and cookies.

Envoy's HTTP/1 codec has one limit for the request line and the headers together
(`max_request_headers_kb`): a 70 KB URL with no large header got a 431 "headers ... cookies". So
the codec's limit is raised to `CODEC_LIMIT_KIB`, and the two limits are checked apart by a filter
placed first (before the buffer filter waits for a body), on CEL expressions: the URL's size, and
the headers' size without it (`request.total_size` while no body has come). Its refusals are
mapped to 414 and 431 (`refusals`), and close the connection, as a malformed request's 400 does.
Past `CODEC_LIMIT_KIB` in all the codec's own 431 remains.
"""

from __future__ import annotations

from typing import Any

_T = "type.googleapis.com/"

MAX_URL_BYTES = 16 * 1024  # a request target: path and query (nginx and Apache take 8 KiB; CDNs about 16)
MAX_HEADERS_BYTES = 60 * 1024  # every header but the URL (Envoy's default for all of them)
CODEC_LIMIT_KIB = 256  # request line and headers in all, read before the checks above can run

HEADERS_TEXT = ("the request's headers are over 60 KiB in all (this server's limit); send large data in the body, "
                "and fewer or smaller cookies and headers")
URL_TEXT = ("the request's URL (its path and query) is %CEL(size(request.path))% bytes, over this server's limit "
            f"of {MAX_URL_BYTES} bytes ({MAX_URL_BYTES // 1024} KiB); send large data in a request's body (a POST) "
            "instead of the URL")
CODEC_TEXT = (f"the request's URL and headers are over {CODEC_LIMIT_KIB} KiB in all (this server takes a URL of at "
              f"most {MAX_URL_BYTES // 1024} KiB and 60 KiB of headers); send large data in the body, and fewer or "
              "smaller cookies and headers")


FILTER_NAME = "puma.request_limits"
# Envoy closes an HTTP/1 connection after a reply it makes itself with a 400, and after no other
# status: so the refusal is the fault filter's 400 abort (mapped to 414 or 431 afterwards, `refusals`),
# not RBAC's 403, which left the connection open for whatever the client sent after the refused
# request (a pipelining client's next request read from inside a head that was never read whole).
REFUSED_DETAILS = "fault_filter_abort"


def limits_filter() -> dict[str, Any]:
    """The HTTP filter refusing a URL over `MAX_URL_BYTES` and headers over `MAX_HEADERS_BYTES`,
    with a 400 that closes the connection: a composite filter whose CEL matcher runs a fault abort."""
    url_size = _call("size", _field("request", "path"))
    headers_size = _call("_-_", _field("request", "total_size"), url_size)
    over = _call("_||_", _call("_>_", url_size, _int(MAX_URL_BYTES)),
                 _call("_>_", headers_size, _int(MAX_HEADERS_BYTES)))
    abort = {"name": "envoy.filters.http.fault", "typed_config": {
        "@type": _T + "envoy.extensions.filters.http.fault.v3.HTTPFault",
        "abort": {"http_status": 400, "percentage": {"numerator": 100, "denominator": "HUNDRED"}}}}
    refuse = {"predicate": {"single_predicate": {
        "input": {"name": "request", "typed_config": {"@type": _T + "xds.type.matcher.v3.HttpAttributesCelMatchInput"}},
        "custom_match": {"name": "over_limits", "typed_config": {
            "@type": _T + "xds.type.matcher.v3.CelMatcher", "expr_match": {"cel_expr_parsed": {"expr": over}}}}}},
        "on_match": {"action": {"name": "refuse", "typed_config": {
            "@type": _T + "envoy.extensions.filters.http.composite.v3.ExecuteFilterAction", "typed_config": abort}}}}
    return {"name": FILTER_NAME, "typed_config": {
        "@type": _T + "envoy.extensions.common.matching.v3.ExtensionWithMatcher",
        "extension_config": {"name": "composite", "typed_config": {
            "@type": _T + "envoy.extensions.filters.http.composite.v3.Composite"}},
        "xds_matcher": {"matcher_list": {"matchers": [refuse]}}}}


def refusals() -> list[tuple[str, str, int]]:
    """`(CEL condition on the reply, text, status)` of the filter's refusals, told apart by the URL's
    size (the fault filter's own reply would be a bare 400 "fault filter abort")."""
    refused = f"response.code_details == '{REFUSED_DETAILS}'"
    return [(f"{refused} && size(request.path) > {MAX_URL_BYTES}", URL_TEXT, 414),
            (f"{refused} && size(request.path) <= {MAX_URL_BYTES}", HEADERS_TEXT, 431)]


def _policy(condition: dict[str, Any]) -> dict[str, Any]:
    return {"permissions": [{"any": True}], "principals": [{"any": True}], "condition": condition}


def _call(function: str, *args: dict[str, Any]) -> dict[str, Any]:
    return {"call_expr": {"function": function, "args": list(args)}}


def _field(*path: str) -> dict[str, Any]:
    expr: dict[str, Any] = {"ident_expr": {"name": path[0]}}
    for name in path[1:]:
        expr = {"select_expr": {"operand": expr, "field": name}}
    return expr


def _int(value: int) -> dict[str, Any]:
    return {"const_expr": {"int64_value": value}}
