"""A newcomer's one-script port (tests/apps/shop_app.py), loaded as `puma run` loads it, with no
secret set: its map works with functions of the script itself, a function the map cannot send is an
error naming it, an item that raises or kills its instance is named, statuses chosen by bound
functions are kept, nested unknown fields are refused, and a script outside the deployment calls
it with $PUMA_URL alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import puma
from puma.mapping import protocol
from tests.helpers import wait_for

SHOP = Path(__file__).resolve().parent / "apps" / "shop_app.py"


@pytest.fixture(scope="module")
def shop():
    with pytest.MonkeyPatch.context() as env:
        env.delenv(protocol.ENV_SECRET, raising=False)  # as a newcomer runs it: no secret chosen
        app = puma.App.load(SHOP)
        deployment = app.start(listener={"port": 0})
    with deployment:
        yield deployment


@pytest.fixture(scope="module")
def http(shop):
    with httpx.Client(base_url=shop.url, timeout=60) as client:
        yield client


def _deaths(shop, service: str) -> int:
    return sum(1 for e in shop.events if e.get("service") == service and "died" in e.get("message", ""))


def test_map_of_functions_defined_in_the_app_script_runs_on_the_workers_without_a_chosen_secret(shop, http):
    ids = list(range(1, 41))
    resp = http.post("/audit", json={"order_ids": ids})
    assert resp.status_code == 200, resp.text
    import zlib

    expected = [zlib.crc32(str(i).encode()) % 251 for i in ids]
    assert resp.json() == {"scores": expected, "total": sum(expected)}
    assert shop.config.secret  # made for this deployment, since it has a map service


@pytest.mark.parametrize(("how", "named"), [("inline", "lambda"), ("nested", "defined inside audit")])
def test_a_function_the_map_cannot_send_is_refused_at_the_call_naming_it_and_the_fix(http, how, named):
    resp = http.post("/audit", json={"order_ids": [1, 2], "how": how})
    assert resp.status_code == 500
    error = resp.json()["error"]
    assert named in error and "top level of a module" in error and "PumaMapError" in error


def test_a_lambda_given_to_map_in_process_raises_before_anything_is_sent(shop):
    with pytest.raises(puma.PumaMapError, match=r"lambda.*cannot be imported by another process.*top level"):
        puma.map(lambda x: x, [1], deployment=shop)

    def local(x: int) -> int:
        return x

    with pytest.raises(puma.PumaMapError, match=r"local.*defined inside test_a_lambda"):
        puma.map_reduce(abs, [1], local, deployment=shop)


def test_an_exception_in_an_item_names_the_item_and_kills_no_instance(shop):
    from tests.apps import mapfuncs

    before = {i.pid for i in shop.instances("map")}
    with pytest.raises(puma.PumaMapError) as caught:
        puma.map(mapfuncs.fail_on_13, range(30), deployment=shop, chunksize=4)
    assert caught.value.item_index == 13 and "ValueError: unlucky 13" in str(caught.value)
    assert {i.pid for i in shop.instances("map")} == before


def test_an_item_that_kills_its_instance_is_named_and_costs_two_instances_not_every_one(shop, http):
    wait_for(lambda: len(shop.instances("map")) == 2, timeout_s=30, message="two map instances")
    deaths = _deaths(shop, "map")
    resp = http.post("/audit", json={"order_ids": list(range(20)), "how": "poisoned", "poison": 11})
    assert resp.status_code == 500
    error = resp.json()["error"]
    assert "item 11" in error and "crashed the instance" in error and "no instance" not in error
    # With its chunk, then alone.
    wait_for(lambda: _deaths(shop, "map") >= deaths + 2, timeout_s=20, message="the deaths to be recorded")
    assert _deaths(shop, "map") - deaths == 2
    wait_for(lambda: len(shop.instances("map")) == 2, timeout_s=30, message="the map instances replaced")
    assert http.post("/audit", json={"order_ids": [1, 2, 3]}).status_code == 200  # and it serves on


@pytest.mark.parametrize(("path", "body", "status", "reply"), [
    ("/shop_app/register", {"name": "ada"}, 201, {"name": "ada"}),
    ("/desk/register", {"name": "bo"}, 201, {"name": "bo"}),
    ("/desk/register_later", {"name": "cy"}, 202, {"queued": "cy"}),
    ("/desk/register_plain", {"name": "di"}, 201, {"sku": "di", "qty": 2}),
    ("/desk/register_async", {"name": "ed"}, 201, {"name": "ed", "async": True}),
    ("/desk/pair", {"name": "fay"}, 200, ["fay", 201]),
    ("/stock/restock", {"sku": "fig", "qty": 2}, 201, {"sku": "fig", "shelf": 5}),
])
def test_a_status_a_bound_function_returns_is_the_reply_status(http, path, body, status, reply):
    resp = http.post(path, json=body)
    assert (resp.status_code, resp.json()) == (status, reply)


def test_a_response_keeps_its_headers(http):
    assert http.post("/shop_app/register", json={"name": "gil"}).headers["location"] == "/customers/gil"


@pytest.mark.parametrize(("body", "where"), [
    ({"basket": {"lines": [{"sku": "fig", "qty": 1}], "notes": "x"}}, "basket['notes']"),
    ({"basket": {"lines": [{"sku": "fig", "qtty": 2}]}}, "basket['lines'][0]['qtty']"),
    ({"basket": {"lines": []}, "address": {"street": "1 Lane", "city": "Oslo", "zip": "0150"}}, "address['zip']"),
])
def test_an_unknown_field_inside_an_argument_is_a_400_naming_its_path(http, body, where):
    resp = http.post("/shop_app/deliver", json=body)
    assert resp.status_code == 400, resp.text
    problems = resp.json()["problems"]
    assert [p["parameter"] for p in problems] == [where]
    assert "is not a field of" in problems[0]["message"]


def test_an_async_method_refuses_wrong_arguments_with_the_usual_problems(http):
    resp = http.post("/desk/halve", json={"n": "many"})
    assert resp.status_code == 400
    assert resp.json()["problems"][0]["parameter"] == "n" and "expected int" in resp.json()["error"]
    assert http.post("/desk/halve", json={"n": 5}).json() == 2.5


def test_the_interface_shows_methods_the_config_makes_idempotent(http):
    stock = http.get("/stock/_puma/interface").json()["methods"]
    assert stock["count"]["idempotent"] is True and stock["restock"]["idempotent"] is False
    desk = http.get("/desk/_puma/interface").json()["methods"]
    assert all(m["idempotent"] for m in desk.values())


def _outside(code: str, url: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUMA_")}
    env["PUMA_URL"] = url
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)


def test_a_script_outside_the_deployment_calls_its_services_with_puma_url_alone(shop):
    code = ("import json, puma\n"
            "print(json.dumps([puma.remote('shop_app').deliver({'lines': [{'sku': 'kiwi', 'qty': 3}]}),\n"
            "                  puma.remote('stock').count('kiwi'), puma.remote('shop_app').register('hal')]))")
    done = _outside(code, shop.url)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{"items": 3, "city": None}, 10, {"name": "hal"}]


def test_an_outside_call_to_a_misspelt_service_lists_the_deployment_s_services(shop):
    done = _outside("import puma\npuma.call('stok', {})", shop.url)
    assert done.returncode == 1
    assert "unknown service" in done.stderr and "'stock'" in done.stderr and "'shop_app'" in done.stderr


def test_an_outside_call_to_a_url_that_is_no_deployment_says_what_to_set(http):
    done = _outside("import puma\npuma.call('stock', {})", "http://127.0.0.1:9")
    assert done.returncode == 1
    assert "PUMA_URL" in done.stderr and "puma run" in done.stderr


def test_import_paths_name_the_script_file_for_functions_of_a_loaded_script(shop):
    from puma import targets

    loaded = targets.load(f"{SHOP}:checksum")
    assert loaded.__module__ == "puma_app_shop_app"
    assert targets.import_path(loaded) == f"{SHOP}:checksum"
    assert targets.import_path(targets.load(f"{SHOP}:Desk.register")) == f"{SHOP}:Desk.register"
    from tests.apps import mapfuncs

    assert targets.import_path(mapfuncs.square) == "tests.apps.mapfuncs:square"  # a module's stays its own


@pytest.mark.parametrize("count", [2, 3, 0])
def test_a_stateful_service_refuses_another_instance_naming_the_option(shop, count):
    with pytest.raises(puma.PumaScaleError, match=r"stateful \(puma_services\.stock\.stateful: true\)"):
        shop.scale("stock", count)
    assert len(shop.instances("stock")) == 1


@pytest.mark.parametrize("instances", [2, {"min": 1, "max": 3}, 0])
def test_a_stateful_service_with_more_than_one_instance_is_a_config_error(instances):
    from puma.config import parse_config

    with pytest.raises(puma.PumaConfigError, match=r"puma_services\.stock.*stateful: true keeps one instance"):
        parse_config({"puma_services": {"stock": {"instances": instances, "stateful": True}}})


def test_a_replaced_stateful_instance_says_its_state_was_lost(shop, http):
    import signal

    assert http.post("/stock/restock", json={"sku": "kiwi", "qty": 5}).json()["shelf"] == 15
    [victim] = shop.instances("stock")
    os.kill(victim.pid, signal.SIGKILL)
    wait_for(lambda: any("state it kept is lost" in e.get("message", "") for e in shop.events if
                         e.get("service") == "stock"), timeout_s=20, message="the lost state to be reported")
    wait_for(lambda: http.post("/stock/count", json={"sku": "kiwi"}).status_code == 200, timeout_s=20,
             message="the replacement")
    assert http.post("/stock/count", json={"sku": "kiwi"}).json() == 10  # the zygote's stock: what the event says


@pytest.mark.parametrize(("poison", "chunksize"), [(0, 3), (17, 5), (29, 1)])
def test_the_item_that_kills_its_instance_is_named_wherever_it_sits_in_its_chunk(shop, poison, chunksize):
    from tests.apps import shop_app

    wait_for(lambda: len(shop.instances("map")) == 2, timeout_s=30, message="two map instances")
    with pytest.raises(puma.PumaMapError) as caught:
        puma.map(shop_app._fall_over, [(i, poison) for i in range(30)], deployment=shop, chunksize=chunksize)
    assert caught.value.item_index == poison and "crashed the instance" in str(caught.value)
    wait_for(lambda: len(shop.instances("map")) == 2, timeout_s=30, message="the map instances replaced")
