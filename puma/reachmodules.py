"""An application's Python files read into modules of nodes, the units `puma.reach` follows: each
module-level statement, function, class (its own lines) and method, with the names each binds,
and what each import binds. Packages named as the framework are not read.
"""

from __future__ import annotations

import ast
import sys
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .locreport import code_rows


@dataclass(eq=False)
class Node:
    """A unit of reach: a module-level statement, a function, a class's own lines, or one method."""

    module: str
    name: str
    rows: set[int]
    trees: list[ast.AST]
    kind: str  # "def", "class", "method", "import", "stmt", "main"
    binds: tuple[str, ...] = ()
    owner: str | None = None  # a method's class
    registered: bool = False  # a web framework calls it: reached when its module loads (`_registers`)


@dataclass(eq=False)
class Module:
    name: str
    path: Path
    nodes: list[Node] = field(default_factory=list)
    defines: dict[str, Node] = field(default_factory=dict)
    imports: dict[str, tuple[Node, str, str | None]] = field(default_factory=dict)  # name -> (node, module, attr)
    methods: dict[str, dict[str, Node]] = field(default_factory=dict)  # class -> method -> node
    is_package: bool = False


class Program:
    """The parsed modules under `root` (not the framework's)."""

    def __init__(self, root: Path, framework: Iterable[str] = ("puma",)) -> None:
        self.root = root.resolve()
        self.framework = tuple(framework)
        self.modules: dict[str, Module | None] = {}
        self.beside: list[Path] = []  # entry scripts' directories, searched after the root (see `add_beside`)
        self.unfound_said: set[str] = set()  # imported modules found nowhere under it, each warned of once

    def add_beside(self, script: Path) -> None:
        """Search `script`'s directory too, after the root, as `puma run` and `python SCRIPT` import a
        module beside the script (`import photolab` next to `app.py`) wherever they are run from; the
        standard library's names are never taken from there (a process finds those first)."""
        folder = script.resolve().parent
        if folder != self.root and folder not in self.beside:
            self.beside.append(folder)

    def module(self, name: str) -> Module | None:
        if name not in self.modules:
            self.modules[name] = None if name.split(".")[0] in self.framework else self._parse(name)
        return self.modules[name]

    def name_of(self, path: Path) -> str:
        rel = path.resolve().relative_to(self.root).with_suffix("")
        parts = list(rel.parts)
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    def _parse(self, name: str) -> Module | None:
        stdlib = name.split(".")[0] in sys.stdlib_module_names
        for folder in [self.root, *([] if stdlib else self.beside)]:
            base = folder.joinpath(*name.split("."))
            for path, package in ((base / "__init__.py", True), (base.with_suffix(".py"), False)):
                if path.is_file():
                    return _read_module(name, path, package)
        return None


def import_bindings(item: ast.Import | ast.ImportFrom, module: str, package: bool = False) -> dict[str, tuple[str, str | None]]:
    if isinstance(item, ast.Import):
        return {(a.asname or a.name.split(".")[0]): (a.name if a.asname else a.name.split(".")[0], None)
                for a in item.names}
    base = item.module or ""
    if item.level:
        anchor = module.split(".") if package else module.split(".")[:-1]
        anchor = anchor[: len(anchor) - (item.level - 1)] if item.level > 1 else anchor
        base = ".".join([*anchor, base] if base else anchor)
    return {(a.asname or a.name): (base, a.name) for a in item.names if a.name != "*"}


# --- reading a module into nodes ---------------------------------------------------------------


def _read_module(name: str, path: Path, package: bool) -> Module:
    source = path.read_text(encoding="utf-8", errors="replace")
    module = Module(name, path, is_package=package)
    try:
        tree = ast.parse(source)
        rows = set(code_rows(source))
    except (SyntaxError, tokenize.TokenError):
        return module
    for statement in tree.body:
        for node in _nodes(module, statement, package):
            node.rows = {r for r in node.rows if r in rows}
            module.nodes.append(node)
    return module


