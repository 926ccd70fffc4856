"""A service's return value as an HTTP reply: JSON, text, bytes, 204, a status tuple or a `Response`.

What a function returns is encoded by `shape` (with `convert`, as a plain function's value is:
dataclasses, pydantic models, dates, UUIDs, sets... through `binding.to_json`); a reply that
cannot go on the wire (a value JSON cannot hold, a status outside 200-599, a header Envoy would
refuse) raises `ReplyError` naming where and why, which `puma.serving` answers as the service's 500.

    shape({"id": 3}, "orders")            # -> a 200 application/json response
    shape(("created", 201), "orders")     # -> a 201 text/plain response
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Iterator, Mapping
from http import HTTPStatus
from typing import Any, cast

from flask import Response as FlaskResponse

from .backlog import NOT_SENT_HEADER
from .binding import to_json
from .codec import NonFiniteNumberError, encode_json, unencodable
from .edge import REPLY_HEADERS_MAX_COUNT, REPLY_HEADERS_MAX_KB
from .errors import PumaError
from .messages import Response


class ReplyError(PumaError):
    """A service's reply that cannot be sent (a value JSON cannot hold, a status no reply can
    carry): the service's fault, answered 500 naming where and why."""


def is_status_tuple(result: Any, returns: Any = inspect.Parameter.empty) -> bool:
    """Whether a function's `result` is a `(body, status)` or `(body, status, headers)` reply rather
    than data: a 2- or 3-tuple whose second item is an HTTP status (200-599), whose third, if any, is
    a dict of headers, whose body is not a number (`(3, 4)` is a pair), and which the function's
    return annotation `returns` does not declare as data (`-> tuple[str, int]` is data;
    `-> tuple[dict, int]`, with a dict or model as body, is a reply).

        is_status_tuple(({"id": 3}, 201))   # -> True
        is_status_tuple(("a", 201), tuple[str, int])   # -> False
    """
    if not isinstance(result, tuple) or not 2 <= len(result) <= 3:
        return False
    status = result[1]
    if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
        return False
    if (len(result) == 3 and not isinstance(result[2], dict)) or isinstance(result[0], int | float):
        return False
    if typing.get_origin(returns) is tuple:
        args = typing.get_args(returns)
        return len(args) in (2, 3) and args[1] is int and args[0] not in (str, int, float, bool, bytes)
    return True


def reply_json(value: Any, *, convert: bool, who: str = "") -> str:
    """A reply as JSON text (`convert`: first through `to_json`); `ReplyError` naming the function
    (`who`), the type, where in the value, and the fix."""
    try:
        return encode_json(to_json(value) if convert else value)
    except NonFiniteNumberError as exc:
        raise ReplyError(f"{who + ' ' if who else ''}replied with {exc}") from None
    except (TypeError, ValueError, RecursionError, OverflowError) as exc:
        found = unencodable(value)
        where = found and (found[0] if len(found[0]) <= 80 else f"{found[0][:40]}...{found[0][-30:]}")
        why = f"at {where}, {found[1]}" if found else f"{type(exc).__name__}: {str(exc)[:200]}"
        what = f"{who} returned a {type(value).__name__}" if who else "returned a reply"
        raise ReplyError(f"{what} JSON cannot hold: {why}; return dicts, lists, strings, finite numbers, dates, "
                         "Decimals, enums, sets, tuples, dataclasses or pydantic models (or bytes, sent as they "
                         "are), e.g. make the class a @dataclass, or return a dict of its fields") from None


def value_reply(result: Any, name: str, *, who: str, returns: Any = inspect.Parameter.empty,
                text_type: str | None = None, handler: bool = False) -> FlaskResponse:
    """What a service function returned, as its reply, encoded the same whatever its signature
    (parameters bound from the body, none at all, or the whole `puma.Request`: `handler`):
    a `Response` or a status tuple as they say; bytes as they are (application/octet-stream); any
    other value as JSON (dataclasses, models, dates, Decimals, enums, sets, tuples; `None` is
    `null`), except a `str` in `text_type` when given, and a handler's `None`, a 204. `who` names the
    function in a `ReplyError` (a value JSON cannot hold).

        value_reply(b"%PDF-1.7...", "reports", who="reports.render")   # -> 200 application/octet-stream
        value_reply(Decimal("1.50"), "shop", who="shop.price")          # -> 200 application/json "1.50"
    """
    if isinstance(result, Response) or is_status_tuple(result, returns):
        return shape(result, name, convert=True)
    if isinstance(result, bytes | bytearray | memoryview):
        return FlaskResponse(bytes(result), content_type="application/octet-stream")
    if isinstance(result, str) and text_type is not None:
        return FlaskResponse(result, mimetype=text_type)
    if result is None and handler:
        return _body(None, None)
    return FlaskResponse(reply_json(result, convert=True, who=who), mimetype="application/json")


