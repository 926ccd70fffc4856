"""What code each of two deployments of one application reaches, line by line: `puma loc-report --whole`.

Comparing the port's files alone misses glue hidden in modules both deployments share (a remote
proxy in the app's own wiring, a method only the port calls). This reads the Python files under a
root and follows, from each deployment's entry point, what its code can reach:

* **definitions** — module functions, classes, and each method of a class on its own — are reached
  when reached code names them: a name, `module.name`, an import, or a service target string
  (`"pkg.mod:Class"`, `"pkg.mod:factory()"`: what PUMA imports by path). A method is reached when
  its class is and reached code uses an attribute of its name anywhere (`x.search(...)`), or it is
  a dunder, or its class is served by PUMA (every public method is then an endpoint).
* **imports** are reached when a name they bind is used; other module-level statements when their
  module is loaded; `if __name__ == "__main__":` only in an entry module. A function or class a web
  framework registers by decorator (`@app.get("/x")`, `@bp.route`, `@router.post`, `@app.errorhandler`)
  is reached when its module is loaded: the framework calls it, nothing in the app names it.

Each counted line (`puma.locreport`: no blanks, comments or docstrings) is then reached by the old
deployment only (*removed*: what the port shed), the new one only (*added*: what exists only for the
port), both (*retained*) or neither. Packages named as the framework (`puma` by default) are the
library both use, not the app, and are not read.

Static and conservative: attribute names are matched by name, not type, so a method is counted as
reached if any reached code uses an attribute of that name. Inside code both reach, the lines of a
parameter only one deployment passes (its declaration, the lines using it, the branch its default
never takes) are that deployment's alone (`puma.reachparams`), and a line that imports or names the
framework is the new deployment's (a monolith runs without it). A line only the new deployment
reaches in a module the old one imports, outside such edits, is the old program's code as it was
(`Line.exposed`): a function the old front never called that the port now serves or calls, which
`puma.locreport` counts apart from the port's own code.

    rows = whole(Path("."), old=Path("legacy_socket_server"), new=Path("chatbot/puma_app.py"))

Reading the files into nodes is `puma.reachmodules`; following them is here.
"""

from __future__ import annotations

import ast
import importlib.util
import logging
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from . import apperrors
from .reachmodules import Module, import_bindings
from .reachmodules import Node as Node  # re-exported: puma.reachdiff names them from here
from .reachmodules import Program as Program
from .reachparams import only_passed_by
from .reachservices import exported, served_module

log = logging.getLogger(__name__)

_TARGET = re.compile(r"^([A-Za-z_][\w.]*):([A-Za-z_][\w.]*)(\(\))?$")
_ATTRIBUTE_CALLS = {"getattr", "hasattr", "setattr", "delattr"}


@dataclass(frozen=True)
class Line:
    """One counted line: where it is, which definition owns it, who reaches it; for an import,
    the definitions that use what it imports (in the new deployment); for a row of a parameter only
    the new deployment passes, the definitions that pass it (`puma.reachparams`); and, for a line
    only the new deployment reaches, whether it is the old program's code unchanged (`exposed`:
    a function the old front never called that the port serves, not code written for the port)."""

    path: str
    row: int
    owner: str
    old: bool
    new: bool
    users: tuple[str, ...] = ()
    passed_by: tuple[str, ...] = ()  # a shared function's row only the new deployment exercises: who passes it
    exposed: bool = False  # new only, yet the old program's code as it was: the port did not write it


