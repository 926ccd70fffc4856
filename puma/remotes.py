"""The caller's side of a service made from a function or an object: call it as if it were local.

    db = puma.remote("db", Db)            # Db: the class served, or a Protocol of it
    db.search([{"slot": "genre", "values": ["comedy"], "exclude": False}])   # -> list[int]
    score = puma.remote("sentiment")      # a function service; no spec needed
    score("that sounds awful")["compound"]

Each method call is one `POST <prefix>/<method>` through Envoy on the calling thread's pooled
keep-alive connection (the one `puma.call` uses), with the arguments as a JSON object of
parameter names. Positional arguments are named from the spec's signature, or, without a spec,
from the service's own description (`GET <prefix>/_puma/interface`, read once per process). With
a spec, each method returns the type its annotation declares (a dataclass or a pydantic model is
rebuilt from the JSON; a stream, `Iterator[X]`, as `list[X]`); without one, the JSON as it came. A
method's converter is built on its first call, before its request leaves: a spec's other methods
cost nothing, and a return type JSON cannot rebuild raises `RemoteSpecError` naming the method.
A positional argument never fills a keyword-only parameter (`TypeError`).

A 4xx raises a `PumaClientError` (`PumaBadRequest` for wrong arguments, naming them;
`PumaNotFound`), anything else that fails a `PumaCallError`, as `puma.call` does. `puma.aremote`
is the same with coroutine methods (`await db.search(...)`).

`cache=N` remembers up to N answers of a service whose answers are a pure function of its
arguments (a fixed catalogue, a scorer of text): a repeated call costs no round trip. Answers are
keyed by method and arguments (as JSON, key order aside), the least recently used go first, a call
that raises is not remembered, and each caller gets its own copy of the answer. Inside a deployment
what one instance was told its siblings on the host read before asking (`puma.sharedcache`).
"""

from __future__ import annotations

import collections.abc
import inspect
import threading
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, cast

from pydantic import ConfigDict, TypeAdapter, ValidationError

from . import arguments, client, memos
from .binding import takes_request, type_text
from .endpoints import INTERFACE_PATH
from .errors import PumaError, PumaNotFound
from .memos import Memo as Memo  # re-exported: tests import it from here
from .modulefunctions import functions_of
from .sharedcache import shared_store
from .suggest import did_you_mean

# Results JSON already gives as the hint says (float is not one: JSON's 1 is an int).
_JSON_NATIVE = (str, int, bool, type(None), dict, list, Mapping, typing.Any)
_BASE64_BYTES = ConfigDict(val_json_bytes="base64")
_interfaces: dict[str, dict[str, Any]] = {}
_interfaces_lock = threading.Lock()
_MISSING = memos.MISSING  # assigned, not imported: the tests read both names here
_memo_key = memos.memo_key
_UNBUILT = object()  # a method's result converter, not built yet


class RemoteSpecError(PumaError, TypeError):
    """A method of a `puma.remote` spec returns a type that cannot be rebuilt from JSON (or that
    cannot be resolved: a name not imported where the spec is defined); raised when that method is
    first called, before its request leaves, naming the method and its hint."""


class RemoteReplyError(RemoteSpecError):
    """What a service answered does not match the return type the spec declares for the method (a
    Protocol's `-> list[int]` answered a list of objects; a dataclass whose fields differ from the
    service's): names the service, the method, the value, the type and what differs."""



