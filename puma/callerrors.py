"""The answer of a service whose call to another service failed, and what it may name.

A callee's refusal (a 4xx) is passed on with its status, naming the callee; an outage (down, reset,
502/503/504) is a 503 with `Retry-After`, or without it where the callee may have acted; a call that
can never succeed (an unknown service, the callee's own 500, a callee that failed for good) is a 500.

An internal service (`visibility: "internal"`) is not the public's to know (`puma.visibility`): to a
request that came through the public listener (Envoy sets `x-puma-via: public`), such a callee is
"a service it calls", and its name is left out of the text (the callee's own words included) and of
the `callee` and `unavailable` fields. The log, and callers on the internal listener, keep the name.

    status, message, extra = answer("shop", PumaCallError("db", 500, "boom"), public=True)
    # 500, "service 'shop' failed calling a service it calls: it answered 500 (boom)", {"callee_status": 500}
"""

from __future__ import annotations

import logging
import math
import re
from typing import Any

from .client import internal_services
from .errors import PumaCallError, PumaServiceFailed, PumaUnknownService, flat
from .visibility import for_public, redact

log = logging.getLogger("puma.serving")

VIA_HEADER = "x-puma-via"  # "public" on requests from the public listener (puma.envoy)
HIDDEN_CALLEE = "a service it calls"
RETRYABLE_CALL_STATUSES = (0, 502, 503, 504)
"""A call that failed with one of these (0: refused, reset or timed out) may succeed later: 503."""

# The callee's 4xx statuses that mean nothing to this service's client: its 405 says how *this*
# service called it (the client's method was accepted here), 401/407 concern this service's own
# credentials. They answer 400 naming the callee; every other 4xx keeps its status.
_CALLER_ONLY_STATUSES = frozenset({401, 405, 407})

Answer = tuple[int, str, dict[str, Any]]


def answer(name: str, exc: PumaCallError, *, public: bool, method: str = "", path: str = "") -> Answer:
    """(status, message, extra fields) of service `name`'s reply to a failed call `exc`; `public`:
    the request came through the public listener, so an internal callee is not named, and what the
    callee says for operators is left to the log."""
    hide = public and exc.service in internal_services()
    if 400 <= exc.status < 500:
        return _refused(name, exc, hide)
    return _failed(name, exc, hide, f"{method} {path}", public=public)


def _callee(exc: PumaCallError, hide: bool) -> str:
    return HIDDEN_CALLEE if hide else f"service {exc.service!r}"


def _detail(exc: PumaCallError, hide: bool) -> str:
    """The callee's words, without its name when it is hidden (Envoy's replies begin "service 'db': ")
    and without that lead when it is named (the caller names it: once)."""
    text = str(exc.detail)
    if not hide:
        return text.removeprefix(f"service {exc.service!r}: ")
    text = text.replace(f"service {exc.service!r}: ", "").replace(f"service {exc.service!r}", "that service")
    return redact(text, {exc.service}, "that service")  # a command naming it is dropped, not mangled


# A callee's own advice to retry, at the end of its words: the caller says "retry" once, itself.
_RETRY_TAIL = re.compile(r"[;,]\s*(?:it was not sent to any instance: )?(?:safe to )?(?:retry|try again)\b[^;]*$",
                         re.IGNORECASE)


def relayed(text: object, *, public: bool) -> str:
    """A callee's words as its caller passes them on, composed once: without the callee's own
    "retry ..." (the caller says it) and, to a public client, without what is meant for operators.
    Example: ``relayed("no instance is ready (`puma status` says why); retry after N s", public=True)``
    -> ``"no instance is ready"``."""
    words = flat(str(text).strip().rstrip("."))
    while (tail := _RETRY_TAIL.search(words)) is not None and tail.start() > 0:
        words = words[:tail.start()].rstrip()
    return for_public(words) if public else words.strip()  # one rule for every public reply


MAX_RELAYED_RETRY_AFTER_S = 60  # a callee's estimate is passed on up to this (a stop's 45 s fits)


