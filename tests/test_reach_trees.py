"""`puma loc-report --whole --old-root`: the port made on a copy of the monolith, so a module both run
exists twice and the port's edits to it are lines of its own. Counts derived by hand below."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from puma import cli
from puma.reachdiff import whole_trees

LIB = '''"""The shop's parts."""


def price(item):
    base = {"tea": 3, "cake": 4}[item]
    return base


def receipt(items):
    return sum(price(i) for i in items)


def report(items):
    print(receipt(items))
'''

LIB_PORTED = '''"""The shop's parts, edited for the port: `price` reads a cache, `receipt` rounds."""
import functools


@functools.cache
def price(item):
    base = {"tea": 3, "cake": 4}[item]
    return base


def receipt(items):
    return round(sum(price(i) for i in items), 2)


def report(items):
    print(receipt(items))
'''

MAIN = '''from shop.lib import report


def main():
    report(["tea"])


if __name__ == "__main__":
    main()
'''

PUMA_APP = '''from puma import puma_service, puma_start

puma_service({"receipt": "shop.lib:receipt"})

if __name__ == "__main__":
    puma_start()
'''


@pytest.fixture
def trees(tmp_path: Path) -> tuple[Path, Path]:
    files = {"monolith": {"shop/__init__.py": "", "shop/lib.py": LIB, "main.py": MAIN},
             "port": {"shop/__init__.py": "", "shop/lib.py": LIB_PORTED, "main.py": MAIN, "puma_app.py": PUMA_APP}}
    for tree, contents in files.items():
        for rel, text in contents.items():
            (tmp_path / tree / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / tree / rel).write_text(text)
    return tmp_path / "monolith", tmp_path / "port"


def _by_kind(lines: list, path: str) -> dict[str, int]:
    kinds = {"added": 0, "removed": 0, "retained": 0, "neither": 0}
    for line in lines:
        if line.path == path:
            kinds["retained" if line.old and line.new else "removed" if line.old else "added" if line.new
                  else "neither"] += 1
    return kinds


def test_the_ports_edits_in_a_module_both_have_are_added_and_their_old_form_removed(trees: tuple[Path, Path]) -> None:
    old, new = trees
    lines = whole_trees(new, old, old=old / "main.py", new=new / "puma_app.py")
    # lib.py: the port reaches price and receipt (not report); added: `import functools`,
    # `@functools.cache`, the rounded return (3); removed: receipt's old return, and report's two
    # lines the monolith reached (3); retained: price's 3 lines and receipt's def (4); neither: the
    # port's copy of report (2).
    assert _by_kind(lines, "shop/lib.py") == {"added": 3, "removed": 3, "retained": 4, "neither": 2}
    assert _by_kind(lines, "puma_app.py") == {"added": 4, "removed": 0, "retained": 0, "neither": 0}
    # main.py: the monolith's entry, all 5 lines (import, def, call, guard, call); the port never loads it.
    assert _by_kind(lines, "main.py") == {"added": 0, "removed": 5, "retained": 0, "neither": 0}


def test_the_same_trees_in_one_root_would_hide_the_edits(trees: tuple[Path, Path]) -> None:
    from puma.reach import whole

    _, new = trees
    lines = whole(new, old=new / "main.py", new=new / "puma_app.py")  # the monolith's entry in the port's tree
    assert _by_kind(lines, "shop/lib.py")["added"] == 0  # why --old-root exists


def test_loc_report_whole_old_root_prints_the_ports_own_code(trees: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = trees
    monkeypatch.chdir(new)
    cli.main(["loc-report", "--whole", str(old / "main.py"), "puma_app.py", "--old-root", str(old), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["added_by_group"]["the port's own code"] == 3 + 4 and doc["removed"] == 3 + 5


def test_loc_report_whole_old_root_that_is_no_directory_says_so(trees: tuple[Path, Path],
                                                                capsys: pytest.CaptureFixture[str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = trees
    monkeypatch.chdir(new)
    with pytest.raises(SystemExit):
        cli.main(["loc-report", "--whole", str(old / "main.py"), "puma_app.py", "--old-root", str(old / "nope")])
    err = capsys.readouterr().err
    assert "--old-root" in err and "no such directory" in err
