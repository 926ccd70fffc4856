"""A multipart/form-data body's text fields held to UTF-8, as a urlencoded form's and a JSON body's are.

werkzeug decodes a multipart text field with `errors="replace"`, so a field sent in Latin-1 ("café" as
`caf\\xe9`) reached the service as "caf\\ufffd" and was stored so, while the same field in a urlencoded
form was a 400 naming it; and a part whose headers are not UTF-8 made werkzeug drop every field, which
read as a body whose boundary delimits nothing. `check` re-reads such a body strictly, only when
werkzeug's result shows a replacement character or no field at all (so a normal form costs nothing),
and raises `HTTPError(400)` naming the field and the fix.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from werkzeug.formparser import MultiPartParser
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from .errors import HTTPError

REPLACEMENT = "\ufffd"


def check(fields: Mapping[str, Any], body: bytes, boundary: str) -> None:
    """400 for the first text field (or part head) of `body` that is not text in its charset; nothing
    when werkzeug's `fields` show no sign of a replaced byte."""
    if fields and not any(REPLACEMENT in v for vs in fields.values() for v in (vs if isinstance(vs, list) else [vs])):
        return
    for name, raw, charset in _text_parts(body, boundary):
        try:
            raw.decode(charset)
        except UnicodeDecodeError as exc:
            raise HTTPError(400, f"form field {name[:60]!r} is not {charset.upper()} text ({exc.reason} at byte "
                                 f"{exc.start}); send the field's text as UTF-8 (é is the bytes C3 A9), or declare "
                                 "Latin-1 in the part's head (Content-Type: text/plain; charset=iso-8859-1)") from None


def _text_parts(body: bytes, boundary: str) -> Iterator[tuple[str, bytes, str]]:
    """Each text field's name, raw bytes and charset (werkzeug's choice: UTF-8 unless declared)."""
    decoder = MultipartDecoder(boundary.encode("latin-1"))
    decoder.receive_data(body)
    decoder.receive_data(None)
    charset_of = MultiPartParser().get_part_charset
    part: Field | File | None = None
    raw: list[bytes] = []
    while True:
        try:
            event = decoder.next_event()
        except UnicodeDecodeError as exc:
            raise HTTPError(400, f"a multipart/form-data part's headers are not UTF-8 text ({exc.reason}); "
                                 "send field names and file names as UTF-8") from None
        except ValueError:  # a malformed body: werkzeug's own reading of it says what is wrong
            return
        if isinstance(event, Epilogue | NeedData):
            return
        if isinstance(event, Field | File):
            part, raw = event, []
        elif isinstance(event, Data) and part is not None:
            raw.append(event.data)
            if not event.more_data and isinstance(part, Field):
                yield part.name, b"".join(raw), charset_of(part.headers)