def _reply_status(status: Any) -> int:
    """A status a service gave its reply, if one a reply can carry (200-599); else `ReplyError`."""
    if isinstance(status, int) and not isinstance(status, bool) and 200 <= status <= 599:
        return int(status)
    raise ReplyError(f"replied with status {status!r}, which a reply cannot carry; give an int in 200-599 "
                     "(1xx are the server's to send; raise puma.HTTPError for an error)")


def shape(result: Any, name: str, *, convert: bool = False) -> FlaskResponse:
    """A reply, a `Response` or a `(body, status[, headers])` tuple as a response; `convert`: the
    body as a bound function's return value is (dataclasses, models... through `to_json`)."""
    if result is None:
        return _body(None, None)
    status, headers = 200, cast(dict[str, str], {})
    if isinstance(result, Response):
        try:
            status = _reply_status(result.status)
            resp = _body(_error_keys(_converted(_joined(result.body), convert), status, name), result.content_type)
            resp.status_code = status
        except BaseException:
            if result.on_close is not None:
                result.on_close()  # there will be no reply to write
            raise
        try:
            resp.headers.update(_reply_headers(result.headers))
        except BaseException:
            if result.on_close is not None:
                result.on_close()
            raise
        if result.on_close is not None:
            resp.call_on_close(result.on_close)
        return resp
    if isinstance(result, tuple):
        if not 2 <= len(result) <= 3:
            raise ReplyError(f"returned a tuple of {len(result)}; return (body, status) or (body, status, headers)")
        result, status, *rest = result
        headers = rest[0] if rest else {}
    status = _reply_status(status)
    resp = _body(_error_keys(_converted(result, convert), status, name), None)
    resp.status_code = status
    resp.headers.update(_reply_headers(headers))
    return resp


# RFC 9110 5.6.2: a header name is a token. Framing and hop-by-hop headers are the server's: a
# handler's Content-Length that disagrees with the body truncates it or stalls the connection.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_SERVERS_OWN = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive", "proxy-connection",
                          "te", "trailer", "upgrade"})


# The header of a zygote's refusal of a request no instance read (puma.backlog): Envoy re-sends a request
# answered with it to another instance, so a handler's reply must not carry it. (x-puma-not-ready may:
# puma_map's instance being replaced refuses a chunk it did not compute with it.)
_REFUSALS_OWN = frozenset({NOT_SENT_HEADER})


def _reply_headers(headers: Any) -> list[tuple[str, str]]:
    """A handler's reply headers (a mapping or (name, value) pairs), checked; `ReplyError` naming the
    first one that cannot go on the wire as it is, and the fix."""
    pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers or ())
    checked = []
    for pair in pairs:
        if not (isinstance(pair, tuple | list) and len(pair) == 2):
            raise ReplyError(f"returned reply headers {pair!r}: give a dict of name -> value")
        key, value = pair
        if not isinstance(key, str) or not _TOKEN.fullmatch(key):
            raise ReplyError(f"returned reply header name {key!r}, which is not a valid HTTP header name "
                             "(letters, digits and !#$%&'*+-.^_`|~ only, no spaces)")
        if key.lower() in _REFUSALS_OWN:
            raise ReplyError(f"returned reply header {key!r}, which says no instance read the request: Envoy would "
                             "run it again on another instance; remove it")
        if key.lower() in _SERVERS_OWN:
            raise ReplyError(f"returned reply header {key!r}, which the server sets itself from the body it sends "
                             "(framing, hop-by-hop); remove it")
        text = str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
        if not isinstance(text, str):
            raise ReplyError(f"returned reply header {key!r} with a {type(value).__name__} value; give a str")
        if any(c in text for c in "\r\n\0"):
            raise ReplyError(f"returned reply header {key!r} with a line break or NUL in its value, which would "
                             "split the header")
        try:
            text.encode("latin-1")
        except UnicodeEncodeError:
            raise ReplyError(f"returned reply header {key!r} with value {text!r}, which HTTP cannot carry "
                             "(Latin-1 only); percent-encode it (urllib.parse.quote) or put it in the body") from None
        checked.append((key, text))
    _within_envoys_limits(checked)
    return checked