def _nodes(module: Module, statement: ast.stmt, package: bool) -> Iterator[Node]:
    span = _span(statement)
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
        node = Node(module.name, statement.name, span, [statement], "def", (statement.name,),
                    registered=_registers(statement))
        module.defines[statement.name] = node
        yield node
    elif isinstance(statement, ast.ClassDef):
        yield from _class_nodes(module, statement, span)
    elif isinstance(statement, ast.Import | ast.ImportFrom):
        yield _import_node(module, statement, span, package)
    elif _is_type_checking(statement):
        assert isinstance(statement, ast.If)
        for inner in statement.body:
            if isinstance(inner, ast.Import | ast.ImportFrom):
                yield _import_node(module, inner, _span(inner), package)
    elif _is_main_guard(statement):
        yield Node(module.name, "__main__", span, [statement], "main")
    else:
        node = Node(module.name, f"<line {statement.lineno}>", span, [statement], "stmt", _assigned(statement))
        for name in node.binds:
            module.defines.setdefault(name, node)
        yield node


def _class_nodes(module: Module, statement: ast.ClassDef, span: set[int]) -> Iterator[Node]:
    methods: dict[str, Node] = {}
    for base in statement.bases:
        base._puma_base = True  # type: ignore[attr-defined]  # a mark on the AST node, read by _bases
    own: list[ast.AST] = [*statement.decorator_list, *statement.bases, *statement.keywords]
    for item in statement.body:
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
            method = Node(module.name, item.name, _span(item), [item], "method", owner=statement.name)
            methods[item.name] = method
            span -= method.rows
        else:
            own.append(item)
    node = Node(module.name, statement.name, span, own, "class", (statement.name,), registered=_registers(statement))
    module.defines[statement.name] = node
    module.methods[statement.name] = methods
    yield node
    yield from methods.values()


def _import_node(module: Module, statement: ast.Import | ast.ImportFrom, span: set[int], package: bool) -> Node:
    bindings = import_bindings(statement, module.name, package)
    future = isinstance(statement, ast.ImportFrom) and statement.module == "__future__"
    node = Node(module.name, f"<import line {statement.lineno}>", span, [statement], "stmt" if future else "import",
                tuple(bindings))
    for name, (target, attr) in bindings.items():
        module.imports[name] = (node, target, attr)
    return node


# Decorators by which a framework registers a handler it calls itself: nothing in the app names
# the function again, so without this everything a route calls would look unreached.
# Flask/Quart (`@app.route`, `@bp.post`, `@app.errorhandler`), FastAPI/Starlette (`@router.get`,
# `@app.on_event`, `@app.middleware`), aiohttp (`@routes.get`), Bottle (`@get(...)`), Sanic,
# flask-restx (`@ns.route` on a class), click and Celery entry points.
_REGISTERING = frozenset({
    "route", "get", "post", "put", "patch", "delete", "head", "options", "trace", "websocket",
    "api_route", "websocket_route", "view", "add_route", "errorhandler", "app_errorhandler",
    "exception_handler", "before_request", "after_request", "teardown_request", "teardown_appcontext",
    "before_app_request", "after_app_request", "before_first_request", "context_processor",
    "app_context_processor", "template_filter", "template_global", "template_test",
    "url_value_preprocessor", "url_defaults", "on_event", "middleware", "listener", "exception",
    "command", "group", "task", "shared_task", "periodic_task",
})


def _registers(statement: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> bool:
    """`@app.get("/x")`, `@bp.route(...)`, `@app.before_request`, `@get("/x")`: a registering decorator."""
    for decorator in statement.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else target.id if isinstance(target, ast.Name) else None
        if name in _REGISTERING:
            return True
    return False


def _span(statement: ast.stmt) -> set[int]:
    first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", []))])
    return set(range(first, (statement.end_lineno or statement.lineno) + 1))


def _assigned(statement: ast.stmt) -> tuple[str, ...]:
    targets: list[ast.AST] = []
    if isinstance(statement, ast.Assign):
        targets = list(statement.targets)
    elif isinstance(statement, ast.AnnAssign | ast.AugAssign):
        targets = [statement.target]
    return tuple(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))


def _is_type_checking(statement: ast.stmt) -> bool:
    if not isinstance(statement, ast.If):
        return False
    test = statement.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _is_main_guard(statement: ast.stmt) -> bool:
    if not isinstance(statement, ast.If) or not isinstance(statement.test, ast.Compare):
        return False
    sides = [statement.test.left, *statement.test.comparators]
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and any(
        isinstance(s, ast.Constant) and s.value == "__main__" for s in sides)
