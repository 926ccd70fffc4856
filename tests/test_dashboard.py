"""Every deployment's status page at /_puma/dashboard: what runs and what is ready, for any app
(not only the chatbot), escaped, self-contained, never hiding an app's own /dashboard."""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

import puma
from puma.dashboard import page, refresh_from
from puma.supervisor import Deployment
from tests.apps import basic


class _Links(HTMLParser):
    """Every URL the page would load or link to, and whether it holds a script."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scripts += tag == "script"
        self.urls += [value or "" for name, value in attrs if name in ("src", "href", "action")]


def _snapshot(**services: dict) -> dict:
    return {"time": 1764400000.0, "started_at": 1764399990.0, "waiting_for": [], "not_ready": {}, "events": [
        {"time": 1764399995.0, "service": "orders", "message": "instance 2 died (code -9); <b>started</b> again"}],
        "services": services}


def test_dashboard_page_escapes_every_value_and_loads_nothing_from_elsewhere() -> None:
    hostile = '<img src=x onerror="alert(1)">'
    html = page(_snapshot(**{hostile: {"prefix": "/p<q>", "ready": 0, "instances": [], "not_ready": [hostile]},
                             "orders": {"prefix": "/orders", "ready": 2, "min_instances": 2, "max_instances": 4,
                                        "instances": [{"id": 1, "state": "ready"}, {"id": 2, "state": "ready"}]}}))
    text = html.decode()
    assert "<img" not in text and "<b>started" not in text and "&lt;img src=x" in text
    links = _Links()
    links.feed(text)
    # One inline script (the in-place update, allowed by its hash); nothing loaded: "#" is in the page
    assert links.scripts == 1 and all(u.startswith(("/_puma/", "#")) for u in links.urls), links.urls
    assert '<html lang="en">' in text and "<h2>Services (2)</h2>" in text
    assert re.search(r'orders</th><td[^>]*>/orders</td><td[^>]* class="ok">2 of 2', text)
    assert "instance 2 died" in text  # recent events


@pytest.mark.parametrize("pages", [
    {"/": "the chat", "/dashboard": "the dashboard (the chat's services side by side, live, with charts)"},
    {"/shop/": "the shop", "/admin": "the orders to ship today", "/docs/api.html": "the API's reference"},
])
def test_dashboard_page_links_the_apps_own_pages_saying_what_each_is_for(pages: dict[str, str]) -> None:
    """A keyboard user reaches the app's pages from the status page, each link's words saying what
    it is, and the page says what it is itself; an app that named no pages gets no guessed link."""
    text = page(_snapshot(), pages=pages).decode()
    links = _Links()
    links.feed(text)
    assert [u for u in links.urls if not u.startswith(("/_puma/", "#"))] == list(pages)
    for path, label in pages.items():
        assert f'<a href="{path}">{escape(label)}</a>' in text
    assert "This page: the services' instances, readiness and events" in text
    bare = _Links()
    bare.feed(page(_snapshot()).decode())
    assert all(u.startswith(("/_puma/", "#")) for u in bare.urls), bare.urls


def test_dashboard_update_interval_is_kept_within_bounds_and_never_reloads() -> None:
    assert refresh_from("") is None and refresh_from("refresh_s=abc") is None
    assert refresh_from("refresh_s=5") == 5 and refresh_from("refresh_s=0") == 2
    assert refresh_from("refresh_s=99999") == 300
    assert 'http-equiv="refresh"' not in page(_snapshot(), refresh_s=7).decode()  # updated in place
    assert 'data-refresh-s="7"' in page(_snapshot(), refresh_s=7).decode()
    assert 'data-refresh-s="5"' in page(_snapshot()).decode()


def test_dashboard_is_served_for_any_app_beside_its_own_dashboard_route(tmp_path: Path) -> None:
    """A user's app with no web page of its own, one of whose services is routed at /dashboard: the
    status page is at /_puma/dashboard, and the app's /dashboard still answers the app."""
    app = puma.App()
    app.configure({"puma_services": {"inventory": {"prefix": "/inventory", "instances": 2},
                                     "dashboard": {"prefix": "/dashboard"}}})
    app.add_services({"inventory": basic.echo, "dashboard": basic.echo})
    pages = {"/dashboard": "the shop's own dashboard of orders"}
    with Deployment(app.resolved_config(listener={"port": 0, "pages": pages})).start() as deployment:
        got = httpx.get(f"{deployment.url}/_puma/dashboard", timeout=10)
        assert got.status_code == 200 and got.headers["content-type"].startswith("text/html")
        assert "default-src 'none'" in got.headers["content-security-policy"]
        assert "script-src 'sha256-" in got.headers["content-security-policy"]  # its own inline script only
        assert re.search(r'inventory</th><td[^>]*>/inventory</td><td[^>]* class="ok">2 of 2', got.text), got.text
        assert "instance 1 up" in got.text
        assert '<a href="/dashboard">the shop&#x27;s own dashboard of orders</a>' in got.text  # the app's page, linked
        own = httpx.post(f"{deployment.url}/dashboard", json={}, timeout=10)
        assert own.status_code == 200 and own.json()["path"] == "/dashboard"
        assert httpx.head(f"{deployment.url}/_puma/dashboard", timeout=10).status_code == 200


