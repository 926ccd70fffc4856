"""README figures that come from the commands README shows, checked and refreshed in one place.

Two marks, both invisible once the Markdown is rendered:

* an **output block**: a ```sh block of commands, then the commands' output verbatim between
  `<!-- output -->` and `<!-- /output -->` (several commands: their outputs joined by a blank
  line). `puma ...` and `chatbot ...` run as `python -m puma.cli ...` with this Python;
* a **figure**: a number in the prose followed by `<!-- figure: ROW | COLUMN -->`, the value of
  the output blocks' table cell in the row whose first cell is ROW (backticks aside; empty: the
  table's only row) and the column headed COLUMN. Written `5,026` or `5026` alike;
* a **make figure**: `<!-- make: NAME -->text<!-- /make -->`, the value of NAME in
  scripts/figures.mk, the one place for figures the Makefile prints too (install times and sizes,
  how long `make test` takes), so README and `make` never give two answers.

    python scripts/readme_figures.py          # check: each stale block or figure, one line each; exit 1
    python scripts/readme_figures.py --write  # refresh README.md from the commands (make readme-figures)

A section that holds output blocks may state other numbers only on lines that name a revision
(a commit such as fde88ec) or the paper: those are history, not what the commands print now.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
FIGURES_MK = ROOT / "scripts" / "figures.mk"
REFRESH = "make readme-figures"

_BLOCK = re.compile(r"```sh\n(?P<commands>(?:[^`]|`(?!``))*)```\n+<!-- output -->\n(?P<output>(?:(?!<!--).)*?)"
                    r"<!-- /output -->", re.DOTALL)
_FIGURE = re.compile(r"(?P<number>\d[\d,]*)(?P<close>\**)<!-- figure: (?P<row>[^|>]*)\|(?P<column>[^>]*?) -->")
_MAKE = re.compile(r"<!-- make: (?P<name>[A-Z_]+) -->(?P<value>.*?)<!-- /make -->")
_MK_LINE = re.compile(r"^(?P<name>[A-Z_]+)\s*:=\s*(?P<value>.*?)\s*$", re.MULTILINE)
_HEADING = re.compile(r"^#{2,4} .*$", re.MULTILINE)
_HISTORY = re.compile(r"\b[0-9a-f]{7,40}\b|\bthe paper\b|\bpaper's\b|\bListings? \d")
_NUMBER = re.compile(r"(?<![\w.`/-])\d[\d,]*(?![\w`/])")

Runner = Callable[[str], str]


@dataclass(frozen=True)
class Problem:
    line: int
    text: str

    def __str__(self) -> str:
        return f"README.md:{self.line}: {self.text}"


def commands_of(block: str) -> list[str]:
    """The command lines of a ```sh block: continuations joined, comments and blank lines dropped."""
    joined = re.sub(r"\\\n\s*", " ", block)
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]


def run_command(command: str) -> str:
    """What `command` prints, run from the repository's root (`puma`/`chatbot`: this Python's)."""
    words = shlex.split(command)
    if words[0] not in ("puma", "chatbot"):  # a README block is not a script to run whatever it says
        raise ValueError(f"`{command}`: an output block's commands are `puma ...` or `chatbot ...` only")
    words = [sys.executable, "-m", f"{words[0]}.cli", *words[1:]]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(words, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"`{command}` exited {done.returncode}: {done.stderr.strip()[-500:]}")
    return done.stdout


def make_figures(path: Path = FIGURES_MK) -> dict[str, str]:
    """NAME -> value of each `NAME := value` line of scripts/figures.mk."""
    return {m["name"]: m["value"] for m in _MK_LINE.finditer(path.read_text())}


def make_problems(text: str, figures: dict[str, str]) -> list[Problem]:
    """Each make figure of `text` that differs from scripts/figures.mk, or names no figure there."""
    found = []
    for m in _MAKE.finditer(text):
        if m["name"] not in figures:
            found.append(Problem(_line(text, m.start()), f"make figure {m['name']}: scripts/figures.mk has no such "
                                                         f"name (it has {', '.join(sorted(figures))})"))
        elif m["value"] != figures[m["name"]]:
            found.append(Problem(_line(text, m.start()), f"make figure {m['name']}: README says {m['value']!r}, "
                                                         f"scripts/figures.mk {figures[m['name']]!r}"))
    return found


def with_make_figures(text: str, figures: dict[str, str]) -> str:
    """`text` with each make figure's value rewritten from `figures` (unknown names left as they are)."""
    def figure(m: re.Match[str]) -> str:
        value = figures.get(m["name"], m["value"])
        return f"<!-- make: {m['name']} -->{value}<!-- /make -->"

    return _MAKE.sub(figure, text)


def refreshed(text: str, run: Runner = run_command) -> str:
    """`text` with every output block and figure rewritten from what the commands print now."""
    def block(match: re.Match[str]) -> str:
        output = "\n".join(run(c).rstrip("\n") + "\n" for c in commands_of(match["commands"]))
        whole, start = match.group(0), match.start("output") - match.start()
        return whole[:start] + output + whole[match.end("output") - match.start():]

    text = _BLOCK.sub(block, text)
    cells = table_cells(text)

    def figure(match: re.Match[str]) -> str:
        value = _lookup(cells, match["row"], match["column"])
        if not isinstance(value, int):
            return match.group(0)
        shown = f"{value:,}" if "," in match["number"] or value >= 10_000 else str(value)
        return shown + match.group(0)[len(match["number"]):]

    return _FIGURE.sub(figure, text)


def problems(text: str, run: Runner = run_command) -> list[Problem]:
    """Each output block or figure of `text` that differs from what its command prints now, each
    figure that names no cell (or several), and each untagged number where figures are checked."""
    found = [Problem(_line(text, m.start()), "an output block with no command in its ```sh block")
             for m in _BLOCK.finditer(text) if not commands_of(m["commands"])]
    if found:
        return found
    fresh = refreshed(text, run)
    for old, new in zip(_BLOCK.finditer(text), _BLOCK.finditer(fresh), strict=True):
        if old["output"] != new["output"]:
            command = "; ".join(commands_of(old["commands"]))
            found.append(Problem(_line(text, old.start()), f"the output shown differs from what `{command}` "
                                                           f"prints now:\n{_diff(old['output'], new['output'])}"))
    cells = table_cells(fresh)
    for old, new in zip(_FIGURE.finditer(text), _FIGURE.finditer(fresh), strict=True):
        value = _lookup(cells, old["row"], old["column"])
        where = f"figure {old['number']} ({old['row'].strip() or 'the only row'} | {old['column'].strip()})"
        if isinstance(value, str):
            found.append(Problem(_line(text, old.start()), f"{where}: {value}"))
        elif old["number"] != new["number"]:
            found.append(Problem(_line(text, old.start()), f"{where}: the command prints {value}"))
    return found + untagged(text)


