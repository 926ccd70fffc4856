"""Calling a plain Python function with the fields of a request: a JSON object's, or a form's.

Each field binds to the parameter of its name; the parameter's type hint validates and converts it
(pydantic, lax mode: a form's "3" is an int 3 where the hint says `int`): dataclasses and pydantic
models from objects, `list[int]`, `int | None`, `Literal[...]`, `datetime`... A parameter with a
default may be left out; a `**kwargs` parameter takes the fields no other parameter names. The
validator is built once per function (`Binding.of`), not per request.

    def score(text: str, weights: list[float] | None = None) -> dict: ...

    binding = Binding.of(score)
    binding.call({"text": "great"})                    # score(text="great")
    binding.call({"text": 3})   # BindingError: "text: 3 is not valid (expected str): Input should be a valid string"

A wrong, missing or unknown field raises `BindingError`, whose `problems` name each parameter, the
value and the expected type; the service answers it with 400. What the function returns is made
JSON-able by `to_json` (dataclasses, models, tuples, sets, dates...).
"""

from __future__ import annotations

import collections.abc
import dataclasses
import functools
import inspect
import itertools
import json
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ConfigDict, PydanticSchemaGenerationError, ValidationError, validate_call

from . import formtext, shapes
from .errors import PumaConfigError, PumaError
from .messages import SENT_EMPTY, Upload
from .signatures import VALUE_CHARS as _VALUE_CHARS
from .signatures import hints as _hints
from .signatures import (  # re-exported: the path services' helpers and tests import them from
    request_form,
    return_hint,
    short,
    takes_request,
    to_json,
    type_text,
    unsendable_parameter,
)
from .suggest import closest

_MISSING = ("missing", "missing_argument", "missing_positional_only_argument", "missing_keyword_only_argument")
# extra="forbid": an unknown field of a dataclass or TypedDict argument is refused too, at any depth;
# allow_inf_nan=False: a form's "inf", "nan" or "1e400" is refused as JSON's Infinity is (a reply
# cannot carry one: it would be the service's 500 for the client's bad input).
# val_json_bytes="base64": JSON carries `bytes` as base64 text, both ways (`to_json` encodes them so).
_CONFIG = ConfigDict(arbitrary_types_allowed=False, extra="forbid", allow_inf_nan=False, val_json_bytes="base64")
BYTES_IN_JSON = ("bytes are sent in JSON as base64 text (RFC 4648, either alphabet, with or without padding: "
                 "base64.b64encode(data).decode() in Python, base64 -w0 FILE in a shell; PUMA itself writes the "
                 "URL-safe one), or in a multipart form as a file part (curl -F name=@FILE)")
"""How `bytes` travel inside JSON, both ways (`puma.remote` encodes and decodes them so)."""
_NAME_CHARS = 100  # a field's name as a problem names it (a client may send a key of any length)
MAX_PROBLEMS = 20
"""The problems a `BindingError` lists; the rest are counted (`problems_total`). More than the
parameters of any function a person writes, so every mistake of a hand-made request is listed at
once; few enough that a 400 stays small (each problem is at most ~1 KB: values and names are cut),
whatever the request holds (a client that sends 100,000 unknown fields gets 20 and a count)."""


class BindingError(PumaError, ValueError):
    """The fields do not fit the function's parameters. `problems`: one dict per problem, with
    `parameter`, `value`, `expected` and `message`, the first `MAX_PROBLEMS` of them;
    `problems_total`: how many there are; `str(error)` joins the messages listed and counts the rest."""

    def __init__(self, function: str, problems: list[dict[str, Any]], total: int | None = None) -> None:
        self.function = function
        self.problems = [_bounded(p) for p in problems[:MAX_PROBLEMS]]
        self.problems_total = max(total or 0, len(problems))
        more = self.problems_total - len(self.problems)
        rest = f"; and {more} more problem{'s' if more > 1 else ''} not listed" if more else ""
        super().__init__(f"{function}: " + "; ".join(p["message"] for p in self.problems) + rest)


