"""The project's import graph, read statically from the AST of every module.

Every `import` and `from ... import` statement counts, wherever it is: at module level, inside a
function (a lazy import still runs, and still ties the two modules together) and under
`if TYPE_CHECKING:` (it does not run, but it is the same dependency in the design: a module that
needs another's types to be checked depends on it; a Protocol in a third module breaks such a
tie). An import inside `try:` (an optional one) counts as well. Imports by name at run time
(`importlib.import_module(...)`, as `puma/__init__.py` does for its lazy public names) are not
statements and are not seen: such a module lists the same imports under `TYPE_CHECKING`.

An edge goes to the module that is imported: `import a.b` and `from a.b import c` give `a.b`,
or `a.b.c` when `c` is a submodule. The parent packages whose `__init__` runs on the way are
not edges: counting them would tie every module to its package's `__init__`, which re-exports
the public names, and report that as a circle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path


def module_name(root: Path, path: Path) -> str:
    """`root/a/b.py` -> "a.b"; `root/a/__init__.py` -> "a"."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Every module of the given top-level packages under `root`, by dotted name."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            found[module_name(root, path)] = path
    return found


def _imported(node: ast.AST, current: str, is_package: bool) -> Iterator[tuple[str, list[str]]]:
    """(module, names) for an import statement; relative imports resolved against `current`."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name, []
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            anchor = current.split(".")
            drop = node.level - 1 if is_package else node.level
            anchor = anchor[: len(anchor) - drop] if drop else anchor
            base = ".".join([*anchor, base]) if base else ".".join(anchor)
        yield base, [alias.name for alias in node.names]


def imports(path: Path, current: str, known: Iterable[str]) -> set[str]:
    """The modules among `known` that the module at `path` imports (see the module docstring)."""
    known = set(known)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    edges: set[str] = set()
    for node in ast.walk(tree):
        for target, names in _imported(node, current, is_package):
            submodules = {f"{target}.{name}" for name in names} & known
            edges |= submodules
            if target in known and (not names or len(submodules) < len(names)):
                edges.add(target)
    edges.discard(current)
    return edges


def graph(root: Path, packages: Iterable[str]) -> dict[str, set[str]]:
    """module -> the project modules it imports, for every module of `packages`."""
    found = modules(root, packages)
    return {name: imports(path, name, found) for name, path in found.items()}


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Each group of modules that import each other (directly or round a loop), as one cycle.

    Tarjan's strongly connected components; each group of two or more is reported as one
    concrete loop through it, e.g. `["a.x", "a.y", "a.x"]`, sorted for a stable message.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(_loop(edges, group) for group in groups)


def _loop(edges: dict[str, set[str]], group: set[str]) -> list[str]:
    """One shortest loop through the group's first module (breadth-first, within the group)."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(edges.get(node, set()) & group):
                if nxt == start:
                    return [*paths[node], start]
                if nxt not in paths:
                    paths[nxt] = [*paths[node], nxt]
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no loop through {sorted(group)}")  # a strongly connected group has one


def crossings(edges: dict[str, set[str]], source: str, target: str) -> list[str]:
    """'a.x -> b.y' for each import from package `source` into package `target`."""
    def inside(name: str, package: str) -> bool:
        return name == package or name.startswith(package + ".")

    return sorted(
        f"{module} -> {imported}"
        for module, imported_set in edges.items() if inside(module, source)
        for imported in imported_set if inside(imported, target)
    )
