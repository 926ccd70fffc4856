"""Reading a request into a `puma.Request`: its query string, and its JSON or form body.

What cannot be read is refused before the service runs, saying why and what to send instead: a
body over `max_body_bytes` (413), a content type the service does not take or a compressed body
(415), JSON that does not parse, a percent-escape that is invalid or text that is not UTF-8, a
multipart body without its boundary (400). A multipart body's file parts are the request's
`files` (`puma.Upload`s, within the same `max_body_bytes`). A name repeated in a query string or
form is the list of its values (`_grouped`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import request as flask_request
from werkzeug.datastructures import Headers
from werkzeug.exceptions import RequestEntityTooLarge

from . import heads, multiparttext
from .codec import JSONBodyError, decode_json
from .config import too_large_message
from .errors import HTTPError
from .media import accepts, refusal
from .messages import FORM_TYPES, JSON_TYPES, SENT_EMPTY, Request, Upload

_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def url_fields(raw: bytes, where: str) -> dict[str, str | list[str]]:
    """URL-encoded fields (a query string, a form body) as a dict, a repeated name as a list
    (`_grouped`); 400 naming the field for an invalid percent-escape or text that is not UTF-8."""
    grouped: dict[str, list[str]] = {}
    if _plain(raw) is not None:  # nothing to decode anywhere: split the text (100,000 fields: ~0.05 s)
        for text, _, value in (part.partition("=") for part in raw.decode("ascii").split("&") if part):
            grouped.setdefault(text, []).append(value)
        return _grouped(grouped.items())
    for part in raw.split(b"&") if raw else ():
        if part:
            name_raw, _, value_raw = part.partition(b"=")
            plain_name, plain_value = _plain(name_raw), _plain(value_raw)
            name = _unescaped(name_raw, f"a {where} field's name") if plain_name is None else plain_name
            grouped.setdefault(name, []).append(_unescaped(value_raw, f"{where} field {name[:60]!r}")
                                                if plain_value is None else plain_value)
    return _grouped(grouped.items())


def _plain(raw: bytes) -> str | None:
    """`raw` as text when it has nothing to decode (ASCII, no escape, no '+'): most fields, read
    without building a message for the error they cannot have."""
    return raw.decode("ascii") if raw.isascii() and b"%" not in raw and b"+" not in raw else None


def _unescaped(raw: bytes, label: str) -> str:
    if _BAD_ESCAPE.search(raw):
        raise HTTPError(400, f"{label}: {raw[:60].decode('latin-1')!r} has a '%' not followed by two hex digits; "
                             "send a '%' itself as %25")
    try:
        return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError as exc:
        how = "once its escapes are decoded" if b"%" in raw else "(a raw byte over 0x7F, not percent-encoded)"
        raise HTTPError(400, f"{label} is not UTF-8 text {how} ({exc.reason} at byte "
                             f"{exc.start}); percent-encode the UTF-8 bytes of the text (é is %C3%A9)") from None


def wsgi_headers(environ: dict[str, Any]) -> Headers:
    headers = Headers([(key[5:].replace("_", "-").title(), value) for key, value in environ.items()
                       if key.startswith("HTTP_")])
    headers["Content-Type"] = environ.get("CONTENT_TYPE", "")
    headers["Content-Length"] = environ.get("CONTENT_LENGTH", "")
    return headers


def content_type_named(header: str | None, mimetype: str) -> str:
    """The request's content type as a 415 names it: the type read, else what the header said."""
    if mimetype:
        return f"content type {mimetype!r}"
    if header is None or not header.strip():
        return "a body without a Content-Type"
    return f"Content-Type {header[:60]!r} (no media type such as application/json in it)"


def parse_request(name: str, content_types: tuple[str, ...], max_body_bytes: int) -> Request:
    req = flask_request
    if req.content_length is not None and req.content_length > max_body_bytes:
        raise HTTPError(413, too_large_message(name, max_body_bytes))
    body = req.get_data(cache=True)
    mimetype = req.mimetype
    if body and not accepts(content_types, mimetype):
        raise HTTPError(415, refusal(name, content_types, content_type_named(req.headers.get("Content-Type"), mimetype),
                                     mimetype))
    encoding = req.headers.get("Content-Encoding", "").strip().lower()
    if body and encoding not in ("", "identity"):
        raise HTTPError(415, f"content encodings are not accepted (Content-Encoding: {encoding[:40]}); "
                             "send the body uncompressed")
    parsed = None
    if body and mimetype in JSON_TYPES:
        try:
            parsed = decode_json(body)
        except JSONBodyError as exc:
            raise HTTPError(400, str(exc)) from None
    form, files, empty = _form(req, body) if body and mimetype in FORM_TYPES else ({}, {}, ())
    return Request(method=heads.method(req.environ), path=req.path, headers=Headers(req.headers),
                   query=url_fields(req.query_string, "query"), body=body, json=parsed, form=form, files=files,
                   files_sent_empty=empty)


