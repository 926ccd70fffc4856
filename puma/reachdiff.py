"""`puma loc-report --whole --old-root DIR`: two deployments in two source trees, line by line.

When the port was made on a copy of the monolith (a branch, a second checkout), a module both run
exists twice: the monolith's and the port's edited copy. `puma.reach` follows each deployment in its
own tree; the lines each reaches are then matched file by file (the same relative path under each
root), in order, with difflib, as the plain `puma loc-report` matches files: a reached line
unchanged in both is *retained*, one the port changed or wrote is *added* (its old form *removed*),
and one only the monolith reaches is *removed*. Lines neither reaches count as *neither*. A line
only the port reaches that the old file has as it is (a function the old front never called, now
served) is added but `exposed`: the old tree's code, not the port's — the port's rows left over
are matched, in order again, with the old file's rows that the first match left over, whether or
not the monolith imported that file. A file the port moved (on one side only, at least half its
lines alike: git's rule for a rename) is matched with its old path.

    lines = whole_trees(Path("port"), Path("monolith"), old=Path("monolith/app.py"), new=Path("port/puma_app.py"))
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable
from pathlib import Path

from .locreport import code_rows
from .reach import Line, Node, Program, Reach, _entry, _owner

log = logging.getLogger(__name__)


def whole_trees(root: Path, old_root: Path, *, old: Path, new: Path,
                framework: Iterable[str] = ("puma",)) -> list[Line]:
    """Every counted line either deployment reaches, each in its own tree (see the module doc)."""
    old_program, new_program = Program(old_root, framework), Program(root, framework)
    log.info("loc-report: 1/3 following what the old deployment (%s in %s) reaches", old, old_root)
    old_reached = Reach(old_program, _entry(old_program, old)).run()
    log.info("loc-report: 2/3 following what the new deployment (%s in %s) reaches", new, root)
    new_reach = Reach(new_program, _entry(new_program, new))
    new_reached = new_reach.run()
    log.info("loc-report: 3/3 matching the lines of the two trees")
    for name in [n for n, m in new_program.modules.items() if m is not None]:
        old_program.module(name)  # the old tree's copy of each module the port reads, reached or not
    old_rows, new_rows = _rows(old_program, old_reached), _rows(new_program, new_reached)
    lines: list[Line] = []
    for old_path, new_path in _pairs(old_rows, new_rows):
        lines += _matched(old_path, new_path, old_rows.get(old_path, []), new_rows.get(new_path, []), new_reach)
    return sorted(lines, key=lambda line: (line.path, line.row, line.new))


Rows = list[tuple[int, str, Node, bool]]  # (row, normalised code text, its node, reached) in row order
_RENAMED = 0.5  # as git's rename detection: a file the port moved keeps at least half its lines


def _pairs(old_rows: dict[str, Rows], new_rows: dict[str, Rows]) -> list[tuple[str, str]]:
    """The files to match: the same relative path in both trees, then each file the port moved (a
    file on one side only, paired with the other side's most alike, if half its lines are alike)."""
    pairs = [(p, p) for p in sorted(set(old_rows) | set(new_rows))]
    gone = {p for p in old_rows if p not in new_rows}
    for path in sorted(p for p in new_rows if p not in old_rows):
        texts = [r[1] for r in new_rows[path]]
        ratios = {o: difflib.SequenceMatcher(None, [r[1] for r in old_rows[o]], texts, autojunk=False).ratio()
                  for o in gone}
        best = max(ratios, key=lambda o: ratios[o], default=None)
        if best is not None and ratios[best] >= _RENAMED:
            gone.discard(best)
            pairs = [pair for pair in pairs if pair not in ((best, best), (path, path))] + [(best, path)]
    return pairs


def _matched(old_path: str, new_path: str, before: Rows, after: Rows, new_reach: Reach) -> list[Line]:
    """The lines of one file (or a moved file's two paths), matched as the module doc says."""
    old_kept = [row for row in before if row[3]]
    new_kept = [row for row in after if row[3]]
    matcher = difflib.SequenceMatcher(None, [r[1] for r in old_kept], [r[1] for r in new_kept], autojunk=False)
    retained_old = {old_kept[b.a + i][0] for b in matcher.get_matching_blocks() for i in range(b.size)}
    retained_new = {new_kept[b.b + i][0] for b in matcher.get_matching_blocks() for i in range(b.size)}
    unchanged = _unchanged([r for r in before if r[0] not in retained_old],
                           [r for r in new_kept if r[0] not in retained_new])
    moved = {new_row: old_row for new_row, (old_row, reached) in unchanged.items() if reached}
    retained_new |= set(moved)  # a line both reach that the port moved within the file: still retained
    retained_old |= set(moved.values())
    lines = []
    for row, _, node, reached in after:
        users = tuple(sorted(_owner(u) for u in new_reach.users.get(node, ())))
        lines.append(Line(new_path, row, _owner(node), row in retained_new, reached, users,
                          exposed=row in unchanged and row not in moved))
    lines += [Line(old_path, row, _owner(node), True, False) for row, _, node, reached in before
              if reached and row not in retained_old]
    if not after:  # a file the port no longer has: what the monolith did not reach
        lines += [Line(old_path, row, _owner(node), False, False) for row, _, node, reached in before if not reached]
    return lines


def _unchanged(old: Rows, new: Rows) -> dict[int, tuple[int, bool]]:
    """Each row of `new` that `old` has as it is, matched in order (rows the old file has whether or
    not the monolith reached them) -> that old row and whether the monolith reached it."""
    matcher = difflib.SequenceMatcher(None, [r[1] for r in old], [r[1] for r in new], autojunk=False)
    return {new[b.b + i][0]: (old[b.a + i][0], old[b.a + i][3])
            for b in matcher.get_matching_blocks() for i in range(b.size)}


def _rows(program: Program, reached: set[Node]) -> dict[str, Rows]:
    """Per file under the program's root: (row, normalised code text, its node, reached) in row order."""
    found: dict[str, Rows] = {}
    for module in (m for m in program.modules.values() if m is not None):
        source = module.path.read_text(encoding="utf-8", errors="replace").splitlines()
        ends = code_rows("\n".join(source) + "\n") if module.nodes else {}
        rel = str(module.path.relative_to(program.root))
        rows = [(row, " ".join(source[row - 1][:ends.get(row, len(source[row - 1]))].split()), node, node in reached)
                for node in module.nodes for row in node.rows]
        found[rel] = sorted(rows, key=lambda r: r[0])
    return found


__all__ = ["whole_trees"]
