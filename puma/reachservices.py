"""What `puma_service("shop.pricing")` serves, read statically for `puma loc-report --whole`
(`puma.reach`): the module a call names by string (or `__name__`: the calling module itself), and
the names in it that `puma.discovery` would serve — exactly `__all__` when the module lists it,
else the public functions and classes it defines (not those it imports), `main` excepted.

Conservative as the rest of the reach is: a class is counted as served (its public methods
reached) without building it, where discovery would leave out one that needs arguments.

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

REGISTER = "puma_service"
ENTRY_POINT = "main"  # as puma.discovery: a monolith's entry point is never a service


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
    if listed is not None:
        return listed
    return [name for name, node in module.defines.items()
            if node.kind in ("def", "class") and not name.startswith("_") and name != ENTRY_POINT]


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
