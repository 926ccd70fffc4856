"""`puma run` and `puma render` check an app's config the same way and report every mistake in one
list: the config's own (an unknown key, with the key it is most like) and a configured service no
function is registered for (a misspelt name), which render used to accept silently."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from puma.config import parse_config
from puma.errors import PumaConfigError

APP = """from puma import puma_config, puma_service, puma_start

def shorten(url: str) -> str:
    return url[-5:]

def visits(code: str) -> int:
    return len(code)

puma_config({CONFIG})
puma_service({{"link_store": shorten, "visit_counter": visits}})
if __name__ == "__main__":
    puma_start()
"""

COMMANDS = [("run", "--port", "0"), ("render",), ("render", "--target", "compose")]


def _check(tmp_path: Path, config: str, command: tuple[str, ...]) -> subprocess.CompletedProcess:
    app = tmp_path / "links_app.py"
    app.write_text(APP.format(CONFIG=config))
    return subprocess.run([sys.executable, "-m", "puma.cli", command[0], str(app), *command[1:]],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("command", COMMANDS, ids=["run", "render", "render-compose"])
@pytest.mark.parametrize(("config", "expected"), [
    ('{"puma_services": {"linkstore": {"instances": 1}}}',
     ["1 problem", "puma_services.linkstore: no function registered", "did you mean 'link_store'?"]),
    ('{"puma_services": {"visit_countr": {"timeout": 3}}}',
     ["2 problems", "puma_services.visit_countr.timeout: unknown key (value 3); did you mean 'timeout_s'?",
      "puma_services.visit_countr: no function registered", "did you mean 'visit_counter'?"]),
    ('{"puma_services": {"link_store": {}, "analytics": {}}, "listner": {"port": 0}}',
     ["2 problems", "listner: unknown key",
      "did you mean 'listener'?", "puma_services.analytics: no function registered",
      "(registered: link_store, visit_counter)"]),
], ids=["misspelt-service", "misspelt-service-and-key", "unknown-service-and-top-level-key"])
def test_cli_run_and_render_refuse_the_same_config_mistakes_all_at_once(tmp_path, config, expected, command):
    result = _check(tmp_path, config, command)
    assert result.returncode == 1, result.stdout[-500:]
    for needle in expected:
        assert needle in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "static_resources" not in result.stdout


@pytest.mark.parametrize("command", COMMANDS[1:], ids=["render", "render-compose"])
def test_cli_render_still_renders_a_correct_config(tmp_path, command):
    result = _check(tmp_path, '{"puma_services": {"link_store": {"instances": 1}}}', command)
    assert result.returncode == 0, result.stderr
    assert "/link_store" in result.stdout and "/visit_counter" in result.stdout


@pytest.mark.parametrize(("conf", "path", "said"), [
    ({"puma_services": {"db": {"timeout": 3}}}, "puma_services.db.timeout", "did you mean 'timeout_s'?"),
    ({"puma_services": {"db": {"max_body_byte": 3}}}, "puma_services.db.max_body_byte",
     "did you mean 'max_body_bytes'?"),
    ({"puma_services": {"db": {"instances": {"mx": 3}}}}, "puma_services.db.instances.mx", "did you mean 'max'?"),
    ({"admin_prot": 9901}, "admin_prot", "did you mean 'admin_port'?"),
    ({"puma_services": {"db": {"zzzzzz": 1}}}, "puma_services.db.zzzzzz", "(its keys: "),
], ids=["service-key", "long-service-key", "nested-key", "top-level-key", "nothing-alike-lists-the-keys"])
def test_config_an_unknown_key_suggests_the_key_it_is_most_like(conf, path, said):
    with pytest.raises(PumaConfigError) as refused:
        parse_config(conf)
    message = dict(refused.value.problems)[path]
    assert message.startswith("unknown key") and said in message, message


SHOP_APP = """from puma import puma_service, puma_start

puma_service({{"catalogue": {TARGET!r}, "quote": "shop.pricing:quote"}})
if __name__ == "__main__":
    puma_start()
"""


def _shop(tmp_path: Path, target: str) -> Path:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    (tmp_path / "shop" / "catalogue.py").write_text("class Catalogue:\n    def get(self, sku: str) -> str:\n"
                                                    "        return sku\n")
    (tmp_path / "shop" / "pricing.py").write_text("def quote(sku: str) -> int:\n    return 3\n")
    (tmp_path / "shop" / "heavy.py").write_text("import not_installed_here_xyz\n\nclass Catalogue:\n"
                                                "    def get(self, sku: str) -> str:\n        return sku\n")
    app = tmp_path / "shop_app.py"
    app.write_text(SHOP_APP.format(TARGET=target))
    return app


@pytest.mark.parametrize("command", COMMANDS, ids=["run", "render", "render-compose"])
@pytest.mark.parametrize(("target", "said"), [
    ("shop.catalogue:Catalog", "'shop.catalogue' has no attribute 'Catalog' (from 'shop.catalogue:Catalog'); "
                               "did you mean 'Catalogue'?"),
    ("shop.catalogue:Catalogue.gte", "has no attribute 'Catalogue.gte' (from 'shop.catalogue:Catalogue.gte'); "
                                     "did you mean 'get'?"),
    ("shop.catalgue:Catalogue", "no module named 'shop.catalgue' (from 'shop.catalgue:Catalogue'); "
                                "did you mean 'shop.catalogue'?"),
], ids=["misspelt-class", "misspelt-method", "misspelt-module"])
def test_cli_run_and_render_refuse_a_misspelt_target_suggesting_the_name(tmp_path, target, said, command):
    app = _shop(tmp_path, target)
    result = subprocess.run([sys.executable, "-m", "puma.cli", command[0], str(app), *command[1:]],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stdout[-500:]
    assert said in result.stderr, result.stderr
    assert "static_resources" not in result.stdout
    if command[0] == "render":
        assert f"puma_services.catalogue.target: cannot import {target!r}" in result.stderr


def test_cli_render_still_renders_a_target_whose_dependency_is_missing_here(tmp_path):
    app = _shop(tmp_path, "shop.heavy:Catalogue")  # imports a package only its image has, say
    result = subprocess.run([sys.executable, "-m", "puma.cli", "render", str(app)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "not_installed_here_xyz" in result.stderr and "/catalogue" in result.stdout
