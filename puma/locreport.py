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
import tomllib
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
    rows = code_rows(source)
    return [_normal(source_lines[row - 1][:end]) for row, end in sorted(rows.items())]


def code_rows(source: str) -> dict[int, int]:
    """The rows (1-based) of Python `source` that count as code, each with the column where its
    code ends (before a trailing comment). Raises `tokenize.TokenError`/`SyntaxError` on bad Python."""
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
    return rows


def _is_docstring(statement: list[tokenize.TokenInfo]) -> bool:
    return all(tok.type == tokenize.STRING for tok in statement)


def _mark_rows(statement: list[tokenize.TokenInfo], rows: dict[int, int],
               source_lines: list[str]) -> None:
    for tok in statement:
        (start_row, _), (end_row, end_col) = tok.start, tok.end
        for row in range(start_row, end_row + 1):
            end = end_col if row == end_row else len(source_lines[row - 1])
            rows[row] = max(rows.get(row, 0), end)


# --- two deployments as wholes (`--whole`; see puma.reach) ---------------------------------------

PORT_GROUP = "the port's own code"
# New-only lines the port did not write: the old program's code as it was, which the new deployment
# reaches and the old did not (a function the old front never called, now served). Never the port's.
EXPOSED_GROUP = "unchanged code the new deployment now exposes"


@dataclass(frozen=True)
class Apart:
    """Port-only code to count on its own line, as a feature the old deployment does not have:
    definitions named by module (`chatbot.webapp`) or `module:qualname` prefixes."""

    label: str
    prefixes: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Apart:
        """`"the web UI=chatbot.webapp,chatbot.bot:Chatbot.save_survey"` -> an `Apart`."""
        label, sep, names = text.partition("=")
        prefixes = tuple(p.strip() for p in names.split(",") if p.strip())
        if not sep or not label.strip() or not prefixes:
            raise ValueError(f"--apart {text!r}: write LABEL=module[:qualname],... e.g. 'web UI=chatbot.webapp'")
        return cls(label.strip(), prefixes)

    def holds(self, owner: str) -> bool:
        return any(owner == p or (owner.startswith(p) and owner[len(p)] in ":.") for p in self.prefixes)


APART_TABLE = "[tool.puma.loc-report.apart]"


def configured_apart(root: Path) -> tuple[Apart, ...]:
    """The `--apart` lists a project keeps in `root/pyproject.toml`, so the short command counts as
    its README says; () when it keeps none. Raises ValueError naming the file and the bad entry.

        [tool.puma.loc-report.apart]
        "the web UI" = ["chatbot.webapp", "chatbot.bot:Chatbot.save_survey"]
    """
    path = root / "pyproject.toml"
    if not path.is_file():
        return ()
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}).get("puma", {})
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML ({exc})") from None
    found = table.get("loc-report", {}).get("apart", {})
    apart = []
    for label, names in found.items():
        if not isinstance(names, list) or not names or not all(isinstance(n, str) and n.strip() for n in names):
            raise ValueError(f"{path}: {APART_TABLE} {label!r} = {names!r}: give a list of module[:qualname] "
                             "names, e.g. [\"chatbot.webapp\"]")
        apart.append(Apart(label, tuple(n.strip() for n in names)))
    return tuple(apart)


def whole_report(lines: list[Any], old: str, new: str, apart: tuple[Apart, ...] = (),
                 apart_from: str = "--apart") -> dict[str, Any]:
    """The JSON document of `puma loc-report --whole`: totals, added lines by group and by file,
    and each definition that only the new deployment reaches. `apart_from` says where the apart
    lists came from (shown under the table, so a reader knows why a count is split)."""
    files: dict[str, dict[str, int]] = {}
    groups: dict[str, int] = {PORT_GROUP: 0, **{a.label: 0 for a in apart}, EXPOSED_GROUP: 0}
    owners: dict[tuple[str, str], int] = {}
    for line in lines:
        kind = "retained" if line.old and line.new else "removed" if line.old else "added" if line.new else "neither"
        counts = files.setdefault(line.path, {"removed": 0, "added": 0, "exposed": 0, "retained": 0, "neither": 0})
        counts[kind] += 1
        if kind == "added":
            group = _group(line, apart)
            if group == PORT_GROUP and getattr(line, "exposed", False):  # a feature counted apart stays there
                group = EXPOSED_GROUP
                counts["exposed"] += 1
            groups[group] += 1
            owners[(line.owner, group)] = owners.get((line.owner, group), 0) + 1
    totals = {k: sum(f[k] for f in files.values()) for k in ("removed", "added", "exposed", "retained", "neither")}
    # "Removed" reads as deleted by the port; lines in a file the new deployment runs none of (the
    # monolith's own command line, say) are still in the tree, only not run: said apart.
    # The old entry script is replaced by the new one, not left unrun.
    unrun = {path: c["removed"] for path, c in sorted(files.items())
             if c["removed"] and not (c["retained"] or c["added"]) and Path(path) != Path(old)}
    return {"counting": "lines with code (no blanks, comments or docstrings) of the application, by what "
                        "each deployment's code reaches from its entry point; added (new only) = the port's own "
                        "code (written or changed for it) + features counted apart + unchanged code the new "
                        "deployment now exposes (`exposed`); see puma/reach.py",
            "old": old, "new": new, **totals, "removed_in_unrun_files": sum(unrun.values()),
            "unrun_files": [{"path": p, "removed": n} for p, n in sorted(unrun.items(), key=lambda item: -item[1])],
            "added_by_group": groups,
            "apart": {a.label: list(a.prefixes) for a in apart}, "apart_from": apart_from if apart else None,
            "files": [{"path": p, **c} for p, c in sorted(files.items())],
            "added_definitions": [{"definition": o, "group": g, "lines": n} for (o, g), n in sorted(owners.items())]}


