"""`puma loc-report`: lines of code added, retained and removed, on small known diffs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from puma import cli
from puma.locreport import Counts, code_lines, counts, report, to_json, to_markdown

MONOLITH = '''"""A server."""
import socket
import json  # for replies

def serve(port):
    """Serve forever."""
    # bind and loop
    sock = socket.socket()
    sock.bind(("", port))

    while True:
        handle(sock.accept())
'''

PORT = '''import json
import puma

def serve(request):
    return handle(request)   # the same logic

puma_start()
'''


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_code_lines_skip_blanks_comments_and_docstrings() -> None:
    assert code_lines(MONOLITH) == [
        "import socket", "import json", "def serve(port):", "sock = socket.socket()",
        'sock.bind(("", port))', "while True:", "handle(sock.accept())"]


def test_code_lines_keep_code_that_looks_like_comments_or_docstrings() -> None:
    source = 'x = "# not a comment"\ny = """\n  two lines\n"""\nz = 1; "a string statement"\n'
    assert code_lines(source) == ['x = "# not a comment"', 'y = """', "two lines", '"""',
                                  'z = 1; "a string statement"']


def test_code_lines_of_text_that_is_not_python() -> None:
    assert code_lines("a = [\n// note\n\n  # hash\nb", python=True) == ["a = [", "b"]
    assert code_lines("<p>  hi  </p>\n\n// js comment\nlet x = 1;", python=False) == [
        "<p> hi </p>", "let x = 1;"]


def test_counts_match_normalised_lines_in_order() -> None:
    assert counts(code_lines(MONOLITH), code_lines(PORT)) == Counts(
        old=7, new=5, added=4, retained=1, removed=6)
    assert counts(["a", "b"], ["a", "b"]) == Counts(2, 2, 0, 2, 0)
    assert counts(["a", "b"], ["b", "a"]).retained == 1  # order matters: a move is remove + add
    assert counts([], ["x"]) == Counts(0, 1, 1, 0, 0)


def test_report_compares_directories_file_by_file(tmp_path: Path) -> None:
    write(tmp_path / "old/app.py", "a = 1\nb = 2\n")
    write(tmp_path / "old/gone.py", "c = 3\n")
    write(tmp_path / "old/notes.txt", "ignored\n")
    write(tmp_path / "new/app.py", "a = 1\nb = 3\n")
    write(tmp_path / "new/pkg/new.py", "d = 4\n")
    write(tmp_path / "new/__pycache__/app.py", "ignored = 1\n")
    rows = report(tmp_path / "old", tmp_path / "new")
    assert [(r.old, r.new, r.counts) for r in rows] == [
        ("app.py", "app.py", Counts(2, 2, 1, 1, 1)),
        ("gone.py", None, Counts(1, 0, 0, 0, 1)),
        (None, "pkg/new.py", Counts(0, 1, 1, 0, 0)),
    ]
    table = to_markdown(rows)
    assert "| **total** |  | 3 | 3 | 2 | 1 | 2 |" in table
    assert json.loads(to_json(rows))["total"] == {
        "old_lines": 3, "new_lines": 3, "added": 2, "retained": 1, "removed": 2}


def test_report_compares_a_directory_with_a_file(tmp_path: Path) -> None:
    write(tmp_path / "old/a.py", "import json\n")
    write(tmp_path / "old/b.py", "serve()\n")
    new = write(tmp_path / "port.py", "import json\nimport puma\n")
    [row] = report(tmp_path / "old", new)
    assert row.counts == Counts(2, 2, 1, 1, 1) and "(2 files)" in str(row.old)


def test_report_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope"):
        report(tmp_path / "nope", tmp_path)


def test_loc_report_command_prints_markdown_or_json(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    old, new = write(tmp_path / "old.py", MONOLITH), write(tmp_path / "new.py", PORT)
    cli.main(["loc-report", str(old), str(new)])
    table = capsys.readouterr().out
    assert table.splitlines()[0].startswith("| old | new |") and "| 7 | 5 | 4 | 1 | 6 |" in table
    cli.main(["loc-report", str(old), str(new), "--json"])
    assert json.loads(capsys.readouterr().out)["files"][0]["retained"] == 1
    with pytest.raises(SystemExit) as exited:
        cli.main(["loc-report", str(old), str(tmp_path / "nope")])
    assert exited.value.code == 1 and "no such file" in capsys.readouterr().err


def _whole(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """A monolith and a port of one small app under tmp_path; the port adds a web page."""
    (tmp_path / "app").mkdir(exist_ok=True)
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "core.py").write_text("def answer(x):\n    return x + 1\n")
    (tmp_path / "app" / "web.py").write_text("def page():\n    return '<p>hi</p>'\n")
    (tmp_path / "old.py").write_text("from app.core import answer\nprint(answer(1))\n")
    (tmp_path / "new.py").write_text("from app.core import answer\nfrom app.web import page\nprint(answer(1), page())\n")
    return subprocess.run([sys.executable, "-m", "puma.cli", "loc-report", "--whole", "old.py", "new.py", *extra],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})


def test_locreport_whole_short_form_counts_apart_what_pyproject_lists(tmp_path: Path) -> None:
    bare = _whole(tmp_path)
    assert "| the port's own code | 5 |" in bare.stdout and "--apart LABEL=NAMES" in bare.stdout, bare.stdout
    (tmp_path / "pyproject.toml").write_text('[tool.puma.loc-report.apart]\n"the page" = ["app.web"]\n')
    kept = _whole(tmp_path)
    assert "| the port's own code | 3 |" in kept.stdout and "| the page | 2 |" in kept.stdout, kept.stdout
    assert "pyproject.toml [tool.puma.loc-report.apart]" in kept.stdout
    given = _whole(tmp_path, "--apart", "web=app.web:page")
    assert "| web | 2 |" in given.stdout and "the page" not in given.stdout and "from --apart" in given.stdout


@pytest.mark.parametrize("entry", ['"the page" = "app.web"', '"the page" = []', '"the page" = [1]', '"the page" = ['])
def test_locreport_whole_bad_apart_table_is_one_line_naming_the_file(tmp_path: Path, entry: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.puma.loc-report.apart]\n{entry}\n")
    done = _whole(tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("puma: error: ") and "pyproject.toml" in done.stderr, done.stderr


def test_locreport_whole_says_each_step_on_stderr_and_keeps_stdout_the_report(tmp_path: Path) -> None:
    """Following the imports takes ~18 s on the chatbot: one progress line per step on stderr (the
    report alone on stdout, so `> report.md` and --json stay clean)."""
    done = _whole(tmp_path)
    steps = [line for line in done.stderr.splitlines() if "loc-report: " in line]
    assert [re.search(r"loc-report: (\d)/3", line)[1] for line in steps] == ["1", "2", "3"], done.stderr  # type: ignore[index]
    assert "old.py" in steps[0] and "new.py" in steps[1], steps
    assert "loc-report:" not in done.stdout and "| the port's own code |" in done.stdout, done.stdout
    as_json = _whole(tmp_path, "--json")
    json.loads(as_json.stdout)


def test_locreport_whole_says_which_removed_lines_are_only_unrun_not_deleted(tmp_path: Path) -> None:
    """A monolith's own command line the port no longer runs is still in the tree: the report says
    how many "removed" lines are in files the new deployment runs none of, naming them, so a
    newcomer does not read them as code the port deleted."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "core.py").write_text("def answer(x):\n    return x + 1\n")
    (tmp_path / "app" / "shell.py").write_text("import sys\n\ndef main():\n    print(sys.argv)\n    return 0\n")
    (tmp_path / "old.py").write_text("from app.core import answer\nfrom app.shell import main\nprint(answer(1), main())\n")
    (tmp_path / "new.py").write_text("from app.core import answer\nprint(answer(2))\n")
    done = subprocess.run([sys.executable, "-m", "puma.cli", "loc-report", "--whole", "old.py", "new.py", "--json"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    doc = json.loads(done.stdout)
    assert doc["removed_in_unrun_files"] == 4 and doc["unrun_files"] == [{"path": "app/shell.py", "removed": 4}], doc
    assert doc["removed"] > doc["removed_in_unrun_files"]  # the old forms of old.py's changed lines besides
    table = subprocess.run([sys.executable, "-m", "puma.cli", "loc-report", "--whole", "old.py", "new.py"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=120,
                           env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}).stdout
    assert "4 of them are in files the new deployment runs none of (`app/shell.py` 4): whole modules" in table, table
    assert "the other 3 are the old forms of lines the port changed" in table, table  # old.py, the entry it replaces
