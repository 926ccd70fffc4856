"""Every import path a deployment names, checked before anything starts, without importing it.

`puma run` used to find a misspelt target, a module with a syntax error or a missing warm-up one
at a time, each after Envoy and the other zygotes had started (fix one, start again, see the
next). `problems(services, paths)` finds them all at once, cheaply: it locates each module's file
on the import path (as the import system would, without running any package's `__init__`), parses
it (a `SyntaxError` with its line), and looks for the attribute among the module's top-level
names (`def`, `class`, assignments, imports). A module that makes names at run time (`from x
import *`, a module `__getattr__`) or is not Python source (a C extension) is only checked to exist.

>>> problems({}, [])
[]
"""

from __future__ import annotations

import ast
import contextlib
import importlib.machinery
import importlib.util
import os
import shutil
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .modulefunctions import ALL_FUNCTIONS
from .suggest import closest, did_you_mean

_SOURCE = tuple(importlib.machinery.SOURCE_SUFFIXES)
_OTHER = tuple(importlib.machinery.EXTENSION_SUFFIXES + importlib.machinery.BYTECODE_SUFFIXES)


def problems(services: Mapping[str, Any], paths: Iterable[str] = ()) -> list[tuple[str, str]]:
    """`(config path, message)` for each import path of `services` (name -> its settings as
    written, a dict: its `target`, `warmup` and `readiness` check) that names nothing; `paths` are
    searched before `sys.path` (the app script's directory)."""
    search = [*paths, *sys.path]
    found: list[tuple[str, str]] = []
    for name, spec in services.items():
        if not isinstance(spec, Mapping):
            continue
        readiness = spec.get("readiness")
        check = readiness.get("check") if isinstance(readiness, Mapping) else readiness
        for key, path in (("target", spec.get("target")), ("warmup", spec.get("warmup")),
                          ("readiness.check" if isinstance(readiness, Mapping) else "readiness", check)):
            if isinstance(path, str) and ":" in path:  # the config's own check words any other form
                message = problem(path, search)
                if message:
                    found.append((f"puma_services.{name}.{key}", message))
    return found


def job_problems(jobs: Any) -> list[tuple[str, str]]:
    """`(config path, message)` for each job `puma run` would run whose program is not there (not
    on PATH, nor this interpreter's bin directory, nor a file): found before anything starts."""
    found: list[tuple[str, str]] = []
    where = os.pathsep.join([os.environ.get("PATH", ""), str(Path(sys.executable).parent)])
    for number, job in enumerate(jobs if isinstance(jobs, list) else []):
        command = job.get("command") if isinstance(job, Mapping) else None
        if not isinstance(command, list) or not command or not isinstance(command[0], str) or job.get("local") is False:
            continue  # the config's own check words a malformed job
        program = command[0]
        if shutil.which(program, path=where) is None and not Path(program).is_file():
            found.append((f"jobs[{number}].command", f"{program!r} is not a program on PATH nor a file here (job "
                          f"{job.get('name')!r}); install it, fix the spelling, or give its path"))
    return found


def problem(path: str, search: list[str]) -> str | None:
    """What is wrong with import path `path` ('pkg.mod:attr', '/file.py:Class.method', 'mod:f()',
    'mod:*'), or None when its module's file is there, parses, and defines the attribute."""
    module, _, qualname = path.rpartition(":")
    attr = qualname.removesuffix("()").partition(".")[0]
    loaded = sys.modules.get(module)
    if loaded is not None:  # imported already (`os.path`, an alias, included): asked directly
        if attr == ALL_FUNCTIONS or hasattr(loaded, attr):
            return None
        public = sorted(n for n in dir(loaded) if not n.startswith("_"))
        return f"cannot import {path!r}: {module!r} has no attribute {attr!r} (from {path!r}){did_you_mean(attr, public)}"
    file: Path | None
    if module.endswith(".py"):
        file = Path(module)
        if not file.is_file():
            return f"cannot import {path!r}: no such file {module!r}"
    else:
        file, missing = _locate(module, search, path)
        if missing is not None:
            return f"cannot import {path!r}: {missing}"
    if file is None or not file.name.endswith(_SOURCE):
        return None  # a C extension, or a module only the import system can make: it exists
    return _source_problem(path, file, module, qualname.removesuffix("()"))


