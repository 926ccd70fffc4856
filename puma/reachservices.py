"""What `puma_service("shop.pricing")` serves, read statically for `puma loc-report --whole`
(`puma.reach`): the module a call names by string (or `__name__`: the calling module itself), and
the names in it that `puma.discovery` would serve — exactly `__all__` when the module lists it,
else the public functions and classes it defines (not those it imports), `main` excepted.

What discovery refuses is not served, so not reached: a function that takes `*args` (a JSON body
cannot give it), and a class it cannot serve — one that cannot be built without arguments (an
`__init__` with a parameter that has no default, a dataclass with a field that has none), one
with no public method or `__call__`, an exception or an enum.

    served_module(ast.parse('puma_service("shop.pricing")').body[0].value, "app")   # -> "shop.pricing"
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any, Protocol


class Module(Protocol):
    """What is read of `puma.reachmodules.Module`: its top-level definitions by name (each a node with a
    `kind`, "def" or "class" among others, and its `trees`)."""

    @property
    def defines(self) -> Mapping[str, Any]: ...

    @property
    def methods(self) -> Mapping[str, Mapping[str, Any]]: ...


REGISTER = "puma_service"
ENTRY_POINT = "main"  # as puma.discovery: a monolith's entry point is never a service
# Bases discovery never serves (puma.discovery._servable), by the name a module writes them with.
_NEVER_SERVED_BASES = ("Exception", "Error", "Warning", "Enum", "IntEnum", "StrEnum", "Flag", "IntFlag",
                       "BaseModel", "Protocol", "TypedDict", "NamedTuple")


def served_module(call: ast.Call, current: str) -> str | None:
    """The module `call` serves whole: `puma_service("pkg.mod")`, `puma.puma_service("pkg.mod")`,
    `puma_service(__name__)` (`current`); None for any other call, or a dict of services."""
    func = call.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    if name != REGISTER or not call.args:
        return None
    first = call.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str) and ":" not in first.value:
        return first.value.strip() or None
    if isinstance(first, ast.Name) and first.id == "__name__":
        return current
    return None


def exported(module: Module) -> list[str]:
    """The names of `module` that discovery serves: its `__all__` when it is a literal list, else
    the public functions and classes it defines."""
    listed = _listed(module)
    names = listed if listed is not None else [name for name, node in module.defines.items() if node.kind in
                                               ("def", "class") and not name.startswith("_") and name != ENTRY_POINT]
    return [name for name in names if name not in module.defines or _servable(module, name)]


def _servable(module: Module, name: str) -> bool:
    """Whether discovery serves the function or class `name` (as `puma.discovery` decides, read
    from the source): its refusals are not reached through the module's service."""
    node = module.defines[name]
    if node.kind == "def":
        return all(t.args.vararg is None for t in node.trees if isinstance(t, ast.FunctionDef | ast.AsyncFunctionDef))
    if node.kind != "class":
        return False
    methods = module.methods.get(name, {})
    if not any(not m.startswith("_") or m == "__call__" for m in methods):
        return False
    # A class node's trees are its own lines (`puma.reachmodules`): decorators and bases (expressions,
    # the bases marked), then the statements of its body that are not methods.
    bases = [t for t in node.trees if isinstance(t, ast.expr) and getattr(t, "_puma_base", False)]
    if any(_base_name(b).endswith(_NEVER_SERVED_BASES) for b in bases):
        return False
    init = methods.get("__init__")
    if init is not None:
        return not any(_required(t) for t in init.trees if isinstance(t, ast.FunctionDef | ast.AsyncFunctionDef))
    decorators = [t for t in node.trees if isinstance(t, ast.expr) and t not in bases]
    body = [t for t in node.trees if isinstance(t, ast.stmt)]
    return not (any(_names_dataclass(d) for d in decorators) and _field_without_default(body))


def _base_name(base: ast.expr) -> str:
    return base.attr if isinstance(base, ast.Attribute) else base.id if isinstance(base, ast.Name) else ""


def _required(init: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """`__init__(self, capacity)`: a parameter past `self` that has no default."""
    args = init.args
    positional = [*args.posonlyargs, *args.args][1:]
    without_default = len(positional) - len(args.defaults)
    return without_default > 0 or any(d is None for d in args.kw_defaults)


def _names_dataclass(decorator: ast.expr) -> bool:
    """`@dataclass`, `@dataclasses.dataclass`, `@dataclass(frozen=True)`."""
    return _base_name(decorator.func if isinstance(decorator, ast.Call) else decorator) == "dataclass"


def _field_without_default(body: list[ast.stmt]) -> bool:
    return any(isinstance(item, ast.AnnAssign) and item.value is None and isinstance(item.target, ast.Name)
               and not _is_classvar(item.annotation) for item in body)


def _is_classvar(annotation: ast.expr) -> bool:
    head = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    return _base_name(head) == "ClassVar"


def _listed(module: Module) -> list[str] | None:
    node = module.defines.get("__all__")
    if node is None:
        return None
    for tree in node.trees:
        if isinstance(tree, ast.Assign | ast.AnnAssign) and tree.value is not None:
            try:
                value = ast.literal_eval(tree.value)
            except ValueError:
                return None
            if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
                return list(value)
    return None


__all__ = ["exported", "served_module"]
