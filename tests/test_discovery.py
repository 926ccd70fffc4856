"""Services named by a module (`puma_service("shop.parts")`, `puma_service(__name__)`): each public
function and each class with methods that the module defines is a service at /<its name>; types,
helpers and imported names are not; `__all__` lists them exactly. Then a monolith of three parts
ported by naming its module, served through the real mesh (form fields and JSON bind alike)."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import httpx
import pytest

import puma
from puma.discovery import service_name, services_of
from puma.errors import PumaConfigError

ROOT = Path(__file__).parents[1]

LENDING_APP = Path(__file__).resolve().parent / "apps" / "lending_app.py"


def test_discovery_serves_the_functions_and_method_classes_the_module_defines() -> None:
    assert services_of("tests.apps.discovered") == {
        "local_db": "tests.apps.discovered:LocalDb", "doubler": "tests.apps.discovered:Doubler",
        "moved": "tests.apps.discovered:moved"}


def test_discovery_takes_a_module_object_as_well_as_its_name() -> None:
    import tests.apps.discovered as module

    assert services_of(module) == services_of("tests.apps.discovered")


def test_discovery_serves_exactly_what___all___lists() -> None:
    assert services_of("tests.apps.discovered_listed") == {"shown": "tests.apps.discovered_listed:shown"}


@pytest.mark.parametrize(("name", "expected"), [("LocalDb", "local_db"), ("Catalogue", "catalogue"),
                                                ("HTTPServer", "http_server"),
                                                ("suggest", "suggest"), ("find_Title", "find_Title")])
def test_service_names_are_functions_as_written_and_classes_in_snake_case(name: str, expected: str) -> None:
    value = type(name, (), {}) if name[0].isupper() else types.FunctionType((lambda: None).__code__, {}, name)
    assert service_name(value) == expected


def _module(name: str, **members: object) -> types.ModuleType:
    module = types.ModuleType(name)
    for attr, value in members.items():
        if isinstance(value, type | types.FunctionType):
            value.__module__ = name
        setattr(module, attr, value)
    return module


def _fn(n: int) -> int:
    return n


def test_a_name_in___all___that_cannot_be_served_is_an_error_naming_it() -> None:
    module = _module("shop_listed", Film=type("Film", (), {}), __all__=["Film"])
    with pytest.raises(PumaConfigError, match=r"shop_listed.*Film.*__all__"):
        services_of(module)


def test_two_members_served_under_one_name_are_an_error() -> None:
    clash = types.FunctionType(_fn.__code__, {}, "local_db")
    module = _module("shop_clash", LocalDb=type("LocalDb", (), {"get": lambda self: 1}), local_db=clash)
    with pytest.raises(PumaConfigError, match="'local_db'"):
        services_of(module)


@pytest.mark.parametrize("module", [_module("shop_empty", Film=type("Film", (), {})), "no_such_module_here",
                                    "tests.apps.no_such_module"])
def test_a_module_with_nothing_to_serve_or_none_at_all_is_an_error_naming_it(module: object) -> None:
    with pytest.raises(PumaConfigError) as caught:
        services_of(module)  # type: ignore[arg-type]  # a module or its name, as parametrised
    name = module if isinstance(module, str) else "shop_empty"
    assert name in str(caught.value) and "dict" in str(caught.value)


def test_puma_service_still_takes_a_dict_and_its_json_text() -> None:
    app = puma.App()
    app.add_services('{"a": "tests.apps.parts:score"}')
    app.add_services({"b": "tests.apps.parts:shift"})
    app.add_services("tests.apps.discovered_listed")
    assert app.targets == {"a": "tests.apps.parts:score", "b": "tests.apps.parts:shift",
                           "discovered_listed": "tests.apps.discovered_listed:*"}


def test_an_app_script_names_its_own_module_and_each_service_is_at_its_name() -> None:
    app = puma.App.load(LENDING_APP)
    # Its functions together, named after the script (`puma.modulefunctions`); its class apart.
    assert app.targets == {"lending_app": f"{LENDING_APP}:*", "shelf": f"{LENDING_APP}:Shelf"}
    services = app.resolved_config().puma_services
    assert (services["shelf"].prefix, services["shelf"].instances.min, services["lending_app"].prefix) == \
        ("/shelf", 2, "/lending_app")


@pytest.fixture(scope="module")
def lending() -> object:
    with puma.App.load(LENDING_APP).start(listener={"port": 0}) as deployment:
        yield deployment


def test_ported_monolith_binds_form_fields_and_json_alike(lending) -> None:
    with httpx.Client(base_url=lending.url, timeout=10) as http:
        assert http.post("/lending_app/fine", data={"days_late": "3", "member": "child"}).json() == {"pence": 30}
        assert http.post("/lending_app/fine", json={"days_late": 3}).json() == {"pence": 75}
        assert http.post("/shelf/find", data={"words": "EMMA"}).json() == [
            {"isbn": "0-19-953556-4", "title": "Emma", "copies": 0}]
        assert http.post("/lending_app/lend", json={"isbn": "0-14-044913-3", "member": "ann"}).json()["due_in_days"] == 21


@pytest.mark.parametrize(("path", "fields", "status", "parameter"), [
    ("/lending_app/fine", {"days_late": "three"}, 400, "days_late"),
    ("/lending_app/fine", {"days_late": "1", "member": "dog"}, 400, "member"),
    ("/lending_app/lend", {"isbn": "0-14-044913-3"}, 400, "member"), ("/lending_app/fine", {"days": "1"}, 400, "days"),
])
def test_ported_monolith_answers_400_naming_the_field(lending, path: str, fields: dict, status: int,
                                                       parameter: str) -> None:
    for resp in (httpx.post(lending.url + path, data=fields, timeout=10), httpx.post(lending.url + path, json=fields, timeout=10)):
        assert resp.status_code == status, resp.text
        assert parameter in [p["parameter"] for p in resp.json()["problems"]]


def test_ported_monolith_keeps_its_errors_and_serves_no_type_or_helper(lending) -> None:
    with httpx.Client(base_url=lending.url, timeout=10) as http:
        assert http.post("/lending_app/lend", data={"isbn": "0-19-953556-4", "member": "ann"}).status_code == 409
        assert http.post("/lending_app/lend", data={"isbn": "nope", "member": "ann"}).status_code == 404
        for path in ("/book", "/member", "/not_on_shelf", "/_book", "/shelf/_book", "/lending_app/_book", "/lending_app/book", "/fine"):
            assert http.post(path, json={}).status_code == 404, path


def test_config_for_a_name_no_service_has_suggests_the_discovered_one() -> None:
    app = puma.App()
    app.configure({"puma_services": {"localdb": {"instances": 2}, "zzz": {"instances": 1}}})
    app.add_services("tests.apps.discovered")
    with pytest.raises(PumaConfigError) as caught:
        app.start(listener={"port": 0})
    message = str(caught.value)
    assert "puma_services.localdb" in message and "did you mean 'local_db'?" in message
    assert "puma_services.zzz" in message and "(registered: discovered, doubler, local_db)" in message


def test_a_part_left_out_for_needing_arguments_is_logged_with_the_fix(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="puma.discovery"):
        services_of("tests.apps.discovered")
    said = {r.getMessage().split(": ")[1].split(" ")[0]: r.getMessage() for r in caplog.records}
    assert sorted(said) == ["Handler", "Needs"]  # not the dataclass, enum, exception, model or Protocol
    assert "'needs': 'module:make_it()'" in said["Needs"]


def test_a_module_beside_the_app_script_is_importable_by_every_instance(tmp_path: Path) -> None:
    # As with `python app.py`, the script's directory is importable: by `puma run`'s supervisor
    # and, what broke a newcomer's port, by the instances that import the parts it names.
    module = f"greenhouse_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{module}.py").write_text(
        "def water(litres: float, plant: str = 'fern') -> dict:\n"
        "    return {'plant': plant, 'litres': litres}\n\n\n"
        "class Vents:\n"
        "    def open(self, percent: int) -> int:\n"
        "        return min(100, percent)\n")
    script = tmp_path / "app.py"
    script.write_text(f"from puma import puma_service, puma_start\n\npuma_service({module!r})\n\n"
                      "if __name__ == '__main__':\n    puma_start()\n")
    app = puma.App.load(script)
    assert app.targets == {module: f"{module}:*", "vents": f"{module}:Vents"}
    with app.start(listener={"port": 0}) as mesh, httpx.Client(base_url=mesh.url, timeout=10) as http:
        assert http.post(f"/{module}/water", data={"litres": "1.5"}).json() == {"plant": "fern", "litres": 1.5}
        assert http.post("/vents/open", json={"percent": 130}).json() == 100
        assert http.post("/vents/open", json={"percent": "wide"}).json()["problems"][0]["parameter"] == "percent"


@pytest.mark.parametrize(("given", "words"), [("shop.parts:score", "puma_service({'score': 'shop.parts:score'})"),
                                              ("shop/monolith.py", "'monolith'"), (".relative", "cannot import it"),
                                              ("", "cannot import it")])
def test_puma_service_given_a_path_or_a_bad_name_says_what_to_write(given: str, words: str) -> None:
    with pytest.raises(PumaConfigError) as caught:
        puma.App().add_services(given)
    assert words in str(caught.value)


SLOW_MODULE = '''
import logging, os, time
logging.getLogger(__name__).info("loading the big price table")
deadline = time.monotonic() + 30
while not os.path.exists(os.environ["SLOW_IMPORT_RELEASE"]) and time.monotonic() < deadline:
    time.sleep(0.01)


def price(sku: str) -> int:
    return 3
'''


def test_a_slow_module_import_says_what_it_imports_and_why_while_it_runs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    import threading

    from tests.helpers import wait_for

    (tmp_path / "slow_prices_mod.py").write_text(SLOW_MODULE)
    release = tmp_path / "release"
    monkeypatch.setenv("SLOW_IMPORT_RELEASE", str(release))
    monkeypatch.syspath_prepend(str(tmp_path))
    caplog.set_level("INFO", logger="puma")  # as the CLI sets it: PUMA at INFO, the rest at WARNING
    found: dict[str, str] = {}
    importer = threading.Thread(target=lambda: found.update(services_of("slow_prices_mod")))
    importer.start()
    try:
        # Said while it is still importing (it waits for the release), with what the module logged.
        said = wait_for(lambda: next((r.getMessage() for r in caplog.records if "so far" in r.getMessage()), None))
        assert said.startswith("puma_service('slow_prices_mod'): importing slow_prices_mod to find the services")
        assert "it said: loading the big price table" in said
        assert not found
    finally:
        release.touch()
        importer.join(30)
    assert found == {"price": "slow_prices_mod:price"}
    # Shown as the module wrote it, under its own logger's name, not re-said as PUMA's (newcomer 63).
    assert [r.levelname for r in caplog.records if r.name == "slow_prices_mod"] == ["INFO"]
    assert not [r for r in caplog.records if r.name == "puma" and r.getMessage().strip() == "loading the big price table"]
    hint = next(r.getMessage() for r in caplog.records if "imports it again" in r.getMessage())
    assert "warm-up" in hint and "puma_service({'name': 'slow_prices_mod:function'})" in hint


def test_a_quick_module_import_says_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "quick_prices_mod.py").write_text("def price(sku: str) -> int:\n    return 3\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    caplog.set_level("INFO")
    assert services_of("quick_prices_mod") == {"price": "quick_prices_mod:price"}
    assert not [r for r in caplog.records if "quick_prices_mod" in r.getMessage()]


def test_a_function_taking_star_args_is_refused_at_discovery_with_the_fix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A module's `*args` function passed discovery and `puma render`, then failed `puma run` once Envoy
    had started (newcomer 58 M1); left out with an INFO line, its calls were 404s saying nothing of why
    (newcomer 67 m7). Now it is refused at discovery, before anything starts, naming it and the fixes."""
    module = f"lending_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{module}.py").write_text(
        "def days_late(*dates: str) -> int:\n    return len(dates)\n\n\n"
        "def fine_for(days: int) -> float:\n    return 0.25 * days\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(PumaConfigError, match=r"'days_late' takes \*dates.*dates: list\[\.\.\.\].*_days_late"):
        services_of(module)
    (tmp_path / f"{module}_listed.py").write_text(
        "__all__ = ['days_late']\n\n\ndef days_late(*dates: str) -> int:\n    return len(dates)\n")
    with pytest.raises(PumaConfigError, match=r"'days_late' takes \*dates.*take a list.*take it out of __all__"):
        services_of(f"{module}_listed")


def test_a_part_left_out_for_needing_arguments_is_a_warning_shown_without_puma_run(
        caplog: pytest.LogCaptureFixture) -> None:
    """Logged at INFO, it was not shown under `python app.py` and later calls were bare 404s (newcomer
    67 m7): a warning (Python prints those with no logging set up) naming the 404 and both fixes."""
    with caplog.at_level("WARNING", logger="puma.discovery"):
        services_of("tests.apps.discovered")
    said = {r.getMessage().split(": ")[1].split(" ")[0]: r for r in caplog.records}
    assert said["Needs"].levelname == "WARNING"
    message = said["Needs"].getMessage()
    assert "/needs answers 404" in message and "'needs': 'module:make_it()'" in message and "_Needs" in message


@pytest.mark.parametrize("bad", ["def tag_all(*codes: str) -> int:\n    return len(codes)\n",
                                 "def stamp(*marks, ink: str = 'red') -> str:\n    return ink\n"])
def test_python_app_py_with_a_part_puma_refuses_prints_the_one_message_not_a_traceback(
        tmp_path: Path, bad: str) -> None:
    """`python app.py` ending in `puma_start()`: a part refused as it starts printed a 12-line traceback
    where `puma run app.py` prints one message and exits 1 (newcomer 69 m9)."""
    (tmp_path / "labparts.py").write_text(bad + "\n\ndef ok(x: int) -> int:\n    return x\n")
    (tmp_path / "app.py").write_text("import puma\npuma.puma_service('labparts')\nif __name__ == '__main__':\n"
                                     "    puma.puma_start(port=0)\n")
    done = subprocess.run([sys.executable, "app.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr and done.stderr.count("puma: error: invalid PUMA config") == 1, done.stderr
    assert "takes *" in done.stderr, done.stderr
