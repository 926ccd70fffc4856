"""What a client can and cannot do at the edge (issue 18, round 2): internal services and the
internal listener, methods, who sees the full status (Host names this deployment), Envoy's admin
off TCP, connections bounded in time and number, strict HTTP/1 parsing, Envoy's own replies
(never an empty error, Retry-After where a retry helps), and the validation of what operators
and workers send (scale, worker registrations, `puma status --url`, listener strings)."""

from __future__ import annotations

import http.server
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import puma
from puma.config import parse_config
from puma.errors import PumaConfigError
from puma.status import names_this_deployment
from tests.apps import basic
from tests.rawhttp import exchange

SECRET = "edge-test-secret"
SERVICES = {"echo": {"prefix": "/echo", "instances": {"min": 1, "max": 3}, "autoscale": {"enabled": False}},
            "form": {"prefix": "/form", "methods": ["POST"]},
            "store": {"prefix": "/store", "visibility": "internal", "methods": ["POST"]},
            "relay": {"prefix": "/relay", "methods": ["POST"]},
            "upper": {"prefix": "/upper", "visibility": "internal"},
            # Nested prefixes with their own limits: a 413 names the limit of the route taken.
            "small": {"prefix": "/small", "max_body_bytes": 3000},
            "tiny": {"prefix": "/small/tiny", "max_body_bytes": 1000}}
FUNCTIONS = {"echo": basic.echo, "form": basic.echo, "store": basic.headers, "relay": basic.relay,
             "upper": basic.upper, "small": basic.echo, "tiny": basic.echo}


def _start(listener: dict | None = None, services: dict | None = None, **config: object) -> puma.Deployment:
    app = puma.App()
    app.configure({"puma_services": {**SERVICES, **(services or {})}, **config})
    app.add_services({**FUNCTIONS, **{name: basic.echo for name in services or {}}})
    return app.start(listener={"port": 0, **(listener or {})})


@pytest.fixture(scope="module")
def mesh() -> Iterator[puma.Deployment]:
    with _start(secret=SECRET, http_connection_manager={"idle_timeout": 1.5, "request_timeout": 2.0,
                                                        "request_headers_timeout": 1.0, "drain_timeout": 0.5}) as d:
        yield d


def _port(mesh: puma.Deployment) -> int:
    return int(mesh.url.rsplit(":", 1)[1])


# --- internal services and the internal listener ----------------------------------------------


def test_internal_services_are_404_to_clients_and_served_to_services(mesh):
    for path in ("/store", "/upper", "/store/x"):
        resp = httpx.post(mesh.url + path, json={"text": "a"})
        assert resp.status_code == 404 and "/store" not in resp.json()["error"], resp.text
    # a public service calling an internal one through the mesh: served
    assert httpx.post(mesh.url + "/relay", json={"text": "hi"}).json() == {"relayed": {"text": "HI"}}
    # this process calls through the internal listener, on loopback
    assert puma.call("upper", {"text": "b"}) == {"text": "B"}
    assert mesh.internal_url.startswith("http://127.0.0.1:") and mesh.internal_url != mesh.url


def test_internal_services_on_the_public_listener_take_the_deployments_secret(mesh):
    """What an instance on a worker host sends (it reaches the core by its public address)."""
    assert httpx.post(mesh.url + "/upper", json={"text": "w"}, headers={"x-puma-token": "wrong"}).status_code == 404
    resp = httpx.post(mesh.url + "/store", json={"a": 1}, headers={"x-puma-token": SECRET})
    assert resp.status_code == 200
    assert "x-puma-token" not in {k.lower() for k in resp.json().get("headers", {})}


