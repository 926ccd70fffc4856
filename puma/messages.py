"""What a service function sees of an HTTP request (`Request`) and may return (`Response`).

Apart from `puma.service`, which serves them, so that `puma.binding` can recognise a parameter
typed `Request` without importing the server (the imports run one way: service -> binding ->
messages).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import Headers

from .errors import HTTPError

JSON_TYPES = ("application/json",)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart/form-data request (a browser's `<input type=file>`, `curl -F
    f=@x.pdf`), as a `puma.Request`'s `.files` holds it and as a parameter annotated `puma.Upload`
    takes it; a parameter annotated `bytes` takes its `data` alone.

        def attach(code: str, scan: puma.Upload) -> dict:   # curl -F code=A1 -F scan=@a.pdf
            return {"name": scan.filename, "size": len(scan.data)}
    """

    filename: str
    data: bytes
    content_type: str = "application/octet-stream"

    def __repr__(self) -> str:  # in a 400's message: the file, not its bytes
        return f"Upload({self.filename!r}, {len(self.data)} bytes, {self.content_type})"


class _SentEmpty:
    """A file input sent with no file chosen, where a bound function's fields are read: no value."""

    def __repr__(self) -> str:
        return "<no file chosen>"


SENT_EMPTY = _SentEmpty()


@dataclass
class Request:
    """What a service sees of one HTTP request."""

    method: str
    path: str
    headers: Headers  # case-insensitive: headers.get("content-type") and .get("Content-Type") agree
    # A name repeated (`?tag=a&tag=b`) is the list of its values, which a bound function's list
    # parameter takes; a handler that takes the whole Request is answered 400 for it instead.
    query: dict[str, str | list[str]]
    body: bytes
    json: Any = None
    form: dict[str, str | list[str]] = field(default_factory=dict)  # as `query`
    # A multipart body's file parts by field name (a name repeated: the list of its files).
    files: dict[str, Upload | list[Upload]] = field(default_factory=dict)
    # The file inputs a browser sent with no file chosen (a part with no filename and no content):
    # not in `files`; a bound function's required parameter of that name is said to be sent empty.
    files_sent_empty: tuple[str, ...] = ()

    @property
    def data(self) -> dict[str, Any]:
        """The JSON object body, else form fields over query parameters; `HTTPError` 400 for a
        JSON body that is not an object (an array, a string...): it has no fields to read."""
        if isinstance(self.json, dict):
            return self.json
        mimetype = str(self.headers.get("Content-Type", "")).split(";")[0].strip().lower()
        if self.json is not None or (self.body.strip() and mimetype in JSON_TYPES):  # a JSON null is no object
            got = "null" if self.json is None else type(self.json).__name__
            raise HTTPError(400, f"body: expected a JSON object (its fields), got {got}")
        if self.body and not self.form:
            if mimetype not in FORM_TYPES and mimetype not in JSON_TYPES:
                named = f"content type {mimetype!r}" if mimetype else "a body without a Content-Type"
                raise HTTPError(415, f"{named} is not accepted here: this handler reads the body's fields "
                                     f"(request.data), and a {mimetype or 'typeless'} body has no fields to read; "
                                     "send a JSON object (application/json) or a form")
        return {**self.query, **self.form}


@dataclass
class Response:
    body: Any = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    # Called once the server has written the reply (or given up on the connection): release here
    # what must outlive the service function, like a lock that keeps the next request waiting.
    on_close: Callable[[], None] | None = None
