"""The JSON reply to a service's failure: the status an exception raised in a handler answers
(see `puma.serving`'s module doc for the rules), with the service and the instance named.

Split from `puma.serving`, which parses requests and calls handlers; this module only words their
failures, so both stay readable.
"""

from __future__ import annotations

import logging
import math
import os
import time
from typing import Any

from flask import Response as FlaskResponse

from . import apperrors, callerrors, failing
from .client import internal_services
from .codec import encode_json
from .errors import HTTPError, InvalidStatusError, PumaCallError, PumaConfigError, PumaMapError
from .messages import Request
from .replies import ReplyError
from .unavailable import storage_full, unavailable

# The logger keeps serving's name: a failure is logged as the serving of a request (as in callerrors).
log = logging.getLogger("puma.serving")


def error_response(status: int, message: str, **extra: Any) -> FlaskResponse:
    """A JSON error reply; `retry_after_s` in `extra` is also sent as the `Retry-After` header."""
    try:
        body = encode_json({"error": message, "status": status, **extra})
    except (TypeError, ValueError):  # an extra JSON cannot hold: keep the error, show the extras' text
        body = encode_json({"error": message, "status": status, **{k: repr(v) for k, v in extra.items()}})
    resp = FlaskResponse(body, status=status, mimetype="application/json")
    retry = extra.get("retry_after_s")
    if isinstance(retry, int | float) and not isinstance(retry, bool) and retry >= 0:
        resp.headers["Retry-After"] = str(math.ceil(retry))
    return resp


def exit_response(name: str, exc: BaseException, req: Request) -> FlaskResponse:
    """A handler raised SystemExit or KeyboardInterrupt (argparse on a bad argument, `sys.exit()`):
    left to waitress, the thread ends without a reply and the client waits out the timeout."""
    log.error("service %s: its handler raised %s on %s %s; answered 500 (the instance keeps serving)",
              name, type(exc).__name__, req.method, req.path, exc_info=exc)
    return error_response(500, f"the handler raised {exc!r:.80} on {req.path}, which ends a "
                               "program, not a request; raise an ordinary exception (or puma.HTTPError) instead",
                          service=name, type=type(exc).__name__)


def exception_response(name: str, exc: Exception, req: Request, *, form: str = "") -> FlaskResponse:
    """The answer to an exception a service raised (see the module doc)."""
    if isinstance(exc, HTTPError):
        return error_response(exc.status, exc.message, service=name, **exc.extra)
    if isinstance(exc, PumaCallError) and (relay := _relayed_app_error(name, exc, req)) is not None:
        return relay
    if isinstance(exc, PumaCallError):
        # Refused (4xx), down (503) or never to succeed (500); an internal callee unnamed to the public.
        public = req.headers.get(callerrors.VIA_HEADER) == "public"
        code, message, extra = callerrors.answer(name, exc, public=public, method=req.method, path=req.path)
        return error_response(code, message, service=name, **extra)
    elif isinstance(exc, PumaMapError) and exc.app_status is not None:
        return _map_item_error(name, exc, exc.app_status)
    elif isinstance(status := getattr(exc, "status_code", None), int) and 400 <= status <= 599:
        return _app_error(name, exc, status)
    elif (full := storage_full(exc)) is not None:  # no space left: a retry fails the same way until space is freed
        return _storage_full(name, exc, req, full)
    elif (down := unavailable(exc)) is not None:  # a store locked, full, moved or unreachable: retry later
        return _store_unavailable(name, exc, req, down)
    elif isinstance(exc, PumaConfigError) or (isinstance(exc, PumaMapError) and exc.remote_traceback is None):
        # PUMA's own words about how the service uses it (a map without a secret, a function the map
        # cannot send): the service's fault, and the message, PUMA's, says what to fix.
        log.error("service %s failed on %s %s: %s", name, req.method, req.path, exc, exc_info=True)
        first = str(exc).strip().splitlines()
        text = " ".join(line.strip() for line in first) if isinstance(exc, PumaConfigError) else first[0]
        return error_response(500, f"service {name!r} failed: {type(exc).__name__}: {text}", service=name,
                              type=type(exc).__name__)
    elif isinstance(exc, ReplyError | InvalidStatusError):  # the service's own fault, never the request's
        message = f"service {name!r}: {exc}" + (f" ({form})" if form and isinstance(exc, ReplyError) else "")
        log.error("service %s on %s %s: %s", name, req.method, req.path, message)
        return error_response(500, message, service=name, type=type(exc).__name__)
    elif (status := apperrors.answer_status(exc)) is not None:  # a class the app wrote to say this
        return _app_error(name, exc, status)
    # A ValueError, TypeError or KeyError the interpreter or a library raises in the handler is a bug
    # of the service, not a bad request (its arguments were bound and validated before it ran:
    # BindingError, 400): a 500, its text (a DSN, a path) kept out of the reply. To refuse a request,
    # raise an exception class of the app's own (see puma.apperrors) or puma.HTTPError(400, ...).
    hint = _unanswered_hint(exc)
    builtin_fix = "" if hint else (_builtin_raised_by_app(exc) or _bug_in_app(exc))
    log.exception("service %s failed on %s %s%s", name, req.method, req.path, hint or builtin_fix and f": {builtin_fix}")
    if hint:  # a class the app wrote: its words are meant for people, so the client reads them too
        cls = type(exc)
        return error_response(500, f"{cls.__name__}: {apperrors.message_of(exc)}", service=name, type=cls.__name__,
                              error_class=apperrors.class_name(cls), instance=instance_label(), fix=hint[2:])
    extra = {"fix": builtin_fix} if builtin_fix else {}  # how to refuse, never the message (it may hold a secret)
    return error_response(500, f"internal error in service {name!r}", service=name, type=type(exc).__name__,
                          instance=instance_label(), **extra)