@dataclass(frozen=True)
class Binding:
    """A function and the validator of its parameters, built once."""

    fn: Callable[..., Any]
    label: str  # "score(text: str)", for messages
    parameters: tuple[str, ...]
    expected: Mapping[str, str]  # parameter -> its type, as written
    returns: Any  # the return annotation, or inspect.Parameter.empty
    positional_only: tuple[str, ...]
    extra_allowed: bool  # it has **kwargs
    _validated: Callable[..., Any]
    _hints: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # parameter -> its type hint
    _with_fields: frozenset[str] = frozenset()  # parameters with a dataclass, model or TypedDict in their hint
    keyword_only: tuple[str, ...] = ()
    required: tuple[str, ...] = ()  # parameters without a default
    extra_expected: str = "Any"  # the type of each field `**kwargs` takes
    _signature: inspect.Signature | None = None
    _cache: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False, repr=False)

    @functools.cached_property
    def _names(self) -> frozenset[str]:
        return frozenset(self.parameters)

    @classmethod
    def of(cls, fn: Callable[..., Any], *, name: str | None = None) -> Binding:
        """The binding of `fn`; `PumaConfigError` naming the parameter when a hint cannot be read
        from JSON (annotate it with a JSON type, a dataclass or a pydantic model)."""
        name = name or getattr(fn, "__qualname__", None) or repr(fn)
        if not inspect.isroutine(fn) and not isinstance(fn, functools.partial) and callable(fn):
            # A callable object: its __call__ (validate_call takes routines only). The ignore: mypy
            # reports a Callable's own `__call__` attribute as "not callable".
            fn = fn.__call__  # type: ignore[operator]
        signature = inspect.signature(fn)
        hints = _hints(fn)
        params = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
        if any(p.kind is p.VAR_POSITIONAL for p in params):
            star = next(p.name for p in params if p.kind is p.VAR_POSITIONAL)
            where = getattr(fn, "__qualname__", None) or name
            raise PumaConfigError([(name, f"{where}(*{star}) cannot be served: a service cannot take *{star}, as a "
                                          f"request's fields have names, not positions; take a list instead "
                                          f"({star}: list[...]), or a puma.Request")])
        expected = {p.name: type_text(hints.get(p.name, p.annotation)) for p in params}
        unsendable = unsendable_parameter(fn, getattr(fn, "__qualname__", None) or name)
        if unsendable:
            raise PumaConfigError([(name, unsendable)])
        try:
            # extra="forbid": an unknown field of a dataclass or TypedDict argument is refused too,
            # at any depth, as an unknown argument is (pydantic models: `shapes.unknown_fields`).
            validated = validate_call(config=_CONFIG)(fn)
        except PydanticSchemaGenerationError as exc:
            raise PumaConfigError([(name, f"a parameter's type cannot be read from JSON ({exc}); annotate it "
                                          "with JSON types, a dataclass or a pydantic model, or take a "
                                          "puma.Request")]) from None
        return cls(fn=fn, label=f"{name}{_signature_text(params, expected)}", parameters=tuple(expected),
                   expected=expected,
                   returns=hints.get("return", signature.return_annotation),
                   positional_only=tuple(p.name for p in params if p.kind is p.POSITIONAL_ONLY),
                   extra_allowed=len(params) < len(signature.parameters), _validated=validated,
                   _hints={p.name: hints.get(p.name, p.annotation) for p in params},
                   _with_fields=frozenset(p.name for p in params if shapes.holds_fields(hints.get(p.name))),
                   keyword_only=tuple(p.name for p in params if p.kind is p.KEYWORD_ONLY),
                   required=tuple(p.name for p in params if p.default is p.empty),
                   extra_expected=next((type_text(hints.get(p.name, p.annotation)) for p in
                                        signature.parameters.values() if p.kind is p.VAR_KEYWORD), "Any"),
                   _signature=signature.replace(parameters=[p.replace(annotation=hints.get(p.name, p.annotation))
                                                            for p in params], return_annotation=inspect.Signature.empty))

    def not_from_query(self) -> str | None:
        """Why a query string cannot carry this function's arguments (a parameter holding fields,
        a dict...), or None: then a GET binds its query parameters as a form's fields."""
        for name, hint in self._hints.items():
            if not formtext.textual(hint):
                return f"parameter {name!r} is {self.expected.get(name, 'structured')}, which a query string cannot carry"
        return None

    def call(self, fields: Mapping[str, Any], *, form: bool = False) -> Any:
        """Call the function with `fields`; `BindingError` listing every problem if they do not fit:
        missing, invalid and unknown fields at any depth, each once. `form`: the fields came from a
        form or query string, where a list is sent as a repeated key, so one value of a parameter
        that takes a list (`list[str]`, `set[int] | None`...) is a list of one.

        Unknown fields are found in one set operation before any per-field work, so a request of
        100,000 of them costs about what reading it did (and at most `MAX_PROBLEMS` are listed)."""
        fields, empty = _without_empty(fields)
        if not self.extra_allowed and (unknown := fields.keys() - self._names):
            raise self._unknown_error(fields, len(unknown), form=form, empty=empty)
        given = self._shaped(fields) if form else dict(fields)
        kwargs = dict(given)
        data = {**given, **empty}  # what problems are told: a file input sent empty is said so
        problems = [p for name, value in kwargs.items() if (p := self._boolean_as_number(name, value))]
        if form:
            problems += [p for name, value in kwargs.items() if (p := self._repeated(name, value))]
        nested, unlisted = self._nested_unknown(kwargs)
        problems += nested
        args = []
        for name in self.positional_only:
            if name not in kwargs:
                break
            args.append(kwargs.pop(name))
        if problems:  # the rest are found without calling the function
            checked, count = self._checked_counted(args, kwargs, data)
            merged = _merged(problems, checked)
            raise BindingError(self.label, merged, total=max(len(merged) + unlisted, count))
        try:
            return self._validated(*args, **kwargs)
        except ValidationError as exc:
            raise self.binding_error(exc, data) from None

    def _shaped(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """A form's fields as the hints take them (`formtext.shaped`); `BindingError` naming each file
        part sent, not as UTF-8 text, to a parameter that takes text."""
        data, problems = {}, []
        for name, value in fields.items():
            if value == "" and (blank := formtext.blank(self._hints.get(name), self._has_default(name))) is not value:
                if blank is not formtext.LEFT_OUT:  # an empty input of a number: None, or its default
                    data[name] = blank
                continue
            try:
                data[name] = formtext.shaped(self._hints.get(name), value)
            except formtext.FileNotText as exc:
                expected = self.expected.get(name, self.extra_expected)
                problems.append({"parameter": name, "value": exc.upload.filename, "expected": expected,
                                 "message": f"{name}: {exc} (expected {expected}); annotate the parameter "
                                            f"`{name}: bytes` (or `{name}: puma.Upload`, with its filename) "
                                            "to take the file as it is"})
        if problems:
            raise BindingError(self.label, problems)
        return data

    def _unknown_error(self, fields: Mapping[str, Any], count_unknown: int, *, form: bool,
                       empty: Mapping[str, Any] | None = None) -> BindingError:
        """The error for fields no parameter names (`count_unknown` of them): the problems of the known
        fields first (missing, invalid), then the first unknown names in the request's order."""
        known = {n: fields[n] for n in self.parameters if n in fields}
        if (flat := shapes.flat_owner(self._hints, (n for n in fields if n not in self._names), known)) is not None:
            return self._flat_error(fields, *flat)
        data = self._shaped(known) if form else known
        args = [data[n] for n in itertools.takewhile(data.__contains__, self.positional_only)]
        kwargs = {n: v for n, v in data.items() if n not in self.positional_only[:len(args)]}
        nested, unlisted = self._nested_unknown(kwargs)
        checked, count = self._checked_counted(args, kwargs, {**data, **(empty or {})})
        checked = _merged(nested, checked)
        names = itertools.islice((n for n in fields if n not in self._names), max(0, MAX_PROBLEMS - len(checked)))
        parameters = ", ".join(self.parameters) or "none"
        unknown = [{"parameter": n, "value": fields[n], "expected": None,
                    "message": f"{_cut(n) or repr(n)} (given {short(fields[n])}) is not a parameter "
                               f"{_meant(n, self.parameters)}(its parameters: {parameters})"}
                   for n in names]
        return BindingError(self.label, checked + unknown, total=max(len(checked) + unlisted, count) + count_unknown)

    def _flat_error(self, fields: Mapping[str, Any], parameter: str, cls: Any) -> BindingError:
        """One problem for a body sent flat: the fields of `parameter`'s class, given at the top."""
        inner = {n: v for n, v in fields.items() if n not in self._names}
        wrapped = json.dumps({parameter: inner}, default=repr, ensure_ascii=False)
        wrapped = wrapped if len(wrapped) <= _VALUE_CHARS else wrapped[: _VALUE_CHARS - 5] + "...}}"
        message = (f"{parameter}: missing; the fields given ({', '.join(inner)}) are those of "
                   f"{getattr(cls, '__name__', cls)}, which parameter {parameter!r} takes: wrap them in it, "
                   f"e.g. {wrapped}")
        return BindingError(self.label, [{"parameter": parameter, "value": None,
                                          "expected": self.expected.get(parameter), "message": message}])

    def _nested_unknown(self, kwargs: Mapping[str, Any]) -> tuple[list[dict[str, Any]], int]:
        """The first `MAX_PROBLEMS` unknown fields inside dataclass, model and TypedDict arguments
        (`shapes.unknown_fields`), and how many more there are (counted, not described)."""
        nested = itertools.chain.from_iterable(shapes.unknown_fields(self._hints[name], kwargs[name], name)
                                               for name in self._with_fields.intersection(kwargs))
        listed = [self._unknown_field(*u) for u in itertools.islice(nested, MAX_PROBLEMS)]
        return listed, sum(1 for _ in nested)

    def _checked(self, args: list[Any], kwargs: dict[str, Any], data: dict[str, Any]) -> list[dict[str, Any]]:
        """The problems pydantic finds in the arguments, validated against the signature without
        calling the function (a stand-in with its signature takes them; built on first need, and
        none found when it cannot be built: the problems found so far are still reported)."""
        return self._checked_counted(args, kwargs, data)[0]

    def _checked_counted(self, args: list[Any], kwargs: dict[str, Any],
                         data: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
        """`_checked`'s first `MAX_PROBLEMS` problems, and how many pydantic found."""
        checker = self._cache.get("checker")
        if checker is None:
            try:
                checker = self._cache["checker"] = _checker(self._signature)
            except Exception:  # noqa: BLE001 - a hint only the function's own namespace resolves
                return [], 0
        try:
            checker(*args, **kwargs)
        except ValidationError as exc:
            return [self._problem(e, data) for e in _first_errors(exc)], exc.error_count()
        return [], 0

    def binding_error(self, exc: ValidationError, fields: Mapping[str, Any] | None = None) -> Exception:
        """`exc` as the `BindingError` naming each argument it refused; `exc` itself when the
        function raised it (its own validation of something, not of its arguments). An `async def`'s
        arguments are validated when it is awaited, so its caller turns the error here too."""
        if _raised_inside(exc, self.fn):
            return exc
        return BindingError(self.label, [self._problem(e, fields or {}) for e in _first_errors(exc)],
                            total=exc.error_count())

    def describe(self) -> dict[str, Any]:
        """`{"parameters": [...], "types": {...}, "returns": "...", "required": [...], "keyword_only": [...]}`,
        for `GET .../_puma/interface` (a caller without a spec names positional arguments from it:
        never a keyword-only one)."""
        returns = None if self.returns is inspect.Parameter.empty else type_text(self.returns)
        return {"parameters": list(self.parameters), "types": dict(self.expected), "returns": returns,
                "required": list(self.required), "keyword_only": list(self.keyword_only)}

    @staticmethod
    def _unknown_field(where: str, value: Any, type_name: str, fields: list[str]) -> dict[str, Any]:
        known = ", ".join(fields) or "none"
        meant = closest(where.rsplit("[", 1)[-1].strip("[]'\""), fields)
        fix = f"did you mean {meant!r}?" if meant else "fix the spelling"
        message = f"{where}: {short(value)} is not a field of {type_name} (its fields: {known}); {fix}"
        return {"parameter": where, "value": value, "expected": None, "message": message}

    def _has_default(self, name: str) -> bool:
        param = self._signature.parameters.get(name) if self._signature is not None else None
        return param is not None and param.default is not param.empty

    def _repeated(self, name: str, value: Any) -> dict[str, Any] | None:
        """A form's key repeated (`tag=a&tag=b`) where the parameter takes one text or number."""
        hint = self._hints.get(name)
        if not (isinstance(value, list) and len(value) > 1 and all(isinstance(v, str) for v in value)) or \
                hint is None or formtext.takes_list(hint) or not formtext.textual(hint):
            return None
        expected = self.expected.get(name, "one value")
        times = "twice" if len(value) == 2 else f"{len(value)} times"
        message = (f"{name}: given {times} ({short(value)}), and it takes one value (expected {expected}): send it "
                   f"once, or annotate it {name}: list[{expected}] to take several")
        return {"parameter": name, "value": value, "expected": expected, "message": message}

    def _boolean_as_number(self, name: str, value: Any) -> dict[str, Any] | None:
        """A JSON true/false where the parameter takes a number: refused, as JSON keeps them apart
        (pydantic's lax mode would read true as 1)."""
        where = _boolean_where(self._hints.get(name), value, name)
        if where is None:
            return None
        expected = self.expected.get(name, "a number")
        message = f"{where[0]}: {str(where[1]).lower()} is not valid (expected {expected}): a boolean is not a number"
        return {"parameter": where[0], "value": where[1], "expected": expected, "message": message}

    def _problem(self, error: Any, fields: Mapping[str, Any]) -> dict[str, Any]:
        loc = list(error["loc"])
        if loc and isinstance(loc[0], int) and loc[0] < len(self.positional_only):
            loc[0] = self.positional_only[loc[0]]
        parameter = str(loc[0]) if loc else "arguments"
        where = parameter + "".join(f"[{p!r}]" if isinstance(p, str) else f"[{p}]" for p in loc[1:])
        expected = self._expected_at(parameter, loc[1:])
        if error["type"] in _MISSING and len(loc) == 1 and fields.get(parameter) is SENT_EMPTY:
            message = (f"{where}: the file field was sent empty (no file chosen; it takes {expected}): choose a "
                       f"file for it in the form, or send one as a file part (curl -F {where}=@FILE)")
            return {"parameter": where, "value": None, "expected": expected, "message": message}
        if error["type"] in _MISSING:
            message = f"{where}: missing (expected {expected})"
            return {"parameter": where, "value": None, "expected": expected, "message": message}
        value = fields.get(parameter) if len(loc) == 1 else error.get("input")
        if error["type"] in ("unexpected_keyword_argument", "extra_forbidden") and len(loc) > 1:
            inside = shapes.type_at(self._hints.get(parameter), loc[1:-1])
            return self._unknown_field(where, value, type_text(inside), shapes.fields_of(inside) or [])
        if error["type"] == "unexpected_keyword_argument":
            known = ", ".join(self.parameters) or "none"
            message = (f"{where} (given {short(value)}) is not a parameter {_meant(str(loc[0]), self.parameters)}"
                       f"(its parameters: {known})")
            return {"parameter": where, "value": value, "expected": None, "message": message}
        message = f"{where}: {short(value)} is not valid (expected {expected}): {error['msg']}"
        if len(loc) == 1 and (files := _files_given(value)) > 1:  # `-F photo=@a -F photo=@b` to one `bytes`
            message = (f"{where}: given {files} files, and it takes one (expected {expected}): send one file "
                       f"part named {where!r}, or annotate it list[{expected}] to take several")
        elif error["type"] in ("bytes_invalid_encoding", "bytes_type"):
            message += f"; {BYTES_IN_JSON}"
        elif len(loc) == 1 and expected == "Upload":  # a plain field where a file goes
            message += f"; a puma.Upload is a file part of a multipart form (curl -F {where}=@FILE)"
        return {"parameter": where, "value": value, "expected": expected, "message": message}


    def _expected_at(self, parameter: str, path: list[Any]) -> str:
        """The type expected at `path` inside `parameter`: `datetime` for `click['at']`, not `Click`;
        the parameter's own type when pydantic's path cannot be followed (a union's variant tag)."""
        if path:
            inside = shapes.type_at(self._hints.get(parameter), path)
            if inside is not None:
                return type_text(inside)
        return self.expected.get(parameter, self.extra_expected if self.extra_allowed else "no such parameter")


_MESSAGE_CHARS = 1000


def _first_errors(exc: ValidationError) -> list[Any]:
    """The first `MAX_PROBLEMS` of pydantic's errors (their URLs and contexts, never shown, left out)."""
    return exc.errors(include_url=False, include_context=False)[:MAX_PROBLEMS]


_SMALL_ITEMS = 20
_BIG = 10**_VALUE_CHARS  # an int of more digits is shown as cut text


def _bounded(problem: dict[str, Any]) -> dict[str, Any]:
    """`problem` at a size a reply can carry whatever the request held: its name and message cut,
    its value kept when small, else its text cut (`"value_cut": true`)."""
    out = {**problem, "parameter": _cut(str(problem["parameter"])), "message": _cut(problem["message"], _MESSAGE_CHARS)}
    if not _small(problem.get("value")):
        out["value"], out["value_cut"] = short(problem["value"]), True
    return out


def _small(value: Any) -> bool:
    if value is None or isinstance(value, bool | float):
        return True
    if isinstance(value, int):
        return bool(-_BIG < value < _BIG)
    if isinstance(value, str):
        return len(value) <= _VALUE_CHARS * 2
    if isinstance(value, list | tuple | dict) and len(value) <= _SMALL_ITEMS:
        items = list(value.items()) if isinstance(value, dict) else [(None, v) for v in value]
        return all(_small(k) and not isinstance(v, list | tuple | dict) and _small(v) for k, v in items)
    return False


def _cut(text: str, chars: int = _NAME_CHARS) -> str:
    return text if len(text) <= chars else text[: chars - 3] + "..."


def _without_empty(fields: Mapping[str, Any]) -> tuple[Mapping[str, Any], dict[str, Any]]:
    """`fields` without the file inputs sent empty (no value: a default, or missing), and those."""
    empty = {name: value for name, value in fields.items() if value is SENT_EMPTY}
    return ({n: v for n, v in fields.items() if n not in empty} if empty else fields), empty


def _merged(first: list[dict[str, Any]], more: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`first`, then each of `more` at a path `first` does not name (a dataclass's unknown field is
    found by both `shapes` and pydantic)."""
    seen = {p["parameter"] for p in first}
    return first + [p for p in more if p["parameter"] not in seen]


def _checker(signature: inspect.Signature | None) -> Callable[..., Any]:
    def stand_in(*args: Any, **kwargs: Any) -> None:
        return None

    stand_in.__signature__ = signature  # type: ignore[attr-defined]  # what pydantic reads
    stand_in.__annotations__ = {p.name: p.annotation for p in (signature.parameters.values() if signature else ())
                                if p.annotation is not p.empty}
    return validate_call(config=_CONFIG)(stand_in)


def _signature_text(params: list[inspect.Parameter], expected: Mapping[str, str]) -> str:
    """`(url: str, /, tags: list[str] = [], *, length: int = 7)`: as `def` writes it, with the
    defaults and the `/` and `*` markers, so a message shows which fields may be left out."""
    parts: list[str] = []
    for i, p in enumerate(params):
        if p.kind is p.KEYWORD_ONLY and (i == 0 or params[i - 1].kind is not p.KEYWORD_ONLY):
            parts.append("*")
        parts.append(f"{p.name}: {expected[p.name]}" + ("" if p.default is p.empty else f" = {short(p.default)}"))
        if p.kind is p.POSITIONAL_ONLY and (i + 1 == len(params) or params[i + 1].kind is not p.POSITIONAL_ONLY):
            parts.append("/")
    return f"({', '.join(parts)})"


def _boolean_where(hint: Any, value: Any, where: str, depth: int = 0) -> tuple[str, bool] | None:
    """Where a bool sits in `value` that `hint` takes as an int or float (`int`, `list[float]`,
    `dict[str, int] | None`...); None when there is none, or the hint also takes a bool."""
    if hint is None or depth > 32:
        return None
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Annotated:
        return _boolean_where(args[0], value, where, depth + 1)
    if isinstance(value, bool):
        takes = set(args) if origin in (typing.Union, types.UnionType) else {hint}
        return (where, value) if takes & {int, float} and bool not in takes else None
    if origin in (typing.Union, types.UnionType):
        found = [_boolean_where(a, value, where, depth + 1) for a in args if a is not type(None)]
        return found[0] if found and all(found) else None
    if origin in (list, set, frozenset, tuple, collections.abc.Sequence) and isinstance(value, list) and args:
        if (origin is not tuple or Ellipsis in args) and typing.get_origin(args[0]) is None \
                and bool not in set(map(type, value)):
            return None  # items of a plain type, none a bool (a list of 5,000 ids: ~50 us, not ~10 ms)
        items = args if origin is tuple and Ellipsis not in args else (args[0],) * len(value)
        return next((f for i, (a, v) in enumerate(zip(items, value, strict=False))
                     if (f := _boolean_where(a, v, f"{where}[{i}]", depth + 1))), None)
    if origin in (dict, collections.abc.Mapping) and isinstance(value, dict) and len(args) == 2:
        return next((f for k, v in value.items() if (f := _boolean_where(args[1], v, f"{where}[{k!r}]", depth + 1))),
                    None)
    return None


def _meant(name: str, names: tuple[str, ...]) -> str:
    """"(did you mean 'color'?) " for a field name like one of `names`, else ""."""
    meant = closest(name, names)
    return f"(did you mean {meant!r}?) " if meant else ""


def _raised_inside(exc: BaseException, fn: Callable[..., Any]) -> bool:
    """Whether `exc` came from inside `fn`'s body (its frame is in the traceback)."""
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code is code:
            return True
        tb = tb.tb_next
    return False


__all__ = ["Binding", "BindingError", "request_form", "return_hint", "takes_request", "to_json",
           "type_text"]


def _files_given(value: Any) -> int:
    """How many file parts a form gave one field (0 when it is not a list of them)."""
    return len(value) if isinstance(value, list) and value and all(isinstance(v, Upload) for v in value) else 0
