"""Turn a service target into a Flask WSGI app: parse the request, call, shape the reply.

A plain function (or an object's method, see `puma.endpoints`) is called with the request's
fields (a multipart body's file parts included) bound to its parameters (`puma.binding`) and
answers its return value as JSON (an async generator's items collected, as a generator's are). A function
that takes a `Request` (or nothing; `puma.request` is then the current one) returns a dict or
list (JSON), a string, bytes, `None` (204), a `(body, status)` or `(body, status, headers)` tuple,
or a `Response`.

Errors keep their meaning: `HTTPError(status, ...)`, or any exception with an integer
`status_code` (400-599), answers that status; a call to another service that found it down
(`PumaCallError` after a refused or reset connection, or a 502/503/504) answers 503 with
`Retry-After`, while a call that can never succeed (an unknown service, the callee's own 500)
answers 500 naming the callee, and one the callee refused (a 4xx) answers a 4xx naming it (see
`puma.callerrors`); arguments that do not bind are the request's fault (400); an exception
class the app defined answers 404 (a `LookupError`) or 400 (a `ValueError`, `TypeError`) with its
message and `error_class` (`puma.apperrors`), and any other class of the app's own 500 with its
message and the fix, while one the interpreter or a library raises is a bug of the service (500,
its text kept from the client) unless its class gives a `status_code`;
a reply the service cannot send (a value JSON cannot hold, a
status outside 200-599) is its own fault (500 naming where and why); a store that is down for
now (a locked, full or missing database, a lost connection: see `puma.unavailable`) answers 503
with `Retry-After` naming it; anything else is a 500.
Every error is JSON and names the service.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import threading
from collections.abc import AsyncIterable, Callable, Mapping
from contextvars import ContextVar
from typing import Any, cast

from flask import Flask
from flask import Response as FlaskResponse
from flask import request as flask_request
from pydantic import ValidationError
from werkzeug.datastructures import MIMEAccept
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import parse_accept_header
from werkzeug.local import LocalProxy

from . import apperrors, eventloop, failing, lonefaults
from .binding import Binding, BindingError, request_form
from .codec import JSONBodyError, decode_json, encode_json
from .config import too_large_message
from .counters import Counters as Counters  # re-exported: instances and tests import it from here
from .endpoints import INTERFACE_PATH, Endpoint, Served, serve
from .errorpages import BrowserErrors
from .errors import HTTPError
from .faultreplies import error_response, exception_response, exit_response
from .heads import HeadAsGet
from .media import DEFAULT_CONTENT_TYPES, FIELD_TYPES, accepts
from .messages import JSON_TYPES, Request
from .parsing import (
    content_type_named,
    parse_request,
    repeated_field,
    url_fields,
    with_files,
    wsgi_headers,
)
from .publicerrors import PublicErrors
from .replies import shape, value_reply
from .services import get_hint
from .unavailable import name_databases_if_loaded

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
BYTES_MARK = "__puma_bytes_body__"


_current: ContextVar[Request] = ContextVar("puma_request")
request: Request = cast(Request, LocalProxy(_current))  # each attribute read from this thread's request


def request_line(environ: Mapping[str, Any]) -> str:
    """'POST /listener': what a request is, for a stop that waits for it (no query: it may hold data)."""
    return f"{environ.get('REQUEST_METHOD', '')} {environ.get('PATH_INFO', '')}"


def build_app(name: str, target: Callable[..., Any] | Served, *, max_body_bytes: int, prefix: str = "/",
              content_types: tuple[str, ...] = DEFAULT_CONTENT_TYPES, counters: Counters | None = None,
              info: Callable[[], Mapping[str, Any]] | None = None, get: bool = False) -> Flask:
    """The WSGI app of one instance of service `name`, served at `prefix`: `target` is a function,
    or what `puma.endpoints.build` made of a class or factory. `get`: the config lists GET, so a
    function whose parameters a query string can carry is called on GET with its query parameters."""
    # No static route: Flask's default serves `<cwd>/static/*` at /static/, so a service at "/" would
    # hand out the files of whatever directory its instance runs in, and never see /static/ itself.
    app = Flask(f"puma.{name}", static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = max_body_bytes
    # A multipart field may be as large as the body (which is bounded, and already read); werkzeug's own
    # 500 kB per field would be a 413 claiming the body is over max_body_bytes. Its part count stays.
    app.config["MAX_FORM_MEMORY_SIZE"] = max_body_bytes
    counters = counters or Counters()
    served = target if isinstance(target, Served) else serve(target, label=name)
    for endpoint in served.endpoints.values():  # its package is the app's, even installed (puma.apperrors)
        apperrors.note_app_module(getattr(endpoint.fn, "__module__", None))
    name_databases_if_loaded()  # the app is imported: its SQLAlchemy errors will name their database

    @app.get(HEALTH_PATH)
    def healthz() -> Any:
        details = info() if info else {}
        if flask_request.headers.get("x-puma-via") == "public":
            # Through the public listener (Envoy says so, puma/envoy.py): no pid, no instance number.
            details = {k: v for k, v in details.items() if k not in ("pid", "instance")}
        return {"status": "ok", "service": name, "in_flight": counters.in_flight - 1,
                "served": counters.served, **details}

    dispatch = _dispatcher(name, served, prefix, content_types, max_body_bytes, get)
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    app.add_url_rule("/", "dispatch", dispatch, methods=methods)
    app.add_url_rule("/<path:path>", "dispatch", dispatch, methods=methods)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> FlaskResponse:
        message = exc.description or exc.name
        if exc.code == 413:
            message = too_large_message(name, max_body_bytes)
        return error_response(exc.code or 500, message, service=name)

    @app.before_request
    def count_in() -> None:
        counters.enter(f"{flask_request.method} {flask_request.path}")

    @app.teardown_request
    def count_out(_exc: BaseException | None) -> None:
        counters.leave()

    root = served.endpoints.get("")
    if served.kind == "function" and root is not None and getattr(root.fn, BYTES_MARK, False):
        app.wsgi_app = _BytesPath(app.wsgi_app, name, root.fn, max_body_bytes, content_types, counters)  # type: ignore[method-assign]  # Flask's way to wrap its WSGI app
    # Every service takes JSON bodies (puma.media): their fast path is always on.
    app.wsgi_app = _JsonPath(app.wsgi_app, name, served, prefix, max_body_bytes, content_types, counters)  # type: ignore[method-assign]  # as above
    # Every JSON error any path above answers, to a public client, without operators' words (one rule).
    app.wsgi_app = PublicErrors(app.wsgi_app)  # type: ignore[method-assign]  # as above
    # Outermost: every JSON error any path above answers is a page for a browser (puma.errorpages).
    app.wsgi_app = BrowserErrors(app.wsgi_app)  # type: ignore[method-assign]  # as above
    # Outside all: a HEAD is served as its GET, so every header above (Content-Length too) is GET's.
    app.wsgi_app = HeadAsGet(app.wsgi_app)  # type: ignore[method-assign]  # as above
    return app


def _dispatcher(name: str, served: Served, prefix: str, content_types: tuple[str, ...],
                max_body_bytes: int, get: bool = False) -> Callable[..., Any]:
    """The Flask view of every path: parse the request, find its endpoint, call it."""
    interface_path = prefix.rstrip("/") + INTERFACE_PATH

    def dispatch(path: str = "") -> Any:
        try:
            req = parse_request(name, content_types, max_body_bytes)
            if req.method == "GET" and req.path == interface_path:
                return FlaskResponse(encode_json({"service": name, **served.interface()}), mimetype="application/json")
            endpoint, _ = served.endpoint(req.path, prefix)
        except HTTPError as exc:
            return error_response(exc.status, exc.message, service=name, **exc.extra)
        if endpoint.binding is None:
            return _respond(name, endpoint.fn, req, endpoint.passes_request, endpoint.returns)
        return _respond_bound(name, endpoint, req, get)

    return dispatch


def bytes_body(fn: Callable[[Request], Any]) -> Callable[[Request], Any]:
    """Mark a service whose POST bodies are opaque bytes, so those requests skip Flask.

    A POST with a content type the service accepts (other than JSON or a form) then goes through
    a plain WSGI path that builds the `Request` and writes the reply directly: about 0.1-0.3 ms less
    per request (a trivial `puma_map` chunk straight to an instance: 0.79 -> 0.43 ms). JSON bodies
    take `_JsonPath`; everything else (health checks, other methods, forms, refusals) goes through Flask.
    """
    setattr(fn, BYTES_MARK, True)
    return fn


class _BytesPath:
    """WSGI middleware: serve the byte-bodied POSTs of a `bytes_body` service without Flask."""

    def __init__(self, flask_app: Callable[..., Any], name: str, fn: Callable[[Request], Any], max_body_bytes: int,
                 content_types: tuple[str, ...], counters: Counters) -> None:
        self.flask_app, self.name, self.fn, self.counters = flask_app, name, fn, counters
        self.max_body_bytes, self.content_types = max_body_bytes, content_types
        self.takes_request = _takes_argument(fn)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        length = self._length(environ)
        if length is None:
            return self.flask_app(environ, start_response)  # Flask parses it, or refuses it clearly
        self.counters.enter(request_line(environ))
        try:
            body = environ["wsgi.input"].read(length)
            try:
                query = url_fields(environ.get("QUERY_STRING", "").encode("latin-1"), "query")
                req = Request(method="POST", path=environ.get("PATH_INFO", "/"), headers=wsgi_headers(environ),
                              query=query, body=body)
                resp = _respond(self.name, self.fn, req, self.takes_request)
            except HTTPError as exc:
                resp = error_response(exc.status, exc.message, service=self.name)
            except HTTPException as exc:  # Flask would have turned it into a reply; so do we
                resp = error_response(exc.code or 500, exc.description or exc.name, service=self.name)
        finally:
            self.counters.leave()
        return resp(environ, start_response)

    def _length(self, environ: dict[str, Any]) -> int | None:
        """The body's length if this request is one for the fast path, else None."""
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") == HEALTH_PATH:
            return None
        mimetype = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if not mimetype or mimetype in FIELD_TYPES or not accepts(self.content_types, mimetype):
            return None
        length = environ.get("CONTENT_LENGTH", "")
        return int(length) if length.isdigit() and 0 < int(length) <= self.max_body_bytes else None


