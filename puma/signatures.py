"""What a function's signature says to PUMA: whether it takes the whole `puma.Request`
(`takes_request`, `request_form`), its resolved hints (`return_hint`), a hint as one writes it
(`type_text`), and a returned value as JSON-able data (`to_json`).

Split from `puma.binding` (which binds a request's fields to the parameters and words what does
not bind); `puma.binding` re-exports these names, the path they are imported from.
"""

from __future__ import annotations

import collections.abc
import functools
import inspect
import types
import typing
from collections.abc import Callable
from typing import Any

import pydantic_core
from pydantic import PydanticSchemaGenerationError, TypeAdapter

REQUEST_NAMES = ("request", "req")
"""An unannotated first parameter of these names takes the whole `puma.Request` (the older form)."""
VALUE_CHARS = 80


def return_hint(fn: Callable[..., Any]) -> Any:
    """`fn`'s return annotation, resolved where it can be (`inspect.Parameter.empty` when none)."""
    return hints(fn).get("return", inspect.Parameter.empty)


def request_form(fn: Callable[..., Any]) -> str:
    """Why PUMA calls `fn` with the whole `puma.Request`, in words for an error message.

        request_form(greet)   # -> "its first parameter 'request' is annotated puma.Request"
    """
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return "its signature cannot be read"
    if not params:
        return "it takes no parameters"
    first = params[0]
    if hints(fn).get(first.name, first.annotation) is inspect.Parameter.empty:
        return f"its first parameter is named {first.name!r} and has no annotation"
    return f"its first parameter {first.name!r} is annotated puma.Request"


def takes_request(fn: Callable[..., Any], *, no_parameters: bool = True, skip_first: bool = False) -> bool:
    """Whether `fn` is called with the whole `puma.Request` rather than bound to its fields.

    True when its first parameter is annotated `puma.Request`, or is unannotated and named
    `request` (or `req`), or its signature cannot be read; and, with `no_parameters` (top-level
    functions), when it takes no parameters (it reads `puma.request`). A function that starts with
    `*args` is bound, and `Binding.of` refuses it, naming it: a JSON object has no positional fields.
    """
    try:
        params = list(inspect.signature(fn).parameters.values())[1 if skip_first else 0:]  # skip_first: `self`
    except (TypeError, ValueError):
        return True
    if not params:
        return no_parameters
    first = params[0]
    if first.kind is first.VAR_POSITIONAL:
        return False
    annotation = hints(fn).get(first.name, first.annotation)
    if annotation is inspect.Parameter.empty:
        return first.name in REQUEST_NAMES and first.kind is not first.VAR_KEYWORD
    return _is_request_type(annotation)


def _is_request_type(annotation: Any) -> bool:
    from .messages import Request

    if isinstance(annotation, str):
        return annotation.replace(" ", "").split(".")[-1] in ("Request", "Request|None")
    return annotation is Request or (isinstance(annotation, type) and issubclass(annotation, Request))


def to_json(value: Any) -> Any:
    """`value` as JSON-able Python data (dataclasses, pydantic models, tuples, sets, dates...;
    `bytes` as base64 text, which a `bytes` parameter decodes); `TypeError` naming the type when
    JSON cannot hold it."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    try:
        return pydantic_core.to_jsonable_python(value, bytes_mode="base64")
    except pydantic_core.PydanticSerializationError as exc:
        raise TypeError(f"returned {type(value).__name__}, which JSON cannot hold ({exc}); return dicts, lists, "
                        "strings, numbers, dataclasses or pydantic models") from None


def type_text(annotation: Any) -> str:
    """A type hint as one writes it: `list[int]`, `int | None`, `Movie`; "Any" when there is none."""
    if annotation is inspect.Parameter.empty or annotation is Any:
        return "Any"
    if isinstance(annotation, str):
        return annotation
    if typing.get_origin(annotation) is typing.Annotated:
        return type_text(typing.get_args(annotation)[0])
    if annotation is type(None) or annotation is None:
        return "None"
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_text(a) for a in args)
    if origin is typing.Literal:
        return f"Literal[{', '.join(repr(a) for a in args)}]"
    if origin is not None and args:
        name = getattr(origin, "__name__", None) or str(origin).replace("typing.", "")
        return f"{name}[{', '.join(_argument_text(a) for a in args)}]"
    if isinstance(annotation, type):
        return annotation.__name__
    if callable(annotation) and hasattr(annotation, "__name__"):  # `threading.Lock`, a factory function
        return f"{getattr(annotation, '__module__', None) or ''}.{annotation.__name__}".lstrip(".")
    return str(annotation).replace("typing.", "").replace("NoneType", "None")


def _argument_text(arg: Any) -> str:
    """One argument of a generic as written: `...`, a `Callable`'s `[int, str]`, or a type."""
    if arg is Ellipsis:
        return "..."
    if isinstance(arg, list):
        return f"[{', '.join(type_text(a) for a in arg)}]"
    return type_text(arg)


