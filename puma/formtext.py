"""A form's or query string's text shaped as a function parameter's type hint takes it, before
pydantic validates it (`puma.binding`): forms send a list as a repeated key, and carry numbers and
booleans as text.

    shaped(list[int], "3")                    # ["3"]: one value where a list goes is a list of one
    shaped(Literal[1, 2, 3], "2")             # 2: pydantic's lax mode leaves a Literal strict
    shaped(bytes, Upload("a.bin", b"GIF8"))   # b"GIF8": a file part, its bytes as they were sent
    shaped(bytes, "tea")                      # b"tea": a form's text field, its UTF-8 bytes
"""

from __future__ import annotations

import collections.abc
import datetime
import decimal
import enum
import inspect
import types
import typing
import uuid
from typing import Any

from . import shapes
from .messages import Upload


class FileNotText(ValueError):
    """A file part, not UTF-8 text, sent to a parameter that takes text (not `bytes` or `puma.Upload`)."""

    def __init__(self, upload: Upload, reason: str) -> None:
        self.upload = upload
        super().__init__(f"the file part {upload.filename!r} ({len(upload.data)} bytes) is not UTF-8 text ({reason})")


def shaped(hint: Any, value: Any) -> Any:
    """A form's or query string's `value` (text, or a repeated key's list of texts) shaped as
    `hint` takes it: one text where a list goes is a list of one, and a text naming a `Literal`'s
    number or boolean is that member (`"3"` for `Literal[1, 2, 3]`; pydantic's lax mode leaves a
    `Literal` strict). Anything else is left to pydantic, which converts `"7"` for an `int`. A file
    part (`Upload`) is kept where the hint takes a `puma.Upload`, is its bytes where it takes
    `bytes`, else its UTF-8 text (`FileNotText` when it is not); a text field where `bytes` go is
    its UTF-8 bytes (a form is not JSON: base64 is JSON's encoding of bytes only)."""
    if isinstance(value, str | Upload) and takes_list(hint):
        value = [value]
    if isinstance(value, list):
        item = _item_type(hint)
        return [_literal_member(item, _binary(item, v)) for v in value] if item is not None else value
    return _literal_member(hint, _binary(hint, value))


LEFT_OUT = object()  # `blank`: the field is as if not sent (its parameter's default applies)


def blank(hint: Any, has_default: bool) -> Any:
    """What an empty form field (`discount=`, an input left empty) gives a parameter that takes no text:
    None where it takes None (`int | None`), `LEFT_OUT` where it has a default, else "" as it came (for
    pydantic to refuse, naming it). ``blank(int | None, False)`` -> None."""
    if hint is None or hint is Any or _takes(hint, str) or _takes(hint, bytes) or _takes(hint, Upload) or takes_list(hint):
        return ""
    if _takes(hint, type(None)):
        return None
    return LEFT_OUT if has_default else ""


def _binary(hint: Any, value: Any) -> Any:
    """A file part or a text field as `hint` takes it (see `shaped`)."""
    if isinstance(value, Upload):
        if _takes(hint, Upload):
            return value
        if _takes(hint, bytes) or _takes(hint, bytearray):
            return value.data
        try:
            return value.data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FileNotText(value, f"{exc.reason} at byte {exc.start}") from None
    if isinstance(value, str) and (_takes(hint, bytes) or _takes(hint, bytearray)) and not _takes(hint, str):
        return value.encode("utf-8")
    return value


def _takes(hint: Any, kind: type) -> bool:
    """Whether `hint` is `kind`, alone or in a union (`bytes | None`)."""
    hint = shapes.unwrapped(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return any(_takes(a, kind) for a in typing.get_args(hint))
    return hint is kind


def _item_type(hint: Any) -> Any:
    hint = shapes.unwrapped(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        choices = [a for a in typing.get_args(hint) if a is not type(None)]
        return _item_type(choices[0]) if len(choices) == 1 else None
    args = typing.get_args(hint)
    return args[0] if args and takes_list(hint) else None


def _literal_member(hint: Any, value: Any) -> Any:
    hint = shapes.unwrapped(hint)
    if not isinstance(value, str) or hint is None:
        return value
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        for choice in typing.get_args(hint):
            if (member := _literal_member(choice, value)) is not value:
                return member
        return value
    if typing.get_origin(hint) is typing.Literal:
        for member in typing.get_args(hint):
            if not isinstance(member, str) and value.strip().lower() == str(member).lower():
                return member
    return value


def takes_list(hint: Any) -> bool:
    """Whether `hint` takes a list (alone or with None): a form's one value of it is a list of one."""
    hint = shapes.unwrapped(hint)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        choices = [a for a in args if a is not type(None)]
        return len(choices) == 1 and takes_list(choices[0])
    return origin in (list, set, frozenset, tuple, collections.abc.Sequence, collections.abc.Set) or \
        hint in (list, set, frozenset, tuple)


def takes_binary(hint: Any) -> bool:
    """Whether `hint` takes `bytes` or a `puma.Upload` (alone, in a union or as a list's items)."""
    item = _item_type(hint)
    return any(_takes(h, k) for h in (hint, item) if h is not None for k in (bytes, bytearray, Upload))


# What one query-string value can be read as (pydantic converts the text): no nested fields.
_SCALARS = (str, int, float, bool, type(None), decimal.Decimal, uuid.UUID, datetime.date, datetime.datetime,
            datetime.time, datetime.timedelta)


def textual(hint: Any, *, in_list: bool = False) -> bool:
    """Whether a query string can carry a parameter of type `hint`: text, a number, a bool, a
    date, an Enum or Literal, None, one of these or a list of them (a repeated key)."""
    hint = shapes.unwrapped(hint)
    if hint in (inspect.Parameter.empty, Any) or hint in _SCALARS:
        return True
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return True
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Literal:
        return True
    if origin in (typing.Union, types.UnionType):
        return all(textual(a, in_list=in_list) for a in args)
    if not in_list and takes_list(hint):
        item = [a for a in args if a is not Ellipsis]
        return all(textual(a, in_list=True) for a in item)
    return False


__all__ = ["FileNotText", "shaped", "takes_binary", "textual"]