class _JsonPath:
    """WSGI middleware: serve POSTs with a JSON body without Flask's dispatch (its request context,
    URL map and hooks), as `_dispatcher` would: ~0.1 ms less CPU per request (a policy call 171 ->
    46 us in process). Anything else (health checks, other methods, forms, a body over the limit,
    a content encoding, a non-ASCII path or one with '//') goes through Flask, which parses or refuses it."""

    def __init__(self, flask_app: Callable[..., Any], name: str, served: Served, prefix: str, max_body_bytes: int,
                 content_types: tuple[str, ...], counters: Counters) -> None:
        self.flask_app, self.name, self.served, self.prefix = flask_app, name, served, prefix
        self.max_body_bytes, self.counters = max_body_bytes, counters
        self.types = frozenset(JSON_TYPES)  # every service takes JSON (puma.media)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        length = self._length(environ)
        if length is None:
            return self.flask_app(environ, start_response)
        self.counters.enter(request_line(environ))
        try:
            resp = self._serve(environ, environ["wsgi.input"].read(length))
        finally:
            self.counters.leave()
        return resp(environ, start_response)

    def _length(self, environ: dict[str, Any]) -> int | None:
        """The body's length if this request is one for this path, else None."""
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") != "POST" or path == HEALTH_PATH or not path.isascii() or "//" in path:
            return None
        if environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower() not in self.types:
            return None
        if environ.get("HTTP_CONTENT_ENCODING", "").strip().lower() not in ("", "identity"):
            return None
        length = environ.get("CONTENT_LENGTH", "")
        return int(length) if length.isdigit() and 0 < int(length) <= self.max_body_bytes else None

    def _serve(self, environ: dict[str, Any], body: bytes) -> FlaskResponse:
        name = self.name
        try:
            try:
                parsed = decode_json(body)
            except JSONBodyError as exc:
                raise HTTPError(400, str(exc)) from None
            req = Request(method="POST", path="/" + environ["PATH_INFO"].lstrip("/"), headers=wsgi_headers(environ),
                          query=url_fields(environ.get("QUERY_STRING", "").encode("latin-1"), "query"), body=body,
                          json=parsed)
            endpoint, _ = self.served.endpoint(req.path, self.prefix)
            if endpoint.binding is None:
                return _respond(name, endpoint.fn, req, endpoint.passes_request, endpoint.returns)
            return _respond_bound(name, endpoint, req)
        except HTTPError as exc:
            return error_response(exc.status, exc.message, service=name, **exc.extra)
        except HTTPException as exc:  # Flask's handler (`build_app`'s http_error) would have answered it
            message = exc.description or exc.name
            if exc.code == 413:
                message = too_large_message(name, self.max_body_bytes)
            return error_response(exc.code or 500, message, service=name)
        except Exception:  # as Flask answers an exception that escaped: logged, a JSON 500
            log.exception("service %s failed on POST %s", name, environ.get("PATH_INFO"))
            return error_response(500, InternalServerError.description or "internal error", service=name)


