"""Service callables are referenced by import path, never shipped as source text.

>>> import os.path
>>> import_path(os.path.join)
'posixpath:join'
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from .apperrors import FILE_MODULE_PREFIX
from .errors import PumaConfigError
from .modulefunctions import ALL_FUNCTIONS
from .suggest import closest, did_you_mean

# Modules `load` made from a script file (name -> the file): their functions' import paths name the file.
_FILE_MODULES: dict[str, str] = {}
_loading = threading.RLock()


def import_path(fn: Callable[..., Any] | str, *, where: str = "service") -> str:
    """'module:qualname' of `fn`; for a function of an app script (run as __main__, or loaded by
    `load` from its file as `puma_app_<stem>`), '/abs/file.py:qualname', which any process imports.
    `PumaConfigError` naming the function and the fix when it has no import path (a lambda, a
    function defined inside another, one typed into an interactive session)."""
    if isinstance(fn, str):
        return fn
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None)
    if not module or not qualname or "<" in qualname:
        raise PumaConfigError([(where, f"{_described(fn, qualname)} cannot be imported by another process; define "
                                       "it with `def` at the top level of a module (the app script itself will "
                                       "do) and pass that function")])
    if module == "__main__":
        return f"{_main_module(qualname, where)}:{qualname}"
    file = _FILE_MODULES.get(module)
    if file is not None:  # the app script, loaded from its file: other processes load it the same way
        return f"{file}:{qualname}"
    return f"{module}:{qualname}"


def _described(fn: Any, qualname: str | None) -> str:
    name = qualname or repr(fn)
    code = getattr(fn, "__code__", None)
    at = f" (defined at {code.co_filename}:{code.co_firstlineno})" if code is not None else ""
    if qualname and "<lambda>" in qualname:
        return f"the lambda {name}{at}"
    if qualname and "<locals>" in qualname:
        return f"{name}{at}, a function defined inside {qualname.split('.<locals>')[0]}(),"
    return f"{name}{at}"


def _main_module(qualname: str, where: str) -> str:
    """How other processes import this process's `__main__`: its module name when it was run with
    `python -m pkg.mod`, else its file."""
    main = sys.modules["__main__"]
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name and spec.name != "__main__" and not spec.name.endswith(".__main__"):
        return str(spec.name)
    main_file = getattr(main, "__file__", None)
    if not main_file:
        raise PumaConfigError([(where, f"{qualname} is defined in an interactive session; "
                                       "put it in a module or script file")])
    return str(Path(main_file).resolve())


def load(path: str) -> Callable[..., Any]:
    """Import the callable named by `path` ('pkg.mod:func' or '/file.py:Class.method'); for
    'pkg.mod:*' (a module's functions served together), the module."""
    module_part, _, qualname = path.rpartition(":")
    if not module_part or not qualname:
        raise ImportError(f"{path!r} is not an import path; write 'package.module:function'")
    module = _load_file(module_part) if module_part.endswith(".py") else _import(module_part, path)
    if qualname == ALL_FUNCTIONS:  # "shop.parts:*": the module, whose functions one service serves
        return cast("Callable[..., Any]", module)
    obj: Any = module
    for attr in qualname.split("."):
        try:
            obj = getattr(obj, attr)
        except AttributeError:
            names = [n for n in dir(obj) if not n.startswith("_")]
            raise TargetNotFound(f"{module_part!r} has no attribute {qualname!r} (from {path!r})"
                                 f"{did_you_mean(attr, names)}") from None
    if not callable(obj):
        raise ImportError(f"{path!r} names a {type(obj).__name__}, not a callable")
    fn: Callable[..., Any] = obj
    return fn


class TargetNotFound(ImportError):  # noqa: N818 - an ImportError, named as the standard library names its kind
    """The import path names an attribute its module lacks (a misspelling, as `misspelt` tells)."""


def misspelt(exc: BaseException, path: str) -> bool:
    """Whether `exc`, raised loading `path`, says the path names nothing (an attribute its module
    lacks, a module its package lacks) rather than that something failed to import (a dependency
    the module imports is missing, or a top-level package not installed here: perhaps installed
    where the service runs)."""
    if isinstance(exc, TargetNotFound):
        return True
    module = path.rpartition(":")[0]
    missing = str(exc.name or "") if isinstance(exc, ModuleNotFoundError) else ""
    return "." in missing and (module == missing or module.startswith(f"{missing}."))


def _import(module: str, path: str) -> Any:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if not missing or (missing != module and not module.startswith(missing + ".")):
            raise  # a module the target's module imports is missing: a dependency, not a misspelling
        parent, _, last = missing.rpartition(".")
        try:
            siblings = [m.name for m in pkgutil.iter_modules(importlib.import_module(parent).__path__ if parent else None)]
        except Exception:  # noqa: BLE001 - no list of names to suggest from: the error without a suggestion
            siblings = []
        hint = closest(last, siblings)
        said = f"; did you mean {f'{parent}.{hint}' if parent else hint!r}?" if hint else ""
        raise ModuleNotFoundError(f"no module named {missing!r} (from {path!r}){said}", name=missing) from None


def _load_file(filename: str) -> Any:
    file = Path(filename).resolve()
    if not file.is_file():
        raise ImportError(f"no such file {str(file)!r}")
    name = f"{FILE_MODULE_PREFIX}{file.stem}"
    # One thread loads it; another (a second request to a map worker) waits for the whole module
    # rather than taking the half-run one from sys.modules.
    with _loading:
        if name in sys.modules:
            return sys.modules[name]
        _FILE_MODULES[name] = str(file)
        # The script's own directory is importable, as when it runs as a script.
        sys.path.insert(0, str(file.parent))
        spec = importlib.util.spec_from_file_location(name, file)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]  # as a failed import leaves nothing behind: the next load tries again
            raise
        return module
