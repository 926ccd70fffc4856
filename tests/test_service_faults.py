"""A service's own faults are 500s naming the service, where and why; a client's bad input is a
precise 4xx (issue 18). In-process apps (Flask's test client) for the shapes, one real deployment
(Envoy, instances) for calls between services and what reaches the wire."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

import puma
from puma.media import DEFAULT_CONTENT_TYPES
from puma.serving import build_app
from tests.apps import faults
from tests.helpers import wait_for
from tests.rawhttp import exchange

BYTES = ("application/json", "application/x-www-form-urlencoded", "application/octet-stream")


def client(fn: Any, name: str = "svc") -> Any:
    types = BYTES if fn is faults.bytes_headers else DEFAULT_CONTENT_TYPES
    return build_app(name, fn, max_body_bytes=100_000, content_types=types).test_client()


# --- 1A: a reply JSON cannot hold is the service's fault -------------------------------------

@pytest.mark.parametrize(("kind", "where", "why"), [
    ("set-of-objects", "$.items[2]", "object, which JSON cannot hold"),
    ("huge-int", "$.count", "digits"),
    ("deep", "$.next.next", "nested deeper than 128"),
    ("loop", "$[1].again", "holds itself"),
    ("in-dataclass", "$", "Box, which JSON cannot hold"),
    ("minus-inf", "$[1]", "-inf"),
    ("object-key", "$.by_owner", "a key of type object"),
    ("a-function", "$.callback", "builtin_function_or_method, which JSON cannot hold"),
])
def test_unsendable_reply_is_a_500_naming_service_where_and_why(kind: str, where: str, why: str,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    resp = client(faults.unsendable, "maker").post("/", json={"kind": kind})
    body = resp.get_json()
    assert resp.status_code == 500, body
    assert body["service"] == "maker" and body["status"] == 500
    assert where in body["error"] and why in body["error"], body["error"]
    assert "Traceback" not in body["error"]
    assert any("maker" in r.getMessage() for r in caplog.records if r.levelname == "ERROR")


@pytest.mark.parametrize("kind", ["tuple-status-99", "tuple-status-1000", "tuple-status-text", "tuple-status-true",
                                  "response-103", "response-0", "one-tuple", "object-in-list"])
def test_a_reply_shaped_wrongly_is_a_500_naming_the_service(kind: str) -> None:
    resp = client(faults.raw_reply, "shaper").post("/", json={"kind": kind})
    body = resp.get_json()
    assert resp.status_code == 500, (kind, resp.status_code, resp.get_data(as_text=True))
    assert body["service"] == "shaper" and "shaper" in body["error"]


def test_a_reply_with_a_status_it_may_carry_is_sent_as_given() -> None:
    resp = client(faults.raw_reply).post("/", json={"kind": "fine-201"})
    assert resp.status_code == 201 and resp.get_json() == {"made": True}


# --- 1B: HTTPError is for errors --------------------------------------------------------------

@pytest.mark.parametrize("status", [700, 600, 399, 200, 204, 100, 199, 0, -1, 302])
def test_http_error_refuses_a_status_outside_400_599_when_raised(status: int) -> None:
    with pytest.raises(ValueError, match=rf"HTTPError\({status}, \.\.\.\): an error's status must be an int in "
                                         r"400-599; return a \(body, status\) tuple"):
        puma.HTTPError(status, "oops")


@pytest.mark.parametrize("status", [700, 399, 200, 100, 0])
def test_a_service_raising_http_error_with_a_non_error_status_answers_500(status: int) -> None:
    resp = client(faults.error_status, "statuses").post("/", json={"code": status})
    body = resp.get_json()
    assert resp.status_code == 500 and body["service"] == "statuses"
    assert f"HTTPError({status}" in body["error"]


@pytest.mark.parametrize("status", [400, 404, 418, 503, 599])
def test_http_error_keeps_an_error_status(status: int) -> None:
    assert client(faults.error_status).post("/", json={"code": status}).status_code == status


# --- 1C: every error names the service --------------------------------------------------------

@pytest.mark.parametrize(("fn", "body"), [
    (faults.crash, {}), (faults.unsendable, {"kind": "minus-inf"}), (faults.raw_reply, {"kind": "object-in-list"}),
    (faults.error_status, {"code": 404}), (faults.add, {"by": "many"}), (faults.add, {}),
])
def test_every_error_body_names_the_service(fn: Any, body: dict) -> None:
    resp = client(fn, "named").post("/", json=body)
    assert resp.status_code >= 400 and resp.get_json()["service"] == "named"


@pytest.mark.parametrize(("kind", "status", "expected"), [
    ("tuple-400", 400, {"error": "bad_request", "detail": "turn_no: not a number", "status": 400}),
    ("tuple-409-headers", 409, {"error": "conflict", "status": 409}),
    ("response-404", 404, {"error": "unknown_session", "detail": "no session 'x'", "status": 404}),
    ("no-error-key-503", 503, {"error": "Service Unavailable", "detail": "warming up", "status": 503}),
])
def test_an_error_body_a_service_builds_itself_names_the_service(kind: str, status: int, expected: dict) -> None:
    resp = client(faults.own_error, "listener").post("/", json={"kind": kind})
    assert resp.status_code == status
    assert resp.get_json() == {**expected, "service": "listener"}


def test_a_service_error_body_keeps_its_own_keys_and_non_objects_stay_as_sent() -> None:
    app = client(faults.own_error, "proxying")
    assert app.post("/", json={"kind": "own-service-key"}).get_json() == {
        "error": "gone", "service": "upstream-name", "status": 410}
    assert app.post("/", json={"kind": "list-422"}).get_json() == ["not", "an", "object"]
    assert app.post("/", json={"kind": "text-400"}).data == b"plain words"
    assert app.post("/", json={"kind": "ok-200"}).get_json() == {"fine": True}
    assert app.post("/", json={"kind": "tuple-409-headers"}).headers["X-Why"] == "stale"


# --- 3A: headers are case-insensitive -----------------------------------------------------------

def test_request_headers_are_case_insensitive_on_the_flask_path() -> None:
    resp = client(faults.sees_headers).post("/", json={}, headers={"X-Custom": "hello"})
    assert resp.get_json() == {"ct": "application/json", "CT": "application/json", "custom": "hello",
                               "CUSTOM": "hello", "has": True}


def test_request_headers_are_case_insensitive_on_the_byte_path() -> None:
    resp = client(faults.bytes_headers).post("/", data=b"\x00\x01\x02", headers={"x-CUSTOM": "raw"},
                                             content_type="application/octet-stream")
    assert resp.get_json() == {"custom": "raw", "length": "3", "size": 3}


# --- 3B: invalid escapes and non-UTF-8 text in query strings and forms ---------------------------

@pytest.mark.parametrize(("query", "field", "why"), [
    ("name=%ff%fe", "'name'", "not UTF-8"),
    ("ok=1&name=%C3", "'name'", "not UTF-8"),  # half of é
    ("name=%zz", "'name'", "not followed by two hex digits"),
    ("name=50%", "'name'", "not followed by two hex digits"),
    ("x%g1=1", "name", "not followed by two hex digits"),
    ("%e9t%e9=summer", "name", "not UTF-8"),
])
def test_an_invalid_query_escape_is_a_400_naming_the_field(query: str, field: str, why: str) -> None:
    for service in (faults.fields, faults.bytes_headers):
        resp = client(service).post("/?" + query, data=b"x", content_type="application/octet-stream") \
            if service is faults.bytes_headers else client(service).get("/?" + query)
        body = resp.get_json()
        assert resp.status_code == 400, (service.__name__, body)
        assert field in body["error"] and why in body["error"]


@pytest.mark.parametrize(("form", "field"), [(b"city=K%f6ln", "'city'"), (b"a=1&note=%", "'note'"),
                                             (b"a=%E2%82", "'a'")])
def test_an_invalid_form_escape_is_a_400_naming_the_field(form: bytes, field: str) -> None:
    resp = client(faults.fields).post("/", data=form, content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 400 and field in resp.get_json()["error"]


def test_valid_escapes_decode_to_what_the_client_sent() -> None:
    resp = client(faults.fields).post("/?q=caf%C3%A9+au+lait&pct=100%25&empty=", data=b"n=K%C3%B6ln&sign=%2B",
                                      content_type="application/x-www-form-urlencoded")
    assert resp.get_json() == {"query": {"q": "café au lait", "pct": "100%", "empty": ""},
                               "form": {"n": "Köln", "sign": "+"}}


# --- 3C: a JSON boolean is not a number ----------------------------------------------------------

@pytest.mark.parametrize(("body", "parameter"), [
    ({"by": True}, "by"), ({"by": False}, "by"), ({"by": 1, "weights": [0.5, True]}, "weights[1]"),
    ({"by": 1, "limits": {"a": 1, "b": False}}, "limits['b']"),
    ({"by": 1, "weights": [0.5] * 4000 + [False, 1.5]}, "weights[4000]"),  # deep in a long list
    ({"by": 1, "weights": [True] + [2] * 3000}, "weights[0]"),
])
def test_a_boolean_for_a_number_parameter_is_a_400_naming_it(body: dict, parameter: str) -> None:
    resp = client(faults.add).post("/", json=body)
    problems = resp.get_json()["problems"]
    assert resp.status_code == 400 and problems[0]["parameter"] == parameter
    assert "a boolean is not a number" in problems[0]["message"] and "True" not in problems[0]["message"]


def test_booleans_and_numbers_still_bind_where_the_hint_takes_them() -> None:
    resp = client(faults.add).post("/", json={"by": 2.0, "flag": True, "either": True, "weights": [1, 2.5]})
    assert resp.status_code == 200 and resp.get_json()["flag"] is True and resp.get_json()["by"] == 2
    many = client(faults.add).post("/", json={"by": 1, "weights": list(range(5000))})
    assert many.status_code == 200, many.get_json()


# --- 4D: bodies whose encoding or type hides the fields -------------------------------------------

@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "GZIP", "gzip, identity"])
def test_a_content_encoded_body_is_a_415_saying_encodings_are_not_accepted(encoding: str) -> None:
    resp = client(faults.add).post("/", data=gzip.compress(b'{"by": 1}'),
                                   headers={"Content-Encoding": encoding, "Content-Type": "application/json"})
    assert resp.status_code == 415 and "content encodings are not accepted" in resp.get_json()["error"]


@pytest.mark.parametrize(("content_type", "data", "status", "needle"), [
    ("text/plain", b"by=1", 415, "text/plain body has no fields"),
    ("multipart/form-data", b"--x\r\nContent-Disposition: form-data; name=\"by\"\r\n\r\n1\r\n--x--\r\n", 400,
     "needs a boundary parameter"),
    ("multipart/form-data; boundary=other", b"--x\r\nContent-Disposition: form-data; name=\"by\"\r\n\r\n1\r\n--x--\r\n",
     400, "holds no fields"),
])
def test_a_body_whose_fields_cannot_be_read_names_the_real_problem(content_type: str, data: bytes, status: int,
                                                                    needle: str) -> None:
    app = build_app("svc", faults.add, max_body_bytes=100_000,
                    content_types=("application/json", "application/x-www-form-urlencoded", "multipart/form-data",
                                   "text/plain"))
    resp = app.test_client().post("/", data=data, content_type=content_type)
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert needle in resp.get_json()["error"] and "missing" not in resp.get_json()["error"]


def test_a_form_field_sent_as_a_file_binds_as_its_text_or_is_a_400_naming_it() -> None:
    resp = client(faults.add).post("/", data={"by": (io.BytesIO(b"7"), "by.txt")}, content_type="multipart/form-data")
    assert resp.status_code == 200 and resp.get_json()["by"] == 7, resp.get_data(as_text=True)
    resp = client(faults.add).post("/", data={"by": (io.BytesIO(b"\xff\x00"), "by.bin")},
                                   content_type="multipart/form-data")
    error = resp.get_json()["error"]
    assert resp.status_code == 400 and "by: the file part 'by.bin'" in error and "by: bytes" in error, error


# --- through Envoy: calls between services, and what reaches the wire ------------------------------

@pytest.fixture(scope="module")
def mesh() -> Iterator[puma.Deployment]:
    app = puma.App()
    app.configure({"puma_services": {
        "caller": {"prefix": "/caller"}, "crash": {"prefix": "/crash"}, "statuses": {"prefix": "/statuses"},
        "maker": {"prefix": "/maker"}, "headers": {"prefix": "/headers"},
        "gone": {"prefix": "/gone", "instances": {"min": 0, "max": 1}, "autoscale": {"enabled": False}}}})
    app.add_services({"caller": faults.caller, "crash": faults.crash, "statuses": faults.error_status,
                      "maker": faults.unsendable, "headers": faults.sees_headers, "gone": faults.crash})
    with app.start(listener={"port": 0}) as deployment:
        deployment.scale("gone", 0)
        yield deployment


@pytest.mark.parametrize(("target", "callee", "needle"), [
    ("nosuch", "nosuch", "no service of that name"), ("Caller", "Caller", "no service of that name"),
    ("crash", "crash", "it answered 500"), ("maker", "maker", "it answered 500"),
])
def test_a_call_that_can_never_succeed_is_a_500_naming_the_callee(mesh: puma.Deployment, target: str, callee: str,
                                                                   needle: str) -> None:
    resp = httpx.post(mesh.url + "/caller", json={"target": target, "payload": {"kind": "loop"}}, timeout=30)
    body = resp.json()
    assert resp.status_code == 500 and "retry-after" not in resp.headers, body
    assert body["callee"] == callee and needle in body["error"] and body["service"] == "caller"


def test_a_call_to_a_service_that_is_down_is_a_503_to_retry(mesh: puma.Deployment) -> None:
    resp = httpx.post(mesh.url + "/caller", json={"target": "gone"}, timeout=30)
    assert resp.status_code == 503 and resp.headers["retry-after"] == "1", resp.text
    assert resp.json()["unavailable"] == "gone"


@pytest.mark.parametrize("code", [700, 600, 399, 200, 100, 199, 0, -1])
def test_no_invalid_status_reaches_the_wire(mesh: puma.Deployment, code: int) -> None:
    body = json.dumps({"code": code}).encode()
    answer = exchange(urlsplit(mesh.url).port or 80, b"POST /statuses HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                      b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
    assert answer.statuses == [500], answer
    assert answer.responses[0].json()["service"] == "statuses"


def test_unsendable_replies_count_as_server_errors(mesh: puma.Deployment) -> None:
    def errors() -> int:
        return httpx.get(mesh.url + "/_puma/status").json()["services"]["maker"]["errors_5xx"]

    before = errors()
    for kind in ("set-of-objects", "object-key", "huge-int", "deep", "loop"):
        assert httpx.post(mesh.url + "/maker", json={"kind": kind}).status_code == 500
    wait_for(lambda: errors() - before == 5, timeout_s=15)


def test_headers_are_case_insensitive_through_envoy(mesh: puma.Deployment) -> None:
    seen = httpx.post(mesh.url + "/headers", json={}, headers={"X-Custom": "mesh"}).json()
    assert seen["custom"] == seen["CUSTOM"] == "mesh" and seen["ct"] == "application/json"


def test_a_public_service_with_no_instance_holds_readiness_back(mesh: puma.Deployment) -> None:
    """`/gone` is scaled to 0: its requests get 503, so the deployment is not ready to serve them.
    It is not starting (the deployment has started: puma.states): not ready, with why."""
    resp = httpx.get(mesh.url + "/_puma/ready", timeout=10)
    body = resp.json()
    assert resp.status_code == 503 and body["ready"] is False and body["waiting_for"] == [], body
    assert body["not_ready"]["gone"].startswith("no instance running"), body
    assert mesh.status()["not_ready"]["gone"] == body["not_ready"]["gone"]  # the status says the same


@pytest.mark.parametrize("instances", [{"min": 0, "max": 2}, {"min": 0, "max": 5}, {"min": 0}, 0])
def test_a_service_autoscaled_from_zero_is_refused_before_anything_starts(instances: object) -> None:
    """PUMA's process backend does not scale from zero: refused, naming the key and both fixes."""
    app = puma.App()
    app.configure({"puma_services": {"hello": {"prefix": "/hello", "instances": instances}}})
    app.add_services({"hello": faults.crash})
    with pytest.raises(puma.PumaConfigError) as caught:
        app.start(listener={"port": 0})
    message = str(caught.value)
    assert "puma_services.hello.instances" in message and "scale from zero" in message, message
    assert "'enabled': false" in message and "min to 1" in message