# Room for the headers the instance adds itself (Content-Type, Content-Length, Date, Server...).
SERVER_HEADERS_BYTES = 1024
SERVER_HEADERS_COUNT = 10
REPLY_HEADERS_MAX_BYTES = REPLY_HEADERS_MAX_KB * 1024 - SERVER_HEADERS_BYTES


def _within_envoys_limits(headers: list[tuple[str, str]]) -> None:
    """`ReplyError` for headers Envoy would not take from an instance (`edge.REPLY_HEADERS_MAX_KB`, as
    `name: value` lines, and `REPLY_HEADERS_MAX_COUNT`), less the room the server's own take."""
    size = sum(len(key) + len(text) + 4 for key, text in headers)
    if size > REPLY_HEADERS_MAX_BYTES:
        key, text = max(headers, key=lambda pair: len(pair[0]) + len(pair[1]))
        raise ReplyError(f"returned reply headers of {size} bytes (the largest, {key!r}, {len(key) + len(text) + 4} "
                         f"bytes), more than the {REPLY_HEADERS_MAX_BYTES} bytes Envoy takes of a service's headers "
                         f"({REPLY_HEADERS_MAX_KB} KiB with the server's own); put large values in the body")
    if len(headers) > REPLY_HEADERS_MAX_COUNT - SERVER_HEADERS_COUNT:
        raise ReplyError(f"returned {len(headers)} reply headers, more than the "
                         f"{REPLY_HEADERS_MAX_COUNT - SERVER_HEADERS_COUNT} Envoy takes of a service's headers "
                         f"({REPLY_HEADERS_MAX_COUNT} with the server's own); merge them or put them in the body")


def _joined(body: Any) -> Any:
    """A `Response` body given as an iterator of chunks (Flask's `Response(generate())`): its text or
    bytes joined, as Flask would stream them (an instance sends a reply whole; Envoy's route timeout
    bounds how long it takes). Chunks that are neither stay a list, sent as JSON like any list."""
    if not isinstance(body, Iterator):
        return body
    chunks = list(body)
    if not chunks:
        return b""
    if all(isinstance(c, str) for c in chunks):
        return "".join(chunks)
    if all(isinstance(c, str | bytes | bytearray | memoryview) for c in chunks):
        return b"".join(c.encode() if isinstance(c, str) else bytes(c) for c in chunks)
    return chunks


def _converted(body: Any, convert: bool) -> Any:
    if not convert or body is None or isinstance(body, str | bytes | bytearray | memoryview):
        return body
    try:
        return to_json(body)
    except TypeError as exc:
        raise ReplyError(str(exc)) from None


def _error_keys(body: Any, status: int, name: str) -> Any:
    """An error reply's JSON object with the keys every error carries (README: `{"error", "status",
    "service", ...}`) added where the service left them out; its own values are kept."""
    if status < 400 or not isinstance(body, dict):
        return body
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:  # a status with no standard phrase, e.g. 599
        phrase = "error"
    return {"error": phrase, "status": status, "service": name, **body}


def _body(body: Any, content_type: str | None) -> FlaskResponse:
    if body is None:
        return FlaskResponse(b"", status=204)
    if isinstance(body, dict | list):
        return FlaskResponse(reply_json(body, convert=False), mimetype=content_type or "application/json")
    if isinstance(body, str):
        return FlaskResponse(body, content_type=content_type or "text/plain; charset=utf-8")
    if isinstance(body, bytes | bytearray | memoryview):
        return FlaskResponse(bytes(body), content_type=content_type or "application/octet-stream")
    raise ReplyError(f"returned {type(body).__name__}, which is not a reply; return a dict, list, str, bytes or None")


__all__ = ["REPLY_HEADERS_MAX_BYTES", "ReplyError", "is_status_tuple", "reply_json", "shape", "value_reply"]