_REFUSALS = (ValueError, TypeError, LookupError)


def _builtin_raised_by_app(exc: Exception) -> str:
    """For a built-in ValueError/TypeError/LookupError the app's own code raised (`raise ValueError(...)`
    in a monolith's input check): how to have it answered as the caller's 400/404 instead of a 500."""
    cls = type(exc)
    if cls.__module__ != "builtins" or not isinstance(exc, _REFUSALS):
        return ""
    where = apperrors.raised_in_app(exc)
    if where is None:  # raised inside a library or the interpreter: a bug, nothing to advise
        return ""
    status = 404 if isinstance(exc, LookupError) else 400
    return (f"the {cls.__name__} raised at {where} is a built-in class, answered 500 as a bug of the service; "
            f"if it refuses the request, raise puma.HTTPError({status}, message) or a class of the app's own, "
            f"e.g. class BadInput({cls.__name__}), whose message then reaches the caller as a {status}")


def _bug_in_app(exc: Exception) -> str:
    """For any other exception the app's own code raised (`raise RuntimeError(...)`, a
    `ZeroDivisionError` at `100 // n`): where, and how to have it answered as the caller's fault if it
    is one, rather than as the service's bug."""
    where = apperrors.raised_in_app(exc)
    if where is None:  # raised inside a library or the interpreter's own code: nothing to place
        return ""
    name = type(exc).__name__
    return (f"the {name} raised at {where} is answered 500 as a bug of the service, its text kept from the caller; "
            f"fix it there, or, if it refuses the request, raise puma.HTTPError(409, message) or an exception class "
            f"with a status, e.g. class Refused({name}): status_code = 409, whose message then reaches the caller")


def _unanswered_hint(exc: Exception) -> str:
    """For an exception class the app defined that no status is read from: how to have it answered
    as the caller's fault (a 4xx its caller can catch by class) rather than as the service's bug."""
    cls = type(exc)
    if not apperrors.app_defined(cls):
        return ""
    where = apperrors.raised_in_app(exc)
    at = f"; it was raised at {where}" if where else ""
    return (f": {cls.__name__} ({apperrors.class_name(cls)}) is a class of the app's own, but not a LookupError, "
            "ValueError or TypeError, so it is answered 500 as a bug of the service; to answer it as the caller's "
            f"fault, and let the caller `except {cls.__name__}`, subclass LookupError (404) or ValueError (400) -- "
            f"class {cls.__name__}(ValueError) -- or give the class a status_code, e.g. status_code = 409{at}")


