"""What a caller sends: a call's arguments as the JSON body of its request.

One encoder for `puma.call`, `puma.acall`, `puma.remote` and `puma.aremote`: plain JSON is encoded
as it is; anything else (dataclasses, pydantic models, tuples, sets, dates, UUIDs, Enums) first
through `binding.to_json`, as a service's replies are. An argument that cannot be sent raises
`PumaArgumentError` before anything leaves, naming the call, the parameter, where inside it the
value is, and the fix:

    encoded("puma.remote('catalogue').search", {"word": object()})
    # PumaArgumentError: puma.remote('catalogue').search: argument 'word' cannot be sent: at word,
    #   object, which JSON cannot hold (...); pass ...
"""

from __future__ import annotations

from typing import Any

from .codec import NonFiniteNumberError, encode_json, unencodable
from .errors import PumaArgumentError

FIX = ("pass JSON data (dicts with text keys, lists, strings, finite numbers, bools, None) or what PUMA "
        "converts to it (dataclasses, pydantic models, tuples, sets, dates, UUIDs, Enums, bytes as base64)")


def encoded(call: str, payload: Any) -> bytes:
    """`payload` as the UTF-8 JSON body of `call`'s request; `PumaArgumentError` when it cannot be.

        encoded("puma.call('/catalogue/search')", {"word": "tea"})   # -> b'{"word": "tea"}'
    """
    try:
        return encode_json(payload).encode()
    except (TypeError, ValueError, RecursionError, OverflowError):
        pass  # a dataclass, a model, a tuple... (or a value no conversion saves: found below)
    try:
        return encode_json(jsonable(call, payload)).encode()
    except PumaArgumentError:
        raise
    except Exception as exc:  # noqa: BLE001 - NaN, a loop, a huge int: whatever it is, named below
        raise refused(call, payload, exc) from None


def jsonable(call: str, payload: Any) -> Any:
    """`payload` as JSON-able Python data (`binding.to_json`); `PumaArgumentError` when it is not."""
    from .binding import to_json  # pydantic: loaded only for a payload plain JSON cannot hold

    try:
        return to_json(payload)
    except Exception as exc:  # noqa: BLE001 - pydantic's errors, UnicodeDecodeError, RecursionError...
        raise refused(call, payload, exc) from None


def refused(call: str, payload: Any, exc: BaseException) -> PumaArgumentError:
    """The error naming which argument of `payload` cannot be sent, where in it, and why."""
    items = payload.items() if isinstance(payload, dict) else ()
    for name, value in items:
        found = _problem(value)
        if found is not None:
            where, why = found
            return PumaArgumentError(call, str(name), str(name) + where[1:], why, FIX)
    found = _problem(payload)
    if found is not None:
        return PumaArgumentError(call, "", found[0], found[1], FIX)
    return PumaArgumentError(call, "", "$", f"{type(exc).__name__}: {str(exc)[:200]}", FIX)


def _problem(value: Any) -> tuple[str, str] | None:
    from .binding import to_json

    found = unencodable(value)
    if found is not None:
        return found
    try:
        encode_json(to_json(value))
    except NonFiniteNumberError as exc:
        return exc.path, f"{exc.value!r}, which is not a JSON number (JSON has no NaN or infinity)"
    except Exception:  # noqa: BLE001 - nothing more precise to say than the caller's own message
        return None
    return None


__all__ = ["FIX", "encoded", "jsonable", "refused"]