def test_edge_503s_for_a_service_with_no_instance_count_as_server_errors(mesh: puma.Deployment) -> None:
    """After start-up, a request that finds no instance failed the user: a 5xx, not a start-up failure."""
    before = mesh.status()["services"]["gone"]["errors_5xx"]
    for _ in range(3):
        assert httpx.post(mesh.url + "/gone", json={}, timeout=10).status_code == 503
    wait_for(lambda: mesh.status()["services"]["gone"]["errors_5xx"] >= before + 3, timeout_s=10,
             message="the three 503s counted as server errors")
    assert mesh.status()["services"]["gone"]["startup_failures"] == 0


# --- a store that is down for now: 503 + Retry-After naming it, never a 500 -------------------


def _sqlite_store(path: str, *, lock: bool = False, busy_ms: int = 50) -> Any:
    """A service writing one row through SQLAlchemy to the SQLite file at `path`."""
    import sqlalchemy as sa

    def store(request: puma.Request) -> dict:
        engine = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": busy_ms / 1000})
        try:
            with engine.begin() as conn:
                conn.execute(sa.text("CREATE TABLE IF NOT EXISTS t (v TEXT)"))
                conn.execute(sa.text("INSERT INTO t VALUES (:v)"), {"v": "x"})
        finally:
            engine.dispose()
        return {"ok": True}
    return store


