"""How large a request's URL and headers may be, each said apart: a long URL is a 414 naming its
length and the limit, headers over their limit a 431 about headers and cookies.

Envoy's HTTP/1 codec has one limit for the request line and the headers together
(`max_request_headers_kb`): a 70 KB URL with no large header got a 431 "headers ... cookies". So
the codec's limit is raised to `CODEC_LIMIT_KIB`, and the two limits are checked apart by an RBAC
filter placed first (before the buffer filter waits for a body), on CEL expressions: the URL's
size, and the headers' size without it (`request.total_size` while no body has come). Its denials
are mapped to 414 and 431 (`mappers`). Past `CODEC_LIMIT_KIB` in all the codec's own 431 remains.
"""

from __future__ import annotations

from typing import Any

_T = "type.googleapis.com/"

MAX_URL_BYTES = 16 * 1024  # a request target: path and query (nginx and Apache take 8 KiB; CDNs about 16)
MAX_HEADERS_BYTES = 60 * 1024  # every header but the URL (Envoy's default for all of them)
CODEC_LIMIT_KIB = 256  # request line and headers in all, read before the checks above can run
URL_POLICY = "url_too_long"
HEADERS_POLICY = "headers_too_large"

HEADERS_TEXT = ("the request's headers are over 60 KiB in all (this server's limit); send large data in the body, "
                "and fewer or smaller cookies and headers")
URL_TEXT = ("the request's URL (its path and query) is %CEL(size(request.path))% bytes, over this server's limit "
            f"of {MAX_URL_BYTES} bytes ({MAX_URL_BYTES // 1024} KiB); send large data in a request's body (a POST) "
            "instead of the URL")
CODEC_TEXT = (f"the request's URL and headers are over {CODEC_LIMIT_KIB} KiB in all (this server takes a URL of at "
              f"most {MAX_URL_BYTES // 1024} KiB and 60 KiB of headers); send large data in the body, and fewer or "
              "smaller cookies and headers")


def rbac_filter() -> dict[str, Any]:
    """The HTTP filter refusing a URL over `MAX_URL_BYTES` and headers over `MAX_HEADERS_BYTES`."""
    url_size = _call("size", _field("request", "path"))
    headers_size = _call("_-_", _field("request", "total_size"), url_size)
    return {"name": "envoy.filters.http.rbac", "typed_config": {
        "@type": _T + "envoy.extensions.filters.http.rbac.v3.RBAC",
        "rules": {"action": "DENY", "policies": {
            URL_POLICY: _policy(_call("_>_", url_size, _int(MAX_URL_BYTES))),
            HEADERS_POLICY: _policy(_call("_>_", headers_size, _int(MAX_HEADERS_BYTES)))}}}}


def refusals() -> list[tuple[str, str, int]]:
    """`(response code details, text, status)` of the filter's refusals (RBAC's own would be a bare 403)."""
    return [(f"rbac_access_denied_matched_policy[{URL_POLICY}]", URL_TEXT, 414),
            (f"rbac_access_denied_matched_policy[{HEADERS_POLICY}]", HEADERS_TEXT, 431)]


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
