"""Module-level state that served functions change, found by reading their source (never running it).

Each instance is its own process, so a module global a served function rebinds (`global COUNT;
COUNT += 1`) or a module-level container it changes (`STATS["n"] += 1`, `SEEN.append(x)`) is that
instance's copy: with two instances, answers disagree and nothing says why (README: "State lives
per instance"). `warn(config, paths)` logs one WARNING per such service — one that may run more
than one instance (`instances` above 1, or autoscaled) and is not `stateful` — naming each function,
the global it changes and the fixes. Functions it calls in the same module count too (a `_bump()`
helper). Not flagged: a cache (a name with "cache" in it, or one filled once per key: `if url not
in _engines: _engines[url] = create_engine(url)`), whose per-instance copies agree, and the
service's warm-up, which runs once in the zygote before instances fork. It reads the module's file with `ast` only: the app's code is neither imported nor run
for it. Example::

    writes("STATS = {}\\ndef add(x):\\n    STATS[x] = 1\\n", ["add"])   # {'add': ['STATS']}
"""

from __future__ import annotations

import ast
import logging
import sys
from collections.abc import Iterable
from pathlib import Path

from .config import PumaConfig
from .modulefunctions import ALL_FUNCTIONS

log = logging.getLogger(__name__)

# Methods that change a list, dict, set, deque or Counter in place.
_MUTATORS = frozenset({"append", "extend", "insert", "remove", "pop", "popitem", "clear", "update", "setdefault",
                       "add", "discard", "difference_update", "intersection_update", "symmetric_difference_update",
                       "appendleft", "extendleft", "popleft", "rotate", "sort", "reverse", "subtract"})
_Function = ast.FunctionDef | ast.AsyncFunctionDef


def _module_containers(tree: ast.Module) -> set[str]:
    """Names the module binds at top level (any value: a dict, a list, a counter object...)."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _locals(func: _Function) -> set[str]:
    """Names `func` binds itself (parameters, assignments), which hide module names of that spelling."""
    args = func.args
    found = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    found.update(a.arg for a in (args.vararg, args.kwarg) if a is not None)
    found.update(n.id for n in ast.walk(func) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
    return found


def _changed(func: _Function, module_names: set[str]) -> tuple[set[str], set[str]]:
    """(module globals `func` changes, module-level functions it calls by name)."""
    declared = {name for n in ast.walk(func) if isinstance(n, ast.Global) for name in n.names}
    hidden = _locals(func) - declared
    changed = {n.id for n in ast.walk(func)
               if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store | ast.Del) and n.id in declared}
    calls: set[str] = set()
    fills = _fills(func)
    filled: set[str] = set()  # names only ever filled as a cache here
    for node in ast.walk(func):
        target = None
        if isinstance(node, ast.Subscript | ast.Attribute) and isinstance(node.ctx, ast.Store | ast.Del):
            target = node.value  # STATS["n"] = ..., STATS["n"] += 1, del CACHE[k], STATE.count = 1
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _MUTATORS:
            target = node.func.value  # SEEN.append(x)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            calls.add(node.func.id)
        while isinstance(target, ast.Subscript):  # STATS["by_kind"]["x"] = 1 changes STATS too
            target = target.value
        if isinstance(target, ast.Name) and target.id in module_names and target.id not in hidden:
            (filled if id(node) in fills else changed).add(target.id)
    tested = _membership_tested(func)
    changed |= {name for name in filled if name not in tested}
    return {name for name in changed if "cache" not in name.lower()}, calls - hidden


def _fills(func: _Function) -> set[int]:
    """The `NAME[key] = value` stores whose value does not read NAME: a cache filled (`_engines[url]
    = create_engine(url)`), not a count kept (`COUNTS[k] = COUNTS[k] + 1`)."""
    found = set()
    for node in ast.walk(func):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Subscript):
            store = node.targets[0]
            computed = any(isinstance(n, ast.Call) for n in ast.walk(node.value))  # `SEEN[k] = True` is state
            if computed and isinstance(store.value, ast.Name) and not any(
                    isinstance(n, ast.Name) and n.id == store.value.id for n in ast.walk(node.value)):
                found.add(id(store))
    return found


def _membership_tested(func: _Function) -> set[str]:
    """Names `func` asks `key in NAME` / `key not in NAME` of: with a fill, a memo (computed once
    per key: each instance computing its own copy is harmless)."""
    return {c.id for n in ast.walk(func) if isinstance(n, ast.Compare)
            and any(isinstance(op, ast.In | ast.NotIn) for op in n.ops) for c in n.comparators if isinstance(c, ast.Name)}


def writes(source: str | bytes, functions: Iterable[str] | None = None) -> dict[str, list[str]]:
    """Each of `functions` (qualified names, `Class.method` too; None: every public top-level one)
    that changes module state, directly or through a module function it calls -> those globals."""
    tree = ast.parse(source)
    module_names = _module_containers(tree)
    table: dict[str, _Function] = {}
    for node in tree.body:
        if isinstance(node, _Function):
            table[node.name] = node
        elif isinstance(node, ast.ClassDef):
            table.update({f"{node.name}.{m.name}": m for m in node.body if isinstance(m, _Function)})
    direct = {name: _changed(func, module_names) for name, func in table.items()}
    wanted = [n for n in table if "." not in n and not n.startswith("_")] if functions is None else list(functions)
    found: dict[str, list[str]] = {}
    for name in wanted:
        seen, todo, changed = set(), [name], set()
        while todo:
            current = todo.pop()
            if current in seen or current not in direct:
                continue
            seen.add(current)
            changed |= direct[current][0]
            todo.extend(direct[current][1])
        if changed:
            found[name] = sorted(changed)
    return found


def _source_file(module: str, paths: list[str]) -> Path | None:
    """The file of `module` without importing it: the loaded module's, else found on `paths`."""
    if module.endswith(".py"):
        return Path(module)
    loaded = sys.modules.get(module)
    if loaded is not None:
        file = getattr(loaded, "__file__", None)
        return Path(file) if file and file.endswith(".py") else None
    from .targetchecks import _locate

    file, _missing = _locate(module, [*paths, *sys.path], module)
    return file if file is not None and file.name.endswith(".py") else None