def _held_exclusively(path: str) -> Any:
    import sqlite3

    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE IF NOT EXISTS t (v TEXT)")
    holder.execute("BEGIN EXCLUSIVE")
    return holder


@pytest.mark.parametrize("fault", ["locked", "moved", "a directory"])
def test_a_store_that_is_down_for_now_is_a_503_to_retry_naming_it(tmp_path, fault: str) -> None:
    db = tmp_path / "store.sqlite3"
    holder = None
    if fault == "locked":
        holder = _held_exclusively(str(db))
    elif fault == "moved":
        db = tmp_path / "gone" / "store.sqlite3"  # its directory moved away: unable to open it
    else:
        db.mkdir()
    try:
        resp = client(_sqlite_store(str(db)), "sqlitesvc").post("/", json={})
    finally:
        if holder is not None:
            holder.close()
    body = resp.get_json()
    assert resp.status_code == 503 and resp.headers["retry-after"] == "1", body
    assert "database" in body["unavailable"] and body["service"] == "sqlitesvc"
    assert "SELECT" not in body["error"] and "INSERT" not in body["error"], body  # no SQL leaks to the client
    if fault == "locked":
        assert "locked" in body["error"]
        assert client(_sqlite_store(str(db)), "sqlitesvc").post("/", json={}).status_code == 200  # lock gone