def whole(root: Path, *, old: Path, new: Path, framework: Iterable[str] = ("puma",)) -> list[Line]:
    """Every counted line of the application code either deployment reaches, marked old/new."""
    program = Program(root, framework)
    log.info("loc-report: 1/3 following what the old deployment (%s) reaches", old)
    old_reach = Reach(program, _entry(program, old))
    reached_old = old_reach.run()
    log.info("loc-report: 2/3 following what the new deployment (%s) reaches", new)
    new_reach = Reach(program, _entry(program, new))
    reached_new = new_reach.run()
    log.info("loc-report: 3/3 marking each line old, new or both")
    both = reached_old & reached_new
    new_only = only_passed_by(both, reached_old, reached_new)  # rows of shared functions only the port exercises
    old_only = only_passed_by(both, reached_new, reached_old)
    for node in both:  # a monolith runs without the framework: a shared line that uses it is the port's
        found = _framework_rows(program, node)
        if found:
            rows, passers = new_only.get(node, (set(), set()))
            new_only[node] = (rows | found, passers)
    lines = []
    for module in (m for m in program.modules.values() if m is not None):
        rel = str(module.path.relative_to(program.root))
        for node in module.nodes:
            users = tuple(sorted(_owner(u) for u in new_reach.users.get(node, ())))
            new_rows, passers = new_only.get(node, (set(), set()))
            exposed = _exposed(program, node, old_reach.loaded, reached_old)
            for row in sorted(node.rows):
                old_rows = old_only.get(node, (set(), set()))[0]
                both_need = row in new_rows and row in old_rows  # `def f(a, new=None, old=None)`: shared
                old_has = node in reached_old and (row not in new_rows or both_need)
                new_has = node in reached_new and (row not in old_rows or both_need)
                via = tuple(sorted(_owner(p) for p in passers)) if row in new_rows and not both_need else ()
                lines.append(Line(rel, row, _owner(node), old_has, new_has, users, via,
                                  exposed and new_has and not old_has))
    return sorted(lines, key=lambda line: (line.path, line.row))


def _exposed(program: Program, node: Node, old_loaded: set[str], reached_old: set[Node]) -> bool:
    """Whether `node`, if only the new deployment reaches it, is the old program's code unchanged: it
    lies in a module the old deployment imports (one tree: that file is the old program's as it is)
    and names no framework (a definition that does was written for the port)."""
    return node.module in old_loaded and node not in reached_old and not _framework_rows(program, node)


def _framework_rows(program: Program, node: Node) -> set[int]:
    """The counted rows of `node` that import or name the framework (`puma`, or what it imports from it)."""
    module = program.module(node.module)
    if module is None:
        return set()
    names = {name for name, (_, target, _) in module.imports.items() if target.split(".")[0] in program.framework}
    names |= {name for name, (target, _) in _local_imports(node).items() if target.split(".")[0] in program.framework}
    rows: set[int] = set()
    for tree in node.trees:
        for item in ast.walk(tree):
            if isinstance(item, ast.Import | ast.ImportFrom):
                if any(target.split(".")[0] in program.framework for target, _ in import_bindings(item, node.module).values()):
                    rows.update(range(item.lineno, (item.end_lineno or item.lineno) + 1))
            elif isinstance(item, ast.Name) and item.id in names:
                rows.add(item.lineno)
    return rows & node.rows


def _owner(node: Node) -> str:
    return f"{node.module}:{node.owner}.{node.name}" if node.owner else f"{node.module}:{node.name}"


def _project_root(path: Path) -> Path:
    """The nearest directory above `path` that holds a project file (pyproject.toml, setup.py, .git)."""
    for parent in path.parents:
        if any((parent / marker).exists() for marker in ("pyproject.toml", "setup.py", "setup.cfg", ".git")):
            return parent
    return path.parent


def _entry(program: Program, path: Path) -> Module:
    path = path.resolve()
    if path.is_file():  # a script (not `python -m package`): what is beside it is importable
        program.add_beside(path)
    if path.is_dir():
        path = path / "__main__.py" if (path / "__main__.py").is_file() else path / "__init__.py"
    if not path.is_file():
        raise FileNotFoundError(f"no Python entry point at {path}: no such file (a relative path is read "
                                f"from the current directory, {Path.cwd()})")
    if program.root not in path.parents:
        raise FileNotFoundError(f"{path} is outside the source root {program.root} (--root, default: the current "
                                f"directory); run from the project's root, or pass --root {_project_root(path)}")
    module = program.module(program.name_of(path))
    if module is None:
        raise FileNotFoundError(f"{path} is not importable from {program.root}")
    return module


