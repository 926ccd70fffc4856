"""A module named whole (`puma_service("shop.parts")`) serves its functions as ONE service, each at
`/<module>/<function>`, as an object's methods are: a ten-function module is one zygote and one
instance, not ten of each. A function named in `puma_services` is its own service, to be scaled
apart, and `"module_functions": "apart"` makes each its own, as before."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

import puma
from puma.endpoints import build, marks
from puma.errors import PumaConfigError

HARDWARE = "tests.apps.hardware"
FUNCTIONS = ["basket_total", "catalogue", "delivery_date", "discount", "in_stock", "label", "opening_hours",
             "price", "quote", "receipt"]


def test_module_functions_are_one_service_named_after_the_module() -> None:
    app = puma.App()
    app.add_services(HARDWARE)
    assert app.targets == {"hardware": f"{HARDWARE}:*"}
    assert list(app.resolved_config().puma_services) == ["hardware"]
    served = build(f"{HARDWARE}:*")
    assert (served.kind, sorted(served.endpoints)) == ("object", FUNCTIONS)  # not _helper, not main
    assert marks(f"{HARDWARE}:*") == ["catalogue"]  # @puma.idempotent on a function is kept


@pytest.mark.parametrize("configured", [["quote"], ["quote", "price"], ["catalogue", "receipt", "label"]])
def test_module_functions_named_in_config_are_services_of_their_own(configured: list[str]) -> None:
    app = puma.App()
    app.configure({"puma_services": {name: {"instances": 2} for name in configured}})
    app.add_services(HARDWARE)
    services = app.resolved_config().puma_services
    assert sorted(services) == sorted(["hardware", *configured])
    assert all(services[n].target == f"{HARDWARE}:{n}" and services[n].instances.min == 2 for n in configured)


def test_module_functions_apart_gives_each_function_its_own_service() -> None:
    app = puma.App()
    app.add_services(HARDWARE)
    app.configure({"module_functions": "apart"})
    assert sorted(app.targets) == FUNCTIONS
    with pytest.raises(PumaConfigError, match="module_functions"):
        puma.App().configure({"module_functions": "each"})


def test_module_functions_of_an_app_script_take_the_script_name(tmp_path: Path) -> None:
    script = tmp_path / "tool_shop.py"
    script.write_text("from puma import puma_service\n\n\nclass Till:\n    def ring(self, pence: int) -> int:\n"
                      "        return pence\n\n\ndef greet(name: str) -> str:\n    return 'hi ' + name\n\n\n"
                      "def wave() -> str:\n    return 'o/'\n\n\npuma_service(__name__)\n")
    app = puma.App.load(script)
    assert app.targets == {"tool_shop": f"{script}:*", "till": f"{script}:Till"}


def test_module_functions_whose_name_a_class_takes_is_an_error_with_the_fix(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    module = f"till_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{module}.py").write_text(
        f"class {''.join(p.title() for p in module.split('_'))}:\n    def ring(self) -> int:\n        return 1\n\n\n"
        "def total(a: int) -> int:\n    return a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    app = puma.App()
    app.add_services(module)
    with pytest.raises(PumaConfigError, match="module_functions"):
        _ = app.targets


@pytest.fixture(scope="module")
def hardware() -> object:
    app = puma.App()
    app.configure({"puma_services": {"quote": {"instances": 2}}})
    app.add_services(HARDWARE)
    with app.start(listener={"port": 0}) as deployment:
        yield deployment


def test_module_functions_answer_at_module_slash_function(hardware) -> None:
    with httpx.Client(base_url=hardware.url, timeout=10) as http:
        assert http.post("/hardware/price", json={"sku": "bolt"}).json() == 12
        assert http.post("/hardware/discount", data={"pence": "200", "percent": "25"}).json() == 150
        assert http.post("/hardware/catalogue", json={}).json() == ["bolt", "hinge", "nut", "washer"]
        assert http.post("/hardware/delivery_date", json={"days": 2}).json() == "2026-01-03"
        assert http.post("/quote", json={"sku": "nut", "qty": 3}).json() == {"sku": "nut", "qty": 3, "pence": 15}
        missing = http.post("/hardware/pricee", json={"sku": "bolt"})
        assert missing.status_code == 404 and "price" in missing.json()["error"]
        assert http.post("/hardware/_helper", json={}).status_code == 404
        assert http.post("/hardware/main", json={}).status_code == 404
        bad = http.post("/hardware/price", json={"sku": "bolt", "qty": 1})
        assert bad.status_code == 400 and bad.json()["problems"][0]["parameter"] == "qty"
    assert len(hardware.instances("hardware")) == 1 and len(hardware.instances("quote")) == 2


def test_module_functions_are_called_by_name_through_puma_remote(hardware, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUMA_URL", hardware.url)
    shop = puma.remote("hardware")
    assert shop.label("nut") == "NUT (5p)"
    assert shop.basket_total(["nut", "nut", "bolt"]) == 22


def test_module_functions_take_their_module_as_puma_remote_s_spec(hardware, monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt

    import tests.apps.hardware as module

    monkeypatch.setenv("PUMA_URL", hardware.url)
    shop = puma.remote("hardware", module)  # typed as the functions say: a Quote, a date, bytes
    assert shop.quote("bolt", 2) == module.Quote("bolt", 2, 24)
    assert shop.delivery_date(3) == dt.date(2026, 1, 4)
    assert shop.receipt(["nut", "bolt"]) == b"nut\nbolt"
    with pytest.raises(AttributeError, match="_helper"):
        _ = shop._helper
    with pytest.raises(TypeError, match="did you mean 'sku'"):
        shop.price(skuu="nut")
