"""What a deployment guarantees when instances go away, ports clash, and clients misbehave at the
HTTP level: scaling, draining, crash windows, one deployment per port, keep-alive with the status
server, HTTP/1.0, and who sees what of /_puma/status. Real Envoy, real instances, polling only."""

from __future__ import annotations

import os
import signal
import socket
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

import puma
from puma.errors import PumaStartError
from tests.apps import basic
from tests.helpers import wait_for
from tests.rawhttp import exchange


def _start(services: dict, functions: dict, **config) -> puma.Deployment:
    app = puma.App()
    app.configure({"puma_services": services, **config})
    app.add_services(functions)
    return app.start(listener={"port": 0})


def _children(pid: int) -> list[int]:
    """Live (not zombie) child processes of `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- scaling and draining -----------------------------------------------------------------


@pytest.mark.parametrize(("up", "down"), [(8, 1), (4, 2), (6, 0)])
def test_scale_up_then_straight_down_leaves_exactly_the_requested_instances(up, down):
    with _start({"echo": {"prefix": "/echo", "instances": {"min": 0, "max": 8}, "autoscale": {"enabled": False}}},
                {"echo": basic.echo}) as mesh:
        mesh.scale("echo", 1)
        wait_for(lambda: len(mesh.instances("echo")) == 1, message="one instance")
        zygote = mesh.pools["echo"].zygote.pid
        mesh.scale("echo", up)
        mesh.scale("echo", down)  # before most of the new ones have a pid
        wait_for(lambda: len(_children(zygote)) == down and len(mesh.pools["echo"].instances) == down
                 and len(mesh.instances("echo")) == down, timeout_s=20,
                 message=f"exactly {down} instance process(es) after scale {up} -> {down}")
        wait_for(lambda: {h.address for h in mesh.envoy.admin.clusters()["echo"].hosts}
                 == {i.address for i in mesh.instances("echo")}, message="Envoy routing to exactly those")
        assert not [e for e in mesh.status()["events"] if "unhealthy" in e["message"]]


def test_draining_waits_for_requests_up_to_the_service_timeout():
    # The deployment's drain timeout (0.5 s) is far shorter than the requests (2.5 s), which fit the
    # service's timeout_s (6 s): a scale-down must let them finish.
    services = {"slow": {"prefix": "/slow", "instances": 2, "timeout_s": 6}}
    with _start(services, {"slow": basic.slow}, http_connection_manager={"drain_timeout": 0.5}) as mesh, \
            ThreadPoolExecutor(4) as pool, httpx.Client(base_url=mesh.url, timeout=20) as http:
        calls = [pool.submit(http.post, "/slow", json={"s": 2.5}) for _ in range(4)]
        wait_for(lambda: mesh.envoy.admin.in_flight(["slow"])["slow"] == 4, message="4 requests in flight")
        pids = {i.pid for i in mesh.instances("slow")}
        mesh.scale("slow", 1)
        statuses = Counter(c.result(timeout=20).status_code for c in calls)
        served_by = {c.result().json()["pid"] for c in calls}
        assert statuses == {200: 4}, statuses
        assert served_by == pids  # both instances had requests, the retired one finished its own


# --- crashes ------------------------------------------------------------------------------


@pytest.mark.flaky(reruns=1)  # timing under CPU starvation (2 shared cores): re-run once; a real
# regression fails both runs. Flaked once each in clean-clone runs, passes alone (see the closing notes).
@pytest.mark.parametrize("idempotent", [False, True])
def test_requests_sent_while_a_lone_instance_restarts_wait_for_it_instead_of_failing(idempotent):
    services = {"echo": {"prefix": "/echo", "idempotent": idempotent}}
    with _start(services, {"echo": basic.echo}) as mesh:
        results: list[int] = []

        def client() -> None:
            with httpx.Client(base_url=mesh.url, timeout=10) as http:
                for _ in range(15):
                    results.append(http.post("/echo", json={}).status_code)

        for _ in range(3):
            victim = mesh.instances("echo")[0]
            os.kill(victim.pid, signal.SIGKILL)  # nothing in flight: every request below comes after
            threads = [threading.Thread(target=client) for _ in range(3)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wait_for(lambda v=victim: [i for i in mesh.instances("echo") if i.pid != v.pid], message="replacement")
        assert Counter(results) == {200: len(results)}, Counter(results)
        died = [e for e in mesh.status()["events"] if "died" in e["message"]]
        assert len(died) == 3


def test_envoy_re_sends_a_request_whose_instance_died_with_the_same_request_id(tmp_path):
    # What makes a turn without turn_no safe to re-send: the agent keys it by this id, which Envoy
    # generates (a client's own is replaced) and keeps on the re-send.
    services = {"fragile": {"prefix": "/fragile", "instances": 2, "idempotent": True}}
    with _start(services, {"fragile": basic.die_once}) as mesh, httpx.Client(base_url=mesh.url, timeout=10) as http:
        resp = http.post("/fragile", json={"dir": str(tmp_path)}, headers={"x-request-id": "turn-42"})
        assert resp.status_code == 200, resp.text
        answer = resp.json()
        assert answer["request_id"] != "turn-42" and answer["died_in"] != answer["pid"]
        wait_for(lambda: len(mesh.instances("fragile")) == 2, message="the crashed instance replaced")


def test_a_replacement_serves_on_the_port_of_the_instance_it_replaces():
    with _start({"echo": {"prefix": "/echo", "instances": 2}}, {"echo": basic.echo}) as mesh:
        before = {i.port for i in mesh.instances("echo")}
        victim = mesh.instances("echo")[0]
        os.kill(victim.pid, signal.SIGKILL)
        wait_for(lambda: len(mesh.instances("echo")) == 2 and victim.pid not in {i.pid for i in mesh.instances("echo")},
                 message="replacement ready")
        assert {i.port for i in mesh.instances("echo")} == before


def test_a_scaled_down_instance_gives_its_port_up():
    with _start({"echo": {"prefix": "/echo", "instances": 2}}, {"echo": basic.echo}) as mesh:
        gone = max(mesh.instances("echo"), key=lambda i: i.id)
        mesh.scale("echo", 1)
        wait_for(lambda: not _children_with_pid(mesh, gone.pid), message="retired instance exited")

        def refused() -> bool:
            try:
                socket.create_connection(("127.0.0.1", gone.port), timeout=1).close()
            except ConnectionRefusedError:
                return True
            return False

        wait_for(refused, message=f"port {gone.port} closed")


def _children_with_pid(mesh: puma.Deployment, pid: int) -> bool:
    zygote = mesh.pools["echo"].zygote
    return zygote is not None and zygote.pid is not None and pid in _children(zygote.pid)


# --- one deployment per port --------------------------------------------------------------


def test_a_second_deployment_on_a_port_already_served_fails_at_once():
    port = _free_port()
    app = puma.App()
    app.configure({"puma_services": {"echo": "/echo"}})
    app.add_services({"echo": basic.echo})
    with app.start(listener={"port": port}) as first, httpx.Client(base_url=first.url) as http:
        second = puma.App()
        second.configure({"puma_services": {"upper": "/upper"}})
        second.add_services({"upper": basic.upper})
        envoy_pid = first.envoy.proc.pid
        with pytest.raises(PumaStartError, match=rf"port {port} \(the listener's port\) is already in use by "
                                                 rf"pid {envoy_pid} \(.*envoy"):
            second.start(listener={"port": port})
        # the first deployment alone still answers there, every time
        assert all(http.get("/_puma/status").json()["services"].keys() == {"echo"} for _ in range(10))


def test_a_port_another_program_listens_on_is_refused_even_with_reuse_port():
    port = _free_port()
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # what an Envoy would set
        other.bind(("127.0.0.1", port))
        other.listen()
        app = puma.App()
        app.configure({"puma_services": {"echo": "/echo"}})
        app.add_services({"echo": basic.echo})
        with pytest.raises(PumaStartError, match=rf"port {port} \(the listener's port\) is already in use by "
                                                 rf"pid {os.getpid()} .*puma run APP.py --port N"):
            app.start(listener={"port": port})


# --- HTTP at the edge ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def mesh():
    services = {"echo": {"prefix": "/echo", "instances": 2}, "upper": "/upper"}
    with _start(services, {"echo": basic.echo, "upper": basic.upper}) as deployment:
        yield deployment


def _port(mesh: puma.Deployment) -> int:
    return int(mesh.url.rsplit(":", 1)[1])


@pytest.mark.parametrize("request_bytes", [
    b"GET /echo HTTP/1.0\r\n\r\n",                                   # no Host, as HTTP/1.0 allows
    b"GET /echo HTTP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: ApacheBench/2.3\r\n\r\n",
    b"POST /upper HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"text\": \"ab\"}\n",
])
def test_http_10_clients_are_answered(mesh, request_bytes):
    result = exchange(_port(mesh), request_bytes)
    (response,) = result.responses
    assert response.status == 200, response.body
    assert response.http_version == "1.0"


def test_http_10_keep_alive_serves_several_requests_on_one_connection(mesh):
    one = b"GET /echo HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"
    result = exchange(_port(mesh), one * 3, expect=3)
    assert [r.status for r in result.responses] == [200, 200, 200]


def test_a_client_that_never_finishes_its_headers_gets_408_and_is_let_go():
    with _start({"echo": "/echo"}, {"echo": basic.echo},
                http_connection_manager={"request_headers_timeout": 0.5}) as mesh:
        dribble = [b"GET /echo HTTP/1.1\r\n"] + [b"X-Slow: %d\r\n" % n for n in range(20)]
        result = exchange(_port(mesh), dribble, pause_s=0.1, timeout_s=10)
        assert result.statuses == [408] and result.responses[0].is_json, result
        assert httpx.post(mesh.url + "/echo", json={}).status_code == 200


# --- the status server ---------------------------------------------------------------------


def test_status_server_reads_the_body_of_a_refused_request_so_the_next_one_is_served(mesh):
    body = b'{"worker": "w", "service": "echo", "instances": []}' + b" " * 50_000
    refused = (b"POST /_puma/workers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Content-Length: %d\r\n\r\n" % len(body)) + body
    status = b"GET /_puma/status HTTP/1.1\r\nHost: x\r\n\r\n"
    for port in (mesh.status_server.port, _port(mesh)):  # directly, and through Envoy's pooled connection
        result = exchange(port, refused + status + refused + status, expect=4)
        assert [r.status for r in result.responses] == [403, 200, 403, 200], result
        assert all(r.is_json for r in result.responses)
        assert "echo" in result.responses[1].json()["services"]


@pytest.mark.parametrize(("request_bytes", "status"), [
    (b"PUT /_puma/status HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", 405),
    (b"BREW /_puma/status HTTP/1.1\r\nHost: x\r\n\r\n", 405),
    (b"GET /_puma/nothing HTTP/1.1\r\nHost: x\r\n\r\n", 404),
    (b"POST /_puma/workers HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 403),
    (b"NOT A REQUEST\r\n\r\n", 400),
])
def test_status_server_answers_json_to_anything_and_stays_in_sync(mesh, request_bytes, status):
    status_request = b"GET /_puma/status HTTP/1.1\r\nHost: x\r\n\r\n"
    result = exchange(mesh.status_server.port, request_bytes + status_request, expect=2, see_close=True)
    assert result.responses[0].status == status and result.responses[0].is_json, result
    if len(result.responses) == 2:  # kept alive: the next request was read from its first byte
        assert result.responses[1].status == 200
    else:
        assert result.closed
    # and through Envoy, the same request never costs the next client anything
    assert exchange(_port(mesh), status_request).responses[0].status == 200


def test_status_shows_processes_only_to_this_machine_or_the_secret_holder(mesh):
    full = httpx.get(mesh.url + "/_puma/status").json()
    assert full["view"] == "full" and full["envoy"]["admin"]
    assert all(i["pid"] and i["port"] for i in full["services"]["echo"]["instances"])
    # A client cannot claim to be local: Envoy overwrites the peer header with the real peer.
    spoofed = httpx.get(mesh.url + "/_puma/status", headers={"x-puma-peer": "203.0.113.9"}).json()
    assert spoofed["view"] == "full"
    # What the status server shows a remote peer (the header as Envoy sets it for one):
    public = httpx.get(f"http://127.0.0.1:{mesh.status_server.port}/_puma/status",
                       headers={"x-puma-peer": "203.0.113.9"}).json()
    assert public["view"] == "public"
    text = str(public)
    assert "pid" not in text and "port" not in text and "admin" not in text and "127.0.0.1" not in text
    echo = public["services"]["echo"]
    # ... and still everything the dashboard draws
    assert echo["ready"] == 2 and echo["prefix"] == "/echo" and "p99_ms" in echo and "requests_per_s" in echo
    assert [set(i) for i in echo["instances"]] == [{"id", "state", "healthy", "requests", "rss_mib", "not_ready"}] * 2
    assert public["envoy"] == {"up": True} and isinstance(public["events"], list)
    # A peer connecting to this host's own address (its IP, not loopback) is this machine too.
    same_host = {"x-puma-peer": "192.0.2.10", "x-puma-local": "192.0.2.10"}
    assert httpx.get(f"http://127.0.0.1:{mesh.status_server.port}/_puma/status", headers=same_host).json()["view"] == "full"


def test_status_shows_processes_to_a_remote_peer_with_the_secret():
    with _start({"echo": "/echo"}, {"echo": basic.echo}, secret="s3cret") as mesh:
        url = f"http://127.0.0.1:{mesh.status_server.port}/_puma/status"
        remote = {"x-puma-peer": "198.51.100.7"}
        assert httpx.get(url, headers=remote).json()["view"] == "public"
        assert httpx.get(url, headers={**remote, "x-puma-token": "wrong"}).json()["view"] == "public"
        assert httpx.get(url, headers={**remote, "x-puma-token": "s3cret"}).json()["view"] == "full"
