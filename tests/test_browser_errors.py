"""One face for every error PUMA answers (newcomer 70 m5): a browser's form post or page (its
`Accept` names text/html) gets an escaped HTML page saying what the JSON says and how to go back,
whatever the status and whoever answered it (an instance: binding, limits, the app's exceptions;
Envoy: limits, rate, time-outs; the status server); every other client gets the JSON as before.
"""

from __future__ import annotations

import html
import io
import re
import time
from typing import Any

import httpx
import pytest

import puma
from puma.serving import build_app

BROWSER_FORM = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8",
                "referer": "http://127.0.0.1/order-form"}
# What scripts send: curl, fetch, puma.remote, a client asking for JSON (even with HTML after it).
NOT_A_BROWSER = [{}, {"accept": "*/*"}, {"accept": "application/json"},
                 {"accept": "application/json, text/html;q=0.5"}]


class OutOfStock(Exception):
    status_code = 409


def order(sku: str, qty: int, note: str = "") -> dict:
    if qty > 100:
        raise OutOfStock(f"only 100 of {sku} <in stock> & none on order")
    if sku == "boom":
        raise RuntimeError("the warehouse table is locked")
    if sku == "tag":
        raise puma.HTTPError(422, "sku <b>tag</b> is retired; use \"tag-2\"")
    return {"sku": sku, "qty": qty}


def scan(label: str, photo: bytes) -> dict:
    return {"label": label, "size": len(photo)}


def wait(s: float = 0.0) -> str:
    time.sleep(s)
    return "done"


