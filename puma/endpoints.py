"""What one service target serves: a function at the service's prefix, or an object's public methods.

A target (an import path, see `puma.targets`) is served as:

* a **function** (`chatbot.sentiment:score`): `POST /sentiment` with its parameters as JSON
  fields (`puma.binding`); a function that takes a `puma.Request` gets the whole request instead,
  on every path under the prefix, as before;
* a **module's functions** (`shop.parts:*`): each at `POST /parts/<function>`, as an object's
  methods (`puma.modulefunctions`);
* a **class** (`chatbot.components:LocalDb`), built once with no arguments, or a **factory**
  written with `()` (`chatbot.components:LocalDb.load()`, as gunicorn and Flask write app
  factories), called once: its result is served. An object serves each public method
  `m` at `POST /db/m`, and `__call__` at `POST /db`; names starting with `_` are not served. A
  factory that returns a function serves that function.

It is built once per service, in the zygote before instances fork (like `warmup`), so every
instance shares it. `@idempotent` marks a method (or a function, or every method of a class) safe
to retry: Envoy re-sends its requests after a reset or a 502-504 (see `puma.envoy`); config
`"idempotent": ["search", "movie"]` does the same by name.

    served = build("chatbot.components:LocalDb.load()")
    served.endpoint("/db/search", "/db")       # -> Endpoint("search", <bound method>, Binding, ...)
    served.interface()                         # {"kind": "object", "methods": {"search": {...}}}
"""

from __future__ import annotations

import functools
import inspect
import types
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from . import targets
from .binding import Binding, return_hint, takes_request
from .errors import HTTPError, PumaConfigError
from .modulefunctions import functions_of, group_name, is_module_target
from .suggest import closest, did_you_mean

IDEMPOTENT_MARK = "__puma_idempotent__"
INTERFACE_PATH = "/_puma/interface"
"""`GET <prefix>/_puma/interface` describes the service (what `puma.remote` reads)."""
FACTORY_SUFFIX = "()"
_FUNCTIONS = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, functools.partial)
T = TypeVar("T")


def idempotent(target: T) -> T:
    """Mark a method, a function service or a whole class safe to retry (Envoy re-sends a request
    whose instance died or answered 502-504 to another instance). Sugar over config's
    `"idempotent": true` / `["method", ...]`, which the supervisor learns from the zygote.

        class LocalDb:
            @puma.idempotent
            def search(self, constraints: list[dict]) -> list[int]: ...
    """
    setattr(target, IDEMPOTENT_MARK, True)
    return target


@dataclass(frozen=True)
class Endpoint:
    """One callable a service serves: `name` is "" at the service's prefix, else the method's name."""

    name: str
    fn: Callable[..., Any]
    binding: Binding | None  # None: the function takes the whole puma.Request
    idempotent: bool = False
    passes_request: bool = True  # without a binding: called with the Request (else with nothing)
    returns: Any = inspect.Parameter.empty  # called with nothing: its return annotation (a tuple's meaning)

    def describe(self) -> dict[str, Any]:
        described = self.binding.describe() if self.binding else {"request": True}
        return {**described, "idempotent": self.idempotent}