def test_dashboard_page_passes_an_accessibility_audit_light_and_dark(new_page, axe_source: str) -> None:
    """axe-core on the page as a browser shows it, with a service not ready and events (light and dark)."""
    from tests.web_helpers import audit, describe

    html = page(_snapshot(orders={"prefix": "/orders", "ready": 1, "min_instances": 1, "max_instances": 3,
                                  "instances": [{"id": 1, "state": "ready"}], "p50_ms": 2.5, "p99_ms": 9.0},
                          ledger={"prefix": "/ledger", "ready": 0, "min_instances": 1, "max_instances": 1,
                                  "instances": [{"id": 1, "state": "ready"}],
                                  "not_ready": ["instance 1: the database is unreachable"]}), refresh_s=None)
    found = []
    for scheme in ("light", "dark"):
        view = new_page(bypass_csp=True, color_scheme=scheme)
        view.set_content(html.decode())
        found += audit(view, axe_source, f"/_puma/dashboard ({scheme})")
    assert found == [], describe(found)


def test_dashboard_page_reflows_at_400_percent_zoom_and_on_a_phone(new_page) -> None:
    """WCAG 1.4.10: at 320 CSS px (400 % of a laptop) and a phone's width nothing scrolls sideways,
    each service's figures keep their column's name, and a long reason wraps; wide, it stays a table."""
    reason = "instance 1: the database is unreachable at postgresql://db.internal.example:5432/orders_production"
    html = page(_snapshot(**{f"service-{n}": {"prefix": f"/service-{n}", "ready": 0, "min_instances": 1,
                                               "max_instances": 3, "instances": [{"id": 1, "state": "starting"}],
                                               "not_ready": [reason], "p50_ms": 2.5, "p99_ms": 9.0}
                             for n in range(3)}), refresh_s=None).decode()
    for width, height in ((320, 256), (390, 844), (1280, 800)):
        view = new_page(bypass_csp=True, viewport={"width": width, "height": height})
        view.set_content(html)
        wide = view.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert wide[0] <= wide[1], (width, wide)
        labelled = view.evaluate("""() => [...document.querySelectorAll('td')].map(td =>
            getComputedStyle(td, '::before').content)""")
        if width < 700:
            assert labelled[:2] == ['"Prefix: "', '"Ready: "'], labelled
        else:
            assert set(labelled) <= {"none", "normal"}, labelled
        cells = view.locator("role=cell").count()
        assert cells == 3 * 8 and view.locator("role=rowheader").count() == 3  # still a table to a screen reader


_PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 3}


def _deployment(names: list[str], down: dict[str, str]) -> dict:
    """A deployment of `names`, each with 2 instances and figures, `down` not ready (name -> why),
    and 20 recent events with long messages, as a real one has after a while."""
    services = {n: {"prefix": f"/{n}", "ready": 0 if n in down else 2, "min_instances": 1, "max_instances": 4,
                    "instances": [{"id": 1, "state": "ready"}, {"id": 2, "state": "ready"}], "in_flight": 1,
                    "requests_per_s": 3.5, "p50_ms": 12.0, "p99_ms": 80.0, "errors_5xx": 0,
                    **({"not_ready": [f"instance 1: {down[n]}"]} if n in down else {})} for n in names}
    snapshot = _snapshot(**services)
    snapshot["not_ready"] = {n: why for n, why in down.items()}
    snapshot["events"] = [{"time": 1764399000.0 + i, "service": names[i % len(names)],
                           "message": f"instance {i} up on port {41000 + i} after a warm-up of 4.2 s (zygote fork)"}
                          for i in range(20)]
    return snapshot


def _open_services(view) -> list[str]:
    return view.evaluate("() => [...document.querySelectorAll('details.service[open]')].map(d => d.id)")


@pytest.mark.parametrize("names", [
    ["web", "agent", "nlu", "recommender", "movies", "legacy", "survey", "transcripts"],
    [f"svc{n}" for n in range(12)],
], ids=["chatbot", "twelve"])
def test_dashboard_page_on_a_phone_fits_about_two_screens_when_all_is_ready(new_page, names: list[str]) -> None:
    """Every service's details folded behind its state line: the phone page is a list of states."""
    view = new_page(bypass_csp=True, **_PHONE)
    view.set_content(page(_deployment(names, {})).decode())
    assert _open_services(view) == []
    height = view.evaluate("() => document.documentElement.scrollHeight")
    assert height <= 2 * 844, f"{height} px: more than two phone screens with every service ready"
    summaries = view.locator("details.service > summary").all_inner_texts()
    assert len(summaries) == len(names) and all("ready, 2 of 2" in s for s in summaries), summaries
    assert view.locator("table[role=table]").count() == len(names)  # each service's figures: a table, folded


@pytest.mark.parametrize("down", [{"legacy": "the legacy socket server is unreachable"},
                                  {"agent": "the database is unreachable", "movies": "its zygote failed 4 times"}])