class LedgerDown(Exception):
    pass


class LedgerStalled(LedgerDown):
    pass


@pytest.mark.parametrize("raised", [LedgerDown("timed out"), LedgerStalled("no answer in 2 s")])
def test_an_app_marks_its_own_exceptions_as_a_part_down_for_now(raised: Exception) -> None:
    puma.mark_unavailable(LedgerDown, store="the ledger", retry_after_s=2.5)

    def uses_ledger(request: puma.Request) -> dict:
        raise raised
    resp = client(uses_ledger, "books").post("/", json={})
    body = resp.get_json()
    assert resp.status_code == 503 and resp.headers["retry-after"] == "3", body
    assert body["unavailable"] == "the ledger" and str(raised) in body["error"] and body["service"] == "books"


def test_a_lost_database_connection_is_a_503_and_a_plain_bug_stays_a_500() -> None:
    import sqlalchemy.exc as sa_exc

    def lost(request: puma.Request) -> dict:
        raise sa_exc.DBAPIError("SELECT 1", {}, ConnectionResetError("reset by peer"), connection_invalidated=True)

    def buggy(request: puma.Request) -> dict:
        raise sa_exc.ProgrammingError("SELEC 1", {}, Exception("syntax error"))
    assert client(lost, "svc").post("/", json={}).status_code == 503
    assert client(buggy, "svc").post("/", json={}).status_code == 500