def relayed_retry_after_s(exc: PumaCallError) -> int:
    """The Retry-After a caller passes on for a callee that is unavailable: the callee's own (the rest
    of its warm-up, a restart), within 1..`MAX_RELAYED_RETRY_AFTER_S`; 1 when it said none. A flat 1 s
    had a chat client poll every second through a 7-26 s warm-up of the service behind the one it called."""
    said = exc.retry_after_s
    return 1 if said is None else max(1, min(MAX_RELAYED_RETRY_AFTER_S, math.ceil(said)))


def _refused(name: str, exc: PumaCallError, hide: bool) -> Answer:
    """The callee refused what it was given, which came from this request, so the client gets the
    callee's status and message (a 405, 401 or 407 concerns the call this service made: a 400)."""
    status = 400 if exc.status in _CALLER_ONLY_STATUSES else exc.status
    extra: dict[str, Any] = {"callee_status": exc.status} if hide else {"callee": exc.service,
                                                                         "callee_status": exc.status}
    if exc.problems:
        extra["problems"] = exc.problems
    if exc.status == 429:
        extra["retry_after_s"] = 1
    callee = HIDDEN_CALLEE if hide else f"service {exc.service!r}, which {name!r} calls,"
    return status, f"{callee} refused the call: {exc.status} {flat(_detail(exc, hide))}", extra


def _failed(name: str, exc: PumaCallError, hide: bool, request: str, *, public: bool = False) -> Answer:
    """503 + Retry-After when the callee may be back soon; 503 without it when it may have acted;
    else 500 (an unknown service, a callee's 500, a callee that failed for good)."""
    callee = HIDDEN_CALLEE if hide else f"service {exc.service!r}, which {name!r} calls,"
    unavailable = {} if hide else {"unavailable": exc.service}
    if exc.may_have_taken_effect:  # never "retry": the callee may have acted (a reset, a timeout)
        log.warning("service %s: a call to %s failed after it was sent on %s: %s", name, exc.service, request, exc)
        # The callee's own advice to its client ("the request may ...") is said once, by this caller.
        detail = relayed(_detail(exc, hide).split("; the request may", 1)[0], public=public)
        return 503, (f"{callee} failed after it had the call: {detail}; the request may have taken effect: "
                     "retry only if it is safe to repeat"), {**unavailable, "may_have_taken_effect": True}
    if exc.status in RETRYABLE_CALL_STATUSES and not isinstance(exc, PumaUnknownService | PumaServiceFailed):
        # The log keeps the callee's every word (operators' advice included); the client gets one sentence.
        log.warning("service %s: a call to %s failed on %s: %s", name, exc.service, request, exc)
        return 503, (f"{callee} is unavailable: {relayed(_detail(exc, hide), public=public)}; retry after the time "
                     "in Retry-After"), {**unavailable, "retry_after_s": relayed_retry_after_s(exc)}
    log.error("service %s: a call to %s cannot succeed on %s: %s", name, exc.service, request, exc)
    if isinstance(exc, PumaUnknownService):  # the names it knows stay in the log: internal ones among them
        why = (f"no service of that name runs here (the log of {name!r} names the services it can call, and "
               "the name most like it)")
    elif isinstance(exc, PumaServiceFailed):
        why = _down(exc, hide, public=public)
    else:  # the callee's words after a colon, once (`relayed`): never "(... (...))"
        why = f"it answered {exc.status}: {relayed(_detail(exc, hide), public=public)}"
    target = HIDDEN_CALLEE if hide else repr(exc.service)
    named = {} if hide else {"callee": exc.service}
    return 500, f"service {name!r} failed calling {target}: {why}", {**named, "callee_status": exc.status or None}


def _down(exc: PumaCallError, hide: bool, *, public: bool) -> str:
    """A callee failed for good (past its restart budget), in words for whoever asked: a retry works
    once an operator restarts it, so a client is told it is down and to retry later; how it failed
    (restart counts, exit codes) and the command are the operator's (`puma status`, events, the log)."""
    if public:
        return "it is down until an operator restarts it; retry later"
    how = _detail(exc, hide).removeprefix(f"service {exc.service!r} ").removeprefix("that service ").removeprefix("has failed").lstrip(":( ").split("; it serves again", 1)[0]
    scale = "" if hide else f" with `puma scale {exc.service} N`"
    return (f"it has failed: {relayed(how, public=False)}; it answers nothing until an operator starts it "
            f"again{scale} or restarts the deployment")