class _Method:
    """One remote callable: where it is, what its positional arguments are called, what it returns."""

    __slots__ = ("accepts", "asynchronous", "call", "fn", "keyword_only", "label", "memo", "names", "path", "returns",
                 "service", "spec_label", "timeout", "timeout_s")

    def __init__(self, service: str, name: str, fn: Callable[..., Any] | None, *, timeout_s: float | None,
                 asynchronous: bool, memo: Memo | None = None, spec_label: str | None = None) -> None:
        self.service, self.timeout_s, self.asynchronous, self.memo = service, timeout_s, asynchronous, memo
        self.timeout = timeout_s if timeout_s is not None else 30.0
        self.path = f"/{name}" if name else ""
        self.label = f"{service}.{name}" if name else service
        self.call = f"puma.{'a' if asynchronous else ''}remote({service!r})" + (f".{name}" if name else "")
        self.spec_label = spec_label or getattr(fn, "__qualname__", self.label)
        self.names: tuple[str, ...] | None = None
        self.keyword_only: tuple[str, ...] = ()
        # Built on the first call, before its request leaves: a method never called costs nothing,
        # and one whose return hint cannot be rebuilt from JSON fails alone (`_returns`).
        self.returns: TypeAdapter[Any] | _Checked | None | object = None if fn is None else _UNBUILT
        self.fn = fn
        self.accepts: frozenset[str] | None = None  # the keywords the spec takes (None: any, or no spec)
        if fn is not None:
            self.names, self.keyword_only = _parameter_names(fn)
            self.accepts = _keywords(fn)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.returns is _UNBUILT:
            self.returns = self._returns()
        if kwargs and self.accepts is not None and not self.accepts.issuperset(kwargs):
            raise self._unexpected(kwargs)  # as the function itself would, before a request is sent
        if args:  # the common case first: positional arguments, all named by the spec
            names = self.names
            kwargs = dict(zip(names, args, strict=False)) if names is not None and not kwargs and len(args) <= len(names) \
                else self._fields(args, kwargs)
        if self.asynchronous:
            return self._acall(kwargs)
        if self.memo is not None:
            return self._remembered(kwargs)
        body = self._encoded(kwargs)  # first: an argument JSON cannot hold is named before anything is sent
        result = client.exchange(self.service, client.service_url(self.service, self.path), "POST", body,
                                 client.JSON_HEADERS, self.timeout)
        return self._rebuilt(result)

    def _encoded(self, fields: dict[str, Any]) -> bytes:
        return arguments.encoded(self.call, fields)

    def _rebuilt(self, result: Any) -> Any:
        returns = self.returns
        if returns is None:
            return result
        try:
            return cast("TypeAdapter[Any]", returns).validate_python((result,))[0]
        except ValidationError as exc:
            raise RemoteReplyError(self._mismatch(result, exc)) from None

    def _mismatch(self, result: Any, exc: ValidationError) -> str:
        """`catalogue.search returned [...] that does not match list[int] (Protocol.search's return
        type): at [0]: ...`: what differs, place by place, the fields the reply has where one is missing."""
        hint = _return_hint(self.fn) if self.fn is not None else Any
        differs = "; ".join(_difference(error) for error in exc.errors()[:3])
        more = f" (and {exc.error_count() - 3} more)" if exc.error_count() > 3 else ""
        return (f"{self.label} returned {_short(result)} that does not match {type_text(hint)} ({self.spec_label}'s "
                f"return type): {differs}{more}; make the spec's return type what the service returns (its "
                f"`GET /{self.service}/_puma/interface` says), or import the service's own class")

    def _returns(self) -> TypeAdapter[Any] | _Checked | None:
        """The converter of this method's results, from its return hint; `RemoteSpecError` naming
        the method and the hint when pydantic cannot rebuild one from JSON, or it cannot be resolved."""
        try:
            hint = _return_hint(self.fn) if self.fn is not None else Any
        except Exception as exc:  # noqa: BLE001 - a NameError, or what a string annotation's evaluation raises
            raw = getattr(self.fn, "__annotations__", {}).get("return")
            raise RemoteSpecError(
                f"puma.remote({self.service!r}): {self.spec_label} returns {raw!r}, which cannot be resolved "
                f"({type(exc).__name__}: {exc}); import that name in the module that defines "
                f"{str(self.spec_label).split('.')[0]}, or annotate the method with a type that module has") from None
        try:
            return _adapter(hint)
        except Exception as exc:  # noqa: BLE001 - pydantic's schema errors have no one base class
            raise RemoteSpecError(
                f"puma.remote({self.service!r}): {self.spec_label} returns {type_text(hint)}, which cannot be "
                f"rebuilt from the JSON the service sends ({type(exc).__name__}); annotate it with JSON types, "
                "a dataclass or a pydantic model (an iterator or generator: Iterator[X] arrives as list[X]), "
                "or give puma.remote a Protocol holding the methods you call") from None

    def _remembered(self, fields: dict[str, Any]) -> Any:
        assert self.memo is not None
        key = _memo_key(self.path, fields, self.call)
        result = self.memo.recall(key)
        if result is _MISSING:
            body = self._encoded(fields)
            result = client.exchange(self.service, client.service_url(self.service, self.path), "POST", body,
                                     client.JSON_HEADERS, self.timeout)
            self.memo.remember(key, result)
        return self._rebuilt(result)

    async def _acall(self, fields: dict[str, Any]) -> Any:
        key = _memo_key(self.path, fields, self.call) if self.memo is not None else b""
        result = self.memo.recall(key) if self.memo is not None else _MISSING
        if result is _MISSING:
            result = await client.acall(self.service, arguments.jsonable(self.call, fields), path=self.path,
                                         timeout_s=self.timeout_s)
            if self.memo is not None:
                self.memo.remember(key, result)
        return self._rebuilt(result)

    def _fields(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        names = self.names if self.names is not None else self._described_names()
        if len(args) > len(names):
            named = f" ({', '.join(names)})" if names else ""
            keyword = (f"; {', '.join(self.keyword_only)} {'is' if len(self.keyword_only) == 1 else 'are'} "
                       f"keyword-only: name {'it' if len(self.keyword_only) == 1 else 'them'} "
                       f"({self.keyword_only[0]}=...)") if self.keyword_only else ""
            raise TypeError(f"{self.label}() takes {len(names)} positional arguments{named} but {len(args)} were "
                            f"given{keyword}")
        fields = dict(zip(names, args, strict=False))
        doubled = sorted(set(fields) & set(kwargs))
        if doubled:
            raise TypeError(f"{self.label}() got multiple values for {', '.join(doubled)}")
        fields.update(kwargs)
        return fields

    def _unexpected(self, kwargs: dict[str, Any]) -> TypeError:
        assert self.accepts is not None
        unknown = sorted(set(kwargs) - self.accepts)
        takes = sorted(self.accepts, key=[*(self.names or ()), *self.keyword_only, *sorted(self.accepts)].index)
        return TypeError(f"{self.label}() got an unexpected keyword argument {unknown[0]!r}"
                         f"{did_you_mean(unknown[0], takes)} (its parameters, from {self.spec_label}: "
                         f"{', '.join(takes) or 'none'})")

    def _described_names(self) -> tuple[str, ...]:
        """The names of the positional parameters, from the service's description (never a
        keyword-only one); `PumaNotFound` naming the methods when the service has no such method."""
        interface = _interface(self.service, self.timeout_s)
        methods = interface.get("methods", {})
        method = methods.get(self.path.lstrip("/"))
        if method is None:
            raise PumaNotFound(self.service, 404, _no_method(self.service, self.path.lstrip("/"), interface))
        if "parameters" not in method:
            raise TypeError(f"{self.label} takes no positional arguments: it reads the whole request (the "
                            "service describes no parameters for it); name the fields")
        self.keyword_only = tuple(method.get("keyword_only", ()))
        self.names = tuple(p for p in method["parameters"] if p not in self.keyword_only)
        return self.names

    def __repr__(self) -> str:
        return f"<puma remote {self.label}>"


class RemoteObject:
    """A service's methods as attributes; with a spec, only the spec's methods, typed."""

    def __init__(self, service: str, spec: type | types.ModuleType | None, *, timeout_s: float | None,
                 asynchronous: bool, memo: Memo | None = None) -> None:
        self._service, self._spec, self._timeout_s, self._asynchronous = service, spec, timeout_s, asynchronous
        self._memo = memo  # one memory for all methods: keys hold the method's path
        self._methods: dict[str, _Method] = {}
        if isinstance(spec, types.ModuleType):  # a module's functions, served together (puma.modulefunctions)
            for name, fn in functions_of(spec).items():
                self._methods[name] = self._method(name, fn)
                setattr(self, name, self._methods[name])
        elif spec is not None:
            for name in _spec_methods(spec):
                self._methods[name] = self._method(name, getattr(spec, name))
                setattr(self, name, self._methods[name])  # found without __getattr__
            if "__call__" in _own_attributes(spec):
                self._methods[""] = self._method("", spec.__call__)

    def _method(self, name: str, fn: Callable[..., Any] | None) -> _Method:
        label = f"{self._spec.__name__}.{name or '__call__'}" if self._spec is not None else None
        return _Method(self._service, name, fn, timeout_s=self._timeout_s, asynchronous=self._asynchronous,
                       memo=self._memo, spec_label=label)

    def __getattr__(self, name: str) -> _Method:
        if name.startswith("__"):
            raise AttributeError(name)
        if name.startswith("_"):
            raise AttributeError(f"{name!r} is not a method of remote service {self._service!r}: a service serves "
                                 "its public methods only (names without a leading '_')")
        if name not in self._methods:
            if self._spec is not None:
                methods = [m for m in self._methods if m]
                raise AttributeError(f"{self._spec.__name__} has no method {name!r} (remote service {self._service!r})"
                                     f"{did_you_mean(name, methods)}; its methods: {', '.join(methods) or 'none'}")
            self._methods[name] = self._method(name, None)
        return self._methods[name]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        root = self._methods.get("")
        if root is None:
            if self._spec is not None:
                raise TypeError(f"{self._spec.__name__} is not callable (remote service {self._service!r})")
            root = self._methods[""] = self._method("", None)
        return root(*args, **kwargs)

    @property
    def memo(self) -> Memo | None:
        """The remembered answers (`cache=N`), or None."""
        return self._memo

    def __repr__(self) -> str:
        spec = f" {self._spec.__name__}" if self._spec is not None else ""
        return f"<puma remote{spec} {self._service!r}>"


def remote(service: str, spec: type | types.ModuleType | Callable[..., Any] | None = None, *, timeout_s: float | None = None,
           cache: int | None = 0) -> Any:
    """A proxy of `service`: its methods (or, for a function service, itself) called through the mesh.

    `spec` is the class served (or a `typing.Protocol` of it) or the function served: it names the
    positional arguments and gives the return types. `cache=N` remembers up to N answers of a
    service whose answers depend on nothing but the arguments (see the module doc); 0 or None
    remember nothing, and a `cache` that is not a whole number >= 0 raises `ValueError`. Example:
    `puma.remote("policy", decide)(state, nlu, scores)` -> the dict `decide` returns;
    `puma.remote("db", Db, cache=4096).movie(42)` asks once, then answers from memory.
    """
    return _proxy(service, spec, timeout_s=timeout_s, asynchronous=False, cache=cache)


def aremote(service: str, spec: type | types.ModuleType | Callable[..., Any] | None = None, *, timeout_s: float | None = None,
            cache: int | None = 0) -> Any:
    """`remote` whose calls are coroutines: `await puma.aremote("db", Db).search(...)`."""
    return _proxy(service, spec, timeout_s=timeout_s, asynchronous=True, cache=cache)


def _proxy(service: str, spec: Any, *, timeout_s: float | None, asynchronous: bool, cache: int | None) -> Any:
    memo = None if cache is None or (cache == 0 and type(cache) is int) else Memo(cache)
    if memo is not None:
        memo.shared = shared_store(service, memo.max_entries)
    if spec is None or inspect.isclass(spec) or isinstance(spec, types.ModuleType):
        return RemoteObject(service, spec, timeout_s=timeout_s, asynchronous=asynchronous, memo=memo)
    if callable(spec):
        return _Method(service, "", spec, timeout_s=timeout_s, asynchronous=asynchronous, memo=memo)
    raise TypeError(f"puma.remote({service!r}, spec): spec must be a class, a Protocol, a function or a module, "
                    f"not {type(spec).__name__}")


def _interface(service: str, timeout_s: float | None) -> dict[str, Any]:
    with _interfaces_lock:
        found = _interfaces.get(service)
    if found is None:
        found = client.call(service, path=INTERFACE_PATH, method="GET", timeout_s=timeout_s)
        with _interfaces_lock:
            _interfaces[service] = found
    return found


def _spec_methods(spec: type) -> list[str]:
    return sorted(n for n in dir(spec) if not n.startswith("_") and callable(inspect.getattr_static(spec, n, None))
                  and not inspect.isclass(inspect.getattr_static(spec, n)))


def _own_attributes(spec: type) -> set[str]:
    return {name for base in spec.__mro__ if base not in (object, typing.Protocol, typing.Generic) for name in vars(base)}


def _parameter_names(fn: Callable[..., Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The names a positional argument may fill, and the keyword-only ones (which it may not)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return (), ()
    if params and params[0].name in ("self", "cls") and not inspect.ismethod(fn):
        params = params[1:]  # a function taken from a class: its instance is the remote service
    return (tuple(p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)),
            tuple(p.name for p in params if p.kind is p.KEYWORD_ONLY))


def _keywords(fn: Callable[..., Any]) -> frozenset[str] | None:
    """The keyword arguments a spec's function takes, or None when it takes any (`**kwargs`), none
    (it reads the request), or the whole `puma.Request`, or its signature cannot be read."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    unbound = bool(params) and params[0].name in ("self", "cls") and not inspect.ismethod(fn)
    params = params[1:] if unbound else params
    if not params or any(p.kind is p.VAR_KEYWORD for p in params) or \
            takes_request(fn, no_parameters=False, skip_first=unbound):
        return None
    return frozenset(p.name for p in params if p.kind is not p.VAR_POSITIONAL)


def _no_method(service: str, name: str, interface: Mapping[str, Any]) -> str:
    methods = sorted(n for n in interface.get("methods", {}) if n)
    if interface.get("kind") == "function":
        return f"service {service!r} is one function, which has no method {name!r}; call the proxy itself"
    return f"service {service!r} has no method {name!r}; its methods: {', '.join(methods) or 'none'}"


def _return_hint(fn: Callable[..., Any]) -> Any:
    """The return type `fn` declares (Any when none); raises what resolving it raises (a NameError)."""
    try:
        return typing.get_type_hints(fn).get("return", Any)
    except Exception:  # noqa: BLE001 - a parameter's hint may be the one that fails: the return's alone
        raw = getattr(fn, "__annotations__", {}).get("return", Any)
        if not isinstance(raw, str):
            return raw
        alone = types.FunctionType((lambda: None).__code__, getattr(fn, "__globals__", {}))
        alone.__annotations__ = {"return": raw}
        return typing.get_type_hints(alone)["return"]


def _short(value: Any, most: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= most else f"{text[:most - 3]}..."


def _difference(error: Any) -> str:
    """One place where a reply differs from the declared type: `at [0].title: missing (the reply's
    fields there: isbn, name)`."""
    loc = error["loc"][1:]  # past the one-item tuple the converter wraps a result in
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".") or "the top"
    if error["type"] == "missing" and isinstance(error.get("input"), Mapping):
        fields = list(error["input"])
        return (f"at {where}: missing{did_you_mean(str(loc[-1]), fields)} (the reply's fields there: "
                f"{', '.join(map(str, fields)) or 'none'})")
    return f"at {where}: {_short(error.get('input'), 40)} is not valid: {error['msg']}"


class _Checked:
    """A converter for a hint JSON already gives (`int`, `list[str]`, `dict[str, int] | None`): it
    checks the reply is of it, strictly, and hands the reply back as it came."""

    __slots__ = ("adapter",)

    def __init__(self, hint: Any) -> None:
        self.adapter: TypeAdapter[Any] = TypeAdapter(tuple[hint], config=ConfigDict(strict=True))

    def validate_python(self, value: Any) -> Any:
        self.adapter.validate_python(value)
        return value


_STREAMS = (collections.abc.Iterator, collections.abc.Iterable, collections.abc.Generator,
            collections.abc.AsyncIterator, collections.abc.AsyncIterable, collections.abc.AsyncGenerator)


def _adapter(hint: Any) -> TypeAdapter[Any] | _Checked | None:
    """A converter for results of type `hint` (a check alone when JSON already is that type; None for
    Any). A stream
    (`Iterator[X]`, `Generator[X, ...]`, `AsyncIterator[X]`...) arrives whole, as the JSON list the
    service made of it: it is rebuilt as `list[X]`."""
    hint = _as_list(hint)
    # In a one-item tuple: pydantic takes a config for a dataclass only from a container around it,
    # and this one decodes `bytes` from the base64 text the service sends (`binding.to_json`).
    if hint is Any:
        return None
    return _Checked(hint) if _json_native(hint) else TypeAdapter(tuple[hint], config=_BASE64_BYTES)


def _as_list(hint: Any) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in _STREAMS or hint in _STREAMS:
        return list[args[0]] if args else list  # type: ignore[valid-type]  # built from a runtime hint
    if origin in (typing.Union, types.UnionType):
        return typing.Union[tuple(_as_list(a) for a in args)]  # noqa: UP007 - built from a runtime tuple
    return hint


def _json_native(hint: Any) -> bool:
    if hint in _JSON_NATIVE or hint is None:
        return True
    origin = typing.get_origin(hint)
    if origin is typing.Annotated:
        return False
    if origin in (list, dict, Mapping, typing.Union, types.UnionType):
        return all(_json_native(arg) for arg in typing.get_args(hint))
    return False


__all__ = ["Memo", "RemoteObject", "RemoteReplyError", "RemoteSpecError", "aremote", "remote"]