_Files = dict[str, Upload | list[Upload]]


def _form(req: Any, body: bytes) -> tuple[dict[str, str | list[str]], _Files, tuple[str, ...]]:
    """A form body's fields, file parts and file inputs sent empty; 400 for a multipart body
    without its boundary."""
    if req.mimetype == FORM_TYPES[0]:
        return url_fields(body, "form"), {}, ()
    if not req.mimetype_params.get("boundary"):
        raise HTTPError(400, "a multipart/form-data body needs a boundary parameter (Content-Type: "
                             "multipart/form-data; boundary=...); let the client library build it")
    try:
        files = req.files
    except RequestEntityTooLarge:  # werkzeug's parser stops at max_form_parts, not at a size
        raise HTTPError(413, f"too many form parts: the multipart/form-data body holds more than "
                             f"{req.max_form_parts} fields (it has {_parts(body, req)}), the most a service "
                             "reads; send fewer fields, or send the data as one JSON body") from None
    fields = _grouped(req.form.lists())
    multiparttext.check(fields, body, req.mimetype_params["boundary"])
    uploads = _uploads(files)
    if not fields and not files:
        raise HTTPError(400, "the multipart/form-data body holds no fields its boundary delimits; check the "
                             "boundary parameter against the body")
    empty = tuple(name for name in files if name not in uploads and name not in fields)
    return fields, uploads, empty


def _uploads(files: Any) -> _Files:
    """werkzeug's file parts as `Upload`s (read whole: the body is already within `max_body_bytes`).
    A part with no filename and no content is a file input left empty (what browsers send for
    `<input type=file>` with no file chosen, per the HTML form encoding): no file, so a required
    parameter reads as missing and an optional one keeps its default."""
    grouped = {name: [u for u in (Upload(filename=part.filename or "", data=part.read(),
                                         content_type=part.mimetype or "application/octet-stream") for part in parts)
                      if u.filename or u.data]
               for name, parts in files.lists()}
    return {name: parts[0] if len(parts) == 1 else parts for name, parts in grouped.items() if parts}


def _parts(body: bytes, req: Any) -> int:
    """How many parts a multipart body holds (its boundary delimiters, less the closing one)."""
    return body.count(b"--" + req.mimetype_params["boundary"].encode("latin-1")) - 1


def with_files(fields: Mapping[str, Any], files: Mapping[str, Any], sent_empty: Iterable[str] = ()) -> Mapping[str, Any]:
    """A form's fields with its file parts, as a bound function's parameters take them (a name given
    as both: the list of all its values); a file input sent empty is `SENT_EMPTY` (no value, said so)."""
    empty = {name: SENT_EMPTY for name in sent_empty if name not in fields and name not in files}
    if not files and not empty:
        return fields
    merged = {**fields, **empty}
    for name, upload in files.items():
        if name in merged:
            before, after = merged[name], upload
            merged[name] = [*(before if isinstance(before, list) else [before]),
                            *(after if isinstance(after, list) else [after])]
        else:
            merged[name] = upload
    return merged


def repeated_field(req: Request) -> str | None:
    """What is wrong with a request whose query string or form repeats a name, for a handler that
    takes the whole request (a bound function takes the values as a list); None when none does."""
    for where, fields in (("query", req.query), ("form", req.form)):
        for name, value in fields.items():
            if isinstance(value, list):
                return (f"{where} field {name[:60]!r} is given {len(value)} times; send each field once (a "
                        "service function whose parameter takes a list gets a repeated field as that list)")
    return None


def _grouped(fields: Iterable[tuple[str, list[str]]]) -> dict[str, str | list[str]]:
    """Fields as a dict: a name given once is its text, a name repeated is the list of its texts in
    order (`tags=a&tags=b` -> `["a", "b"]`), which is how forms and query strings send a list. None
    is picked as "the" value (parsers disagree on which: Flask the first, PHP the last); a function
    parameter that takes one value refuses a list, naming it."""
    return {name: values[0] if len(values) == 1 else list(values) for name, values in fields}