@pytest.mark.parametrize(("content_type", "needle"), [
    (";;;===", "Content-Type ';;;===' (no media type"),
    ("; charset=utf-8", "Content-Type '; charset=utf-8' (no media type"),
    ("image/png", "content type 'image/png' is not accepted"),
])
def test_an_unaccepted_content_type_is_named_as_the_client_sent_it(content_type: str, needle: str) -> None:
    resp = client(faults.add, "adder").post("/", data=b"by=1", headers={"Content-Type": content_type})
    body = resp.get_json()
    assert resp.status_code == 415 and needle in body["error"] and "(none)" not in body["error"], body
    assert body["service"] == "adder"


@pytest.mark.parametrize(("form", "words"), [
    (b"by=caf\xe9", "a raw byte over 0x7F, not percent-encoded"),
    (b"by=\xff\xfe", "a raw byte over 0x7F, not percent-encoded"),
    (b"by=caf%E9", "once its escapes are decoded"),
])
def test_a_form_that_is_not_utf8_says_whether_escapes_or_raw_bytes_are_to_blame(form: bytes, words: str) -> None:
    resp = client(faults.add).post("/", data=form, content_type="application/x-www-form-urlencoded")
    error = resp.get_json()["error"]
    assert resp.status_code == 400 and words in error and "%C3%A9" in error, error


def test_a_415_never_lists_a_type_the_same_request_is_then_refused_with():
    # A body without a Content-Type to a function reading fields: the 415 says what to send; sending
    # the first type it names is then accepted, and text/plain is named only for whole-body readers.
    app = build_app("fields", lambda request: dict(request.data), max_body_bytes=1000,
                    content_types=DEFAULT_CONTENT_TYPES).test_client()
    refused = app.post("/", data=b'{"a": 1}', headers={"Content-Type": ""})
    message = refused.get_json()["error"]
    assert refused.status_code == 415
    fields_part, _, rest = message.partition(", or ")
    assert "text/plain" not in fields_part and "application/json" in fields_part, message
    assert "any type" in rest and "reads the whole body" in rest and "Content-Type header" in rest, message
    assert app.post("/", data=b'{"a": 1}', headers={"Content-Type": "application/json"}).get_json() == {"a": 1}
