"""JSON in and out of every PUMA service: one decoder for request bodies, one encoder for replies.

Both are strict where Python's `json` is lenient, because what one service accepts or emits
another client must be able to read:

* `decode_json(body)` raises `JSONBodyError` (a `ValueError`) for *every* way a body can fail:
  bad syntax or encoding, nesting deeper than `MAX_DEPTH`, an integer over CPython's digit limit,
  `NaN`/`Infinity`, a number such as `1e999` that only a float infinity could hold, or a key
  given twice in one object (parsers disagree on which one counts, so none is guessed). A
  service turns it into 400; nothing else (RecursionError, OverflowError, ...) escapes. Bytes
  must be valid UTF-8 (or UTF-16/32, as RFC 8259 allows; a leading byte order mark is skipped):
  an encoded surrogate (`\xed\xa0\x80`) is invalid UTF-8 like any other, while the *escape*
  `"\ud800"` is valid JSON and reaches the service (stores replace it by U+FFFD).
* `encode_json(value)` refuses non-finite floats (`allow_nan=False`) with `NonFiniteNumberError`
  naming where the value sits (`$.results[3]`), so a reply is valid JSON or an error, never
  `{"results": [Infinity]}`; a lone UTF-16 surrogate in a string (which no UTF-8 text can hold,
  and strict parsers refuse as an escape) is sent as U+FFFD.

>>> decode_json(b'{"n": 1}')
{'n': 1}
>>> encode_json({"n": 1.5})
'{"n": 1.5}'
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .errors import PumaError

MAX_DEPTH = 128
"""Deepest nesting of arrays and objects accepted in a body (serde_json's default limit)."""

# Where a float literal could overflow to infinity: a 3-digit exponent or a 309-digit run.
_MAY_OVERFLOW = re.compile(rb"\d[eE][+]?\d{3}|\d{309}")
_SURROGATE = re.compile("[\ud800-\udfff]")  # in a decoded str, a surrogate is always a lone one
_NON_FINITE_MESSAGE = "{what} is not a JSON number; send a finite number, or null"


class JSONBodyError(PumaError, ValueError):
    """A request body that is not acceptable JSON; `str(error)` says what and where."""


class NonFiniteNumberError(PumaError, ValueError):
    """A value to encode holds NaN or an infinity, which JSON cannot represent."""

    def __init__(self, path: str, value: float) -> None:
        self.path = path
        self.value = value
        super().__init__(f"{value!r} at {path} is not a JSON number; JSON has no NaN or infinity: "
                         "send null, a string, or a finite number instead")


class _Refused(Exception):
    """Raised from inside the parser's hooks; turned into `JSONBodyError`."""


def decode_json(body: bytes | bytearray | str) -> Any:
    """Parse a request body as strict JSON; raise `JSONBodyError` saying why it is not acceptable.

    Example: `decode_json(b'[1, 2]')` -> `[1, 2]`; `decode_json(b'[1e999]')` raises
    `JSONBodyError("malformed JSON body: number 1e999 is out of range ...")`.
    """
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else bytes(body)
    hooks: dict[str, Any] = {"parse_constant": _refuse_constant, "object_pairs_hook": _unique_keys}
    if _MAY_OVERFLOW.search(raw):
        hooks["parse_float"] = _finite_float
    try:
        text = body if isinstance(body, str) else raw.decode(json.detect_encoding(raw))  # strict: no surrogates
        value = json.loads(text.removeprefix("\ufeff"), **hooks)
    except _Refused as exc:
        raise JSONBodyError(f"malformed JSON body: {exc}") from None
    except RecursionError:
        raise JSONBodyError(f"malformed JSON body: nested deeper than {MAX_DEPTH} levels") from None
    except UnicodeDecodeError as exc:
        raise JSONBodyError(f"malformed JSON body: not UTF-8 (or UTF-16/32) text: {exc.reason} "
                            f"at byte {exc.start}") from None
    except json.JSONDecodeError as exc:
        raise JSONBodyError(f"malformed JSON body: {exc}") from None
    except ValueError as exc:  # CPython's int-string limit and any other conversion failure
        raise JSONBodyError(f"malformed JSON body: {_conversion_problem(exc)}") from None
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and _depth(value) > MAX_DEPTH:
        raise JSONBodyError(f"malformed JSON body: nested deeper than {MAX_DEPTH} levels")
    return value


def encode_json(value: Any) -> str:
    """`json.dumps(value)` that refuses NaN and infinities with `NonFiniteNumberError`.

    Other failures stay what `json.dumps` raises (`TypeError` for an object JSON cannot hold).
    Example: `encode_json({"a": [1, 2.5]})` -> `'{"a": [1, 2.5]}'`.
    """
    try:
        text = json.dumps(value, allow_nan=False)
    except ValueError as exc:
        found = _non_finite(value)
        if found is None:
            raise
        raise NonFiniteNumberError(*found) from exc
    # Any character beyond U+FFFF is escaped as a surrogate pair too: only then look closer.
    return json.dumps(_whole_characters(value), allow_nan=False) if "\\ud" in text else text


def unencodable(value: Any) -> tuple[str, str] | None:
    """Where and why `value` cannot be sent as JSON: `("$.items[2]", "object, which JSON cannot
    hold")`, or None when nothing is found. Looks for loops, non-JSON types, integers over
    CPython's digit limit and nesting over `MAX_DEPTH` (no recursion; only called once encoding
    has failed, to say why).

    >>> unencodable({"a": [1, object()]})[0]
    '$.a[1]'
    """
    import pydantic_core  # the same conversion `puma.binding.to_json` applies

    stack: list[tuple[Any, str, tuple[int, ...]]] = [(value, "$", ())]
    too_deep = None
    for _ in range(1_000_000):
        if not stack:
            break
        item, path, above = stack.pop()
        if id(item) in above:
            return path, "a container that holds itself (a circular reference)"
        children = _children(item)
        bad_key = next((k for k in item if _leaf_problem(k, pydantic_core)), None) if isinstance(item, dict) else None
        if bad_key is not None:
            return path, f"a key of type {type(bad_key).__name__}, which JSON cannot hold (keys are text)"
        if children is None:
            problem = _leaf_problem(item, pydantic_core)
            if problem is not None:
                return path, problem
            continue
        if len(above) >= MAX_DEPTH:
            too_deep = too_deep or path
            continue
        stack.extend((child, f"{path}{key}", (*above, id(item))) for key, child in reversed(children))
    return (too_deep, f"nested deeper than {MAX_DEPTH} levels") if too_deep else None


def _children(item: Any) -> list[tuple[str, Any]] | None:
    if isinstance(item, dict):
        return [(f".{k}", v) for k, v in item.items()]
    if isinstance(item, list | tuple | set | frozenset):
        return [(f"[{i}]", v) for i, v in enumerate(item)]
    return None


def _leaf_problem(item: Any, pydantic_core: Any) -> str | None:
    if item is None or isinstance(item, str | bool | float):
        return None
    if isinstance(item, int):
        try:
            str(item)
        except ValueError:
            return (f"an integer of about {int(item.bit_length() * 0.30103)} digits, more than JSON text here "
                    "may hold (4300); send it as a string")
        return None
    if isinstance(item, bytes | bytearray | memoryview):
        return None  # sent as base64 text (`binding.to_json`), whatever they hold
    try:
        pydantic_core.to_jsonable_python(item)
    except Exception as exc:  # noqa: BLE001 - whatever the conversion says is the reason
        return f"{type(item).__name__}, which JSON cannot hold ({str(exc).splitlines()[0][:200]})"
    return None


def _whole_characters(value: Any) -> Any:
    """`value` with every lone surrogate in its strings (keys too) replaced by U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_whole_characters(k): _whole_characters(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_whole_characters(v) for v in value]
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused(f"key {key[:60]!r} appears twice in one object; send each key once")
            seen.add(key)
    return found


def _refuse_constant(name: str) -> Any:
    raise _Refused(_NON_FINITE_MESSAGE.format(what=name))


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _Refused(f"number {text[:40]} is out of range (over 1.8e308); send a finite number, or a string")
    return number


def _conversion_problem(exc: ValueError) -> str:
    message = str(exc)
    if "integer string conversion" in message:
        return "an integer has more digits than this server accepts (4300); send it as a string"
    return message


def _depth(value: Any) -> int:
    """Nesting depth of a parsed value, level by level without recursion (so a deep value cannot
    overflow it), stopping past `MAX_DEPTH`; scalars are skipped a level at a time (100,000
    one-item lists: ~0.05 s, where a walk of every item took ~0.4 s)."""
    level, current = 0, [value] if isinstance(value, dict | list) else []
    while current and level <= MAX_DEPTH:
        level += 1
        below: list[Any] = []
        for item in current:
            below += filter(_is_container, item.values() if isinstance(item, dict) else item)
        current = below
    return level


def _is_container(value: Any) -> bool:
    return isinstance(value, dict | list)


def _non_finite(value: Any) -> tuple[str, float] | None:
    """The JSON path and value of the first NaN or infinity in `value`, if any (no recursion)."""
    stack: list[tuple[Any, str]] = [(value, "$")]
    seen = 0
    while stack and seen < 1_000_000:
        item, path = stack.pop()
        seen += 1
        if isinstance(item, float) and not math.isfinite(item):
            return path, item
        if isinstance(item, dict):
            stack.extend((v, f"{path}.{k}") for k, v in reversed(list(item.items())))
        elif isinstance(item, list | tuple):
            stack.extend((v, f"{path}[{i}]") for i, v in reversed(list(enumerate(item))))
    return None


__all__ = ["MAX_DEPTH", "JSONBodyError", "NonFiniteNumberError", "decode_json", "encode_json", "unencodable"]
