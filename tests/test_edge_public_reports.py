"""Kinds of faults users of Envoy-fronted Flask/WSGI services report, driven through a real `puma run`
(real Envoy, real instances, a free port) of a small app started in a directory of its own:

* a service at "/" gets every path, /static/... included — never the files of the `static/`
  directory its instance happens to run in (Flask's default static route);
* a `puma.Response` whose body is a generator of text or bytes (Flask's `Response(generate())`,
  an upstream that answers piece by piece) is sent as those pieces joined, with its content type —
  not as a JSON list of base64 strings;
* a multipart/form-data text field that is not UTF-8 is a 400 naming it, as it is in a urlencoded
  form or JSON — never stored with U+FFFD in place of what was sent; a part head that is not
  UTF-8 is a 400 saying so, not "no fields";
* a body too large for PUMA's own paths (/_puma/scale, /_puma/workers) is a 413 naming their limit,
  never the service at "/" — and, by its Content-Length, before a client sent `Expect: 100-continue`
  uploads it;
* a HEAD is answered with its GET's status and headers, Content-Length included, whatever the
  reply (an error rewritten for a browser or a public client too), and no body.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.helpers import serving_run
from tests.rawhttp import exchange

APP = '''import time
import puma
from puma import puma_config, puma_service


def site(request: puma.Request) -> dict:
    if request.path.startswith("/missing"):
        raise puma.HTTPError(404, f"no page at {request.path}")
    return {"path": request.path, "method": request.method}


def report(request: puma.Request) -> puma.Response:
    kind = request.query.get("kind", "text")
    def rows():
        for n in range(3):
            time.sleep(0.05)  # an upstream that answers slowly, a piece at a time
            yield f"{n},row {n}\\n" if kind == "text" else bytes([n, 255])
    return puma.Response(rows(), content_type="text/csv" if kind == "text" else None)


def note(request: puma.Request) -> dict:
    return {"fields": request.data, "files": sorted(request.files)}


puma_config({"puma_services": {"site": {"prefix": "/", "methods": ["GET"]}, "report": "/report", "note": "/note"}})
puma_service({"site": site, "report": report, "note": note})
'''

SECRET = "the content of a file no one published\n"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[subprocess.Popen[str], str]]:
    home = tmp_path_factory.mktemp("reports")
    (home / "reports_app.py").write_text(APP)
    (home / "static").mkdir()
    (home / "static" / "secret.txt").write_text(SECRET)
    with serving_run(home / "reports_app.py", cwd=home) as running:
        yield running


@pytest.mark.parametrize("path", ["/static/secret.txt", "/static/nothing.js", "/static/a/b"])
def test_a_service_at_the_root_gets_static_paths_and_no_file_of_its_directory(run, path: str) -> None:  # noqa: ANN001
    _, url = run
    reply = httpx.get(url + path, timeout=10)
    assert SECRET.strip() not in reply.text, reply.text
    assert reply.status_code == 200 and reply.json() == {"path": path, "method": "GET"}, (reply.status_code, reply.text)


def test_a_response_of_text_pieces_is_sent_as_the_text_with_its_type(run) -> None:  # noqa: ANN001
    _, url = run
    reply = httpx.get(url + "/report", timeout=10)
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/csv"), reply.headers
    assert reply.text == "0,row 0\n1,row 1\n2,row 2\n"


def test_a_response_of_byte_pieces_is_sent_as_the_bytes(run) -> None:  # noqa: ANN001
    _, url = run
    reply = httpx.get(url + "/report", params={"kind": "bytes"}, timeout=10)
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == "application/octet-stream", reply.headers
    assert reply.content == b"\x00\xff\x01\xff\x02\xff"
    assert int(reply.headers["content-length"]) == 6


@pytest.mark.parametrize("accept", ["application/json", "text/html"])
@pytest.mark.parametrize("path", ["/missing", "/missing/page.html", "/", "/report"])
def test_a_head_has_the_headers_of_its_get(run, path: str, accept: str) -> None:  # noqa: ANN001
    _, url = run
    got = httpx.get(url + path, headers={"accept": accept}, timeout=10)
    head = httpx.head(url + path, headers={"accept": accept}, timeout=10)
    assert head.content == b"", head.content
    assert (head.status_code, head.headers["content-type"]) == (got.status_code, got.headers["content-type"]), \
        (head.status_code, head.headers, got.status_code, got.headers)
    length = len(got.content) if path != "/" else len(got.content) - len(b"GET") + len(b"HEAD")  # it names its method
    assert int(head.headers["content-length"]) == length, (head.headers, got.headers, got.text)


def _multipart(*parts: bytes) -> bytes:
    return b"".join(b"--XX\r\n" + part + b"\r\n" for part in parts) + b"--XX--\r\n"


def _post_multipart(url: str, body: bytes) -> httpx.Response:
    return httpx.post(url + "/note", content=body, headers={"content-type": "multipart/form-data; boundary=XX"},
                      timeout=10)


@pytest.mark.parametrize("head", [b"", b"Content-Type: text/plain\r\n", b"Content-Type: text/plain; charset=utf-8\r\n"])
@pytest.mark.parametrize("value", [b"caf\xe9", b"\xff\xfe", b"ok \xc3"])
def test_a_multipart_text_field_not_utf8_is_a_400_naming_it(run, head: bytes, value: bytes) -> None:  # noqa: ANN001
    _, url = run
    body = _multipart(b'Content-Disposition: form-data; name="id"\r\n\r\n7',
                      b'Content-Disposition: form-data; name="comment"\r\n' + head + b"\r\n" + value)
    reply = _post_multipart(url, body)
    assert reply.status_code == 400, reply.text
    assert "'comment'" in reply.json()["error"] and "UTF-8" in reply.json()["error"], reply.text


def test_a_multipart_part_head_not_utf8_is_a_400_saying_so(run) -> None:  # noqa: ANN001
    _, url = run
    reply = _post_multipart(url, _multipart(b'Content-Disposition: form-data; name="caf\xe9"\r\n\r\nx'))
    assert reply.status_code == 400, reply.text
    assert "headers are not UTF-8" in reply.json()["error"], reply.text


def test_multipart_text_in_utf8_or_a_declared_latin1_and_binary_files_still_arrive(run) -> None:  # noqa: ANN001
    _, url = run
    body = _multipart(b'Content-Disposition: form-data; name="a"\r\n\r\ncaf\xc3\xa9 \xef\xbf\xbd',
                      b'Content-Disposition: form-data; name="b"\r\nContent-Type: text/plain; charset=iso-8859-1'
                      b"\r\n\r\ncaf\xe9",
                      b'Content-Disposition: form-data; name="f"; filename="x.bin"\r\n\r\n\xff\xfe')
    reply = _post_multipart(url, body)
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"fields": {"a": "caf\u00e9 \ufffd", "b": "caf\u00e9"}, "files": ["f"]}


@pytest.mark.parametrize("path", ["/_puma/scale", "/_puma/workers", "/_puma/status"])
def test_an_oversized_body_to_pumas_own_paths_is_a_413_before_it_is_sent(run, path: str) -> None:  # noqa: ANN001
    _, url = run
    port = int(url.rsplit(":", 1)[1])
    head = (f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            "Expect: 100-continue\r\nContent-Length: 50000000\r\n\r\n").encode()
    began = time.monotonic()
    answer = exchange(port, head, timeout_s=5)  # the body is never sent: a client waits for 100 or a refusal
    assert answer.statuses == [413] and time.monotonic() - began < 2, (answer.statuses, answer.timed_out)
    error = answer.responses[0].json()["error"]
    assert "PUMA's own paths" in error and "max_request_bytes" in error and "site" not in error, error


def test_a_chunked_body_over_the_limit_of_pumas_own_paths_names_their_limit(run) -> None:  # noqa: ANN001
    _, url = run
    reply = httpx.post(url + "/_puma/scale", content=iter([b"x" * (1 << 20)] * 3), timeout=10,
                       headers={"content-type": "application/json"})
    assert reply.status_code == 413, reply.text
    assert "PUMA's own paths" in reply.json()["error"] and "site" not in reply.json()["error"], reply.text
