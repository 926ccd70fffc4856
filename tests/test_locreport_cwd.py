"""`puma loc-report --whole` reads a module beside an entry script as Python and `puma run` import
it (the script's directory is on the import path), wherever the command is run from: run from the
project's root, a monolith and its port in `myapp/` that both import `myapp/<domain>.py` gave
"36 removed, 5 added, 0 retained" and left the shared module out (newcomer 69 M1); run inside
`myapp/` they gave its real figures. Each case: one layout, counted from both directories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from puma import cli

DOMAINS = {
    "photolab": '''def inspect(photo: bytes, label: str = "untitled") -> dict:
    size = len(photo)
    return {"label": label, "size": size}


def invert(data: bytes) -> bytes:
    return bytes(255 - b for b in data)
''',
    "ledger": '''import json


def balance(entries: list[int]) -> int:
    total = 0
    for entry in entries:
        total += entry
    return total


def as_json(entries: list[int]) -> str:
    return json.dumps({"balance": balance(entries)})
''',
}

MONOLITH = '''import sys

from {domain} import {first}


def main() -> None:
    print({first}(sys.argv[1].encode() if {binary} else [int(a) for a in sys.argv[1:]]))


if __name__ == "__main__":
    main()
'''

PORT = '''import puma

puma.puma_config({{"puma_services": {{"{domain}": {{"instances": 1}}}}}})
puma.puma_service("{domain}")
'''


def _layout(tmp_path: Path, domain: str, folder: str) -> Path:
    first = {"photolab": "inspect", "ledger": "balance"}[domain]
    app = tmp_path / folder
    app.mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'mine'\n")
    (app / f"{domain}.py").write_text(DOMAINS[domain])
    (app / "monolith.py").write_text(MONOLITH.format(domain=domain, first=first, binary=domain == "photolab"))
    (app / "app.py").write_text(PORT.format(domain=domain))
    return app


def _figures(where: Path, old: str, new: str, monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture[str]) -> dict:
    monkeypatch.chdir(where)
    cli.main(["loc-report", "--whole", old, new, "--json"])
    doc = json.loads(capsys.readouterr().out)
    return {"removed": doc["removed"], "added": doc["added"], "retained": doc["retained"],
            "files": sorted(f["path"].rsplit("/", 1)[-1] for f in doc["files"])}


@pytest.mark.parametrize("domain", ["photolab", "ledger"])
@pytest.mark.parametrize("folder", ["myapp", "services/desk"])
def test_locreport_cwd_a_module_beside_the_scripts_counts_alike_from_the_root_and_from_its_folder(
        tmp_path: Path, domain: str, folder: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    app = _layout(tmp_path, domain, folder)
    inside = _figures(app, "monolith.py", "app.py", monkeypatch, capsys)
    from_root = _figures(tmp_path, f"{folder}/monolith.py", f"{folder}/app.py", monkeypatch, capsys)
    assert f"{domain}.py" in from_root["files"], from_root  # the shared module is read, not left out
    assert from_root["retained"] > 0 and from_root == inside, (from_root, inside)


PROJECT_APART = """[project]
name = 'shop'

[tool.puma.loc-report.apart]
"the storefront page" = ["shop.web"]
"orders kept in SQL" = ["shop.sqlstore"]
"""


@pytest.mark.parametrize("domain", ["photolab", "ledger"])
def test_locreport_cwd_a_projects_apart_features_are_not_rows_of_another_app_counted_there(
        tmp_path: Path, domain: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # An app of one's own inside a checkout whose pyproject.toml counts that project's features apart
    # (newcomer 69 m10: the chatbot's "web UI" and "SQL, DynamoDB" rows, at 0, in their app's report).
    _layout(tmp_path, domain, "myapp")
    (tmp_path / "pyproject.toml").write_text(PROJECT_APART)
    monkeypatch.chdir(tmp_path)
    cli.main(["loc-report", "--whole", "myapp/monolith.py", "myapp/app.py"])
    out = capsys.readouterr().out
    assert "storefront" not in out and "orders kept in SQL" not in out and "Counted apart (" not in out, out
    cli.main(["loc-report", "--whole", "myapp/monolith.py", "myapp/app.py", "--apart", "the storefront page=shop.web"])
    assert "| the storefront page | 0 |" in capsys.readouterr().out  # asked for by name: shown, even at 0


def test_locreport_cwd_an_app_module_found_only_outside_the_root_is_said_not_dropped_unsaid(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    # Run from inside a package whose modules are imported by the package's name (found on
    # PYTHONPATH, outside the root): their lines cannot be counted, and the report says so (newcomer 70).
    pkg = tmp_path / "shopkit"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "stock.py").write_text(DOMAINS["ledger"])
    (pkg / "monolith.py").write_text("from shopkit.stock import balance\n\nprint(balance([1, 2]))\n")
    (pkg / "app.py").write_text("import puma\n\npuma.puma_service('shopkit.stock')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(pkg)
    with caplog.at_level("WARNING", logger="puma.reach"):
        cli.main(["loc-report", "--whole", "monolith.py", "app.py"])
    said = [r.getMessage() for r in caplog.records if "outside the source root" in r.getMessage()]
    assert len(said) == 1 and "'shopkit'" in said[0] and "--root" in said[0], said