def _respond(name: str, fn: Callable[..., Any], req: Request, takes_request: bool,
             returns: Any = inspect.Parameter.empty) -> FlaskResponse:
    """Call the service with `req` (also as `puma.request`) and shape its reply, or its error, as a
    response. Its return value is sent as a bound function's is (`replies.value_reply`); a `str`
    goes as text and a request handler's `None` as a 204, as a handler's reply."""
    repeated = repeated_field(req)
    if repeated:  # a handler of the whole request reads one value per name: none is guessed for it
        return error_response(400, repeated, service=name)
    token = _current.set(req)
    try:
        with _gate(fn):
            result = fn(req) if takes_request else fn()
        result = _settled(result)
        if isinstance(result, dict | list | str | tuple) and takes_request:
            # a reply as a handler writes it (a tuple: with its status)
            return _served(shape(result, name, convert=True))
        return _served(value_reply(result, name, who=_function_name(fn), returns=returns, handler=takes_request,
                                   text_type=_text_wanted(req) or "text/plain"))
    except HTTPException:
        raise
    except Exception as exc:
        return _raised(exception_response(name, exc, req, form=_handler_form(fn, takes_request)), exc)
    except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt: a reply now, the instance stays
        return _raised(exit_response(name, exc, req), exc)
    finally:
        _current.reset(token)