def _app_error(name: str, exc: Exception, status: int) -> FlaskResponse:
    """An exception that says its status (`status_code`, or an app's own class): its message, its
    class's name, the instance it was raised in, and for an app's class `error_class` so the caller
    can raise it again."""
    cls = type(exc)
    named = {"error_class": apperrors.class_name(cls)} if apperrors.app_defined(cls) else {}
    return error_response(status, apperrors.message_of(exc), service=name, type=cls.__name__,
                          instance=instance_label(), **named)


def _relayed_app_error(name: str, exc: PumaCallError, req: Request) -> FlaskResponse | None:
    """A callee's refusal by a class of the app's own (`OutOfStock(LookupError)` raised in the service
    this one called), which this service let through: answered as the callee answered it — its status,
    message, class and `error_class` — so this service's caller can `except OutOfStock` as it could
    calling the callee directly, or in the monolith. `callee` and `callee_instance` keep where it
    was raised, unless the callee is internal and the request public; None for any other."""
    if not (exc.error_class and exc.raised and 400 <= exc.status < 500):
        return None
    hide = req.headers.get(callerrors.VIA_HEADER) == "public" and exc.service in internal_services()
    instance = (exc.raised_at or "").partition(", instance ")[2]
    where = {} if hide or not instance else {"callee": exc.service, "callee_instance": instance}
    return error_response(exc.status, str(exc.detail), service=name, type=exc.raised, instance=instance_label(),
                          error_class=exc.error_class, **where)


def _map_item_error(name: str, exc: PumaMapError, status: int) -> FlaskResponse:
    """An item of a `puma.map` raised an exception that says its status: answered as that exception
    raised here directly would be (its status, message and class), plus the item's index."""
    named = {"error_class": exc.error_class} if exc.error_class else {}
    return error_response(status, exc.app_message or exc.raised or "", service=name, type=exc.raised,
                          item_index=exc.item_index, instance=instance_label(), **named)


_instance: dict[str, str] = {}


def name_instance(instance_id: int, port: int) -> None:
    """Name this process's instance in the errors it answers (set once it is forked)."""
    _instance["label"] = f"{instance_id} (pid {os.getpid()}, port {port})"


def instance_label() -> str:
    """This instance as an error names it: `2 (pid 4711, port 41234)`."""
    return _instance.get("label") or f"pid {os.getpid()}"


SAY_AGAIN_S = 10.0  # a run of the same fault is logged at its start, then at most once per this
_said: dict[str, tuple[float, int]] = {}  # each fault's last logged time, and the answers since


def _say_fault(key: str, level: int, message: str, *args: Any) -> None:
    """Log a fault's answer: each one would fill the log (on a full disk, its reserve: `puma.logcap`)
    with the same line at the request rate, so the first, then one per `SAY_AGAIN_S` with the count."""
    now = time.monotonic()
    last, since = _said.get(key, (-SAY_AGAIN_S, 0))
    if now - last < SAY_AGAIN_S:
        _said[key] = (last, since + 1)
        return
    _said[key] = (now, 0)
    more = f" (and {since} more such answers in the last {now - last:.0f} s)" if since else ""
    log.log(level, message + "%s", *args, more)


def _storage_full(name: str, exc: Exception, req: Request, full: str) -> FlaskResponse:
    inner = getattr(exc, "orig", None) or exc  # the driver's short message, not the SQL and its values
    _say_fault(f"full {full}", logging.ERROR, "service %s: %s is full on %s %s: %s: %s; answered 507",
               name, full, req.method, req.path, type(exc).__name__, str(inner).strip().split("\n")[0][:200])
    failing.failed(507, f"{full} is full")
    return error_response(507, f"service {name!r} ran out of space: {full} is full; nothing of this request was "
                               "stored: free space there (or raise its quota), then send it again",
                          service=name, full=full, type=type(exc).__name__)


def _store_unavailable(name: str, exc: Exception, req: Request, down: tuple[str, str, float]) -> FlaskResponse:
    store, reason, retry_after_s = down
    log.warning("service %s: %s is unavailable on %s %s: %s: %s", name, store, req.method, req.path,
                type(exc).__name__, reason)
    failing.failed(503, f"{store} is unavailable ({reason})")
    return error_response(503, f"{store} of service {name!r} is unavailable ({reason}); retry after the time in "
                               "Retry-After", service=name, unavailable=store, type=type(exc).__name__,
                          retry_after_s=max(1, math.ceil(retry_after_s)))