def short(value: Any) -> str:
    """`repr(value)`, cut to a readable length."""
    text = repr(value)
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 3] + "..."


def unsendable_parameter(fn: Callable[..., Any], where: str, *, skip_first: bool = False) -> str | None:
    """Why no request can carry one of `fn`'s parameters — a `Callable`, a file, a lock, an object
    of a class JSON cannot build — naming the parameter, its type and the fix; None when every one
    can (or `fn` takes the whole request). `skip_first`: `fn` is a method, taken from its class."""
    if takes_request(fn, no_parameters=True, skip_first=skip_first):
        return None
    try:
        params = list(inspect.signature(fn).parameters.values())[1 if skip_first else 0:]
    except (TypeError, ValueError):
        return None
    found = hints(fn)
    for param in params:
        hint = found.get(param.name, param.annotation)
        if hint is inspect.Parameter.empty or isinstance(hint, str) or param.kind is param.VAR_POSITIONAL:
            continue
        if holds_callable(hint):
            why, fix = ("a function cannot travel as JSON", "take the name of what to call (a str, or a Literal of "
                        "the choices) and look it up in the service")
        elif (culprit := _unbuildable(hint)) is not None:
            why, fix = (f"it cannot be read from JSON, which holds text, numbers, lists and objects of fields; "
                        f"{culprit} is none of them",
                        "take what it is made from (a path or the bytes for a file, the fields of an object as a "
                        "dataclass) and build it inside the function")
        else:
            continue
        return (f"parameter {param.name!r} of {where} takes {type_text(hint)}, which no request can carry ({why}), "
                f"so every call would be a 400; {fix}; if {where} is a helper, not a service, name it with a "
                "leading _")
    return None


def holds_callable(hint: Any, depth: int = 0) -> bool:
    """Whether `hint` is, or holds, a `Callable` (`Callable[[int], int] | None`, `list[Callable]`...)."""
    if depth > 16 or hint is inspect.Parameter.empty:
        return False
    if hint is collections.abc.Callable or typing.get_origin(hint) is collections.abc.Callable:
        return True
    return any(holds_callable(a, depth + 1) for a in typing.get_args(hint) if not isinstance(a, list))


def _unbuildable(hint: Any) -> str | None:
    """The name of what in `hint` pydantic cannot build from JSON (a file, a lock, a plain class), or None."""
    try:
        return _unbuildable_cached(hint)
    except TypeError:  # an unhashable hint: checked uncached
        return _unbuildable_cached.__wrapped__(hint)


@functools.lru_cache(maxsize=1024)
def _unbuildable_cached(hint: Any) -> str | None:
    try:
        TypeAdapter(hint)
    except PydanticSchemaGenerationError:
        for arg in typing.get_args(hint):  # the innermost culprit: `Till`, not `list[Till] | None`
            if not isinstance(arg, list) and arg is not Ellipsis and (inner := _unbuildable(arg)) is not None:
                return inner
        return type_text(hint)
    except Exception:  # noqa: BLE001 - anything else is for the binding to say, when the service is built
        return None
    return None


def hints(fn: Callable[..., Any]) -> dict[str, Any]:
    target = getattr(fn, "__func__", fn)
    try:
        return typing.get_type_hints(target, include_extras=True)
    except Exception:  # noqa: BLE001 - an unresolvable forward reference: read them as written
        return dict(getattr(target, "__annotations__", {}) or {})