def test_envoy_chooses_the_request_id_of_a_clients_request(mesh):
    """The key a service recognises a re-sent request by is Envoy's, never a client's."""
    sent = {"x-request-id": "fixed-by-the-client", "x-puma-token": SECRET}
    seen = [httpx.post(mesh.url + "/store", json={}, headers=sent).json()["headers"] for _ in range(2)]
    ids = [{k.lower(): v for k, v in h.items()}["x-request-id"] for h in seen]
    assert "fixed-by-the-client" not in ids and ids[0] != ids[1]
    inside = httpx.post(mesh.internal_url + "/store", json={}, headers={"x-request-id": "from-a-service"}).json()
    assert {k.lower(): v for k, v in inside["headers"].items()}["x-request-id"] == "from-a-service"


def test_methods_are_checked_at_the_edge_with_allow(mesh):
    for method in ("GET", "PUT", "DELETE", "OPTIONS"):
        resp = httpx.request(method, mesh.url + "/form?UUID=-1")
        assert (resp.status_code, resp.headers["allow"]) == (405, "POST") and resp.json()["error"]
        # Every path of the service, the one asked included (newcomer 58 m10: it named only the prefix).
        assert "any path of service" in resp.json()["error"] and "under it" in resp.json()["error"], resp.text
    for method in ("TRACE", "PROPFIND", "MKCOL"):  # nobody serves these
        resp = httpx.request(method, mesh.url + "/echo")
        assert resp.status_code == 405 and "GET" in resp.headers["allow"], (method, resp.text)
    unknown = httpx.request("BREW", mesh.url + "/echo")  # no method HTTP knows: the same 405 (newcomer 43, B5)
    assert unknown.status_code == 405 and "GET" in unknown.headers["allow"] and unknown.json()["error"]
    head = httpx.head(mesh.url + "/echo")  # GET's answer without its body ("method": "HEAD" in it)
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) > 0


# --- who sees what -----------------------------------------------------------------------------


@pytest.mark.parametrize(("host", "trusted"), [
    ("localhost", True), ("localhost:8080", True), ("127.0.0.1:9", True), ("[::1]:8080", True),
    ("app.localhost", True), ("LOCALHOST.", True), ("127.8.9.10", True),
    ("rebind.attacker.example", False), ("rebind.attacker.example:8080", False), ("10.0.0.5", False),
    ("localhost.attacker.example", False), ("127.0.0.1.attacker.example", False), ("", False), (None, False),
])
def test_a_host_names_this_deployment_only_when_it_is_its_own(host, trusted):
    assert names_this_deployment(host, {"192.0.2.7"}) is trusted
    assert names_this_deployment("192.0.2.7:8080", {"192.0.2.7"}) is True


def test_status_full_view_needs_a_host_naming_this_deployment(mesh):
    """DNS rebinding: a page of attacker.example made to resolve to 127.0.0.1 is a local peer, but
    its requests carry its own name; it gets the public view (no pids, ports, admin address)."""
    assert httpx.get(mesh.url + "/_puma/status").json()["view"] == "full"
    for host in ("rebind.attacker.example", f"rebind.attacker.example:{_port(mesh)}", "10.9.8.7"):
        status = httpx.get(mesh.url + "/_puma/status", headers={"host": host}).json()
        assert status["view"] == "public" and "admin" not in json.dumps(status), host
    absolute = b"GET http://evil.example/_puma/status HTTP/1.1\r\nHost: localhost\r\n\r\n"
    assert exchange(_port(mesh), absolute).responses[0].json()["view"] == "public"  # its host is evil.example
    with_secret = httpx.get(mesh.url + "/_puma/status", headers={"host": "evil.example", "x-puma-token": SECRET})
    assert with_secret.json()["view"] == "full"


def test_envoy_admin_is_on_a_unix_socket_no_browser_reaches(mesh):
    status = httpx.get(mesh.url + "/_puma/status").json()
    assert status["envoy"]["admin"].startswith("unix:/")
    assert mesh.envoy.admin.ready()
    listening = {ln["name"] for ln in json.loads(mesh.envoy.admin.get("/listeners?format=json"))["listener_statuses"]}
    assert listening == {"puma_http", "puma_internal"}  # and no TCP admin port among Envoy's sockets
    ports = _listening_ports(mesh.envoy.proc.pid)
    assert ports == {_port(mesh), int(mesh.internal_url.rsplit(":", 1)[1])}, ports


