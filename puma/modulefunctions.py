"""A module's functions served as one service: `POST /<module>/<function>` for each.

Naming a module (`puma_service("shop.parts")`) serves its public functions together, as one
service named after the module, the way an object serves its methods: one zygote, one import and
one instance process for the lot, rather than one of each per function (16 functions were 16
services and 802 MiB). The target of such a service is the module's import path followed by
`:*` (`"shop.parts:*"`, or `"/abs/app.py:*"` for an app script); its zygote lists the functions
again with `functions_of`, the same rule discovery used, so both agree on what is served.

Which functions: those in `__all__` when the module lists it, else the public functions the module
defines itself (not those it imports), never its entry point `main`; a function taking `*args` is
left out (a JSON body's fields have names, not positions).

>>> import json
>>> sorted(functions_of(json))
['detect_encoding', 'dump', 'dumps', 'load', 'loads']
"""

from __future__ import annotations

import inspect
import re
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .apperrors import FILE_MODULE_PREFIX

ALL_FUNCTIONS = "*"  # the qualname of a target that serves its module's functions: "shop.parts:*"
ENTRY_POINT = "main"  # a module's entry point (`if __name__ == "__main__": main()`), never a service


def is_module_target(path: str) -> bool:
    """Whether `path` names a module's functions (`"shop.parts:*"`) rather than one callable."""
    return path.rpartition(":")[2] == ALL_FUNCTIONS


def functions_of(module: types.ModuleType | Any) -> dict[str, Callable[..., Any]]:
    """The functions of `module` served together (name -> function), in definition order."""
    listed = getattr(module, "__all__", None)
    if listed is not None:
        members = [(name, getattr(module, name, None)) for name in listed]
        return {name: fn for name, fn in members if inspect.isfunction(fn) and star_args(fn) is None}
    return {name: fn for name, fn in vars(module).items()
            if defined_function(name, fn, module) and star_args(fn) is None}


def defined_function(name: str, value: Any, module: types.ModuleType) -> bool:
    """A public function `module` defines (not one it imports), other than its entry point."""
    return not name.startswith("_") and name != ENTRY_POINT and inspect.isfunction(value) and \
        getattr(value, "__module__", None) == module.__name__


def star_args(value: Any) -> str | None:
    """The name of a function's `*args` parameter, if it has one."""
    if not inspect.isfunction(value):
        return None
    try:
        params = inspect.signature(value).parameters.values()
    except (TypeError, ValueError):
        return None
    return next((p.name for p in params if p.kind is p.VAR_POSITIONAL), None)


def group_name(module_path: str) -> str:
    """The service name of a module's functions: its last dotted part (`"shop.parts"` -> "parts"), a
    package's own name for its `__init__`, an app script's file name without `.py`."""
    if module_path.endswith(".py"):
        stem = Path(module_path).stem
        name = Path(module_path).parent.name if stem == "__init__" else stem
    else:
        name = module_path.removeprefix(FILE_MODULE_PREFIX).rpartition(".")[2]
    name = re.sub(r"[^A-Za-z0-9_-]", "_", name)  # a service name's characters (`puma.config`)
    return name if name[:1].isalpha() else f"app_{name}"


__all__ = ["ALL_FUNCTIONS", "functions_of", "group_name", "is_module_target"]
