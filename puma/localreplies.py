"""Envoy's own replies: what Envoy answers by itself, and how. Pure: dicts out (see `puma.edge`).

* **Envoy's own replies are JSON with a message** — never `"error": ""`, never Envoy's own terms
  (response flags, code details): requests Envoy's HTTP/1 codec refuses, a missing Host, an
  unnormalisable path, a protocol upgrade; 503s that a client may retry (no instance ready, a
  circuit breaker open) and 429s carry `Retry-After`. A browser (`Accept: text/html`) asking for
  an address that is not one (404) or not to be opened (405), and any other error Envoy answers
  (413, 429, 503, 504...), gets a small HTML page saying the same instead, with links to the
  deployment's pages (`listener.pages`): `puma.errorpages`' one rule, as the instances apply it.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from typing import Any

from . import errorpages, requestlimits, serviceready
from .config import PumaConfig
from .defaults import (
    DASHBOARD_PATH,
    DASHBOARD_TIMEOUT_S,
    LAST_PUBLISHED_WORDS,
    READY_KEY,
    READY_PATH,
    READY_TIMEOUT_S,
)
from .defaults import STATUS_TIMEOUT_S as STATUS_TIMEOUT_S
from .defaults import SUPERVISOR_SILENT_FIELD as SUPERVISOR_SILENT_FIELD
from .services import RESERVED_PREFIX, Service, too_large_message
from .visibility import for_public

_T = "type.googleapis.com/"
RETRY_AFTER_S = 1
# Every reply Envoy makes itself is this JSON. "error" is the reply's own text, or (when Envoy has
# none, as for a request its codec refused) the code of what went wrong. Envoy's response flags and
# code details stay in its access log: they are Envoy's terms, not the client's.
LOCAL_REPLY_JSON = {
    "error": '%COALESCE({"operators": ["LOCAL_REPLY_BODY", "RESPONSE_CODE_DETAILS"]})%',
    # the path, 1,024 characters at most: a 414's 20 KB URL is not echoed back whole
    "status": "%RESPONSE_CODE%", "path": "%REQ(:PATH):1024%",
    # The service whose route the request took (null if none: no route, or refused before routing).
    "service": "%METADATA(ROUTE:puma:service)%"}


# --- Envoy's own replies --------------------------------------------------------------------


def local_reply_config(config: PumaConfig, *, internal: bool = False) -> dict[str, Any]:
    """Every reply Envoy makes itself (404, 405, 408, 413, 429, 503...) as JSON with a message; on
    the `internal` listener (the deployment's own callers) with what its operator can look at."""
    mappers = [*_ready_from_envoy(), _service_ready_from_envoy(), *_dashboard_from_envoy(config), _supervisor_silent_page(config), _starting_page(), *_browser_pages(config), *_for_browsers([
        m if internal else _for_public(m) for m in [  # the pages for browsers say the public words too
            _no_route(config), *_too_large(config), _unframable(), _rate_limited(config), *_codec_refusals(),
            *_client_too_slow(config), _supervisor_silent(), *_retry_later(internal), _never_sent_on_any_try(),
            *_service_failed()]], config)]
    return {"body_format": {"json_format": LOCAL_REPLY_JSON},
            "mappers": mappers if internal else [_for_public(m) for m in mappers]}


def _for_public(mapper: dict[str, Any]) -> dict[str, Any]:
    """A mapper of the public listener: its JSON message without operators' words (`for_public`, the
    rule an instance's replies follow too: `puma.publicerrors`). Pages (HTML) are left as they are."""
    text = (mapper.get("body") or {}).get("inline_string")
    if not isinstance(text, str) or text.lstrip().startswith("<"):
        return mapper
    return {**mapper, "body": {**mapper["body"], "inline_string": for_public(text)}}


# A browser opening a page before its service has a ready instance gets this page instead of the
# JSON error; everyone else (scripts, fetch) still gets JSON. Envoy writes the route's service into
# it (%UPSTREAM_CLUSTER%: the cluster is the service, puma.envoy), so the page asks the deployment's
# readiness each second and reloads itself as soon as THAT service has a ready instance (the page's
# own start-up mode then says what else it waits for), or once nothing is starting any more (a
# service that is not ready because what it needs is down, e.g. the legacy server, does not hold the
# page back; no timed refresh: the reader decides nothing and loses nothing). What is typed on it is
# kept for the page (sessionStorage STARTING_TYPED_KEY: a page with a text box takes it as a draft).
# The note of what it waits for is no live region (rewritten as services get ready, it would be read
# out every second or so of a start-up); a separate status says how many are left at most every 15
# s, that the page loads, and, once, that the deployment stopped (nothing answers: Envoy is gone) or
# is stopping. No other '%' in it: Envoy's format strings would read one as a command.
STARTING_TYPED_KEY = "puma-starting-typed"
STARTING_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="color-scheme" content="light dark">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Starting · PUMA</title>__PHONE_STYLE__</head>
<body style="font-family: system-ui, sans-serif; max-width: 36em; margin: 3em auto; padding: 0 1em">
<main id="starting" data-service="%UPSTREAM_CLUSTER%"><h1 id="heading">Starting&hellip;</h1>
<p id="about">This page is not ready yet: the application behind it is still starting. The page
reloads itself as soon as it is ready (or <a href="">try again</a>).</p>
<p id="waiting">Details: <a href="/_puma/ready">/_puma/ready</a></p>
<p id="typed">Nothing can be typed here yet: what you type is kept and put in the page once it loads.</p>
<p id="progress" role="status" style="position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0)"></p></main>
<script>
(function () {
  var KEY = "__TYPED_KEY__", STOPPED_AFTER = 2;
  var hook = window.__pumaStarting || {};  // tests: shorter intervals
  var POLL_MS = hook.pollMs || 1000, SAY_EVERY_MS = hook.sayEveryMs || 15000;
  var $ = function (id) { return document.getElementById(id); };
  var service = $("starting").getAttribute("data-service") || "";
  var note = $("waiting"), progress = $("progress"), typedNote = $("typed");
  var said = "", saidAt = 0, failures = 0, stopped = false;
  var typed = "";
  try { typed = sessionStorage.getItem(KEY) || ""; } catch (e) { typed = ""; }
  function say(text) {
    if (text !== said) { progress.textContent = text; said = text; saidAt = Date.now(); }
  }
  function keep(text) {
    typed = text;
    try { sessionStorage.setItem(KEY, typed); } catch (e) { /* private mode: shown only */ }
    typedNote.textContent = typed ? "Kept for the page (it goes in its message box once it loads): \\u201c" + typed + "\\u201d"
      : "Nothing can be typed here yet: what you type is kept and put in the page once it loads.";
  }
  if (typed) { keep(typed); }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    if (e.key === "Backspace") { keep(typed.slice(0, -1)); e.preventDefault(); }
    else if (e.key.length === 1) { keep(typed + e.key); if (e.key === " ") { e.preventDefault(); } }
  });
  document.addEventListener("paste", function (e) {
    keep(typed + ((e.clipboardData && e.clipboardData.getData("text")) || ""));
  });
  // Envoy gone (Ctrl-C during start-up): said once, in the title and the status; checked on, slower.
  function gone() {
    failures += 1;
    if (failures >= STOPPED_AFTER && !stopped) {
      stopped = true;
      document.title = "Stopped · PUMA";
      $("heading").textContent = "The deployment stopped";
      $("about").textContent = "Nothing answers at this address any more: the deployment stopped. Start it again (make run, or puma run); this page reloads itself once it answers.";
      say("The deployment stopped; start it again with make run (or puma run).");
    }
    setTimeout(check, stopped ? POLL_MS * 3 : POLL_MS * 2);
  }
  function ownReady(d) {
    var mine = service && d.services && d.services[service];
    return Boolean(mine && mine.ready > 0);
  }
  function check() {
    fetch("/_puma/ready", {cache: "no-store", headers: {accept: "application/json"}}).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (d) {
        failures = 0;
        var started = d.waiting_for && d.waiting_for.length === 0 && !d.stopping;
        if (d.ready === true || ownReady(d) || started || (!("ready" in d) && r.status !== 503)) {
          say("Ready: loading the page.");
          location.reload();
          return;
        }
        if (stopped) { location.reload(); return; }  // it answers again: the page (or this, starting)
        if (d.stopping) {
          document.title = "Stopping · PUMA";
          say("The deployment is stopping; start it again with make run (or puma run) once it has stopped.");
          setTimeout(check, POLL_MS);
          return;
        }
        var left = (d.waiting_for || []).slice().sort();
        var text = "Waiting for: " + left.join(", ") + ".";
        if (left.length && note.textContent !== text) { note.textContent = text; }
        if (left.length && Date.now() - saidAt >= SAY_EVERY_MS) {
          say("Still starting: " + left.length + (left.length === 1 ? " service" : " services") + " to go.");
        }
        setTimeout(check, POLL_MS);
      });
    }).catch(gone);
  }
  setTimeout(check, POLL_MS);
})();
</script>
</body></html>
""".replace("__TYPED_KEY__", STARTING_TYPED_KEY).replace("__PHONE_STYLE__", errorpages.PHONE_STYLE)


def _starting_page() -> dict[str, Any]:
    asks_html = errorpages.envoy_filter()
    return {"filter": {"and_filter": {"filters": [{"response_flag_filter": {"flags": ["UH"]}}, asks_html]}},
            "headers_to_add": [{"header": {"key": "retry-after", "value": "2"}, "append_action": "OVERWRITE_IF_EXISTS_OR_ADD"},
                               {"header": {"key": "cache-control", "value": "no-store"}, "append_action": "OVERWRITE_IF_EXISTS_OR_ADD"}],
            "body_format_override": {"text_format_source": {"inline_string": STARTING_PAGE},
                                     "content_type": "text/html; charset=UTF-8"}}


def _page_links(pages: dict[str, str]) -> str:
    links = [f'<a href="{path}">{label}</a>' for path, label in pages.items()]
    return links[0] if len(links) == 1 else ", ".join(links[:-1]) + " or " + links[-1]


def error_page(title: str, reason: str, pages: dict[str, str], back: str = "") -> str:
    """The HTML a browser gets instead of a JSON error (`title`, `reason` and `pages`' labels must
    be HTML already: Envoy's replies fill `reason` with a format command). Format strings: '%' only
    in Envoy's commands (labels and paths are checked to have none)."""
    links = _page_links(pages)
    return errorpages.page(title, reason, f"{back}, or go to {links}." if back else f"Go to {links}.")


def _html_reply(flt: dict[str, Any], page: str, extra_headers: Sequence[dict[str, Any]] = (), **kept: Any) -> dict[str, Any]:
    return {**kept, "filter": {"and_filter": {"filters": [flt, errorpages.envoy_filter()]}},
            "headers_to_add": [*extra_headers, header("cache-control", "no-store")],
            "body_format_override": {"text_format_source": {"inline_string": page},
                                     "content_type": "text/html; charset=UTF-8"}}


def _browser_pages(config: PumaConfig) -> list[dict[str, Any]]:
    """404 and 405 for a client that asks for HTML: a page, not JSON (scripts still get JSON)."""
    pages = config.listener.pages
    return [_html_reply({"response_flag_filter": {"flags": ["NR"]}}, error_page(
                errorpages.title(404), "There is no page at this address. " + no_route_text(config) + ".", pages)),
            _html_reply(_status_is(404), error_page(
                errorpages.title(404), "There is no page at this address: %LOCAL_REPLY_BODY%.", pages)),
            _html_reply(_status_is(405), error_page(
                errorpages.title(405), "This address is not a page to open in a browser: %LOCAL_REPLY_BODY%.", pages))]


def _for_browsers(mappers: list[dict[str, Any]], config: PumaConfig) -> list[dict[str, Any]]:
    """Every JSON mapper preceded by its page for a browser (`puma.errorpages.wants_html`), saying
    the same text, escaped; then a page for any other local error a browser gets. One rule for
    every status: the first mapper that matches answers, so a browser meets the page first."""
    out: list[dict[str, Any]] = []
    for mapper in mappers:
        text = _mapper_text(mapper)
        if text is not None:
            status = mapper.get("status_code") or _status_of(mapper["filter"])
            back = errorpages.BACK_5XX if status is None or status >= 500 else errorpages.BACK_4XX
            title = errorpages.title(status) if status else "Error %RESPONSE_CODE%"
            kept = {"status_code": mapper["status_code"]} if "status_code" in mapper else {}
            page = error_page(title, html.escape(text, quote=False), config.listener.pages, back)
            out.append(_html_reply(mapper["filter"], page, mapper.get("headers_to_add", []), **kept))
        out.append(mapper)
    anything = {"status_code_filter": {"comparison": {"op": "GE", "value": {"default_value": 400,
                                                                             "runtime_key": "puma_error_pages"}}}}
    out.append(_html_reply(anything, error_page("Error %RESPONSE_CODE%", "%LOCAL_REPLY_BODY%", config.listener.pages,
                                                errorpages.BACK_5XX)))
    return out


def _mapper_text(mapper: dict[str, Any]) -> str | None:
    """What a JSON mapper says ("error"), None for one that answers HTML already."""
    override = mapper.get("body_format_override", {})
    if "text_format_source" in override:
        return None
    error = override.get("json_format", {}).get("error")
    return error if isinstance(error, str) else mapper.get("body", {}).get("inline_string")


def _status_of(flt: dict[str, Any]) -> int | None:
    """The status a mapper's filter picks (None: it matches on Envoy's flags, i.e. a 5xx)."""
    if "status_code_filter" in flt:
        return int(flt["status_code_filter"]["comparison"]["value"]["default_value"])
    if "extension_filter" in flt:  # a codec refusal or a client too slow: the client's request (4xx)
        return 400
    found = [_status_of(f) for f in flt.get("and_filter", {}).get("filters", [])]
    return next((s for s in found if s is not None), None)


def _no_route(config: PumaConfig) -> dict[str, Any]:
    return {"filter": {"response_flag_filter": {"flags": ["NR"]}}, "body": {"inline_string": no_route_text(config)}}


def no_route_text(config: PumaConfig) -> str:
    public = sorted(s.prefix for s in config.puma_services.values() if s.visibility == "public")
    return "no service is routed at this path; service prefixes: " + (", ".join(public) or "(none)")


def _too_large(config: PumaConfig) -> list[dict[str, Any]]:
    """A 413 names the limit of the service whose path it was sent to, and the key that raises it:
    one mapper per service, longest prefix first (the first mapper that matches answers)."""
    services = sorted(config.puma_services.items(), key=lambda item: len(item[1].prefix), reverse=True)
    mappers = [{"filter": {"and_filter": {"filters": [_status_is(413), _path_under(s.prefix)]}},
                "body": {"inline_string": too_large_message(name, s.max_body_bytes)}} for name, s in services]
    # PUMA's own paths first: under "/" too, they are no service's, and the listener's limit is theirs.
    own = {"filter": {"and_filter": {"filters": [_status_is(413), _path_under(RESERVED_PREFIX)]}},
           "body": {"inline_string": own_paths_too_large_text(config)}}
    return [own, *mappers, {"filter": _status_is(413), "body": {"inline_string": (
        "request body is too large for this route (send a smaller one); raise its service's max_body_bytes (in bytes, "
        f"puma_services.<name>.max_body_bytes; {Service.model_fields['max_body_bytes'].default} unless set) "
        "if it should be accepted")}}]


def own_paths_too_large_text(config: PumaConfig) -> str:
    """What a 413 to one of PUMA's own paths (/_puma/...) says: the listener's limit, and its key."""
    return (f"request body is too large: PUMA's own paths ({RESERVED_PREFIX}/...) take at most "
            f"{config.http_connection_manager.max_request_bytes} bytes (http_connection_manager.max_request_bytes)")


def _path_under(prefix: str) -> dict[str, Any]:
    """Requests to `prefix` or below it (`/db`, `/db/x`, `/db?q`; not `/dbx`), as Envoy routes them."""
    # Envoy's safe_regex must match the whole path.
    regex = "/.*" if prefix.rstrip("/") == "" else re.escape(prefix.rstrip("/")) + "([/?].*)?"
    return {"header_filter": {"header": {"name": ":path", "string_match": {"safe_regex": {"regex": regex}}}}}


def _rate_limited(config: PumaConfig) -> dict[str, Any]:
    rate = config.rate_limit.requests_per_s if config.rate_limit else 0
    whose = (f"service {config.rate_limit.cluster_name!r}'s" if config.rate_limit and config.rate_limit.cluster_name
             else "this deployment's")
    return {"filter": _status_is(429),
            "body": {"inline_string": f"too many requests: over {whose} rate limit ({rate:g}/s); "
                                     "retry after the time in Retry-After"}}


def _unframable() -> dict[str, Any]:
    # Envoy answers a transfer coding it does not know ("gzip, chunked", "chunked, chunked") with
    # 501, as RFC 9112 suggests; it is the client's request that cannot be read: 400, not a 5xx.
    return {"filter": _status_is(501), "status_code": 400,
            "body": {"inline_string": "the request's Transfer-Encoding is not one this server reads; "
                                      "send the body with Content-Length, or Transfer-Encoding: chunked alone"}}


_REFUSALS = {
    "missing_host_header": "the request has no Host header; HTTP/1.1 requires one",
    "upgrade_failed": "this server does not switch protocols (WebSocket, h2c upgrade) or tunnel (CONNECT)",
    "path_normalization_failed": "the request's path cannot be normalised (an encoded NUL, slash or "
                                 "an invalid escape); send a plain path",
    "http1.codec_error": "the request is not valid HTTP/1.1 (malformed request line, header or chunk framing)",
    # Envoy's parser gives one code for a NUL or control character in the request line (the target,
    # the method) and in a header: both are named, the request line first (where a NUL usually is).
    "http1.invalid_characters": "the request has a character HTTP/1.1 does not allow (a NUL or another control "
                                "character) in its request line (the method or the path) or in a header; "
                                "percent-encode it in a path or query, or leave it out",
    "http1.unexpected_underscore": "a header name has an underscore; use '-' (X-My-Header)",
    "http1.content_length_and_chunked_not_allowed": "the request has both Content-Length and "
                                                    "Transfer-Encoding; send one",
    "http.invalid_authority": "the request's Host header is not a host name (a space, '/' or another character "
                              "a host cannot have); send host or host:port, e.g. Host: localhost:8080",
    "http1.invalid_url": "the request's target is not a path or URL this server reads; request a path "
                         "starting with '/' under a service's prefix",
    "absolute_path_rejected": "the request's target is not a path (such as OPTIONS *); request a path "
                              "starting with '/' under a service's prefix",
    # Envoy's request-header limits (URL and headers in all, 100 headers): a bare "Request Header
    # Fields Too Large" named neither the limit nor where large data belongs. Below that, a long URL
    # and large headers are refused apart (puma.requestlimits).
    "http1.headers_too_large": requestlimits.CODEC_TEXT,
    "http1.too_many_headers": "the request has more than 100 headers (this server's limit); send fewer",
}
# Envoy's status for a refusal where it is not the 400 it is: a target that is no path is the
# client's malformed request, not a missing page.
_REFUSAL_STATUS = {"absolute_path_rejected": 400}


def _codec_refusals() -> list[dict[str, Any]]:
    """Requests refused before routing, which Envoy answers with an empty or bare "Bad Request"; and
    a URL or headers over their own limits (`puma.requestlimits`: 414, 431, not the fault filter's bare 400)."""
    limits = [{"filter": _cel(condition), "status_code": status, "body": {"inline_string": text},
               "body_format_override": {"json_format": {**LOCAL_REPLY_JSON, "error": text}}}
              for condition, text, status in requestlimits.refusals()]
    return limits + [{"filter": _details_are(details), "body": {"inline_string": text},
                      **({"status_code": _REFUSAL_STATUS[details]} if details in _REFUSAL_STATUS else {})}
                     for details, text in _REFUSALS.items()]


def _client_too_slow(config: PumaConfig) -> list[dict[str, Any]]:
    """408s of a request that did not all arrive in time: Envoy's bare "request timeout" named no
    cause (a body shorter than its Content-Length waits for bytes that never come) and no fix."""
    hcm = config.http_connection_manager
    fix = "send the whole body, with a Content-Length that matches it (or chunked), and send it faster"
    texts = {
        "request_overall_timeout": (
            f"the whole request, body included, did not arrive within {hcm.request_timeout:g} s (the "
            "listener's request_timeout, http_connection_manager.request_timeout): its body is shorter than "
            f"its Content-Length, or the client sends it too slowly; {fix}"),
        "request_header_timeout": (
            f"the request's headers did not all arrive within {hcm.request_headers_timeout:g} s "
            "(http_connection_manager.request_headers_timeout): send the headers at once, ending with an "
            "empty line"),
        "stream_idle_timeout": (
            "the request sent nothing for Envoy's stream idle timeout (5 minutes): its body is shorter than "
            f"its Content-Length, or the client stalled; {fix}"),
    }
    return [{"filter": _details_are(details), "body": {"inline_string": text}} for details, text in texts.items()]


# Envoy knows only that no instance is healthy; a request that kills every instance it reaches (a
# crash loop) looks the same. A caller inside the deployment is told the three causes and where an
# operator tells them apart; a public client, who can run none of that, only that it may retry.
_NO_INSTANCE_INSIDE = ("no instance of this service is ready: the deployment is starting, the service restarting, "
                       "or its instances keep exiting (`puma status` and the service's log say which); retry after the "
                       "time in Retry-After")
_RETRY_LATER = {  # Envoy's response flag -> what it means for the client, in its words
    "UH": "no instance of this service is ready: it is starting or restarting; retry after the time in Retry-After",
    "UO": "this service is at its limit of requests in progress; retry after the time in Retry-After",
    "UF": "this service's instance could not be reached; retry after the time in Retry-After",
    "OM": "the deployment is overloaded; retry after the time in Retry-After",
}


STOPPING_KEY = "puma.stopping"  # runtime percentage: 100 once the deployment is stopping
# A stopping deployment is gone until someone starts it again: a restart (`make stop`, `make run`)
# takes 45-100 s (README, "Restarts"). Its 503s say the shortest of those, not 1 s: a client that
# obeys Retry-After then asks again once, as a quick restart is done, not 50-100 times meanwhile.
STOPPING_RETRY_AFTER_S = 45
_STOPPING_HEAD = "the deployment is stopping"
_STOPPING_TEXT = (f"{_STOPPING_HEAD}: it takes no new request (those in progress finish); once it is started again "
                  "(a restart takes about a minute), retry after the time in Retry-After")


def _retry_later(internal: bool = False) -> list[dict[str, Any]]:
    """503s a client may simply retry: no instance ready (start-up, a restart, or the deployment
    stopping: said apart, by the runtime flag the supervisor sets), a circuit breaker or the overload
    manager refusing, an instance unreachable."""
    stopping = {"and_filter": {"filters": [
        {"response_flag_filter": {"flags": ["UH"]}},
        {"runtime_filter": {"runtime_key": STOPPING_KEY, "percent_sampled": {"numerator": 0, "denominator": "HUNDRED"},
                            "use_independent_randomness": True}}]}}
    said = {**_RETRY_LATER, **({"UH": _NO_INSTANCE_INSIDE} if internal else {})}
    texts = [(stopping, _STOPPING_TEXT)] + [({"response_flag_filter": {"flags": [flag]}}, text)
                                             for flag, text in said.items()]
    # On a route that is not idempotent Envoy retries only what no instance received, so a refusal
    # there is certain never to have been sent: said so. (An idempotent route also retries after a
    # reset, so an earlier try may have reached an instance: its reply says only "retry".)
    not_sent = [({"and_filter": {"filters": [flt, _NOT_IDEMPOTENT_ROUTE]}}, _not_sent(text)) for flt, text in texts]
    return [*(_retry_later_reply(flt, text, sent=False) for flt, text in not_sent),
            *(_retry_later_reply(flt, text, sent=True) for flt, text in texts)]


def _retry_later_reply(flt: dict[str, Any], text: str, *, sent: bool) -> dict[str, Any]:
    extra = {} if sent else {"sent": False}
    # If absent: a service whose zygote warms up again with no instance left says how long on its
    # route (`puma.envoyroutes`' `warming`), rather than "1 s" to poll on for as long as its warm-up.
    # A stopping deployment says how long a restart takes, whatever the route said.
    retry_after = ({**header("retry-after", str(STOPPING_RETRY_AFTER_S))} if text.startswith(_STOPPING_HEAD)
                   else {**header("retry-after", str(RETRY_AFTER_S)), "append_action": "ADD_IF_ABSENT"})
    return {"filter": flt, "body": {"inline_string": text}, "body_format_override": _naming_service(text, **extra),
            "headers_to_add": [retry_after]}


NOT_SENT = "it was not sent to any instance: safe to retry after the time in Retry-After"
_RETRY_AFTER_TEXT = "retry after the time in Retry-After"
# Route metadata puma.envoy writes; a request with no route (or the status route) has none: no match.
_NOT_IDEMPOTENT_ROUTE = {"extension_filter": {"name": "envoy.access_loggers.extension_filters.cel", "typed_config": {
    "@type": _T + "envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter",
    "expression": "xds.route_metadata.filter_metadata['puma']['idempotent'] == false"}}}


def _not_sent(text: str) -> str:
    """`text` ending with the certainty that no instance had the request (and so the retry is safe)."""
    head = text.removesuffix(_RETRY_AFTER_TEXT).rstrip("; ,")
    return f"{head}; {NOT_SENT}"


def _never_sent_on_any_try() -> dict[str, Any]:
    """Retries used up on a route that is not idempotent: each try failed before an instance had it
    (refused, or a pooled connection found closed before the request was written), never after."""
    text = ("its instances could not take the request on any try (refused, or a connection closed before the "
            f"request was written); {NOT_SENT}")
    return _retry_later_reply({"and_filter": {"filters": [{"response_flag_filter": {"flags": ["URX"]}},
                                                          _NOT_IDEMPOTENT_ROUTE]}}, text, sent=False)


# A service's instance that fails a request once it has it. No Retry-After: the service may have
# acted on the request, so only the client knows whether sending it again is safe.
_SERVICE_FAILED = {
    "UT": "no answer within its timeout_s (" + "%METADATA(ROUTE:puma:timeout_s)%" + " s); "
          "the request may still be running there: retry later if it is safe to repeat, or raise the "
          "service's timeout_s if it needs longer",
    "UC,UR,LR": "its instance closed the connection before answering (it crashed, restarted or was "
                "stopped); the request may have taken effect: retry only if it is safe to repeat",
    "URX": "its instances failed this request on every attempt; retry later, and read the service's "
           "log if it keeps failing",
}


# Of those, the ones where the instance had the request and may have acted on it: their bodies say
# so in a field too, `"may_have_taken_effect": true`, which puma.call reads, so a service whose
# callee failed this way passes the same advice on (no `Retry-After`) instead of "retry".
_MAY_HAVE_TAKEN_EFFECT = frozenset({"UT", "UC,UR,LR"})


_SUPERVISOR_SILENT_TEXT = (
    f"PUMA's supervisor, which answers this path, did not answer within {STATUS_TIMEOUT_S} s: "
    "it is stopped (SIGSTOP, a terminal's Ctrl-Z), busy or exiting; this is the deployment's address, and its "
    "services still serve. A change sent to it (puma scale) was not confirmed and may still be applied when "
    "it resumes: check puma status then")


def _supervisor_unanswered() -> dict[str, Any]:
    """A /_puma/ request the supervisor's status server did not answer (stopped, busy, exiting)."""
    on_status_path = {"header_filter": {"header": {"name": ":path",
                                                   "string_match": {"prefix": RESERVED_PREFIX + "/"}}}}
    flags = {"response_flag_filter": {"flags": ["UT", "UC", "UR", "LR", "URX", "UF", "UH"]}}
    return {"and_filter": {"filters": [on_status_path, flags]}}


def _supervisor_silent_page(config: PumaConfig) -> dict[str, Any]:
    """The same, to a browser (the dashboard, the status page opened): the small HTML page every
    other error of Envoy's is, not a JSON blob. Before the starting page: a status route with no
    answer is no service starting."""
    asks_html = {"header_filter": {"header": {"name": "accept", "string_match": {"contains": "text/html"}}}}
    reason = html.escape(_SUPERVISOR_SILENT_TEXT, quote=False)
    page = error_page("Status not answering", reason[0].upper() + reason[1:] + ".", config.listener.pages)
    return {"filter": {"and_filter": {"filters": [_supervisor_unanswered(), asks_html]}},
            "headers_to_add": [header("cache-control", "no-store")],
            "body_format_override": {"text_format_source": {"inline_string": page},
                                     "content_type": "text/html; charset=UTF-8"}}


_PUBLISHED = (f"answered by Envoy: PUMA's supervisor did not answer within {READY_TIMEOUT_S:g} s (stopped, busy or "
              "exiting), so this is the readiness it last published; the services serve meanwhile")


def _ready_from_envoy() -> list[dict[str, Any]]:
    """`/_puma/ready` the supervisor did not answer in time: Envoy answers it from the readiness
    the supervisor last published (`READY_KEY`), 200 or 503 as the supervisor would, at once."""
    unanswered = {"and_filter": {"filters": [_on_path(READY_PATH), _supervisor_unanswered()]}}
    published = _published_ready()
    said = {SUPERVISOR_SILENT_FIELD: False, "published": True}
    return [{"filter": {"and_filter": {"filters": [unanswered, published]}}, "status_code": 200,
             "headers_to_add": [header("cache-control", "no-store")],
             "body_format_override": {"json_format": {"ready": True, **said, "note": _PUBLISHED}}},
            {"filter": unanswered, "status_code": 503,
             "headers_to_add": [header("cache-control", "no-store"), header("retry-after", str(RETRY_AFTER_S))],
             "body_format_override": {"json_format": {"ready": False, **said, "status": 503, "error": (
                 "not ready, as PUMA's supervisor last said; " + _PUBLISHED)}}}]


_SERVICE_READY_SILENT = (
    f"not known: PUMA's supervisor, which answers it, is not answering (not within {READY_TIMEOUT_S:g} s: stopped, "
    "e.g. SIGSTOP or a terminal's Ctrl-Z, busy, or restarting); ask again after the time in Retry-After. "
    "A stopped one resumes with kill -CONT on the puma run process (or fg in its terminal)")


def _service_ready_from_envoy() -> dict[str, Any]:
    """`/_puma/ready/<service>` the supervisor did not answer in time (or could not be reached, as it
    restarts): Envoy's own 503 at once, in JSON, saying the supervisor is not answering — never a
    hang of `STATUS_TIMEOUT_S` or an empty reply. (No per-service readiness is published to Envoy.)"""
    on_prefix = {"header_filter": {"header": {"name": ":path", "string_match": {"prefix": serviceready.PREFIX}}}}
    return {"filter": {"and_filter": {"filters": [on_prefix, _supervisor_unanswered()]}}, "status_code": 503,
            "headers_to_add": [header("cache-control", "no-store"), header("retry-after", str(RETRY_AFTER_S))],
            "body_format_override": {"json_format": {
                "ready": False, SUPERVISOR_SILENT_FIELD: False, "status": 503, "path": "%REQ(:PATH):1024%",
                "error": "this service's readiness is " + _SERVICE_READY_SILENT}}}


def _on_path(path: str) -> dict[str, Any]:
    """A reply to a request for `path`, with or without a query."""
    return {"header_filter": {"header": {"name": ":path", "string_match": {
        "safe_regex": {"regex": re.escape(path) + r"([?].*)?"}}}}}


def _published_ready() -> dict[str, Any]:
    """Matches while the readiness the supervisor last published (`READY_KEY`, 100 or 0) is ready."""
    return {"runtime_filter": {"runtime_key": READY_KEY, "use_independent_randomness": True,
                               "percent_sampled": {"numerator": 0, "denominator": "HUNDRED"}}}


_DASHBOARD_SILENT = (f"PUMA's supervisor, which draws this page, did not answer within {DASHBOARD_TIMEOUT_S:g} s: it "
                     "is stopped (SIGSTOP, a terminal's Ctrl-Z), busy or exiting. {said} A stopped one resumes with "
                     "<code>kill -CONT</code> on the <code>puma run</code> process (or <code>fg</code> in its terminal).")


def _dashboard_from_envoy(config: PumaConfig) -> list[dict[str, Any]]:
    """`/_puma/dashboard` the supervisor did not draw within DASHBOARD_TIMEOUT_S: Envoy's own page
    saying so, with the readiness last published (as `/_puma/ready` answers then), to any client."""
    unanswered = {"and_filter": {"filters": [_on_path(DASHBOARD_PATH), _supervisor_unanswered()]}}
    again = f'<a href="{DASHBOARD_PATH}">Try this page again</a>'
    replies = []
    for ready, flt in ((True, {"and_filter": {"filters": [unanswered, _published_ready()]}}), (False, unanswered)):
        page = error_page("Status not answering", _DASHBOARD_SILENT.format(said=LAST_PUBLISHED_WORDS[ready]),
                          config.listener.pages, back=again)
        replies.append({"filter": flt, "status_code": 503,
                        "headers_to_add": [header("cache-control", "no-store"), header("retry-after", "2")],
                        "body_format_override": {"text_format_source": {"inline_string": page},
                                                 "content_type": "text/html; charset=UTF-8"}})
    return replies


def _supervisor_silent() -> dict[str, Any]:
    """A /_puma/ request (status, readiness, scale) the supervisor's status server did not answer:
    said as that, not as a service's timeout (there is none: the status route is no service)."""
    return {"filter": _supervisor_unanswered(),
            "body": {"inline_string": _SUPERVISOR_SILENT_TEXT},
            "body_format_override": {"json_format": {**LOCAL_REPLY_JSON, "error": _SUPERVISOR_SILENT_TEXT,
                                                     SUPERVISOR_SILENT_FIELD: False}}}


def _service_failed() -> list[dict[str, Any]]:
    """502/503/504s of a request an instance had: say which service, what happened, what to do."""
    return [{"filter": {"response_flag_filter": {"flags": flags.split(",")}}, "body": {"inline_string": text},
             "body_format_override": _naming_service(text, may_have_taken_effect=flags in _MAY_HAVE_TAKEN_EFFECT)}
            for flags, text in _SERVICE_FAILED.items()]


def _naming_service(text: str, *, may_have_taken_effect: bool = False, **fields: Any) -> dict[str, Any]:
    # Envoy's cluster of a route is the service's name (puma/envoy.py). `text` is a format string
    # here (the route's timeout_s), where a mapper's body would be sent as it is.
    extra = {"may_have_taken_effect": True, **fields} if may_have_taken_effect else fields
    return {"json_format": {**LOCAL_REPLY_JSON, "error": "service '%UPSTREAM_CLUSTER%': " + text,
                            "service": "%UPSTREAM_CLUSTER%", **extra}}


def rate_limited_headers(fill_interval_s: float) -> list[dict[str, Any]]:
    """What a 429 of the local rate limit carries: when a token is back."""
    return [header("x-puma-rate-limited", "true"),
            header("retry-after", str(max(1, math.ceil(fill_interval_s))))]


def _status_is(status: int) -> dict[str, Any]:
    return {"status_code_filter": {"comparison": {"op": "EQ", "value": {
        "default_value": status, "runtime_key": f"puma_{status}"}}}}


def _details_are(details: str) -> dict[str, Any]:
    return _cel(f"response.code_details == '{details}'")


def _cel(expression: str) -> dict[str, Any]:
    return {"extension_filter": {"name": "envoy.access_loggers.extension_filters.cel", "typed_config": {
        "@type": _T + "envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter",
        "expression": expression}}}


def header(key: str, value: str) -> dict[str, Any]:
    return {"header": {"key": key, "value": value}, "append_action": "OVERWRITE_IF_EXISTS_OR_ADD"}


def _duration(seconds: float) -> str:
    return f"{seconds:.3f}s"