def test_dashboard_page_opens_only_the_services_not_all_ready_and_links_them_first(new_page, down: dict) -> None:
    names = ["web", "agent", "nlu", "movies", "legacy"]
    view = new_page(bypass_csp=True, **_PHONE)
    view.set_content(page(_deployment(names, down)).decode())
    assert sorted(_open_services(view)) == sorted(f"service-{n}" for n in down)
    for name, why in down.items():
        assert why in view.locator(f"#service-{name}").inner_text()  # the reason is on screen, not folded
        assert view.locator(f'a[href="#service-{name}"]').count() == 1  # a link to it near the top
    wide = view.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert wide[0] <= wide[1], wide


def test_dashboard_page_folds_and_unfolds_from_the_keyboard(new_page) -> None:
    """A native disclosure: Tab reaches each service's state line, Enter opens it, a screen reader
    hears it as a button that is collapsed or expanded."""
    view = new_page(bypass_csp=True, viewport={"width": 320, "height": 640})
    view.set_content(page(_deployment(["web", "agent"], {})).decode())
    for _ in range(8):
        view.keyboard.press("Tab")
        if view.evaluate("() => document.activeElement.tagName") == "SUMMARY":
            break
    focused = view.evaluate("() => document.activeElement.parentElement.id")
    assert focused in ("service-agent", "service-web")
    assert not view.evaluate(f"() => document.getElementById('{focused}').open")  # all ready: folded
    view.keyboard.press("Enter")
    assert view.evaluate(f"() => document.getElementById('{focused}').open")
    assert "1: ready, 2: ready" in view.locator(f"#{focused}").inner_text()
    wide = view.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert wide[0] <= wide[1], wide


_TARGETS = """() => [...document.querySelectorAll('a, button, summary')].filter(e => e.getClientRects().length)
    .map(e => [e.tagName, e.textContent.trim().slice(0, 30), Math.round(e.getBoundingClientRect().height)])"""


@pytest.mark.parametrize("down,pages,forced", [
    ({"legacy": "the legacy socket server is unreachable"}, {"/": "the chat"}, "none"),
    ({"agent": "the database is unreachable", "movies": "its zygote failed"},
     {"/": "the chat", "/dashboard": "the dashboard (the chat's services side by side)"}, "active"),
    ({}, {"/shop/": "the shop", "/admin": "the orders to ship today"}, "none"),
], ids=["one-down", "two-down-forced-colours", "all-ready"])
def test_dashboard_page_every_link_and_control_is_44px_under_a_finger(new_page, down: dict, pages: dict,
                                                                       forced: str) -> None:
    """pointer: coarse: every a, button and summary the page shows (the 'Not all ready' service links,
    refresh, the app's pages, /_puma/status, Pause, each disclosure) is at least 44 px high."""
    view = new_page(bypass_csp=True, forced_colors=forced, **_PHONE)
    view.set_content(page(_deployment(["web", "agent", "movies", "legacy"], down), pages=pages).decode())
    assert view.evaluate("() => matchMedia('(pointer: coarse)').matches")
    targets = view.evaluate(_TARGETS)
    assert len(targets) >= 5 + len(down) + len(pages), targets  # links, Pause and disclosures all counted
    small = [t for t in targets if t[2] < 44]
    assert small == [], f"under 44 px on a touch screen: {small}"
    wide = view.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert wide[0] <= wide[1], wide


def _instances_cell(html: str, name: str) -> str:
    row = html[html.index(f'id="service-{name}-row"'):]
    found = re.search(r'data-label="Instances \(id: state\)">([^<]*)<', row)
    assert found, row[:500]
    return found.group(1)


@pytest.mark.parametrize("instances,said,expected", [
    ([{"id": 1, "state": "ready", "healthy": False, "not_ready": "the legacy socket server is unreachable"}], [],
     "1: up, not ready: the legacy socket server is unreachable"),
    ([{"id": 1, "state": "ready", "healthy": True}, {"id": 2, "state": "ready", "healthy": False,
                                                     "not_ready": "the database is unreachable"}], [],
     "1: ready, 2: up, not ready: the database is unreachable"),
    # Only the service says which instance fails (an older or trimmed snapshot): the same words.
    ([{"id": 3, "state": "ready"}], ["instance 3: its model is still loading"], "3: up, not ready: its model is still loading"),
    ([{"id": 1, "state": "ready", "healthy": False, "in_envoy": True}, {"id": 2, "state": "starting"}], [],
     "1: up (not yet in Envoy), 2: starting"),
], ids=["legacy-down", "one-of-two", "said-by-service", "not-yet-routed"])
def test_dashboard_page_never_calls_an_instance_ready_that_its_readiness_check_fails(
        instances: list, said: list, expected: str) -> None:
    """The instance's state words agree with the service's "not ready" line above them."""
    ready = sum(1 for i in instances if i.get("healthy") is True)
    html = page(_snapshot(svc={"prefix": "/svc", "ready": ready, "min_instances": 1, "max_instances": 2,
                               "instances": instances, "not_ready": said or [
                                   f"instance {i['id']}: {i['not_ready']}" for i in instances if i.get("not_ready")]}))
    assert escape(expected) == _instances_cell(html.decode(), "svc")
