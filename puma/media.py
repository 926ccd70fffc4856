"""Which request bodies a service takes (`puma_services.<name>.content_types`), and the 415 that
refuses one. Every service takes JSON and forms: its parameters are bound from their fields. A
handler that reads the whole body (`request: puma.Request`) takes, besides those, what the config
lists: by default any type (`*/*`); a list such as `['text/csv']` takes those types only (plus JSON
and forms), `'text/*'` every text type, `[]` none but JSON and forms.

Its own module, so a service process (which needs it) does not load the config models (which
use it as the default of `puma.services.Service.content_types`).

>>> accepts(("text/csv",), "text/csv"), accepts(("text/csv",), "application/json"), accepts((), "text/csv")
(True, True, False)

A body with no media type at all is refused whatever the list: the 415 asks for a Content-Type.
"""

from __future__ import annotations

ANY_TYPE = "*/*"
DEFAULT_CONTENT_TYPES = (ANY_TYPE,)
FIELD_TYPES = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")
"""What every service takes: the bodies whose fields its parameters are bound from."""


def accepts(content_types: tuple[str, ...], mimetype: str) -> bool:
    """Whether a body of `mimetype` (lower case, no parameters) may reach a service configured with
    `content_types`: JSON and forms always; else a listed type, its `type/*`, or `*/*`."""
    if not mimetype:  # no type to go by: the sender is told to say it
        return False
    if mimetype in FIELD_TYPES or ANY_TYPE in content_types or mimetype in content_types:
        return True
    return f"{mimetype.split('/')[0]}/*" in content_types


def refusal(name: str, content_types: tuple[str, ...], what: str, mimetype: str) -> str:
    """The 415 for a body `content_types` does not take (`what`: the type as the request said it),
    naming the config key and the fix."""
    listed = [t for t in content_types if t not in FIELD_TYPES]
    whole = "any type" if ANY_TYPE in listed else f"one of {listed}"
    also = f", or {whole} to a handler that reads the whole body" if listed else ""
    fix = (f"add {mimetype!r} to puma_services.{name}.content_types (a handler that takes a puma.Request reads "
           "its body)") if mimetype else "send the body with a Content-Type header"
    return (f"{what} is not accepted by service {name!r}: send JSON (application/json) or a form{also}; "
            f"to accept it, {fix}")