def _target_functions(qualname: str) -> list[str] | None:
    """The functions a target serves: None for a module's functions (`*`), [] for a factory."""
    if qualname == ALL_FUNCTIONS:
        return None
    return [] if qualname.endswith("()") else [qualname]


def service_writes(target: str, paths: list[str], apart: Iterable[str] = ()) -> dict[str, list[str]]:
    """`writes` for the functions a service's target serves (a class: each of its methods); `apart`:
    functions of a module's group (`mod:*`) served as services of their own, left to those."""
    module, _, qualname = target.rpartition(":")
    functions = _target_functions(qualname)
    file = _source_file(module, paths)
    if file is None or functions == []:
        return {}
    try:
        source = file.read_bytes()
        tree = ast.parse(source)
    except (OSError, SyntaxError, ValueError):
        return {}  # targetchecks names a file that cannot be read or parsed
    if functions is not None and len(functions) == 1:
        classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
        if functions[0] in classes:
            functions = [f"{functions[0]}.{m.name}" for m in classes[functions[0]].body
                         if isinstance(m, _Function) and (not m.name.startswith("_") or m.name == "__call__")]
    found = writes(source, functions)
    return {name: names for name, names in found.items() if not (functions is None and name in set(apart))}


def warnings_for(config: PumaConfig, paths: Iterable[str] = ()) -> list[str]:
    """The WARNING lines `warn` logs (one per service whose functions change module state)."""
    lines = []
    # Served apart, or run in the zygote (a warm-up fills module state before the fork, for every
    # instance alike) or as a readiness check: not a served function of a module's group.
    named = [path for s in config.puma_services.values()
             for path in (s.target, s.warmup, s.readiness.check if s.readiness else None) if path and ":" in path]
    targets = [path.rpartition(":") for path in named]
    for name, service in config.puma_services.items():
        if service.stateful or service.instances.upper <= 1 or not service.target or ":" not in service.target:
            continue
        module = service.target.rpartition(":")[0]
        if module == "puma" or module.startswith("puma."):
            continue  # PUMA's own services (the map's) keep their state on purpose
        found = service_writes(service.target, list(paths), {q for m, _, q in targets if m == module})
        if not found:
            continue
        how = (f"autoscaled to {service.instances.upper} instances" if service.autoscaled
               else f"{service.instances.upper} instances")
        each = "; ".join(f"{module}.{function} changes the module-level global{'s' if len(names) > 1 else ''} "
                         f"{', '.join(names)}" for function, names in found.items())
        lines.append(f"puma_services.{name} ({how}): {each}. Each instance changes its own copy, so answers disagree across instances and a replaced instance loses it. Keep it in a "
                     f"store (a database, the dynamodb key, puma_map), or mark the service "
                     f'"stateful": true (one instance), or set "instances": 1 (README: State lives per instance)')
    return lines


def warn(config: PumaConfig, paths: Iterable[str] = ()) -> None:
    """Log `warnings_for`, once per service, at start (`puma run`, `App.start`)."""
    for line in warnings_for(config, paths):
        log.warning("%s", line)
