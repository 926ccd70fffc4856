"""Service callables are referenced by import path, never shipped as source text.

>>> import os.path
>>> import_path(os.path.join)
'posixpath:join'
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import PumaConfigError


def import_path(fn: Callable[..., Any] | str, *, where: str = "service") -> str:
    """'module:qualname' of `fn`; for a function of a script run as __main__, '/abs/file.py:qualname'."""
    if isinstance(fn, str):
        return fn
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", None)
    if not module or not qualname or "<" in qualname:
        raise PumaConfigError([(where, f"{fn!r} is not a module-level function; define it at the "
                                       "top level of a module so worker processes can import it")])
    if module == "__main__":
        main_file = getattr(sys.modules["__main__"], "__file__", None)
        if not main_file:
            raise PumaConfigError([(where, f"{qualname} is defined in an interactive session; "
                                           "put it in a module or script file")])
        return f"{Path(main_file).resolve()}:{qualname}"
    return f"{module}:{qualname}"


def load(path: str) -> Callable[..., Any]:
    """Import the callable named by `path` ('pkg.mod:func' or '/file.py:Class.method')."""
    module_part, _, qualname = path.rpartition(":")
    if not module_part or not qualname:
        raise ImportError(f"{path!r} is not an import path; write 'package.module:function'")
    module = _load_file(module_part) if module_part.endswith(".py") else importlib.import_module(module_part)
    obj: Any = module
    for attr in qualname.split("."):
        try:
            obj = getattr(obj, attr)
        except AttributeError:
            raise ImportError(f"{module_part!r} has no attribute {qualname!r} (from {path!r})") from None
    if not callable(obj):
        raise ImportError(f"{path!r} names a {type(obj).__name__}, not a callable")
    fn: Callable[..., Any] = obj
    return fn


def _load_file(filename: str) -> Any:
    file = Path(filename).resolve()
    if not file.is_file():
        raise ImportError(f"no such file {str(file)!r}")
    name = f"puma_app_{file.stem}"
    if name in sys.modules:
        return sys.modules[name]
    # The script's own directory is importable, as when it runs as a script.
    sys.path.insert(0, str(file.parent))
    spec = importlib.util.spec_from_file_location(name, file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
