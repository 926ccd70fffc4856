"""`puma run` and `App.start` check everything they can know before starting anything — the
config's keys and values, and every target, warm-up and readiness check: its module's file, its
syntax, the name it defines — and report every problem in one `PumaConfigError`, rather than one
per start after Envoy and the other services had started (fix one, start again, see the next)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psutil  # type: ignore[import-untyped]
import pytest

import puma
from puma.errors import PumaConfigError
from puma.targetchecks import problem

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A newcomer's package with one module that parses and one that does not."""
    package = tmp_path / f"corner_shop_{tmp_path.name.replace('-', '_')}"
    package.mkdir()
    (package / "__init__.py").write_text("raise RuntimeError('__init__ must not run to check a target')\n")
    (package / "tills.py").write_text(
        "import json\nfrom os import path as os_path\n\nRATE = 3\n\n\ndef ring(pence: int) -> int:\n"
        "    return pence\n\n\nclass Drawer:\n    def open(self) -> bool:\n        return True\n\n\n"
        "try:\n    import ujson as fast_json\nexcept ImportError:\n    fast_json = json\n\n\n"
        "def warm() -> None:\n    pass\n\n\ndef ready() -> bool:\n    return True\n")
    (package / "stock.py").write_text("def count(sku: str) -> int\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return package


def _app(services: dict, **extra: object) -> puma.App:
    app = puma.App()
    app.collect_only = True  # as `puma run` reads a script: every problem kept for one report
    app.configure({"puma_services": services, **extra})
    app.collect_only = False
    return app


def test_run_checks_report_every_bad_target_and_config_value_at_once(shop: Path) -> None:
    pkg = shop.name
    app = _app({
        "till": {"target": f"{pkg}.tills:rnig", "instances": {"min": 3, "max": 1}},
        "stock": {"target": f"{pkg}.stock:count"},
        "drawer": {"target": f"{pkg}.tills:Drawer", "warmup": f"{pkg}.tills:wram"},
        "ledger": {"target": f"{pkg}.ledgr:post"},
        "door": {"target": f"{pkg}.tills:ring", "readiness": f"{pkg}.tills:raedy"},
        "fine": {"target": f"{pkg}.tills:Drawer.open", "warmup": f"{pkg}.tills:warm",
                 "readiness": {"check": f"{pkg}.tills:ready"}},
    }, load_balancer="fastest")
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    with pytest.raises(PumaConfigError) as caught:
        app.start(listener={"port": 0})
    assert {p.pid for p in psutil.Process().children(recursive=True)} == before  # nothing was started
    said = dict(caught.value.problems)
    assert "did you mean 'ring'?" in said["puma_services.till.target"]
    assert "max 1 is below min (3)" in said["puma_services.till.instances"]
    assert "stock.py, line 1: SyntaxError" in said["puma_services.stock.target"]
    assert "did you mean 'warm'?" in said["puma_services.drawer.warmup"]
    assert f"no module named '{pkg}.ledgr'" in said["puma_services.ledger.target"]
    assert "did you mean 'ready'?" in said["puma_services.door.readiness"]
    assert "load_balancer" in said
    assert not [k for k in said if k.startswith("puma_services.fine")]  # the right ones are not flagged
    assert len(said) == 7


@pytest.mark.parametrize("path", ["json:dumps", "math:sqrt", "os.path:join", "collections:OrderedDict",
                                  "tests.apps.hardware:*", "tests.apps.parts:Catalogue.search",
                                  "puma.mapping:map_service", "sys:exit"])
def test_run_checks_take_real_targets_of_every_kind(path: str) -> None:
    module, _, attr = path.rpartition(":")
    if attr != "*":  # stdlib C modules, packages, a module's functions, a class's method: all exist
        __import__(module)
    assert problem(path, list(sys.path)) is None


@pytest.mark.parametrize(("source", "attr"), [
    ("from json import *\n", "dumps"),  # names made by a star import: cannot tell, so not flagged
    ("def __getattr__(name):\n    return len\n", "anything"),
    ("if True:\n    def f():\n        pass\nelse:\n    f = None\n", "f"),
    ("for name in ('a',):\n    pass\nglobals()['made'] = len\n", "made"),
])
def test_run_checks_do_not_flag_names_a_module_makes_at_run_time(tmp_path: Path, source: str, attr: str) -> None:
    (tmp_path / "dyn_mod.py").write_text(source)
    assert problem(f"dyn_mod:{attr}", [str(tmp_path)]) is None


def test_run_checks_puma_run_lists_both_unimportable_modules_it_names_and_starts_nothing(tmp_path: Path) -> None:
    (tmp_path / "orders.py").write_text("def place(sku str) -> int:\n    return 1\n")
    (tmp_path / "billing.py").write_text("def bill(amount: int) -> int:\n    return amount\n")
    script = tmp_path / "app.py"
    script.write_text("from puma import puma_config, puma_service, puma_start\n\n"
                      "puma_config({'puma_services': {'bill': {'target': 'billing:bil', 'timeout_s': 0}}})\n"
                      "puma_service('orders')\npuma_service('customers')\n\n"
                      "if __name__ == '__main__':\n    puma_start()\n")
    done = subprocess.run([sys.executable, "-m", "puma.cli", "run", str(script), "--port", "0"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, env={**_env(), "PYTHONPATH": str(ROOT)})
    assert done.returncode != 0
    err = done.stderr
    assert "puma_service('orders')" in err and "orders.py, line 1: SyntaxError" in err
    assert "puma_service('customers')" in err and "cannot import it" in err
    assert "puma_services.bill.target" in err and "did you mean 'bill'?" in err
    assert "puma_services.bill.timeout_s" in err
    assert "envoy up" not in err and "envoy ready" not in err and "Traceback" not in err


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("PUMA_")}


def test_run_checks_name_a_job_whose_program_is_missing_with_the_rest(shop: Path) -> None:
    app = _app({"till": {"target": f"{shop.name}.tills:rnig"}}, jobs=[
        {"name": "migrate", "command": ["alembc-not-here", "upgrade", "head"]},
        {"name": "load", "command": [sys.executable, "-c", "pass"]},
        {"name": "seed", "command": ["./no/such/seed.sh"]},
        {"name": "images", "command": ["not-on-this-machine"], "local": False},  # for containers only
    ])
    with pytest.raises(PumaConfigError) as caught:
        app.start(listener={"port": 0})
    said = dict(caught.value.problems)
    assert sorted(said) == ["jobs[0].command", "jobs[2].command", "puma_services.till.target"]
    assert "'alembc-not-here' is not a program on PATH" in said["jobs[0].command"] and "'migrate'" in said["jobs[0].command"]


CLASSES = '''
class Db:
    """A docstring first, as most classes have."""

    rows = 3

    @classmethod
    def load(cls) -> "Db":
        return cls()

    def search(self, word: str) -> list[int]:
        return []


class Remote(Db):
    def ping(self) -> bool:
        return True
'''


@pytest.mark.parametrize(("path", "wrong"), [("Db.load()", None), ("Db.search", None), ("Db", None),
                                             ("Remote.search", None),  # inherited: not flagged
                                             ("Db.serch", "did you mean 'search'?"), ("Db.lod()", "did you mean 'load'?")])
def test_run_checks_read_a_class_s_methods_past_its_docstring(tmp_path: Path, path: str, wrong: str | None) -> None:
    (tmp_path / "classy_mod.py").write_text(CLASSES)
    found = problem(f"classy_mod:{path}", [str(tmp_path)])
    assert (found is None) if wrong is None else (found is not None and wrong in found), found
