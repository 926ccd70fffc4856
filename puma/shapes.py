"""The fields a structured type takes, at any depth of a parameter's type hint.

A bound function's arguments are validated by pydantic, which refuses an unknown field of a
dataclass or a `TypedDict` (`extra="forbid"` in `puma.binding`) but lets a pydantic model follow
its own `extra` setting, which by default *ignores* one: `{"shape": {"sides": 3, "colour": "red"}}`
would reach the function without complaint. Here a model that does not choose (no `extra` in its
`model_config`) is held to the same rule as a dataclass: an unknown field, at any depth, is a
problem naming its path. A model that sets `extra` ("allow" or "ignore") keeps its choice.

>>> from pydantic import BaseModel
>>> class Shape(BaseModel):
...     name: str
...     sides: int
>>> list(unknown_fields(list[Shape], [{"name": "tri", "sides": 3}, {"name": "sq", "sides": 4, "colour": "red"}], "shapes"))
[("shapes[1]['colour']", 'red', 'Shape', ['name', 'sides'])]
"""

from __future__ import annotations

import collections.abc
import dataclasses
import types
import typing
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pydantic import BaseModel
from typing_extensions import (
    is_typeddict,  # both typing.TypedDict and the one pydantic requires before 3.12
)

MAX_DEPTH = 32
Unknown = tuple[str, Any, str, list[str]]  # (where, value, the type's name, its fields)


def fields_of(hint: Any) -> list[str] | None:
    """The field names a dataclass, pydantic model or TypedDict takes (aliases as sent); None for
    any other type."""
    hint = unwrapped(hint)
    if isinstance(hint, type) and issubclass(hint, BaseModel):
        return [f.alias or name for name, f in hint.model_fields.items()]
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return [f.name for f in dataclasses.fields(hint) if f.init]
    if is_typeddict(hint):
        return list(typing.get_type_hints(hint))
    return None


def flat_owner(hints: Mapping[str, Any], unknown: Iterable[str], given: Iterable[str]) -> tuple[str, Any] | None:
    """The parameter (and its class) whose dataclass, model or TypedDict has every one of the
    `unknown` top-level names as a field, when that parameter was not `given`: a body sent flat,
    `{"sensor_id": "h2"}` for `add(sensor: Sensor)`, which should be `{"sensor": {...}}`."""
    names, sent = set(unknown), set(given)
    for parameter, hint in hints.items():
        if parameter in sent or not names:
            continue
        for choice in typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,):
            fields = fields_of(choice)
            if fields is not None and names <= set(fields):
                return parameter, unwrapped(choice)
    return None


def type_at(hint: Any, path: list[Any]) -> Any:
    """The type hint at `path` (field names and list indexes) inside `hint`; None when unknown."""
    for step in path:
        hint = _member(unwrapped(hint), step)
        if hint is None:
            return None
    return hint


def unknown_fields(hint: Any, value: Any, where: str, depth: int = 0) -> Iterator[Unknown]:
    """Fields of `value` that the dataclasses, TypedDicts and models in `hint` do not take, at any
    depth, each with where it is, its value, the type's name and the fields it takes; yielded one
    by one, so a caller that lists the first few does no work for the rest."""
    hint = unwrapped(hint)
    if depth > MAX_DEPTH or hint is None:
        return
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        choices = [a for a in args if a is not type(None)]
        if len(choices) == 1:
            yield from unknown_fields(choices[0], value, where, depth + 1)
        return
    if isinstance(value, list) and origin in (list, set, frozenset, tuple, collections.abc.Sequence) and args:
        items = args if origin is tuple and Ellipsis not in args else (args[0],) * len(value)
        for i, (a, v) in enumerate(zip(items, value, strict=False)):
            yield from unknown_fields(a, v, f"{where}[{i}]", depth + 1)
        return
    if isinstance(value, dict) and origin in (dict, collections.abc.Mapping) and len(args) == 2:
        for k, v in value.items():
            yield from unknown_fields(args[1], v, f"{where}[{k!r}]", depth + 1)
        return
    names = fields_of(hint)
    if names is None or not isinstance(value, dict):
        return
    if _strict(hint):
        known = frozenset(names)
        yield from ((f"{where}[{k!r}]", value[k], hint.__name__, names) for k in value if k not in known)
    for k, v in value.items():
        if k in names:
            yield from unknown_fields(_member(hint, k), v, f"{where}[{k!r}]", depth + 1)


def holds_fields(hint: Any, depth: int = 0) -> bool:
    """Whether a dataclass, pydantic model or TypedDict is anywhere in `hint` (so `unknown_fields`
    has anything to check: a `list[int]` of 5,000 ids is not walked)."""
    hint = unwrapped(hint)
    if depth > MAX_DEPTH:
        return False
    return fields_of(hint) is not None or \
        any(holds_fields(a, depth + 1) for a in typing.get_args(hint) if a is not Ellipsis)


def _strict(hint: Any) -> bool:
    """A type whose unknown fields are refused: a dataclass or TypedDict (as pydantic is told to),
    or a model that leaves `extra` unset; not a model that chose to allow or ignore them."""
    if isinstance(hint, type) and issubclass(hint, BaseModel):
        return hint.model_config.get("extra") is None
    return True


def _member(hint: Any, step: Any) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        found = [m for a in args if a is not type(None) and (m := _member(unwrapped(a), step)) is not None]
        return found[0] if found else None
    if isinstance(step, int):
        if origin is tuple and args and Ellipsis not in args:
            return args[step] if step < len(args) else None
        return args[0] if origin in (list, set, frozenset, tuple, collections.abc.Sequence) and args else None
    if origin in (dict, collections.abc.Mapping) and len(args) == 2:
        return args[1]
    if isinstance(hint, type) and issubclass(hint, BaseModel):
        field = next((f for n, f in hint.model_fields.items() if step in (n, f.alias)), None)
        return field.annotation if field is not None else None
    if (dataclasses.is_dataclass(hint) and isinstance(hint, type)) or is_typeddict(hint):
        try:
            return typing.get_type_hints(hint).get(step)
        except Exception:  # noqa: BLE001 - an unresolvable forward reference: type unknown
            return None
    return None


def unwrapped(hint: Any) -> Any:
    """`hint` without its `Annotated[...]` layers."""
    while typing.get_origin(hint) is typing.Annotated:
        hint = typing.get_args(hint)[0]
    return hint


__all__ = ["fields_of", "flat_owner", "holds_fields", "type_at", "unknown_fields", "unwrapped"]
