"""Names a caller gets wrong are caught where it calls, with the name it most likely meant: an
unknown service (`puma.remote("pricing/quote")`, `puma.call("catalog")`) names the closest
service, a path written without its leading '/' says how to write it, and a typed proxy given a
keyword its spec does not take raises TypeError locally, as the function itself would, naming
its parameters. The mesh URL points at a closed port: nothing here is sent."""

from __future__ import annotations

import json
import sys
import types
from typing import Any

import pytest

import puma
from tests.helpers import free_port

SERVICES = {"quote": "/quote", "catalogue": "/catalogue", "place_order": "/place_order", "stock": "/stock"}


class Catalogue:
    def search(self, word: str, category: str | None = None, *, limit: int = 10) -> list[str]:
        return [word]

    def anything(self, **fields: Any) -> dict[str, Any]:
        return fields

    def raw(self, request: puma.Request) -> dict[str, Any]:
        return request.data


def quote(lines: list[dict[str, Any]], coupon: str | None = None) -> int:
    return len(lines)


@pytest.fixture(autouse=True)
def nowhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUMA_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("PUMA_SERVICES", json.dumps(SERVICES))


@pytest.mark.parametrize(("call", "hint"), [
    (lambda: puma.remote("pricing/quote", quote)([]), "did you mean 'quote'?"),
    (lambda: puma.remote("catalog", Catalogue).search("tea"), "did you mean 'catalogue'?"),
    (lambda: puma.call("stokc", {}), "did you mean 'stock'?"),
    (lambda: puma.call("place-order", {}), "did you mean 'place_order'?"),
    (lambda: puma.call("catalogue/search", {"word": "tea"}),
     "'catalogue/search' is a path: write puma.call('/catalogue/search')"),
], ids=["service-slash-method", "misspelt-remote", "swapped-letters", "dash-for-underscore", "no-leading-slash"])
def test_remote_names_an_unknown_service_names_the_closest(call: Any, hint: str) -> None:
    with pytest.raises(puma.PumaCallError) as caught:
        call()
    assert hint in str(caught.value)
    assert "unknown service" in str(caught.value)


def test_remote_names_a_path_without_its_slash_also_gives_the_proxy_form() -> None:
    with pytest.raises(puma.PumaCallError, match=r"or puma.remote\('catalogue'\).search\(...\)"):
        puma.call("catalogue/search", {"word": "tea"})


def test_remote_names_nothing_alike_suggests_nothing_but_lists_them() -> None:
    with pytest.raises(puma.PumaCallError) as caught:
        puma.call("zzzz", {})
    assert "did you mean" not in str(caught.value) and "'catalogue'" in str(caught.value)


@pytest.mark.parametrize(("call", "said"), [
    (lambda c: c.search(wrd="tea"), "got an unexpected keyword argument 'wrd'; did you mean 'word'? "
                                     "(its parameters, from Catalogue.search: word, category, limit)"),
    (lambda c: c.search("tea", limt=3), "unexpected keyword argument 'limt'; did you mean 'limit'?"),
    (lambda c: c.search("tea", colour="red"), "unexpected keyword argument 'colour' (its parameters"),
], ids=["misspelt-only-keyword", "misspelt-keyword-only-parameter", "unknown-beside-a-positional"])
def test_remote_names_an_unknown_keyword_is_a_local_type_error(call: Any, said: str) -> None:
    with pytest.raises(TypeError) as caught:
        call(puma.remote("catalogue", Catalogue))
    assert not isinstance(caught.value, puma.PumaCallError)  # refused here, not by the service
    assert said in str(caught.value)
    assert str(caught.value).startswith("catalogue.search() got an unexpected keyword argument")


def test_remote_names_a_function_spec_checks_its_keywords_too() -> None:
    with pytest.raises(TypeError, match=r"quote\(\) got an unexpected keyword argument 'coupn'; did you mean 'coupon'"):
        puma.remote("quote", quote)([], coupn="X")


@pytest.mark.parametrize("method", ["anything", "raw"])
def test_remote_names_a_spec_taking_any_fields_sends_them(method: str) -> None:
    # **fields, or the whole request: any keyword may be meant; the call goes out (to a closed port)
    with pytest.raises(puma.PumaCallError) as caught:
        getattr(puma.remote("catalogue", Catalogue), method)(whatever=1)
    assert caught.value.status == 0


@pytest.mark.parametrize("how", ["call", "remote"])
def test_a_call_with_no_deployment_names_the_service_and_says_it_could_not_be_made(
        monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """A ported module used without a deployment said "call to service '?' failed with HTTP 0"
    (newcomer 58 m9): the service it calls is named, and no HTTP status is claimed."""
    from puma import client

    monkeypatch.delenv("PUMA_URL", raising=False)
    monkeypatch.setitem(client._mesh, "url", None)
    client._urls.clear()
    with pytest.raises(puma.PumaCallError) as caught:
        if how == "call":
            puma.call("/fine_for", {"days": 3})
        else:
            puma.remote("fine_for")(days=3)
    said = str(caught.value)
    assert "fine_for" in said and "'?'" not in said and "HTTP 0" not in said, said
    assert "could not be made: this process is not part of a PUMA deployment" in said and "PUMA_URL" in said, said


@pytest.mark.parametrize("app", ["photolab.py", "myapp/app.py"])
def test_remote_outside_a_deployment_names_the_one_serving_and_the_url_to_set(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch, app: str) -> None:
    """A script run beside a serving `puma run` of its app without $PUMA_URL: the error names what
    serves and the PUMA_URL that calls it (newcomer 69 M4: "no running PUMA deployment" while one
    served). Only a run of an app file this process loaded (the ported module) is offered: another
    app's run on the machine serves other services (someone else's, another project's)."""
    from puma import client, runs

    monkeypatch.setenv(runs.ENV_RUNS_DIR, str(tmp_path / "runs"))
    monkeypatch.delenv("PUMA_URL", raising=False)
    monkeypatch.setitem(client._mesh, "url", None)
    monkeypatch.chdir(tmp_path)
    client._urls.clear()
    (tmp_path / app).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / app).write_text("def names() -> list[str]:\n    return []\n")
    ported = types.ModuleType("ported_album")
    ported.__file__ = str(tmp_path / app)
    with pytest.raises(puma.PumaCallError) as before:
        puma.remote("album").names()
    assert "start one (puma run APP.py" in str(before.value), str(before.value)
    path = runs.record("http://127.0.0.1:18999", app=app, token="t")  # this process stands in for the run
    try:
        with pytest.raises(puma.PumaCallError) as other:  # its app is not loaded here: another app's run
            puma.remote("album").names()
        monkeypatch.setitem(sys.modules, "ported_album", ported)  # the ported module, imported
        with pytest.raises(puma.PumaCallError) as caught:
            puma.remote("album").names()
    finally:
        runs.forget(path)
    assert "18999" not in str(other.value) and "start one (puma run APP.py" in str(other.value), str(other.value)
    said = str(caught.value)
    assert "serving now: http://127.0.0.1:18999" in said and "set PUMA_URL=http://127.0.0.1:18999" in said, said
