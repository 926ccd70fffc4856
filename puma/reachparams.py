"""Lines of a shared function that only one deployment exercises: a parameter only it passes.

A port often edits a function both deployments run: `def handle(bot, data, *, request_key=None)`
with `if request_key is not None: ...` inside. Both deployments reach `handle`, so by definition
its lines are shared; yet the monolith never passes `request_key`, so the parameter, the
statements that use it and the branch that runs only when it is given exist for the port alone.

A parameter with a default is *passed* by a deployment when that deployment's reached code
(`puma.reach`) has a call that may give it: a keyword of its name (to any callee, matched by name
as attributes are), or, to a callee of the function's name, enough positional arguments, `*args` or
`**kwargs`. A keyword whose value is itself such an unpassed parameter of the calling function
(`turn(request_key=request_key)`) passes nothing the deployment has: it is followed to a fixpoint.
A function a deployment names without calling it (a callback, a served target) may be given
anything: its parameters count as passed.

For an unpassed parameter, its own line, every line that uses it, and, for an `if` whose test
the parameter's default decides (`p`, `not p`, `p is None`, `p is not None`, `p == 3`, joined by
`and`/`or`), the branch that default never takes, belong to the other deployment alone. A
statement that uses the parameter only through another name (`key = p; ... key ...`) is not
followed: the count stays a lower bound.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

_UNKNOWN = object()


class _Node(Protocol):
    name: str
    kind: str
    rows: set[int]
    trees: list[ast.AST]


def only_passed_by(both: Iterable[Any], reached_other: Iterable[Any],
                   reached_self: Iterable[Any] = ()) -> dict[Any, tuple[set[int], set[Any]]]:
    """For each function node in `both` (reached by both deployments), the rows only the deployment
    that is *not* `reached_other` exercises (those of parameters `reached_other`'s code never
    passes), and the nodes of `reached_self` that pass them (what the rows are for)."""
    candidates = {n: _defaulted(fn) for n in both
                  if n.kind in ("def", "method") and (fn := _function(n)) is not None}
    candidates = {n: c for n, c in candidates.items() if c}
    if not candidates:
        return {}
    unpassed = _unpassed(candidates, list(reached_other))
    found: dict[Any, tuple[set[int], set[Any]]] = {}
    for node, params in unpassed.items():
        fn = _function(node)
        assert fn is not None
        rows = {row for name, default in params.items() for row in _rows_of(fn, name, default)} & node.rows
        if rows:
            found[node] = (rows, _passers(fn, params, reached_self))
    return found


def _passers(fn: ast.FunctionDef | ast.AsyncFunctionDef, params: dict[str, ast.expr],
             reached: Iterable[Any]) -> set[Any]:
    positions = [i for name, (i, _, _) in _defaulted(fn).items() if name in params and i >= 0]
    first = min(positions, default=None)

    def passes(call: ast.Call) -> bool:
        if any(k.arg in params for k in call.keywords):
            return True
        if _callee_name(call) != fn.name or first is None:
            return False
        given = len(call.args) + (1 if isinstance(call.func, ast.Attribute) else 0)
        return any(k.arg is None for k in call.keywords) or any(isinstance(a, ast.Starred) for a in call.args) \
            or given > first

    return {node for node in reached
            if any(isinstance(item, ast.Call) and passes(item) for tree in node.trees for item in ast.walk(tree))}


def _function(node: _Node) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    tree = node.trees[0] if node.trees else None
    return tree if isinstance(tree, ast.FunctionDef | ast.AsyncFunctionDef) else None


def _name(node: _Node) -> str:
    """The name of the function `node` holds ("" for a node that holds none)."""
    fn = _function(node)
    return fn.name if fn is not None else ""


def _defaulted(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, tuple[int, ast.arg, ast.expr]]:
    """Parameters with a default: name -> (positional index or -1 for keyword-only, arg, default)."""
    args = fn.args
    positional = [*args.posonlyargs, *args.args]
    found = {}
    for index, (arg, default) in enumerate(zip(positional[len(positional) - len(args.defaults):], args.defaults,
                                               strict=True)):
        found[arg.arg] = (len(positional) - len(args.defaults) + index, arg, default)
    for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        if kw_default is not None:
            found[arg.arg] = (-1, arg, kw_default)
    return found


def _unpassed(candidates: dict[Any, dict[str, tuple[int, ast.arg, ast.expr]]],
              reached: list[Any]) -> dict[Any, dict[str, ast.expr]]:
    names = {_name(n) for n in candidates}
    by_name: dict[str, list[tuple[Any, str]]] = {}
    for node, params in candidates.items():
        for param in params:
            by_name.setdefault(param, []).append((node, param))
    open_ = {(node, p) for node, params in candidates.items() for p in params}
    conditional: list[tuple[str, Any, str]] = []  # keyword given as the caller's own parameter
    for node in reached:
        for call, bare_names in _uses(node, names):
            for name in bare_names:  # named, not called: may be given anything
                open_ -= {(n, p) for n, p in open_ if _name(n) == name}
            if call is None:
                continue
            _passes(call, node, candidates, open_, conditional)
    changed = True
    while changed:  # a keyword fed by a parameter that is passed after all passes its own
        changed = False
        for keyword, caller, source in conditional:
            if (caller, source) not in open_:
                before = len(open_)
                open_ -= set(by_name.get(keyword, []))
                changed = changed or len(open_) != before
    unpassed: dict[Any, dict[str, ast.expr]] = {}
    for node, param in open_:
        unpassed.setdefault(node, {})[param] = candidates[node][param][2]
    return unpassed


def _passes(call: ast.Call, caller: Any, candidates: dict[Any, dict[str, tuple[int, ast.arg, ast.expr]]],
            open_: set[tuple[Any, str]], conditional: list[tuple[str, Any, str]]) -> None:
    for keyword in call.keywords:
        value = keyword.value
        if keyword.arg is None:
            continue
        if isinstance(value, ast.Name) and caller in candidates and value.id in candidates[caller]:
            conditional.append((keyword.arg, caller, value.id))
        else:
            open_ -= {(n, p) for n, p in open_ if p == keyword.arg}
    callee = _callee_name(call)
    if callee is None:
        return
    double = any(k.arg is None for k in call.keywords)
    splat = any(isinstance(a, ast.Starred) for a in call.args)
    shift = 1 if isinstance(call.func, ast.Attribute) else 0  # obj.m(a): `a` is m's second parameter
    for node, param in list(open_):
        if _name(node) != callee:
            continue
        index = candidates[node][param][0]
        given = len(call.args) + (shift if node.kind == "method" else 0)
        if double or (index >= 0 and (splat or given > index)):
            open_.discard((node, param))


def _callee_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _uses(node: _Node, names: set[str]) -> Iterator[tuple[ast.Call | None, set[str]]]:
    """Each call in `node`'s code, and the functions it hands on without calling them (an argument,
    a value assigned, returned or put in a container, a target string PUMA serves)."""
    for tree in node.trees:
        for item in ast.walk(tree):
            if isinstance(item, ast.Call):
                yield item, set()
            handed = {name for value in _handed_on(item) if (name := _named(value)) in names}
            if handed:
                yield None, handed


def _handed_on(item: ast.AST) -> list[ast.AST]:
    if isinstance(item, ast.Call):
        return [*item.args, *(k.value for k in item.keywords)]
    if isinstance(item, ast.Assign | ast.Return | ast.AnnAssign | ast.NamedExpr) and item.value is not None:
        return [item.value]
    if isinstance(item, ast.List | ast.Tuple | ast.Set):
        return list(item.elts)
    if isinstance(item, ast.Dict):
        return list(item.values)
    if isinstance(item, ast.Constant) and isinstance(item.value, str) and ":" in item.value:
        return [item]
    return []


def _named(value: ast.AST) -> str | None:
    if isinstance(value, ast.Name):
        return value.id
    if isinstance(value, ast.Attribute):
        return value.attr
    if isinstance(value, ast.Constant) and isinstance(value.value, str) and ":" in value.value:  # a target
        return value.value.rsplit(":", 1)[-1].removesuffix("()").rsplit(".", 1)[-1]
    return None


def _rows_of(fn: ast.FunctionDef | ast.AsyncFunctionDef, name: str, default: ast.expr) -> set[int]:
    arg = next(a for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs] if a.arg == name)
    rows = {arg.lineno}
    value = default.value if isinstance(default, ast.Constant) else _UNKNOWN
    for statement in fn.body:
        rows |= _statement_rows(statement, name, value)
    return rows


def _statement_rows(statement: ast.stmt, name: str, default: Any) -> set[int]:
    """The rows of `statement` that exist for `name`: where it is used, and a branch its default never takes."""
    if isinstance(statement, ast.If) and _mentions(statement.test, name):
        taken = _decided(statement.test, name, default)
        rows = _used_on(statement.test, name)
        if taken is _UNKNOWN:
            return rows | _block_rows(statement.body, name, default) | _block_rows(statement.orelse, name, default)
        never, runs = (statement.orelse, statement.body) if taken else (statement.body, statement.orelse)
        return rows | {r for s in never for r in _span(s)} | _block_rows(runs, name, default)
    blocks = [b for b in ("body", "orelse", "finalbody", "handlers") if isinstance(getattr(statement, b, None), list)]
    if not blocks:
        return _used_on(statement, name)
    header = [c for field, child in ast.iter_fields(statement) if field not in blocks
              for c in (child if isinstance(child, list) else [child]) if isinstance(c, ast.AST)]
    rows = {r for h in header for r in _used_on(h, name)}
    return rows | _block_rows([s for b in blocks for s in getattr(statement, b)], name, default)


def _used_on(tree: ast.AST, name: str) -> set[int]:
    return {item.lineno for item in ast.walk(tree) if isinstance(item, ast.Name) and item.id == name}


def _block_rows(statements: list[Any], name: str, default: Any) -> set[int]:
    rows: set[int] = set()
    for statement in statements:
        if isinstance(statement, ast.ExceptHandler):
            rows |= _block_rows(statement.body, name, default)
        else:
            rows |= _statement_rows(statement, name, default)
    return rows


def _mentions(tree: ast.AST, name: str) -> bool:
    return any(isinstance(item, ast.Name) and item.id == name for item in ast.walk(tree))


def _span(tree: ast.AST) -> set[int]:
    first = getattr(tree, "lineno", 0)
    return set(range(first, (getattr(tree, "end_lineno", None) or first) + 1))


def _decided(test: ast.expr, name: str, default: Any) -> Any:
    """The truth of `test` with `name` at its constant `default`, or `_UNKNOWN`."""
    if default is _UNKNOWN:
        return _UNKNOWN
    if isinstance(test, ast.Name) and test.id == name:
        return bool(default)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _decided(test.operand, name, default)
        return inner if inner is _UNKNOWN else not inner
    if isinstance(test, ast.BoolOp):
        values = [_decided(v, name, default) for v in test.values]
        stop = isinstance(test.op, ast.Or)  # `or` is decided by a True, `and` by a False
        if stop in values:
            return stop
        return _UNKNOWN if _UNKNOWN in values else not stop
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.left, ast.Name) \
            and test.left.id == name and isinstance(test.comparators[0], ast.Constant):
        other, op = test.comparators[0].value, test.ops[0]
        comparisons = {ast.Is: default is other, ast.IsNot: default is not other, ast.Eq: default == other,
                       ast.NotEq: default != other}
        return comparisons.get(type(op), _UNKNOWN)
    return _UNKNOWN


__all__ = ["only_passed_by"]
