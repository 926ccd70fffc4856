"""A load balancer asks whether the users' service is served (`/_puma/ready/<service>`), and
`puma status` says who a not-ready service hurts: a public one's clients get 503; an internal one
is called only by the deployment's services. Real Envoy and instances; the internal `ledger` made
not ready by moving its SQLite file away (what its readiness check opens), as a store outage."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import puma
from puma.running import format_status
from puma.states import headline
from tests.apps import ledger
from tests.helpers import wait_for

FOREIGN = {"host": "rebound.example"}  # a public client: not this machine asking by its own name


@pytest.fixture(scope="module")
def outage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[puma.Deployment, Path]]:
    store = tmp_path_factory.mktemp("ledger")
    data = store / "data"
    data.mkdir()
    ledger.create(str(data / "ledger.sqlite3"))
    old = os.environ.get("LEDGER_DB")
    os.environ["LEDGER_DB"] = str(data / "ledger.sqlite3")
    app = puma.App()
    app.configure({"puma_services": {
        "ledger": {"prefix": "/ledger", "visibility": "internal",
                   "readiness": {"check": "tests.apps.ledger:ping", "period_s": 0.2, "timeout_s": 0.5}},
        "front": {"prefix": "/front"},
        "books": {"prefix": "/books", "readiness": {"check": "tests.apps.ledger:ping", "period_s": 0.2,
                                                    "timeout_s": 0.5}}}})
    app.add_services({"ledger": "tests.apps.ledger:ledger", "front": "tests.apps.basic:echo",
                      "books": "tests.apps.basic:echo"})
    try:
        with app.start(listener={"port": 0}) as deployment:
            yield deployment, data
    finally:
        if old is None:
            os.environ.pop("LEDGER_DB", None)
        else:
            os.environ["LEDGER_DB"] = old


def _ready(mesh: puma.Deployment, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.get(mesh.url + path, headers=headers or {}, timeout=10)


def test_readiness_per_service_answers_for_each_service_while_another_is_down(outage) -> None:
    mesh, data = outage
    assert _ready(mesh, "/_puma/ready/front").json() == {
        "service": "front", "ready": True, "instances": {"ready": 1, "starting": 0}, "state": "ready"}
    data.rename(data.with_name("away"))
    try:
        wait_for(lambda: _ready(mesh, "/_puma/ready/ledger").status_code == 503, timeout_s=15,
                 message="the internal service's own readiness to say not ready")
        # its instances' own check may not have run yet ("not checked yet"): wait for its reason
        books = wait_for(lambda: (r := _ready(mesh, "/_puma/ready/books")).status_code == 503
                         and "unable to open database file" in r.json()["not_ready"] and r, timeout_s=15,
                         message="the public service calling it to say why it is not ready")
        front = _ready(mesh, "/_puma/ready/front")
        assert front.status_code == 200 and front.json()["ready"] is True, front.text
        assert int(books.headers["retry-after"]) >= 1
        own = _ready(mesh, "/_puma/ready/ledger").json()
        assert own["ready"] is False and "unable to open database file" in own["not_ready"], own
        whole = _ready(mesh, "/_puma/ready")  # the whole deployment, as documented
        assert whole.status_code == 503 and set(whole.json()["not_ready"]) == {"ledger", "books"}, whole.text
        # A public client: the public service's answer, and an internal one is not told to exist.
        assert _ready(mesh, "/_puma/ready/front", FOREIGN).status_code == 200
        hidden = _ready(mesh, "/_puma/ready/ledger", FOREIGN)
        assert hidden.status_code == 404 and "ledger" not in hidden.text.replace("'ledger'", ""), hidden.text
        assert "front" in hidden.text and "books" in hidden.text
    finally:
        data.with_name("away").rename(data)
    wait_for(lambda: _ready(mesh, "/_puma/ready/ledger").status_code == 200, timeout_s=15, message="ledger back")
    wait_for(lambda: _ready(mesh, "/_puma/ready").status_code == 200, timeout_s=15, message="all back")


@pytest.mark.parametrize("path", ["/_puma/ready/nosuch", "/_puma/ready/fron", "/_puma/ready/front/x"])
def test_readiness_per_service_of_an_unknown_name_is_a_404_naming_the_services(outage, path: str) -> None:
    mesh, _data = outage
    resp = _ready(mesh, path)
    assert resp.status_code == 404, resp.text
    assert "front" in resp.json()["error"] and "/_puma/ready/<service>" in resp.json()["error"], resp.text


def test_status_headline_says_503_only_for_the_public_services_not_ready(outage) -> None:
    mesh, data = outage
    data.rename(data.with_name("away"))
    try:
        wait_for(lambda: {"ledger", "books"} <= set(mesh.status()["not_ready"]), timeout_s=15,
                 message="both services not ready")
        status = mesh.status()
        line = headline(status) or ""
        assert "books (see below: their requests get 503)" in line, line
        assert "ledger (see below: their requests get 503)" not in line, line
        assert "ledger (internal" in line and "retry" in line, line
        assert line.splitlines()[0] in format_status(status)
    finally:
        data.with_name("away").rename(data)
    wait_for(lambda: mesh.status()["not_ready"] == {}, timeout_s=15, message="both back")


@pytest.mark.parametrize(("visibility", "says_503"), [("public", True), ("internal", False), (None, True)])
def test_status_headline_of_one_service_not_ready_says_who_gets_503(visibility: str | None, says_503: bool) -> None:
    service = {"visibility": visibility} if visibility else {}
    line = headline({"waiting_for": [], "not_ready": {"db": "restarting"}, "services": {"db": service}}) or ""
    assert line.startswith("serving; not ready: db"), line
    assert ("their requests get 503" in line) is says_503, line
