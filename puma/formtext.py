"""A form's or query string's text shaped as a function parameter's type hint takes it, before
pydantic validates it (`puma.binding`): forms send a list as a repeated key, and carry numbers and
booleans as text.

    shaped(list[int], "3")                    # ["3"]: one value where a list goes is a list of one
    shaped(Literal[1, 2, 3], "2")             # 2: pydantic's lax mode leaves a Literal strict
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


def shaped(hint: Any, value: Any) -> Any:
    """A form's or query string's `value` (text, or a repeated key's list of texts) shaped as
    `hint` takes it: one text where a list goes is a list of one, and a text naming a `Literal`'s
    number or boolean is that member (`"3"` for `Literal[1, 2, 3]`; pydantic's lax mode leaves a
    `Literal` strict). Anything else is left to pydantic, which converts `"7"` for an `int`."""
    if isinstance(value, str) and _takes_list(hint):
        value = [value]
    if isinstance(value, list):
        item = _item_type(hint)
        return [_literal_member(item, v) for v in value] if item is not None else value
    return _literal_member(hint, value)


def _item_type(hint: Any) -> Any:
    hint = shapes.unwrapped(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        choices = [a for a in typing.get_args(hint) if a is not type(None)]
        return _item_type(choices[0]) if len(choices) == 1 else None
    args = typing.get_args(hint)
    return args[0] if args and _takes_list(hint) else None


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


def _takes_list(hint: Any) -> bool:
    """Whether `hint` takes a list (alone or with None): a form's one value of it is a list of one."""
    hint = shapes.unwrapped(hint)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        choices = [a for a in args if a is not type(None)]
        return len(choices) == 1 and _takes_list(choices[0])
    return origin in (list, set, frozenset, tuple, collections.abc.Sequence, collections.abc.Set) or \
        hint in (list, set, frozenset, tuple)


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
    if not in_list and _takes_list(hint):
        item = [a for a in args if a is not Ellipsis]
        return all(textual(a, in_list=True) for a in item)
    return False


__all__ = ["shaped", "textual"]
