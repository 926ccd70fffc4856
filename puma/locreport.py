"""`puma loc-report OLD NEW`: lines of code added, retained and removed by a port.

A general tool for anyone porting an app: it measures what the paper measured for its
chatbot ("nine lines of additional code and 13 lines of retained logic ... shed 49 lines").

What counts as a line: a physical line that carries code. Blank lines, comment-only lines
and docstrings (a statement that is only a string, first in a module or in a block: the
docstrings of modules, classes and functions) are documentation, not code, and are not
counted; a trailing comment is cut off. Python files are read with `tokenize`, so `#`
inside a string is code; files that are not Python, or that do not tokenize, count every
non-blank line not starting with `#` or `//`.
Lines are compared after normalising whitespace (indentation, runs of spaces), and matched
in order with difflib: matched lines are *retained*, the others *removed* (OLD only) or
*added* (NEW only).

OLD and NEW may be files or directories. Two directories are compared file by file (by
relative path; a file on one side only is all added or all removed), with a total row; a
directory against a file compares all the directory's files, concatenated, with the file.

>>> counts(["x = 1", "y = 2", "print(x)"], ["x = 1", "puma_start()"])
Counts(old=3, new=2, added=1, retained=1, removed=2)
"""

from __future__ import annotations

import difflib
import io
import json
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_PATTERN = "*.py"
_SKIP_TOKENS = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                tokenize.DEDENT, tokenize.ENCODING, tokenize.ENDMARKER}


@dataclass(frozen=True)
class Counts:
    old: int
    new: int
    added: int
    retained: int
    removed: int

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.old + other.old, self.new + other.new, self.added + other.added,
                      self.retained + other.retained, self.removed + other.removed)


@dataclass(frozen=True)
class Row:
    old: str | None
    new: str | None
    counts: Counts


def code_lines(source: str, *, python: bool = True) -> list[str]:
    """The counted lines of `source`, normalised. Example: `code_lines("x  =  1  # one")` -> `['x = 1']`."""
    if python:
        try:
            return _python_lines(source)
        except (tokenize.TokenError, SyntaxError):
            pass  # not valid Python after all: fall back to the plain rule
    return [_normal(line) for line in source.splitlines() if _plain_code(line)]


def counts(old: list[str], new: list[str]) -> Counts:
    """Match two lists of normalised lines in order; see the module doc."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    retained = sum(block.size for block in matcher.get_matching_blocks())
    return Counts(len(old), len(new), len(new) - retained, retained, len(old) - retained)


def report(old: Path, new: Path, *, pattern: str = DEFAULT_PATTERN) -> list[Row]:
    """One row per compared pair of files (see the module doc); no total row."""
    for path in (old, new):
        if not path.exists():
            raise FileNotFoundError(f"no such file or directory: {path}")
    if old.is_dir() and new.is_dir():
        return _by_file(old, new, pattern)
    return [Row(_label(old, pattern), _label(new, pattern),
                counts(_lines_of(old, pattern), _lines_of(new, pattern)))]


def total(rows: list[Row]) -> Counts:
    return sum((row.counts for row in rows), Counts(0, 0, 0, 0, 0))


def to_markdown(rows: list[Row]) -> str:
    """A Markdown table: one line per row, then the total when there are several rows."""
    lines = ["| old | new | old lines | new lines | added | retained | removed |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for row in rows:
        lines.append(_markdown_row(f"`{row.old}`" if row.old else "-",
                                   f"`{row.new}`" if row.new else "-", row.counts))
    if len(rows) > 1:
        lines.append(_markdown_row("**total**", "", total(rows)))
    return "\n".join(lines)


def to_json(rows: list[Row]) -> str:
    """`{"files": [{"old", "new", "old_lines", ...}], "total": {...}}`, pretty-printed."""
    doc = {"counting": "physical lines with code; no blanks, comments or docstrings",
           "files": [{"old": r.old, "new": r.new, **_named(r.counts)} for r in rows],
           "total": _named(total(rows))}
    return json.dumps(doc, indent=2)


def _named(c: Counts) -> dict[str, Any]:
    return {"old_lines": c.old, "new_lines": c.new, "added": c.added, "retained": c.retained,
            "removed": c.removed}


def _markdown_row(old: str, new: str, c: Counts) -> str:
    return f"| {old} | {new} | {c.old} | {c.new} | {c.added} | {c.retained} | {c.removed} |"


def _by_file(old: Path, new: Path, pattern: str) -> list[Row]:
    old_files = {p.relative_to(old) for p in _files(old, pattern)}
    new_files = {p.relative_to(new) for p in _files(new, pattern)}
    rows = []
    for rel in sorted(old_files | new_files):
        before = _lines_of(old / rel, pattern) if rel in old_files else []
        after = _lines_of(new / rel, pattern) if rel in new_files else []
        rows.append(Row(str(rel) if rel in old_files else None,
                        str(rel) if rel in new_files else None, counts(before, after)))
    return rows


def _files(root: Path, pattern: str) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob(pattern) if p.is_file() and not _hidden(p.relative_to(root)))


def _hidden(rel: Path) -> bool:
    return any(part.startswith(".") or part == "__pycache__" for part in rel.parts)


def _lines_of(path: Path, pattern: str) -> list[str]:
    lines: list[str] = []
    for file in _files(path, pattern):
        source = file.read_text(encoding="utf-8", errors="replace")
        lines += code_lines(source, python=file.suffix in (".py", ".pyw"))
    return lines


def _label(path: Path, pattern: str) -> str:
    if path.is_dir():
        return f"{path}/ ({len(_files(path, pattern))} files)"
    return str(path)


def _plain_code(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith(("#", "//"))


def _normal(text: str) -> str:
    return " ".join(text.split())


def _python_lines(source: str) -> list[str]:
    """Rows with code tokens, outside docstrings, cut before any trailing comment."""
    source_lines = source.splitlines()
    rows: dict[int, int] = {}  # row (1-based) -> column where code on it ends
    statement: list[tokenize.TokenInfo] = []
    opens_body = True  # the next statement may be a docstring
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type not in _SKIP_TOKENS:
            statement.append(tok)
        elif tok.type == tokenize.NEWLINE and statement:
            if not (opens_body and _is_docstring(statement)):
                _mark_rows(statement, rows, source_lines)
            opens_body = statement[-1].string == ":"
            statement = []
    return [_normal(source_lines[row - 1][:end]) for row, end in sorted(rows.items())]


def _is_docstring(statement: list[tokenize.TokenInfo]) -> bool:
    return all(tok.type == tokenize.STRING for tok in statement)


def _mark_rows(statement: list[tokenize.TokenInfo], rows: dict[int, int],
               source_lines: list[str]) -> None:
    for tok in statement:
        (start_row, _), (end_row, end_col) = tok.start, tok.end
        for row in range(start_row, end_row + 1):
            end = end_col if row == end_row else len(source_lines[row - 1])
            rows[row] = max(rows.get(row, 0), end)