def whole_markdown(doc: dict[str, Any], *, details: bool = False) -> str:
    """Markdown of `whole_report`'s document: totals, added by group, files with added lines."""
    out = [f"`{doc['old']}` -> `{doc['new']}`, as whole deployments:", "",
           "| removed (old only) | added (new only) | retained (both) |", "|---:|---:|---:|",
           f"| {doc['removed']} | {doc['added']} | {doc['retained']} |", "", _removed_note(doc), "",
           "| added lines, by what they are | lines |", "|---|---:|"]
    out += [f"| {group} | {n} |" for group, n in doc["added_by_group"].items()]
    out += ["", _apart_note(doc), "", _exposed_note(doc)]
    out += ["", "| file | removed | added | of which unchanged | retained |", "|---|---:|---:|---:|---:|"]
    out += [f"| `{f['path']}` | {f['removed']} | {f['added']} | {f['exposed']} | {f['retained']} |"
            for f in doc["files"] if f["removed"] or f["added"]]
    if details:
        out += ["", "| added: definition | counted as | lines |", "|---|---|---:|"]
        out += [f"| `{d['definition']}` | {d['group']} | {d['lines']} |" for d in doc["added_definitions"]]
    return "\n".join(out)


def _removed_note(doc: dict[str, Any]) -> str:
    """What "removed" holds: lines the old deployment runs and the new one does not, of which those
    in files the new deployment runs nothing of are still in the tree (not deleted by the port)."""
    unrun, files = doc.get("removed_in_unrun_files", 0), doc.get("unrun_files", [])
    if not unrun:
        return (f"Removed: {doc['removed']} lines the old deployment runs and the new one does not (the old forms "
                "of lines the port changed, and code it no longer reaches).")
    shown = ", ".join(f"`{f['path']}` {f['removed']}" for f in files[:4]) + (", ..." if len(files) > 4 else "")
    return (f"Removed: {doc['removed']} lines the old deployment runs and the new one does not; {unrun} of them are "
            f"in files the new deployment runs none of ({shown}): whole modules it runs without (a server it replaces, "
            f"a command line), left in the tree, not lines the port deleted or rewrote; the other "
            f"{doc['removed'] - unrun} are the old forms of lines the port changed, or code it no longer reaches.")


def _apart_note(doc: dict[str, Any]) -> str:
    if not doc.get("apart"):
        return (f"Every line written or changed for `{doc['new']}` counts as the port's own code; count a feature the old "
                "deployment has not on its own line with --apart LABEL=NAMES, or keep such lists in "
                f"pyproject.toml's {APART_TABLE}.")
    return (f"Counted apart ({len(doc['apart'])} features the old deployment has not, from {doc['apart_from']}): "
            + "; ".join(doc["apart"]) + ".")


def _exposed_note(doc: dict[str, Any]) -> str:
    return (f"{EXPOSED_GROUP[0].upper()}{EXPOSED_GROUP[1:]}: the old program's code as it was, which `{doc['new']}` "
            f"reaches and `{doc['old']}` did not (a function the old front never called, now served or called); "
            "not the port's own code. The old program: the modules the old deployment imports, or with --old-root "
            "the old tree's files.")


def reached_apart(apart: tuple[Apart, ...], lines: list[Any]) -> tuple[Apart, ...]:
    """The features of `apart` that some line of `lines` belongs to: a project's configured list
    names its own modules, which another app counted from the same directory never reaches."""
    return tuple(a for a in apart if any(_group(line, (a,)) == a.label for line in lines))


def _group(line: Any, apart: tuple[Apart, ...]) -> str:
    owners = line.users if line.users and "<import" in line.owner else (line.owner,)
    if getattr(line, "passed_by", ()):  # a shared function's parameter: counted for what passes it
        owners = line.passed_by
    found = {next((a.label for a in apart if a.holds(o)), PORT_GROUP) for o in owners}
    return found.pop() if len(found) == 1 else PORT_GROUP
