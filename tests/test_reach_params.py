"""`puma loc-report --whole` on a shared module the port edited: the lines of a parameter only the
port passes (its declaration, the statements using it, the branch its default never takes) are the
port's own, not retained; what only the monolith passes is shed. Small apps written here, each
expected count derived by hand in the comments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from puma import cli
from puma.reach import whole

DESK = '''"""Shared by both deployments; the port added `key`, `limit` and `relay`'s pass-through."""
CACHE = {}


def lend(book,
         shelf,
         *,
         key=None,
         trace=False):
    if key is not None:
        seen = CACHE.get(key)
        return seen
    found = shelf[book]
    if trace:
        print(found)
    return found


def count(items,
          limit=10):
    return len(items[:limit])


def relay(book, key=None):
    return lend(book, {book: 1},
                key=key)


def keep(book, note=None):
    return book if note is None else (book, note)
'''

MONOLITH = '''from app.desk import count, keep, lend, relay


def main():
    print(lend("a", {"a": 1}, trace=True), count([1]), relay("a"), keep("a", note="x"))


if __name__ == "__main__":
    main()
'''

PORT = '''from app.desk import count, keep, lend, relay


def serve(book):
    return lend(book, {}, key=book), count([1, 2], 5), relay(book, key=book), keep(book)


if __name__ == "__main__":
    serve("a")
'''


@pytest.fixture
def app(tmp_path: Path) -> Path:
    for rel, text in {"app/__init__.py": "", "app/desk.py": DESK, "monolith.py": MONOLITH, "port.py": PORT}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def _texts(app: Path, *, old: bool, new: bool) -> list[str]:
    source = (app / "app/desk.py").read_text().splitlines()
    return [source[line.row - 1].strip() for line in whole(app, old=app / "monolith.py", new=app / "port.py")
            if line.path == "app/desk.py" and line.old == old and line.new == new]


def test_a_parameter_only_the_port_passes_is_the_ports_own_code(app: Path) -> None:
    # lend's `key`: its line, the `if` on it and the branch its default (None) never takes (3 + 1);
    # count's `limit` (passed positionally by the port only): its line and the line using it;
    # relay's `key`: the monolith calls relay without it, so lend's keyword fed by it passes
    # nothing the monolith has: its line and the keyword's line.
    assert _texts(app, old=False, new=True) == [
        "key=None,", "if key is not None:", "seen = CACHE.get(key)", "return seen",
        "limit=10):", "return len(items[:limit])", "def relay(book, key=None):", "key=key)"]


def test_a_parameter_only_the_monolith_passes_is_shed(app: Path) -> None:
    # lend's `trace`: its line and the `if` with its body (the default False never runs it);
    # keep's `note`: the port never passes it, and its line uses it throughout.
    assert _texts(app, old=True, new=False) == ["trace=False):", "if trace:", "print(found)",
                                                "def keep(book, note=None):",
                                                "return book if note is None else (book, note)"]


def test_lines_both_need_stay_retained(app: Path) -> None:
    kept = _texts(app, old=True, new=True)
    assert "found = shelf[book]" in kept and "return found" in kept and "def lend(book," in kept
    assert "return lend(book, {book: 1}," in kept and "CACHE = {}" in kept


def test_a_parameter_a_callback_may_receive_is_not_counted(app: Path) -> None:
    (app / "monolith.py").write_text(MONOLITH.replace('print(lend("a", {"a": 1}, trace=True)',
                                                      'print(list(map(count, [[1]])), lend("a", {"a": 1}, trace=True)'))
    assert "limit=10):" not in _texts(app, old=False, new=True)  # handed to map: it may be given anything


def test_a_keyword_anywhere_in_the_monolith_counts_as_passing_it(app: Path) -> None:
    (app / "monolith.py").write_text(MONOLITH.replace('relay("a")', 'relay("a", key="k")'))
    added = _texts(app, old=False, new=True)
    assert "def relay(book, key=None):" not in added and "key=None," not in added  # relay passes lend's on


def test_loc_report_whole_counts_the_edits_in_the_shared_module(app: Path, capsys: pytest.CaptureFixture[str],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(app)
    cli.main(["loc-report", "--whole", "monolith.py", "port.py", "--json"])
    doc = json.loads(capsys.readouterr().out)
    desk = next(f for f in doc["files"] if f["path"] == "app/desk.py")
    assert (desk["added"], desk["removed"]) == (8, 5)
    port_py = next(f for f in doc["files"] if f["path"] == "port.py")
    assert doc["added_by_group"]["the port's own code"] == port_py["added"] + 8 == 5 + 8  # import, def, return, if, call


def test_uses_inside_loops_and_with_blocks_count_only_their_own_lines(tmp_path: Path) -> None:
    shared = ('def walk(items, step=None):\n'
              '    total = 0\n'
              '    for item in items[::step]:\n'
              '        with open(item) as f:\n'
              '            total += len(f.read())\n'
              '    return total\n')
    for rel, text in {"app/__init__.py": "", "app/desk.py": shared,
                      "monolith.py": "from app.desk import walk\nwalk([])\n",
                      "port.py": "from app.desk import walk\nwalk([], step=2)\n"}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    added = [line.row for line in whole(tmp_path, old=tmp_path / "monolith.py", new=tmp_path / "port.py")
             if line.path == "app/desk.py" and line.new and not line.old]
    assert added == [1, 3]  # the parameter's line and the loop header that uses it; not its body


def test_a_shared_line_that_uses_the_framework_is_the_ports(tmp_path: Path) -> None:
    shared = ('import json\n'
              'import puma\n'
              'from puma import idempotent as once\n'
              '\n'
              '\n'
              'class Shelf:\n'
              '    @puma.idempotent\n'
              '    def find(self, isbn):\n'
              '        return json.dumps(isbn)\n'
              '\n'
              '\n'
              '@once\n'
              'def count(items):\n'
              '    return len(items)\n'
              '\n'
              '\n'
              'puma.mark_unavailable(OSError, store="the shelf")\n')
    for rel, text in {"app/__init__.py": "", "app/desk.py": shared, "puma/__init__.py": "",
                      "monolith.py": "from app.desk import Shelf, count\nShelf().find(1)\ncount([])\n",
                      "port.py": "from app.desk import Shelf, count\nShelf().find(2)\ncount([1])\n"}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    lines = [line for line in whole(tmp_path, old=tmp_path / "monolith.py", new=tmp_path / "port.py")
             if line.path == "app/desk.py"]
    assert [line.row for line in lines if line.new and not line.old] == [2, 3, 7, 12, 17]  # imports, uses
    assert [line.row for line in lines if line.new and line.old] == [1, 6, 8, 9, 13, 14]
