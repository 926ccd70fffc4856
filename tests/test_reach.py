"""`puma loc-report --whole`: what two deployments of one app reach, line by line, on small apps
written here — glue in a shared module must count as the port's, whatever file it hides in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from puma import cli
from puma.locreport import Apart, whole_report
from puma.reach import whole

SHARED = '''"""The app's parts."""
import socketserver

import puma
from app.errors import Refused


class Engine:
    def __init__(self):
        self.n = 0

    def run(self, text):
        return self._helper(text)

    def served_only(self, text):
        return text.upper()

    def _helper(self, text):
        if not text:
            raise Refused(text)
        return text


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        Engine().run("x")


def remote_engine():
    return puma.remote("engine")


def unused():
    return 1
'''

MONOLITH = '''from app.core import Engine, Handler


def main():
    return Engine().run("hi"), Handler


if __name__ == "__main__":
    main()
'''

PORT = '''from puma import puma_config, puma_service, puma_start
from app import glue

puma_service({"engine": "app.core:Engine", "front": "app.glue:front"})

if __name__ == "__main__":
    puma_start()
'''

GLUE = '''from app.core import remote_engine


def front(text: str) -> str:
    return remote_engine().run(text)
'''


@pytest.fixture
def app(tmp_path: Path) -> Path:
    for rel, text in {"app/__init__.py": "", "app/core.py": SHARED, "app/errors.py": "class Refused(ValueError):\n    pass\n",
                      "app/glue.py": GLUE, "mono/__init__.py": "", "mono/__main__.py": MONOLITH, "port.py": PORT,
                      "puma/__init__.py": "def remote(name):\n    return name\n"}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def owners(lines: list, *, old: bool, new: bool) -> dict[str, int]:
    found: dict[str, int] = {}
    for line in lines:
        if (line.old, line.new) == (old, new):
            found[line.owner] = found.get(line.owner, 0) + 1
    return found


def test_whole_counts_glue_in_a_shared_module_as_the_ports(app: Path) -> None:
    lines = whole(app, old=app / "mono", new=app / "port.py")
    added = owners(lines, old=False, new=True)
    # The remote proxy and the import it needs live in the shared module: they are the port's.
    assert added["app.core:remote_engine"] == 2 and added["app.core:<import line 4>"] == 1
    # A method only the port serves (PUMA serves every public method of a served class).
    assert added["app.core:Engine.served_only"] == 2
    assert set(added) >= {"app.glue:front", "port:<import line 1>"} and "app.core:Engine.run" not in added


def test_whole_counts_what_both_reach_as_retained_and_the_monoliths_own_as_removed(app: Path) -> None:
    lines = whole(app, old=app / "mono", new=app / "port.py")
    retained = owners(lines, old=True, new=True)
    assert {"app.core:Engine.run", "app.core:Engine._helper", "app.core:Engine.__init__", "app.errors:Refused"} <= set(retained)
    removed = owners(lines, old=True, new=False)
    # A handler a framework calls (a subclass of a class outside the app) is reached with its class.
    assert {"mono.__main__:main", "mono.__main__:__main__", "app.core:Handler.handle"} <= set(removed)
    neither = owners(lines, old=False, new=False)
    assert "app.core:unused" in neither
    assert not any(line.path.startswith("puma/") for line in lines)  # the framework is not counted


def test_whole_report_sets_named_features_apart(app: Path) -> None:
    lines = whole(app, old=app / "mono", new=app / "port.py")
    doc = whole_report(lines, "mono", "port.py", (Apart.parse("the front door=app.glue"),))
    assert doc["added_by_group"]["the front door"] == 3  # front, its import, and its def line
    assert doc["added"] == sum(doc["added_by_group"].values())
    with pytest.raises(ValueError, match="LABEL=module"):
        Apart.parse("no equals sign")


def test_loc_report_whole_command_prints_json(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["loc-report", "--whole", "--root", str(app), str(app / "mono"), str(app / "port.py"), "--json",
              "--apart", "front=app.glue"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["removed"] > 0 and doc["added_by_group"]["front"] == 3
    assert {f["path"] for f in doc["files"]} >= {"app/core.py", "port.py", "mono/__main__.py"}


def test_loc_report_whole_command_explains_a_missing_entry(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["loc-report", "--whole", "--root", str(app), str(app / "nowhere"), str(app / "port.py")])
    assert "no Python entry point" in capsys.readouterr().err


def test_loc_report_whole_from_a_subdirectory_names_root_and_the_fix(app: Path, capsys: pytest.CaptureFixture[str],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Relative paths are read from the current directory; an entry that exists but lies outside
    --root (the current directory by default) is said to be outside it, with the --root to pass."""
    (app / "pyproject.toml").write_text("[project]\nname = 'app'\n")
    monkeypatch.chdir(app / "app")  # a subdirectory of the project, as after `cd chatbot`
    with pytest.raises(SystemExit):
        cli.main(["loc-report", "--whole", "../mono", "../port.py"])
    err = capsys.readouterr().err
    assert "no Python entry point" not in err and f"{app / 'mono' / '__main__.py'} is outside the source root" in err
    assert f"pass --root {app}" in err, err
    cli.main(["loc-report", "--whole", "--root", "..", "../mono", "../port.py", "--json"])  # the fix works
    assert json.loads(capsys.readouterr().out)["removed"] > 0
    with pytest.raises(SystemExit):  # a path that does not exist says which file, from which directory
        cli.main(["loc-report", "--whole", "--root", "..", "../mono", "../nowhere.py"])
    err = capsys.readouterr().err
    assert f"no Python entry point at {app / 'nowhere.py'}: no such file" in err and str(app / "app") in err