def _served(response: FlaskResponse) -> FlaskResponse:
    """`response`, having ended a run of failures on a part the service needs (`puma.failing`) only
    if it is a success: a 4xx the service returned (a bad field, a turn out of order: a 409) was
    refused before the part was used, so it says nothing of the part's recovery, and ending the run
    on it told the operator a full disk was fine again while every real request still failed."""
    if response.status_code < 400:
        failing.succeeded()
        lonefaults.served()
    return response


def _raised(response: FlaskResponse, exc: BaseException) -> FlaskResponse:
    """`response` to an exception the service's code raised, counted in this instance's run of 500s
    (`puma.lonefaults`: one instance failing every request while its peers serve is replaced)."""
    lonefaults.answered(response.status_code, exc)
    return response


def _function_name(fn: Callable[..., Any]) -> str:
    return str(getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or type(fn).__name__)


def _handler_form(fn: Callable[..., Any], takes_request: bool) -> str:
    """Which form PUMA took a handler for, and how to choose the other, for a reply error."""
    if not takes_request:
        return ("it takes no parameters, so PUMA calls it on every method and path under its prefix, where it "
                "may read puma.request, and sends its return value as JSON, as a plain function's")
    return (f"PUMA calls it with the whole puma.Request ({request_form(fn)}) and sends its return value as a "
            "plain function's: JSON, bytes as they are, or a (body, status[, headers]) tuple or a puma.Response")


def _respond_bound(name: str, endpoint: Endpoint, req: Request, get: bool = False) -> FlaskResponse:
    """Call a plain function (or method) with the request's fields bound to its parameters: a
    POST's body, or (when the config lists GET) a GET's query parameters."""
    assert endpoint.binding is not None
    query = req.method in ("GET", "HEAD") and get and endpoint.binding.not_from_query() is None
    if req.method != "POST" and not query:
        return _method_refused(name, endpoint, req, get)
    if (mislabelled := _json_as_form(req)) is not None:
        return error_response(400, mislabelled, service=name)
    if (fieldless := _fieldless(req)) is not None:
        return error_response(415, fieldless, service=name)
    token = _current.set(req)
    try:
        with _gate(endpoint.fn):
            fields = req.query if query else with_files(req.data, req.files, req.files_sent_empty)
            result = endpoint.binding.call(fields, form=query or not isinstance(req.json, dict))
        result = _settled(result, endpoint.binding, req.data)
        return _served(value_reply(result, name, who=_function_name(endpoint.fn),
                                   returns=endpoint.binding.returns, text_type=_text_wanted(req)))
    except BindingError as exc:
        return error_response(400, str(exc), service=name, problems=exc.problems, problems_total=exc.problems_total)
    except HTTPException:
        raise
    except Exception as exc:
        return _raised(exception_response(name, exc, req, form="PUMA binds the request's JSON fields to its parameters"),
                       exc)
    except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt: a reply now, the instance stays
        return _raised(exit_response(name, exc, req), exc)
    finally:
        _current.reset(token)