@dataclass(frozen=True)
class Served:
    """The endpoints of one service, by name ("" is the prefix itself)."""

    kind: str  # "function" or "object"
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    label: str = ""

    @property
    def http_methods(self) -> list[str]:
        """The HTTP methods its endpoints take: POST only where every one binds its arguments from
        the body; a function taking the whole `puma.Request` takes any (an empty list)."""
        return ["POST"] if self.endpoints and all(e.binding is not None for e in self.endpoints.values()) else []

    @property
    def idempotent_methods(self) -> list[str]:
        """Names of the object's methods marked idempotent (by decorator); the root as ""."""
        return sorted(name for name, e in self.endpoints.items() if e.idempotent)

    def unknown_methods(self, names: list[str]) -> str | None:
        """What is wrong with config naming `names` as methods of this service, or None.
        Example: ``served.unknown_methods(["serch"])`` -> "['serch'] are not methods of ...; its methods: get, search"."""
        methods = None if self.kind == "function" else sorted(n for n in self.endpoints if n)
        return _unknown_methods(names, methods, self.label)

    def with_idempotent(self, names: list[str], *, everything: bool = False) -> Served:
        """These endpoints with `names` (or, with `everything`, all) idempotent: what the config says,
        so that the interface (`GET <prefix>/_puma/interface`) shows what Envoy does."""
        if not names and not everything:
            return self
        marked = {n: replace(e, idempotent=True) if everything or n in names else e for n, e in self.endpoints.items()}
        return replace(self, endpoints=marked)

    def endpoint(self, path: str, prefix: str) -> tuple[Endpoint, str]:
        """The endpoint serving `path` (under `prefix`) and the rest of the path after it;
        `HTTPError` 404 naming the methods there are."""
        rest = path[len(prefix.rstrip("/")):] if path.startswith(prefix.rstrip("/")) else path
        name, _, tail = rest.lstrip("/").partition("/")
        if self.kind == "function":
            name, tail = "", rest.lstrip("/")
        found = self.endpoints.get(name)
        if found is not None and (not tail or found.binding is None):
            return found, tail
        raise HTTPError(404, self._not_found(name, tail, prefix.rstrip("/")), methods=sorted(n for n in self.endpoints if n))

    def interface(self) -> dict[str, Any]:
        """`{"kind", "methods": {name: {"parameters", "types", "returns", "idempotent"}}}`."""
        return {"kind": self.kind, "methods": {n: e.describe() for n, e in self.endpoints.items()}}

    def _not_found(self, name: str, tail: str, prefix: str) -> str:
        methods = ", ".join(sorted(n for n in self.endpoints if n)) or "none"
        if self.kind == "function":
            return f"{self.label} serves one function at its prefix; there is nothing at /{tail}"
        if not name:
            return f"{self.label} serves its methods at {prefix}/<method>: {methods}"
        if name in self.endpoints:
            return f"method {name!r} is at {prefix}/{name}; there is nothing under it"
        hint = did_you_mean(name, [n for n in self.endpoints if n])
        return f"{self.label} has no method {name[:80]!r}{hint}; its methods: {methods}"


def build(path: str) -> Served:
    """Import the target at `path`, build it (class or `factory()`), and describe what it serves."""
    if is_module_target(path):
        return serve_functions(targets.load(path), label=group_name(path.rpartition(":")[0]))
    is_factory = path.endswith(FACTORY_SUFFIX)
    loaded = targets.load(path[: -len(FACTORY_SUFFIX)] if is_factory else path)
    if is_factory or inspect.isclass(loaded):
        return serve(_built(loaded, path))
    return serve(loaded)


def _built(make: Callable[[], Any], path: str) -> Any:
    try:
        inspect.signature(make).bind()
    except TypeError as exc:  # it needs arguments PUMA cannot give
        raise PumaConfigError([(path, f"cannot be built without arguments ({exc}); write a factory that builds "
                                      "it, and name that: 'module:make_it()'")]) from None
    except ValueError:  # no signature to read (a builtin): just try it
        pass
    return make()


def serve(target: Any, *, label: str | None = None) -> Served:
    """What `target` (a function or an object, already built) serves."""
    label = label or getattr(target, "__qualname__", None) or type(target).__qualname__
    if isinstance(target, _FUNCTIONS):
        return Served("function", {"": _endpoint("", target, label, top_level=True)}, label)
    if not has_methods(type(target)):
        raise PumaConfigError([(label, f"a {type(target).__name__} has no public methods and is not callable: "
                                       "nothing to serve")])
    marked_class = getattr(type(target), IDEMPOTENT_MARK, False)
    endpoints = {}
    for name in _public_methods(type(target)):
        endpoints[name] = _endpoint(name, getattr(target, name), f"{label}.{name}", also=marked_class)
    if _defines_call(type(target)):
        endpoints[""] = _endpoint("", target.__call__, label, also=marked_class)
    return Served("object", endpoints, label)


def serve_functions(module: Any, *, label: str) -> Served:
    """A module's functions (`puma.modulefunctions`) served as an object's methods: each at
    `POST /<prefix>/<function>`."""
    functions = functions_of(module)
    if not functions:
        raise PumaConfigError([(label, f"module {module.__name__} defines no public function to serve")])
    return Served("object", {name: _endpoint(name, fn, f"{label}.{name}") for name, fn in functions.items()}, label)