def _listening_ports(pid: int) -> set[int]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink().as_posix()
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def test_status_server_answers_head_and_405_with_allow(mesh):
    ready = httpx.head(mesh.url + "/_puma/ready")
    assert ready.status_code == 200 and ready.content == b"" and int(ready.headers["content-length"]) > 0
    for method, path, allow in [("POST", "/_puma/status", "GET, HEAD"), ("DELETE", "/_puma/ready", "GET, HEAD"),
                                ("GET", "/_puma/workers", "POST"), ("PUT", "/_puma/metrics", "GET, HEAD")]:
        resp = httpx.request(method, mesh.url + path)
        assert (resp.status_code, resp.headers.get("allow")) == (405, allow), (method, path, resp.text)
        assert resp.json()["error"]
    assert httpx.get(mesh.url + "/_puma/nothing").status_code == 404


# --- connections bounded in time and number ---------------------------------------------------


def _closed_after(port: int, data: bytes, limit_s: float = 15.0) -> tuple[float, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=limit_s) as sock:
        started = time.monotonic()
        if data:
            sock.sendall(data)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except (TimeoutError, ConnectionResetError):
            pass
        return time.monotonic() - started, received


def test_a_connection_that_sends_nothing_is_closed_after_the_idle_timeout(mesh):
    took, received = _closed_after(_port(mesh), b"")
    assert received == b"" and 1.0 < took < 6.0, took


def test_an_idle_kept_alive_connection_is_closed(mesh):
    with socket.create_connection(("127.0.0.1", _port(mesh)), timeout=15) as sock:
        sock.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        while sock.recv(65536):
            pass
        # the idle timeout, then Envoy's drain (drain_timeout) before it closes an HTTP/1 connection
        assert time.monotonic() - started < 8.0


def test_a_stalled_body_gets_408_within_the_request_timeout(mesh):
    head = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n"
    took, received = _closed_after(_port(mesh), head + b'{"a": 1')
    assert received.startswith(b"HTTP/1.1 408") and took < 8.0, (took, received[:100])
    assert json.loads(received.split(b"\r\n\r\n", 1)[1])["error"]


def test_connections_over_the_limit_are_closed_and_the_rest_served():
    with _start({"max_connections": 20}) as small:
        port = _port(small)
        held = [socket.create_connection(("127.0.0.1", port)) for _ in range(30)]
        try:
            for sock in held:
                sock.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
            answered = 0
            for sock in held:
                sock.settimeout(5)
                try:
                    answered += sock.recv(12).startswith(b"HTTP/1.1 200")
                except OSError:
                    pass
            assert answered == 20
        finally:
            for sock in held:
                sock.close()
        assert httpx.get(small.url + "/_puma/ready").status_code == 200  # served again once they went


# --- strict HTTP/1 and Envoy's own replies ----------------------------------------------------