def _fieldless(req: Request) -> str | None:
    """What is wrong with a body of a type without fields (CSV, XML, an image) sent to a function whose
    parameters are bound from fields; None for JSON, a form, or no body."""
    mimetype = str(req.headers.get("Content-Type", "")).split(";")[0].strip().lower()
    if not req.body or mimetype in FIELD_TYPES:
        return None
    return (f"{content_type_named(req.headers.get('Content-Type'), mimetype)} is not accepted here: a "
            f"{mimetype or 'typeless'} body has no fields to read, and this function's parameters are read from "
            "fields; send a JSON object (application/json) or a form, or have it read "
            "the whole body (a parameter `request: puma.Request`, whose .body it parses)")


def _method_refused(name: str, endpoint: Endpoint, req: Request, get: bool) -> FlaskResponse:
    """405 for a method a bound function does not take, saying how to send it, and for a GET how
    the config takes GET (or which parameter a query string cannot carry)."""
    assert endpoint.binding is not None
    message = f"method {req.method} is not allowed here; POST the arguments as a JSON object to {req.path}"
    allow = "POST"
    if req.method in ("GET", "HEAD"):
        why = endpoint.binding.not_from_query()
        if why is not None:
            message += f" (GET cannot call it: its {why})"
        elif not get:
            message += f"; {get_hint(name)}"
    refused = error_response(405, message, service=name, path=req.path)  # as Envoy's 405
    refused.headers["Allow"] = allow
    return refused


def _json_as_form(req: Request) -> str | None:
    """What is wrong with a JSON object sent as a form (`curl -d '{"a": 1}'` without a Content-Type
    says application/x-www-form-urlencoded): a body that starts as JSON does. A form field
    name cannot start with '{' unescaped (a form encoder writes %7B)."""
    if req.json is not None or not req.form or req.body.lstrip()[:1] not in (b"{", b"["):
        return None
    return (f"the body is JSON sent as {req.headers.get('Content-Type', 'a form')[:60]!r} (what curl -d sends "
            "unless told otherwise); send it with Content-Type: application/json")


TEXT_TYPES = ("text/plain", "text/csv")
"""A bound function's `str` goes as it is, in one of these, to a caller whose Accept header prefers it."""


def _text_wanted(req: Request) -> str | None:
    """The text type a caller asked for over JSON (`Accept: text/csv`, `text/*`), or None: a `str`
    result is JSON (quoted) by default, which is what `puma.remote`, `fetch(...).json()` and
    `Accept: */*` get; a caller that prefers text gets the string itself."""
    accept = req.headers.get("Accept")
    if not accept or "text/" not in accept:
        return None
    best = parse_accept_header(accept, MIMEAccept).best_match(["application/json", *TEXT_TYPES])
    return best if best in TEXT_TYPES else None


_sync_gate: threading.BoundedSemaphore | None = None


def limit_sync_calls(threads: int) -> None:
    """Run at most `threads` sync handlers at once in this process: an instance whose service has
    async handlers has more request threads than its `threads` (see `puma.eventloop`)."""
    global _sync_gate
    _sync_gate = threading.BoundedSemaphore(threads)


def _gate(fn: Callable[..., Any]) -> Any:
    return contextlib.nullcontext() if _sync_gate is None or eventloop.is_async(fn) else _sync_gate


def _settled(result: Any, binding: Binding | None = None, fields: Mapping[str, Any] | None = None) -> Any:
    """A service's result once it is done: an `async def`'s awaited, an async generator's items
    collected (a list, as a generator's is sent), both on the instance's event loop."""
    if inspect.isawaitable(result):
        result = eventloop.run(_awaited(binding, result, fields or {}) if binding is not None else result)
    if isinstance(result, AsyncIterable):
        result = eventloop.run(eventloop.collected(result))
    return result


async def _awaited(binding: Binding, awaitable: Any, fields: Mapping[str, Any]) -> Any:
    try:
        return await awaitable
    except ValidationError as exc:  # an async def's arguments are validated when it is awaited
        raise binding.binding_error(exc, fields) from None


def _takes_argument(fn: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL) for p in params)