def _text_of(page: str) -> str:
    """The page's words as a reader gets them (tags dropped, entities read)."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _assert_page_says(reply: httpx.Response | Any, status: int, said: str) -> str:
    body = reply.get_data(as_text=True) if hasattr(reply, "get_data") else reply.text
    code = reply.status_code
    assert code == status, body
    assert reply.headers["content-type"].startswith("text/html"), (reply.headers, body)
    assert body.lstrip().startswith("<!doctype html>") and "<main>" in body and "<script" not in body, body
    assert said in _text_of(body), body
    assert "Back button" in body, body  # how to go back to the form
    return body


FAILURES = [  # (form fields, status, what the JSON's "error" says, in part)
    ({"sku": "A-1"}, 400, "qty: missing"),
    ({"sku": "A-1", "qty": "lots"}, 400, "'lots' is not valid"),
    ({"sku": "A-1", "qty": "2", "colour": "red"}, 400, "colour (given 'red') is not a parameter"),
    ({"sku": "A-1", "qty": "500"}, 409, "only 100 of A-1 <in stock> & none on order"),
    ({"sku": "tag", "qty": "1"}, 422, 'sku <b>tag</b> is retired; use "tag-2"'),
    ({"sku": "boom", "qty": "1"}, 500, "internal error in service 'shop'"),
]


@pytest.mark.parametrize(("fields", "status", "said"), FAILURES,
                         ids=["missing", "not-an-int", "unknown-field", "app-exception-409", "http-error", "app-bug-500"])
def test_browser_errors_a_form_post_gets_a_page_saying_what_the_json_says(fields: dict, status: int, said: str) -> None:
    client = build_app("shop", order, max_body_bytes=10_000).test_client()
    as_json = client.post("/", data=fields, headers={"accept": "application/json"})
    assert as_json.status_code == status and said in as_json.get_json()["error"], as_json.get_data(as_text=True)
    page = _assert_page_says(client.post("/", data=fields, headers=BROWSER_FORM), status, said)
    assert "<b>" not in page and "<in stock>" not in page  # the app's words escaped, never markup
    assert '<a href="http://127.0.0.1/order-form">' in page  # back to the form it came from


@pytest.mark.parametrize("headers", NOT_A_BROWSER, ids=["no-accept", "any", "json", "json-first"])
@pytest.mark.parametrize(("fields", "status", "said"), FAILURES[::2], ids=["missing", "unknown-field", "http-error"])
def test_browser_errors_json_clients_see_the_json_body_unchanged(headers: dict, fields: dict, status: int,
                                                                 said: str) -> None:
    client = build_app("shop", order, max_body_bytes=10_000).test_client()
    reply = client.post("/", data=fields, headers=headers)
    assert reply.status_code == status and reply.headers["content-type"] == "application/json"
    body = reply.get_json()
    assert said in body["error"] and body["status"] == status and body["service"] == "shop", body


@pytest.mark.parametrize(("post", "status", "said"), [
    (dict(data=b"sku,qty\nA-1,2\n", content_type="text/csv"), 415, "text/csv"),
    (dict(data={"sku": "A-1", "qty": "1", "note": "x" * 20_000}), 413, "max_body_bytes"),
    (dict(data={"sku": "A-1", "qty": "1"}, query_string={"qty": "2"}), 200, ""),
], ids=["unsupported-type", "over-the-limit", "success-untouched"])
def test_browser_errors_refusals_before_binding_are_pages_too(post: dict, status: int, said: str) -> None:
    client = build_app("shop", order, max_body_bytes=10_000).test_client()
    reply = client.post("/", headers=BROWSER_FORM, **post)
    if status == 200:  # a success is the function's reply, whatever the browser accepts
        assert reply.status_code == 200 and reply.get_json() == {"sku": "A-1", "qty": 1}
    else:
        _assert_page_says(reply, status, said)


def test_browser_errors_an_empty_file_input_reads_as_sent_empty_on_the_page() -> None:
    client = build_app("lab", scan, max_body_bytes=10_000).test_client()
    reply = client.post("/", data={"label": "cat", "photo": (io.BytesIO(b""), "")}, content_type="multipart/form-data",
                        headers=BROWSER_FORM)
    _assert_page_says(reply, 400, "photo: the file field was sent empty (no file chosen")


def lookup(request: puma.Request) -> tuple[dict, int]:
    return {"error": "unknown_session", "detail": "no conversation 'x<1>' here; send \"-1\" to start one",
            "status": 404}, 404


def test_browser_errors_an_apps_own_error_body_shows_its_detail_too() -> None:
    client = build_app("chat", lookup, max_body_bytes=10_000).test_client()
    page = _assert_page_says(client.post("/", data={"id": "x"}, headers=BROWSER_FORM), 404,
                             "unknown_session: no conversation 'x<1>' here")
    assert "x&lt;1&gt;" in page
    assert client.post("/", data={"id": "x"}).get_json()["detail"].startswith("no conversation")


def test_browser_errors_a_referer_that_is_no_web_address_gets_no_link() -> None:
    client = build_app("shop", order, max_body_bytes=10_000).test_client()
    for referer in ("javascript:alert(1)", "data:text/html,<b>x</b>", ""):
        page = _assert_page_says(client.post("/", data={"sku": "A-1"}, headers={**BROWSER_FORM, "referer": referer}),
                                 400, "qty: missing")
        assert "javascript:" not in page and "data:" not in page and "the page you came from" not in page


# --- through Envoy: what the instance answers, and what Envoy and the status server answer themselves


@pytest.fixture(scope="module")
def shop():
    app = puma.App()
    app.configure({"puma_services": {"shop": {"prefix": "/shop", "max_body_bytes": 2000},
                                     "wait": {"prefix": "/wait", "timeout_s": 1}},
                   "rate_limit": {"requests_per_s": 0.2, "burst": 40, "cluster_name": "wait"}})
    app.add_services({"shop": f"{__name__}:order", "wait": f"{__name__}:wait"})
    with app.start(listener={"port": 0}) as mesh:
        yield mesh


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "said"), [
    ("POST", "/shop", {"data": {"sku": "A-1"}}, 400, "qty: missing"),
    ("POST", "/shop", {"data": {"sku": "boom", "qty": "1"}}, 500, "internal error in service 'shop'"),
    ("POST", "/shop", {"data": {"sku": "A-1", "qty": "1", "note": "n" * 5000}}, 413, "takes at most 2000 bytes"),
    ("POST", "/wait", {"data": {"s": "3"}}, 504, "no answer within its timeout_s (1 s)"),
    ("GET", "/_puma/nothing-here", {}, 404, "nothing is served at /_puma/nothing-here"),
    ("GET", "/_puma/scale", {}, 405, "not allowed on /_puma/scale"),
], ids=["instance-400", "instance-500", "envoy-413", "envoy-504", "status-server-404", "status-server-405"])
def test_browser_errors_are_pages_whoever_answers_them(shop, method: str, path: str, kwargs: dict, status: int,
                                                       said: str) -> None:
    as_json = httpx.request(method, shop.url + path, timeout=10, **kwargs)
    assert as_json.status_code == status and said in as_json.json()["error"], as_json.text
    page = httpx.request(method, shop.url + path, headers=BROWSER_FORM, timeout=10, **kwargs)
    _assert_page_says(page, status, said)
    assert "%" not in page.text, page.text  # no Envoy format command left unread


def test_browser_errors_a_rate_limited_browser_gets_a_page_and_retry_after(shop) -> None:
    for _ in range(60):
        reply = httpx.post(shop.url + "/wait", data={"s": "0"}, headers=BROWSER_FORM, timeout=10)
        if reply.status_code == 429:
            break
    _assert_page_says(reply, 429, "too many requests")
    assert reply.headers.get("retry-after"), reply.headers
    script = httpx.post(shop.url + "/wait", data={"s": "0"}, timeout=10)
    assert script.status_code == 429 and "too many requests" in script.json()["error"], script.text