def marks(path: str) -> list[str]:
    """The methods of the target at `path` marked `@idempotent`, without building it: a class's,
    or a factory's whose return annotation names a class (else none). "" is the service itself."""
    if is_module_target(path):
        return sorted(n for n, fn in functions_of(targets.load(path)).items() if getattr(fn, IDEMPOTENT_MARK, False))
    is_factory = path.endswith(FACTORY_SUFFIX)
    loaded = targets.load(path[: -len(FACTORY_SUFFIX)] if is_factory else path)
    if is_factory:
        loaded = _hints_return(loaded)
    if not inspect.isclass(loaded):
        return [""] if getattr(loaded, IDEMPOTENT_MARK, False) else []
    marked_class = getattr(loaded, IDEMPOTENT_MARK, False)
    found = [n for n in _public_methods(loaded) if marked_class or getattr(getattr(loaded, n), IDEMPOTENT_MARK, False)]
    if _defines_call(loaded) and (marked_class or getattr(loaded.__call__, IDEMPOTENT_MARK, False)):
        found.append("")
    return sorted(found)


def unmarked_methods(path: str, names: list[str] | tuple[str, ...]) -> str | None:
    """What is wrong with config marking `names` idempotent on the target at `path`, read without
    building it (as `marks`), or None; None too for a factory whose return annotation names no class."""
    is_factory = path.endswith(FACTORY_SUFFIX)
    loaded = targets.load(path[: -len(FACTORY_SUFFIX)] if is_factory else path)
    if is_factory:
        loaded = _hints_return(loaded)
        if not inspect.isclass(loaded):
            return None
    label = getattr(loaded, "__name__", path)
    return _unknown_methods(list(names), _public_methods(loaded) if inspect.isclass(loaded) else None, label)


def _unknown_methods(names: list[str], methods: list[str] | None, label: str) -> str | None:
    if names and methods is None:
        return (f"{names!r}: {label} is a function, which has no methods; write true to make every "
                "request to it retryable")
    unknown = [n for n in names if n not in (methods or [])]
    if not unknown:
        return None
    meant = [closest(n, methods or []) for n in unknown]
    hint = f"; did you mean {[m or '?' for m in meant]!r}?" if any(meant) else ""
    return (f"{unknown!r} {'is not a method' if len(unknown) == 1 else 'are not methods'} of {label} "
            f"(so no request would be retried){hint}; its methods: {', '.join(methods or []) or 'none'}; fix the "
            "spelling or remove it")


def _endpoint(name: str, fn: Callable[..., Any], label: str, *, top_level: bool = False,
              also: bool = False) -> Endpoint:
    marked = also or bool(getattr(fn, IDEMPOTENT_MARK, False))
    if takes_request(fn, no_parameters=top_level):
        passes = _has_parameters(fn)
        return Endpoint(name, fn, None, marked, passes_request=passes,
                        returns=inspect.Parameter.empty if passes else return_hint(fn))
    try:
        return Endpoint(name, fn, Binding.of(fn, name=label), marked)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, PumaConfigError):
            raise
        raise PumaConfigError([(label, f"cannot serve it: {exc}")]) from None


def _has_parameters(fn: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL) for p in params)


def _public_methods(cls: type) -> list[str]:
    names = []
    for name in dir(cls):
        if name.startswith("_"):
            continue
        attr = inspect.getattr_static(cls, name)
        if isinstance(attr, staticmethod | classmethod) or inspect.isfunction(attr):
            names.append(name)
    return sorted(names)


def _defines_call(cls: type) -> bool:
    return any("__call__" in vars(base) for base in cls.__mro__ if base is not object)


def has_methods(cls: type) -> bool:
    """Whether instances of `cls` serve anything: a public method, or `__call__`."""
    return _defines_call(cls) or bool(_public_methods(cls))


def _hints_return(factory: Any) -> Any:
    try:
        return inspect.signature(factory, eval_str=True).return_annotation
    except Exception:  # noqa: BLE001 - an annotation that does not resolve: no marks known
        return None


__all__ = ["Endpoint", "Served", "build", "has_methods", "idempotent", "marks", "serve", "serve_functions",
           "unmarked_methods"]