def untagged(text: str) -> list[Problem]:
    """Numbers stated outside blocks and figures in a section that holds output blocks, on lines
    that name no revision or the paper: a stale figure waiting to happen."""
    found = []
    for start, end in _sections_with_blocks(text):
        for offset, line in _lines(text, start, end):
            if _HISTORY.search(line) or line.startswith(("```", "<!--")):
                continue
            bare = _MAKE.sub("", _FIGURE.sub("", re.sub(r"`[^`]*`|\([^()]*\b[0-9a-f]{7}\b[^()]*\)", "", line)))
            for number in _NUMBER.findall(bare):
                found.append(Problem(_line(text, offset), f"{number} is stated where figures come from commands: "
                                                          f"tag it <!-- figure: ROW | COLUMN --> or name its revision"))
    return found


def table_cells(text: str) -> dict[tuple[str, str], list[int]]:
    """(row label, column header) -> the values in the output blocks' Markdown tables."""
    cells: dict[tuple[str, str], list[int]] = {}
    for block in _BLOCK.finditer(text):
        header: list[str] | None = None
        for line in block["output"].splitlines():
            if not line.startswith("|"):
                header = None
                continue
            row = [cell.strip().strip("`").strip("*") for cell in line.strip().strip("|").split("|")]
            if header is None:
                header = row
            elif not set(line) <= set("|-: "):
                for column, value in zip(header, row, strict=False):
                    if re.fullmatch(r"\d[\d,]*", value):
                        for label in {row[0], ""}:
                            cells.setdefault((label, column), []).append(int(value.replace(",", "")))
    return cells


def _lookup(cells: dict[tuple[str, str], list[int]], row: str, column: str) -> int | str:
    values = set(cells.get((row.strip().strip("`"), column.strip()), []))
    if not values:
        return "no output table has this row and column"
    if len(values) > 1:
        return f"several cells match ({sorted(values)}): name the row"
    return values.pop()


def _sections_with_blocks(text: str) -> list[tuple[int, int]]:
    heads = [m.start() for m in _HEADING.finditer(text)] + [len(text)]
    spans = list(zip(heads, heads[1:], strict=False))
    return [(a, b) for a, b in spans if "<!-- output -->" in text[a:b]]


def _lines(text: str, start: int, end: int) -> list[tuple[int, str]]:
    """(offset, line) in [start, end), outside output blocks and code fences."""
    out, offset, fenced, quoted = [], start, False, False
    for line in text[start:end].splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith("```"):
            fenced = not fenced
        elif stripped == "<!-- output -->":
            quoted = True
        elif stripped == "<!-- /output -->":
            quoted = False
        elif not fenced and not quoted and not stripped.startswith("#"):
            out.append((offset, stripped))
        offset += len(line)
    return out


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _diff(old: str, new: str) -> str:
    import difflib

    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), "README", "now", n=0))


def main(argv: list[str]) -> int:
    text = README.read_text()
    if "--write" in argv:
        README.write_text(with_make_figures(refreshed(text), make_figures()))
        print("README.md: output blocks and figures refreshed from their commands", file=sys.stderr)
        return 0
    found = make_problems(text, make_figures()) + problems(text)
    for problem in found:
        print(problem)
    if found:
        print(f"{len(found)} stale or unchecked figure(s); `{REFRESH}` refreshes blocks and figures", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