class Reach:
    """The fixpoint of what one deployment's code reaches from its entry module."""

    def __init__(self, program: Program, entry: Module) -> None:
        self.program = program
        self.entry = entry
        self.reached: set[Node] = set()
        self.loaded: set[str] = set()
        self.attributes: set[str] = set()
        self.served: set[tuple[str, str]] = set()  # (module, class) whose public methods are endpoints
        self.pending: list[Node] = []
        self.users: dict[Node, set[Node]] = {}  # an import -> the nodes that used a name it binds
        self.current: Node | None = None

    def run(self) -> set[Node]:
        self._load(self.entry.name, entry=True)
        while True:
            while self.pending:
                self._scan(self.pending.pop())
            if not self._reach_methods():
                return self.reached

    def _reach(self, node: Node) -> None:
        if node.kind == "import" and self.current is not None:
            self.users.setdefault(node, set()).add(self.current)
        if node not in self.reached:
            self.reached.add(node)
            self.pending.append(node)

    def _load(self, name: str, *, entry: bool = False) -> Module | None:
        module = self.program.module(name)
        if module is None:
            _say_unfound(self.program, name)
        if module is None or name in self.loaded:
            return module
        self.loaded.add(name)
        if "." in name:
            self._load(name.rsplit(".", 1)[0])  # importing a submodule runs its package first
        for node in module.nodes:
            if node.kind == "stmt" or node.registered or (node.kind == "main" and entry):
                self._reach(node)
        return module

    def _reach_methods(self) -> bool:
        grew = False
        for node in list(self.reached):
            if node.kind != "class":
                continue
            module = self.program.module(node.module)
            # Served by PUMA, or a subclass of a class outside the app (whose framework calls its hooks).
            served = (node.module, node.name) in self.served or self._extends_outside(module, node)
            for name, method in (module.methods.get(node.name, {}) if module else {}).items():
                public = not name.startswith("_")
                if method not in self.reached and (name in self.attributes or _dunder(name) or (served and public)):
                    self._reach(method)
                    grew = True
        return grew

    def _extends_outside(self, module: Module | None, node: Node) -> bool:
        for tree in node.trees:
            if isinstance(tree, ast.expr) and tree in _bases(node):
                chain = _chain(tree) if isinstance(tree, ast.Attribute) else [tree.id] if isinstance(tree, ast.Name) else None
                if chain and module is not None and not self._inside(module, chain[0]):
                    return True
        return False

    def _inside(self, module: Module, name: str) -> bool:
        if name in module.defines:
            return True
        if name not in module.imports:
            return name == "object"
        _, target, attr = module.imports[name]
        return self.program.module(target) is not None and (attr is None or self.program.module(target) is not None)

    # --- references -----------------------------------------------------------------------
    def _scan(self, node: Node) -> None:
        module = self.program.module(node.module)
        assert module is not None
        self.current = node
        local = _local_imports(node)
        for tree in node.trees:
            for item in ast.walk(tree):
                if isinstance(item, ast.Attribute):
                    self.attributes.add(item.attr)
                    chain = _chain(item)
                    if chain:
                        self._use(module, chain, local)
                elif isinstance(item, ast.Name):
                    self._use(module, [item.id], local)
                elif isinstance(item, ast.Constant) and isinstance(item.value, str):
                    self._target(item.value)
                elif isinstance(item, ast.Call) and isinstance(item.func, ast.Name) and item.func.id in _ATTRIBUTE_CALLS:
                    self.attributes.update(a.value for a in item.args[1:2] if isinstance(a, ast.Constant)
                                           and isinstance(a.value, str))
                if isinstance(item, ast.Call) and (served := served_module(item, module.name)) is not None:
                    self._serve_module(served)

    def _use(self, module: Module, chain: list[str], local: dict[str, tuple[str, str | None]]) -> None:
        head, rest = chain[0], chain[1:]
        if head in local:
            target = self._resolve_import(*local[head])
        elif head in module.defines:
            self._reach(module.defines[head])
            target = ("def", module.name, head)
        elif head in module.imports:
            binding, mod, attr = module.imports[head]
            self._reach(binding)
            target = self._resolve_import(mod, attr)
        else:
            return
        self._follow(target, rest)

    def _follow(self, target: tuple[str, str, str | None] | None, rest: list[str]) -> None:
        while target is not None and target[0] == "module" and rest:
            target = self._resolve_import(target[1], rest[0])
            rest = rest[1:]

    def _resolve_import(self, module_name: str, attr: str | None) -> tuple[str, str, str | None] | None:
        """What `from module_name import attr` (or `import module_name`, attr None) names."""
        if attr is None:
            return ("module", module_name, None) if self._load(module_name) is not None else None
        if self.program.module(f"{module_name}.{attr}") is not None:
            self._load(f"{module_name}.{attr}")
            return ("module", f"{module_name}.{attr}", None)
        module = self._load(module_name)
        return self._definition(module, attr) if module is not None else None

    def _definition(self, module: Module, name: str, depth: int = 0) -> tuple[str, str, str | None] | None:
        if name in module.defines:
            self._reach(module.defines[name])
            return ("def", module.name, name)
        if name in module.imports and depth < 20:  # a re-export: follow it
            binding, mod, attr = module.imports[name]
            self._reach(binding)
            return self._resolve_import(mod, attr)
        if "__getattr__" in module.defines:  # a lazy attribute of a package
            self._reach(module.defines["__getattr__"])
        return None

    def _serve_module(self, name: str) -> None:
        """`puma_service("pkg.mod")`: what the module defines is served, as a target string's is."""
        module = self._load(name)
        if module is None:
            return
        for attr in exported(module):
            found = self._definition(module, attr)
            if found is not None and found[2] is not None:
                owner = self.program.module(found[1])
                if owner is not None and found[2] in owner.methods:
                    self.served.add((found[1], found[2]))

    def _target(self, text: str) -> None:
        match = _TARGET.match(text)
        if not match or self.program.module(match.group(1)) is None:
            return
        module = self._load(match.group(1))
        assert module is not None
        first, *rest = match.group(2).split(".")
        found = self._definition(module, first)
        self.attributes.update(rest)
        if found is None:
            return
        _, owner_module, name = found
        owner = self.program.module(owner_module)
        assert owner is not None and name is not None
        if name in owner.methods and (not rest or match.group(3)):
            self.served.add((owner_module, name))  # the class (or its factory's result) is served
        elif match.group(3) and not rest:
            served = _returned_class(owner.defines[name])
            if served is not None and served in owner.methods:
                self._definition(owner, served)
                self.served.add((owner_module, served))