def _source_problem(path: str, file: Path, module: str, qualname: str) -> str | None:
    try:
        tree = ast.parse(file.read_bytes(), filename=str(file))
    except SyntaxError as exc:
        return (f"cannot import {path!r}: {file}, line {exc.lineno}: SyntaxError: {exc.msg}; fix the line "
                "(python -m py_compile shows it)")
    except (OSError, ValueError) as exc:
        return f"cannot import {path!r}: cannot read {file} ({exc})"
    if qualname == ALL_FUNCTIONS:
        return None
    attr, _, method = qualname.partition(".")
    names = _top_level_names(tree)
    if names is not None and attr not in names:
        public = sorted(n for n in names if not n.startswith("_"))
        return f"cannot import {path!r}: {module!r} has no attribute {qualname!r} (from {path!r}){did_you_mean(attr, public)}"
    methods = _methods(tree, attr) if method and "." not in method else None
    if methods is not None and method not in methods:
        return (f"cannot import {path!r}: {module!r} has no attribute {qualname!r} (from {path!r})"
                f"{did_you_mean(method, sorted(m for m in methods if not m.startswith('_')))}")
    return None


def _methods(tree: ast.Module, cls: str) -> set[str] | None:
    """The names a class statement of the module binds in its body, or None when it may have
    others (bases to inherit from, a decorator, a metaclass: not read here)."""
    found = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls]
    if len(found) != 1 or found[0].bases or found[0].keywords or found[0].decorator_list:
        return None
    names: set[str] = set()
    for node in found[0].body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            names.update(n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
        elif not isinstance(node, ast.Expr | ast.Pass):  # a docstring or `...`; anything else may bind names
            return None
    return names


def _locate(module: str, search: list[str], path: str) -> tuple[Path | None, str | None]:
    """The file of `module` and None, or (None, what is missing); (None, None) for a module with no
    file (built in, frozen, a namespace package)."""
    parts = module.split(".")
    if not all(p.isidentifier() for p in parts):
        return None, f"{module!r} is not a module name; write 'package.module:function'"
    places: list[str] | None = search
    top = parts[0]
    if top in sys.builtin_module_names or (top in sys.modules and not getattr(sys.modules[top], "__file__", None)
                                           and not getattr(sys.modules[top], "__path__", None)):
        return None, None
    file: Path | None = None
    for depth, part in enumerate(parts):
        found = _find(part, places or [])
        if found is None and depth == 0:
            found = _installed(top)
        if found is None:
            missing, parent = ".".join(parts[:depth + 1]), ".".join(parts[:depth])
            hint = closest(part, _modules_in(places or [])) if parent else None
            said = f"; did you mean {f'{parent}.{hint}'!r}?" if hint else ""
            return None, f"no module named {missing!r} (from {path!r}){said}"
        file, places = found
    return file, None


def _find(part: str, places: list[str]) -> tuple[Path | None, list[str] | None] | None:
    """`part`'s file (or None for a namespace package) and, for a package, where its modules are."""
    namespace: list[str] = []
    for place in places:
        base = Path(place or ".") / part
        init = next((base / f"__init__{s}" for s in _SOURCE + _OTHER if (base / f"__init__{s}").is_file()), None)
        if init is not None:
            return init, [str(base)]
        single = next((Path(f"{base}{s}") for s in _SOURCE + _OTHER if Path(f"{base}{s}").is_file()), None)
        if single is not None:
            return single, None
        if base.is_dir():
            namespace.append(str(base))
    return (None, namespace) if namespace else None


def _modules_in(places: list[str]) -> list[str]:
    """The names of the modules and packages in a package's directories."""
    found: set[str] = set()
    for place in places:
        with contextlib.suppress(OSError):
            found.update(p.name.partition(".")[0] for p in Path(place).iterdir()
                         if p.name.endswith(_SOURCE) or (p / "__init__.py").is_file())
    return sorted(n for n in found if n.isidentifier())


def _installed(top: str) -> tuple[Path | None, list[str] | None] | None:
    """A top-level module the import system finds elsewhere (a zip, an editable install's finder)."""
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    origin = Path(spec.origin) if spec.origin and spec.has_location else None
    return origin, list(spec.submodule_search_locations or []) or None


def _top_level_names(tree: ast.Module) -> set[str] | None:
    """The names a module binds at its top level, or None when it may bind others at run time."""
    names: set[str] = set()
    for node in _top_statements(tree.body):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            if any(alias.name == "*" for alias in node.names):
                return None
            names.update((alias.asname or alias.name).partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign | ast.For | ast.With | ast.NamedExpr):
            names.update(n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
    if "__getattr__" in names or "globals" in {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}:
        return None
    return names


def _top_statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """The statements that run at a module's top level, those inside `if`/`try` blocks included."""
    found: list[ast.stmt] = []
    for node in body:
        found.append(node)
        if isinstance(node, ast.If | ast.Try | ast.With):
            blocks = [node.body, getattr(node, "orelse", []), getattr(node, "finalbody", [])]
            blocks += [h.body for h in getattr(node, "handlers", [])]
            for block in blocks:
                found.extend(_top_statements(block))
    return found


__all__ = ["job_problems", "problem", "problems"]
