"""Envoy's 405 lists only methods the service then serves (newcomer 43, B5): a function that binds
its arguments from the body takes POST, so Envoy refuses TRACE, GET, PUT... with `Allow: POST`, the
same as the instance says; a function taking the whole request keeps every method; the service's
interface (GET <prefix>/_puma/interface, what puma.remote reads) is still served. Real Envoy."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

import puma
from tests.apps import basic, faults


@pytest.fixture(scope="module")
def mesh() -> Iterator[puma.Deployment]:
    app = puma.App()
    app.configure({"puma_services": {"add": {"prefix": "/add"}, "echo": {"prefix": "/echo"},
                                     "narrow": {"prefix": "/narrow", "methods": ["POST", "PUT"]}}})
    app.add_services({"add": faults.add, "echo": basic.echo, "narrow": faults.add})
    with app.start(listener={"port": 0}) as deployment:
        yield deployment


@pytest.mark.parametrize("service", ["add", "narrow"])
def test_a_bound_functions_405_lists_only_post_and_each_listed_method_is_served(mesh: puma.Deployment,
                                                                               service: str) -> None:
    with httpx.Client(base_url=mesh.url, timeout=10) as http:
        for method in ("TRACE", "GET", "PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND"):
            reply = http.request(method, f"/{service}")
            assert reply.status_code == 405 and reply.headers["allow"] == "POST", (method, reply.text)
            assert "use POST" in reply.json()["error"]
        for listed in reply.headers["allow"].split(", "):
            assert http.request(listed, f"/{service}", json={"by": 2}).status_code == 200
        interface = http.get(f"/{service}/_puma/interface")
        assert interface.status_code == 200 and interface.json()["kind"] == "function", interface.text


def test_a_function_taking_the_request_keeps_every_method(mesh: puma.Deployment) -> None:
    with httpx.Client(base_url=mesh.url, timeout=10) as http:
        trace = http.request("TRACE", "/echo")
        assert trace.status_code == 405
        allowed = trace.headers["allow"].split(", ")
        assert {"GET", "POST", "PUT", "DELETE"} <= set(allowed)
        for method in allowed:
            assert http.request(method, "/echo").status_code < 400, method