@pytest.mark.parametrize(("raw", "status", "words"), [
    (b"GET /echo HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "more than one Host"),
    (b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}}}\r\n0\r\n\r\n", 400, "not valid HTTP/1.1"),
    (b"GET /echo HTTP/1.1\r\nHost: x\r\nX_Real_Ip: 1.2.3.4\r\n\r\n", 400, "underscore"),
    (b"GET /echo HTTP/1.1\r\n\r\n", 400, "no Host header"),
    (b"GET /echo/%00 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "normalised"),
    (b"GET /\x00etc HTTP/1.1\r\nHost: x\r\n\r\n", 400, "in its request line"),  # a raw NUL in the target
    (b"GET /echo?q=\x01 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "in its request line"),
    (b"GET /echo HTTP/1.1\r\nHost: a b\r\n\r\n", 400, "Host header is not a host name"),
    (b"GET /echo HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, "Host header is not a host name"),
    (b"GET /echo HTTP/1.1\r\nHost: my laptop:80\r\n\r\n", 400, "Host header is not a host name"),
    (b"GET /echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", 403, "switch protocols"),
    (b"CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n", 403, "tunnel"),
])
def test_envoy_refuses_malformed_requests_naming_the_problem(mesh, raw, status, words):
    follow = b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n"
    result = exchange(_port(mesh), raw + follow, expect=2, see_close=True)
    assert result.statuses[:1] == [status], result
    assert words in result.responses[0].json()["error"]
    assert len(result.responses) == 1  # what was pipelined behind it is never served


@pytest.mark.parametrize("path", [b"/x%ZZ", b"/%", b"/a%2", b"/echo/%G1", b"/echo/ok%20then%2", b"/echo%%41",
                                  b"/echo/%zz?q=1", b"/echo/%2x/more"])
def test_an_invalid_percent_escape_in_the_path_is_a_400_at_the_edge(mesh, path):
    result = exchange(_port(mesh), b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert result.statuses == [400], result
    body = result.responses[0].json()
    assert "invalid percent-escape" in body["error"] and "%25" in body["error"], body


@pytest.mark.parametrize("path", [b"/echo/a%20b", b"/echo/%41%42", b"/echo/100%25"])
def test_valid_escapes_in_the_path_still_reach_the_service(mesh, path):
    result = exchange(_port(mesh), b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert result.statuses == [200], result
    assert "percent-escape" not in result.responses[0].body.decode()


def test_an_invalid_escape_in_the_query_is_the_service_s_400_naming_the_field(mesh):
    result = exchange(_port(mesh), b"GET /echo?q=%ZZ HTTP/1.1\r\nHost: x\r\n\r\n")
    assert result.statuses == [400], result
    body = result.responses[0].json()
    assert "query field 'q'" in body["error"] and body["service"] == "echo", body


@pytest.mark.parametrize("target", [b"*", b"*/echo", b"echo*"])
def test_a_target_that_is_not_a_path_is_a_400_saying_so(mesh, target):
    for method in (b"OPTIONS", b"GET"):
        result = exchange(_port(mesh), method + b" " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert result.statuses == [400], result
        error = result.responses[0].json()["error"]
        assert "_" not in error.split(";")[0] and ("not a path" in error or "not valid HTTP/1.1" in error), error


@pytest.fixture(scope="module")
def failing(tmp_path_factory) -> Iterator[tuple[puma.Deployment, str]]:
    app = puma.App()
    app.configure({"puma_services": {
        "sleepy": {"prefix": "/sleepy", "timeout_s": 0.5, "methods": ["POST"]},
        "dies": {"prefix": "/dies", "methods": ["POST"], "instances": {"min": 2, "max": 2},
                 "autoscale": {"enabled": False}}}})
    app.add_services({"sleepy": basic.slow, "dies": basic.die_once})
    with app.start(listener={"port": 0}) as d:
        yield d, str(tmp_path_factory.mktemp("died"))


@pytest.mark.parametrize("seconds", [0.8, 1.5])
def test_an_upstream_timeout_names_the_service_and_its_timeout(failing, seconds):
    mesh, _ = failing
    resp = httpx.post(mesh.url + "/sleepy", json={"s": seconds}, timeout=10)
    body = resp.json()
    assert resp.status_code == 504 and body["service"] == "sleepy", body
    assert body["error"].startswith("service 'sleepy': ") and "timeout_s (0.5 s)" in body["error"], body
    assert "raise the service's timeout_s" in body["error"] and "upstream" not in body["error"]


def test_an_instance_dying_mid_request_names_the_service_and_says_when_to_retry(failing):
    mesh, died = failing
    resp = httpx.post(mesh.url + "/dies", json={"dir": died}, timeout=10)
    body = resp.json()
    assert resp.status_code in (502, 503) and body["service"] == "dies", body
    assert "closed the connection before answering" in body["error"] and "safe to repeat" in body["error"]
    assert "retry-after" not in resp.headers  # it may have acted: the client decides


def test_envoy_s_own_refusals_before_routing_name_no_service(mesh):
    body = httpx.get(mesh.url + "/nowhere/at/all").json()
    assert body["status"] == 404 and body["service"] is None, body  # every error has the field; none here


def test_retryable_refusals_say_when_to_retry():
    with _start(rate_limit={"requests_per_s": 1, "burst": 1}) as limited, httpx.Client(base_url=limited.url) as http:
        statuses = [http.get("/echo") for _ in range(4)]
        refused = [r for r in statuses if r.status_code == 429]
        assert refused and all(r.headers["retry-after"] == "1" and "rate limit" in r.json()["error"] for r in refused)
    idle = {"idle": {"prefix": "/idle", "instances": 0, "autoscale": {"enabled": False}}}  # no instance
    with _start(services=idle) as mesh, httpx.Client(base_url=mesh.url) as http:
        resp = http.get("/idle")
        assert resp.status_code == 503 and resp.headers["retry-after"] == "1", resp.text
        assert resp.json()["error"]


# --- what operators and workers send ----------------------------------------------------------


@pytest.mark.parametrize(("count", "words"), [
    (-1, "-1 is outside 1-3"), (0, "0 is outside 1-3"), (4, "4 is outside 1-3"), ("2", "'2' is not a whole number"),
    (2.5, "2.5 is not a whole number"), (True, "True is not a whole number"),
])
def test_scale_refuses_counts_the_service_cannot_have(mesh, count, words):
    with pytest.raises(puma.PumaScaleError, match=words.replace(".", r"\.")) as error:
        mesh.scale("echo", count)
    assert isinstance(error.value, ValueError) and "scale('echo'" in str(error.value)


def test_scale_of_a_fixed_service_and_an_unknown_one(mesh):
    with pytest.raises(puma.PumaScaleError, match="0 is outside 1-32"):
        mesh.scale("form", 0)
    with pytest.raises(puma.PumaScaleError, match="no service 'nope'"):
        mesh.scale("nope", 1)


@pytest.mark.parametrize(("instances", "field"), [
    ([{"host": "127.0.0.1", "port": "abc"}], "instances[0].port"),
    ([{"host": "127.0.0.1", "port": 70000}], "instances[0].port"),
    ([{"host": "127.0.0.1", "port": 0}], "instances[0].port"),
    ([{"host": "127.0.0.1", "port": 8000.0}], "instances[0].port"),
    ([{"host": "evil\nhost", "port": 8000}], "instances[0].host"),
    ([{"host": "", "port": 8000}], "instances[0].host"),
    ([{"host": "a b", "port": 8000}], "instances[0].host"),
    ([{"host": "127.0.0.1", "port": 8000}, "x"], "instances[1]"),
    ([{"host": "127.0.0.1", "port": 8000, "pid": "1"}], "instances[0].pid"),
    ("x", "instances"), (None, "instances"),
])
def test_worker_registration_names_the_bad_field(mesh, instances, field):
    body = {"worker": "w1", "service": "echo", "instances": instances}
    if instances is None:
        del body["instances"]
    resp = httpx.post(mesh.url + "/_puma/workers", json=body, headers={"x-puma-token": SECRET})
    assert resp.status_code == 400 and resp.json()["error"].startswith(field + ":"), resp.text
    assert [i for i in mesh.pools["echo"].instances.values() if i.worker] == []


@pytest.mark.parametrize(("url", "words"), [
    ("not a url", "is not a deployment's address"),
    ("ftp://127.0.0.1:1", "is not a deployment's address"),
    ("http://127.0.0.1:{plain}", "not a PUMA deployment"),
    ("http://127.0.0.1:{mesh}/echo", "is not a deployment's address"),  # a path: not an address
    ("http://127.0.0.1:{json}", "not a PUMA status"),
])
def test_cli_status_url_errors_without_traceback(mesh, url, words):
    with _NotPuma() as (plain, json_port):
        url = url.format(plain=plain, json=json_port, mesh=_port(mesh))
        result = subprocess.run([sys.executable, "-m", "puma.cli", "status", "--url", url],
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


class _NotPuma:
    """Two loopback servers that are not PUMA: one speaks no HTTP, one answers JSON."""

    def __enter__(self) -> tuple[int, int]:
        self.raw = socket.create_server(("127.0.0.1", 0))
        self.stop = threading.Event()
        threading.Thread(target=self._garbage, daemon=True).start()

        class Json(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                body = b'{"hello": "world"}'
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                pass

        self.json = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Json)
        threading.Thread(target=self.json.serve_forever, daemon=True).start()
        return self.raw.getsockname()[1], self.json.server_address[1]

    def _garbage(self) -> None:
        self.raw.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.raw.accept()
            except OSError:
                continue
            with conn:
                conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.json.shutdown()
        self.json.server_close()
        self.raw.close()


@pytest.mark.parametrize(("listener", "expected"), [
    ("127.0.0.1:18130", (("127.0.0.1", 18130))), ("[::1]:8080", ("::1", 8080)), (" 0.0.0.0:80 ", ("0.0.0.0", 80)),
])
def test_config_listener_may_be_written_host_colon_port(listener, expected):
    parsed = parse_config({"listener": listener}).listener
    assert (parsed.host, parsed.port) == expected


@pytest.mark.parametrize("listener", ["localhost", "127.0.0.1:http", 8080, ["127.0.0.1", 8080], "1.2.3.4:99999"])
def test_config_listener_errors_suggest_the_right_form(listener):
    with pytest.raises(PumaConfigError, match=r"listener: .*'127\.0\.0\.1:8080'"):
        parse_config({"listener": listener})


# --- errors for people: a browser gets a page, a script JSON, nobody Envoy's terms ----------

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
ENVOY_TERMS = ("direct_response", "flags", "detail", "route_not_found", "no healthy upstream", "via_upstream")


@pytest.mark.parametrize(("method", "path", "status", "heading"), [
    ("GET", "/nowhere", 404, "Page not found"),            # no route
    ("GET", "/store/x", 404, "Page not found"),            # an internal service's prefix
    ("GET", "/form", 405, "Not a page to open"),          # a POST-only service opened in a browser
    ("GET", "/relay/deeper?x=1", 405, "Not a page to open"),
])
def test_edge_errors_are_a_page_for_a_browser_and_json_for_a_script(mesh, method, path, status, heading):
    page = httpx.request(method, mesh.url + path, headers=BROWSER)
    assert page.status_code == status and page.headers["content-type"].startswith("text/html"), page.text
    assert f"<h1>{heading}</h1>" in page.text and '<a href="/">the start page</a>' in page.text
    assert "<main>" in page.text and 'lang="en"' in page.text and "%" not in page.text
    script = httpx.request(method, mesh.url + path, headers={"accept": "application/json"})
    assert script.status_code == status and set(script.json()) == {"error", "status", "path", "service"}, script.text
    plain = httpx.request(method, mesh.url + path)  # no Accept at all: JSON
    assert plain.headers["content-type"].startswith("application/json")
    for body in (page.text, script.text):
        assert not any(term in body for term in ENVOY_TERMS), body


def test_edge_error_page_links_to_the_deployments_own_pages() -> None:
    with _start(listener={"pages": {"/echo": "the echo", "/small/tiny": "the tiny one"}}) as d:
        page = httpx.get(d.url + "/form", headers=BROWSER)
    assert page.status_code == 405
    assert '<a href="/echo">the echo</a> or <a href="/small/tiny">the tiny one</a>' in page.text


@pytest.mark.parametrize(("pages", "says"), [({"dashboard": "x"}, "is not a path"),
                                             ({"/": "<b>chat</b>"}, "plain words"), ({"/": "100% chat"}, "plain words")])
def test_edge_error_page_links_are_checked(pages, says) -> None:
    with pytest.raises(PumaConfigError, match=says):
        parse_config({"puma_services": {"a": "/a"}, "listener": {"pages": pages}})


# --- a body too large, said before it is sent; Envoy's own refusals name the service ---------------


@pytest.mark.parametrize(("path", "service"), [("/echo", "echo"), ("/form", "form"), ("/echo/deeper", "echo")])
def test_edge_a_declared_body_over_max_body_bytes_is_413_without_waiting_for_it(mesh, path, service):
    # Expect: 100-continue, and no body sent: the 413 must come now, not after an upload.
    head = (f"POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
            f"Content-Length: {10_000_000}\r\n\r\n").encode()
    started = time.monotonic()
    result = exchange(_port(mesh), head, timeout_s=3)
    assert result.statuses == [413] and time.monotonic() - started < 2.5, result
    body = result.responses[0].json()
    # The limit in bytes; the config key that raises it is the operator's (the internal listener's).
    assert body["service"] == service and "bytes" in body["error"] and "max_body_bytes" not in body["error"], body


@pytest.mark.parametrize(("path", "service", "limit"), [
    ("/small", "small", 3000), ("/small/x?y=1", "small", 3000), ("/small/tiny", "tiny", 1000),
    ("/small/tiny/deeper", "tiny", 1000), ("/echo", "echo", 1 << 20)])
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_edge_a_413_names_the_routes_limit_in_bytes_and_the_key_to_raise_it_to_services(mesh, path, service, limit,
                                                                                        chunked):
    size = limit + 10
    payload = b'{"text": "' + b"a" * (size - 12) + b'"}'
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(payload)}"
    head = f"POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n{framing}\r\n\r\n".encode()
    body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(payload), payload) if chunked else payload
    internal = int(mesh.internal_url.rsplit(":", 1)[1])
    for port in (_port(mesh), internal):
        result = exchange(port, [head, body], timeout_s=10)
        assert result.statuses == [413], result
        reply = result.responses[0].json()
        assert reply["service"] == service, reply
        assert f"service {service!r} takes at most {limit} bytes" in reply["error"], reply
        # The key that raises it: to the deployment's own services, not to a public client.
        assert (f"puma_services.{service}.max_body_bytes" in reply["error"]) is (port == internal), reply


def test_edge_a_declared_body_within_max_body_bytes_still_goes_through(mesh):
    payload = json.dumps({"text": "x" * 1000}).encode()
    head = (f"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n").encode()
    result = exchange(_port(mesh), [head, payload], pause_s=0.1, timeout_s=10)
    assert result.statuses == [200], result


@pytest.mark.parametrize(("method", "path", "service", "status"), [
    ("DELETE", "/form", "form", 405), ("TRACE", "/echo", "echo", 405), ("PROPFIND", "/relay/x", "relay", 405),
])
def test_edge_envoys_own_refusals_name_the_service(mesh, method, path, service, status):
    resp = httpx.request(method, mesh.url + path, timeout=10)
    assert resp.status_code == status and resp.json()["service"] == service, resp.text


@pytest.mark.parametrize(("size", "service"), [(300_000, None), (70_000, "echo")])
def test_edge_a_refusal_before_any_route_has_a_null_service(mesh, size, service):
    # Past the codec's limit (puma.requestlimits) nothing is routed: null; headers over 60 KiB but under
    # it are refused once routed, naming the service the request was for.
    head = b"GET /echo HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * size + b"\r\n\r\n"
    result = exchange(_port(mesh), head, timeout_s=5)
    assert result.statuses == [431], result
    assert "service" in result.responses[0].json() and result.responses[0].json()["service"] == service