def _bases(node: Node) -> list[ast.expr]:
    return [t for t in node.trees if isinstance(t, ast.expr) and getattr(t, "_puma_base", False)]


def _dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _chain(node: ast.Attribute) -> list[str] | None:
    """`a.b.c` as ["a", "b", "c"] (None unless it starts at a name)."""
    parts: list[str] = []
    current: ast.AST = node
    while isinstance(current, ast.Attribute):
        parts.append(current.attr)
        current = current.value
    if not isinstance(current, ast.Name):
        return None
    return [current.id, *reversed(parts)]


def _local_imports(node: Node) -> dict[str, tuple[str, str | None]]:
    """Imports made inside a function's body (or a block): name -> (module, attribute)."""
    found: dict[str, tuple[str, str | None]] = {}
    if node.kind == "import":
        return found
    for tree in node.trees:
        for item in ast.walk(tree):
            if isinstance(item, ast.Import | ast.ImportFrom):
                found.update(import_bindings(item, node.module))
    return found


def _returned_class(node: Node) -> str | None:
    for tree in node.trees:
        if isinstance(tree, ast.FunctionDef | ast.AsyncFunctionDef) and tree.returns is not None:
            returns = tree.returns
            if isinstance(returns, ast.Constant) and isinstance(returns.value, str):
                return returns.value
            if isinstance(returns, ast.Name):
                return returns.id
    return None


__all__ = ["Line", "Program", "whole"]


def _say_unfound(program: Program, name: str) -> None:
    """Warn, once per top-level name, of an imported module that is neither under the source root
    nor the standard library's nor an installed library's: the app's own code found only on another
    path (run from inside a package, a PYTHONPATH), which the count would leave out unsaid."""
    top = name.split(".")[0]
    said = program.unfound_said
    if top in said or top in sys.stdlib_module_names or top in program.framework:
        return
    said.add(top)
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        spec = None
    origin = getattr(spec, "origin", None)
    if not origin or origin in ("built-in", "frozen") or any(
            root in Path(origin).resolve().parents for root in apperrors.library_roots()):
        return  # not installed (or typing-only), built in, or an installed library: not the app's to count
    log.warning("loc-report: module %r is imported, and found at %s, outside the source root %s: its lines are "
                "not counted; run from the project's root or pass --root DIR", top, Path(origin).parent, program.root)
