"""One face for PUMA's errors: a browser gets a page, everyone else the JSON body.

Every error PUMA answers itself — a binding 400, a limit's 413 or 429, an app's exception (500), an
unreachable service (503/504), a path or method no service takes (404/405) — is negotiated by one
rule, `wants_html`: a client whose `Accept` names `text/html` and not `application/json` (a browser
opening a page or posting a form) gets an HTML page saying the same thing and how to go back; any
other client (curl, `fetch`, `puma.remote`, a script asking for JSON) gets the JSON body unchanged.

The rule is applied in two places that cannot share code at run time but share it here:
`BrowserErrors` wraps each instance's WSGI app (every JSON error a service's process answers), and
`puma.localreplies` renders `envoy_filter()` and `page()` into Envoy's own replies (Envoy answers
those without a Python process). The page is escaped; it has no script.

>>> wants_html("text/html,application/xhtml+xml,*/*;q=0.8"), wants_html("*/*")
(True, False)
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

HTML_TYPE, JSON_TYPE = "text/html", "application/json"
HTML_CONTENT_TYPE = "text/html; charset=utf-8"
# Titles a browser reads first; any other status is "Error <status>" (Envoy: its %RESPONSE_CODE%).
TITLES = {404: "Page not found", 405: "Not a page to open"}

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="color-scheme" content="light dark">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title} · PUMA</title>
{phone}</head>
<body style="font-family: system-ui, sans-serif; max-width: 36em; margin: 3em auto; padding: 0 1em">
<main><h1>{title}</h1>
<p>{reason}</p>{fix}
<nav aria-label="Pages"><p>{back}</p></nav></main>
</body></html>
"""
# On a phone: under a finger each link is 44 px high (WCAG 2.5.5), as on PUMA's other pages (an
# inline link is its text's 19 px unless it is an inline flex box, which stays in its sentence and
# still wraps a long label); a long name (a config path, an address) wraps rather than widening the
# page past a 320 px screen (WCAG 1.4.10). No '%' in it: Envoy reads these pages as format strings.
PHONE_STYLE = ("<style>body { overflow-wrap: anywhere } @media (pointer: coarse) { a { display: inline-flex; "
               "align-items: center; min-height: 44px; vertical-align: middle } }</style>")
BACK_4XX = "Go back (your browser's Back button keeps what you typed), correct the request and send it again"
BACK_5XX = "Go back (your browser's Back button keeps what you typed) and send it again later"


def wants_html(accept: str) -> bool:
    """A browser's navigation or form post (`Accept: text/html,...`), not a script asking for JSON."""
    accept = accept.lower()
    return HTML_TYPE in accept and JSON_TYPE not in accept


def envoy_filter() -> dict[str, Any]:
    """`wants_html` as an Envoy access-log filter (what local-reply mappers match on)."""
    def names(media_type: str, invert: bool) -> dict[str, Any]:
        match = {"name": "accept", "string_match": {"contains": media_type, "ignore_case": True}}
        return {"header_filter": {"header": {**match, **({"invert_match": True} if invert else {})}}}
    return {"and_filter": {"filters": [names(HTML_TYPE, False), names(JSON_TYPE, True)]}}


def title(status: int | str) -> str:
    return TITLES.get(status, f"Error {status}") if isinstance(status, int) else f"Error {status}"


def page(title_html: str, reason_html: str, back_html: str, fix_html: str = "") -> str:
    """The page around parts that are HTML already (escaped by the caller)."""
    fix = f"\n<p>How to fix it: {fix_html}</p>" if fix_html else ""
    return PAGE.format(title=title_html, reason=reason_html, fix=fix, back=back_html, phone=PHONE_STYLE)


def error_page(status: int, body: dict[str, Any], referer: str = "") -> str:
    """The page for a JSON error `body` (its "error", "detail" and "fix", escaped), with the way back.

    >>> "&lt;b&gt;" in error_page(400, {"error": "x: <b> is not an int"})
    True
    """
    said = str(body.get("error") or (HTTPStatus(status).phrase if _known(status) else ""))
    if isinstance(body.get("detail"), str) and body["detail"]:  # an app's own {"error": code, "detail": words}
        said = f"{said}: {body['detail']}"
    reason = html.escape(said)
    fix = html.escape(str(body["fix"])) if isinstance(body.get("fix"), str) and body["fix"] else ""
    back = BACK_4XX if status < 500 else BACK_5XX
    back += f', or return to <a href="{html.escape(referer)}">the page you came from</a>.' if _safe(referer) else "."
    return page(html.escape(title(status)), reason, back, fix)


def _known(status: int) -> bool:
    return status in HTTPStatus._value2member_map_


def _safe(referer: str) -> bool:
    """A Referer worth a link: an http(s) address (never javascript: or data:)."""
    try:
        return urlsplit(referer).scheme in ("http", "https") and len(referer) <= 2000
    except ValueError:
        return False


def error_body(status: int, content_type: str, data: bytes) -> dict[str, Any] | None:
    """The JSON error object of a reply (`{"error": ..., ...}`, status >= 400), else None."""
    if status < 400 or content_type.split(";")[0].strip().lower() != JSON_TYPE:
        return None
    try:
        body = json.loads(data)
    except ValueError:
        return None
    return body if isinstance(body, dict) and isinstance(body.get("error"), str) else None


def read_whole(written: list[bytes], result: Iterable[bytes]) -> bytes:
    """A held-back WSGI reply's whole body: what the app wrote through `start_response`'s `write`,
    then what it returned; the returned iterable closed after, as PEP 3333 asks of a server."""
    try:
        return b"".join([*written, *result])
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()

class BrowserErrors:
    """WSGI middleware: a JSON error reply to a browser (`wants_html`) becomes `error_page`.

    Only error replies are held back to be rewritten; every other reply (streams included) passes
    through as it was started. The status and every header but the body's own stay.
    """

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if not wants_html(environ.get("HTTP_ACCEPT", "")):
            return self.app(environ, start_response)
        held: dict[str, Any] = {}

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], Any]:
            kind = next((v for k, v in headers if k.lower() == "content-type"), "")
            if "result" not in held and int(status.split()[0]) >= 400 and kind.split(";")[0].strip() == JSON_TYPE:
                held.update(status=status, headers=headers, written=[])
                write: Callable[[bytes], Any] = held["written"].append
                return write
            passed: Callable[[bytes], Any] = (start_response(status, headers, exc_info) if exc_info
                                              else start_response(status, headers))
            return passed

        result = self.app(environ, start)
        held["result"] = result
        if "status" not in held:
            return result
        return self._rewritten(environ, start_response, held, result)

    @staticmethod
    def _rewritten(environ: dict[str, Any], start_response: Callable[..., Any], held: dict[str, Any],
                   result: Iterable[bytes]) -> list[bytes]:
        data = read_whole(held["written"], result)
        status = int(held["status"].split()[0])
        body = error_body(status, JSON_TYPE, data)
        headers = held["headers"]
        if body is not None:
            data = error_page(status, body, environ.get("HTTP_REFERER", "")).encode()
            headers = [(k, v) for k, v in headers if k.lower() not in ("content-type", "cache-control")]
            headers += [("Content-Type", HTML_CONTENT_TYPE), ("Cache-Control", "no-store")]
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        start_response(held["status"], [*headers, ("Content-Length", str(len(data)))])
        return [data]


__all__ = ["BACK_4XX", "BACK_5XX", "BrowserErrors", "envoy_filter", "error_body", "error_page", "page", "title", "wants_html"]
