"""What answers when PUMA's supervisor does not: a browser opening the status page or the dashboard
gets the small HTML error page Envoy's other errors are (a script still gets JSON), a stopping
deployment's 503 says how long a restart takes, and a NUL in the request target is named as such."""

from __future__ import annotations

import httpx
import pytest

import puma
from puma.config import parse_config
from puma.localreplies import STOPPING_RETRY_AFTER_S, local_reply_config
from tests.apps import basic


@pytest.fixture(scope="module")
def silent():
    app = puma.App()
    app.configure({"puma_services": {"echo": {"prefix": "/echo"}}})
    app.add_services({"echo": basic.echo})
    with app.start(listener={"port": 0}) as mesh:
        mesh.status_server.stop()  # as if stopped: Envoy finds nothing answering /_puma/ paths
        yield mesh


@pytest.mark.parametrize("path", ["/_puma/dashboard", "/_puma/status"])
@pytest.mark.parametrize("accept", ["text/html", "text/html,application/xhtml+xml,*/*;q=0.8"])
def test_a_browser_gets_a_page_when_the_supervisor_does_not_answer(silent, path, accept):
    resp = httpx.get(silent.url + path, headers={"accept": accept}, timeout=20)
    assert resp.status_code >= 500 and resp.headers["content-type"].startswith("text/html"), resp.text
    assert "<h1>Status not answering</h1>" in resp.text and "did not answer within" in resp.text, resp.text
    assert "{" not in resp.text.split("<main>")[1], resp.text  # no JSON blob in the page


@pytest.mark.parametrize("accept", ["text/html", "application/json", None])
def test_readiness_is_answered_from_what_the_supervisor_last_published(silent, accept):
    # A load balancer's probe (or a browser) gets the last published readiness at once, in JSON.
    resp = httpx.get(silent.url + "/_puma/ready", headers={"accept": accept} if accept else {}, timeout=20)
    body = resp.json()
    assert body["supervisor_answered"] is False and body["ready"] is (resp.status_code == 200), body
    assert resp.elapsed.total_seconds() < 3, resp.elapsed


@pytest.mark.parametrize("accept", ["application/json", "*/*", None])
def test_a_script_still_gets_json_when_the_supervisor_does_not_answer(silent, accept):
    resp = httpx.get(silent.url + "/_puma/status", headers={"accept": accept} if accept else {}, timeout=20)
    body = resp.json()
    assert resp.status_code >= 500 and body["supervisor_answered"] is False, body
    assert httpx.post(silent.url + "/echo", json={}, timeout=10).status_code == 200  # its services still serve


def test_a_stopping_deployment_says_a_restart_not_one_second():
    mappers = local_reply_config(parse_config({"puma_services": {"a": {"prefix": "/a"}}}))["mappers"]
    stopping = [m for m in mappers if "puma.stopping" in str(m.get("filter"))]
    assert stopping and STOPPING_RETRY_AFTER_S >= 30
    for mapper in stopping:
        (retry_after,) = [h for h in mapper["headers_to_add"] if h["header"]["key"] == "retry-after"]
        # Over a route's own Retry-After (a zygote's warm-up): the deployment is going away.
        assert retry_after["header"]["value"] == str(STOPPING_RETRY_AFTER_S), mapper
        assert retry_after["append_action"] == "OVERWRITE_IF_EXISTS_OR_ADD"
        if "body" not in mapper:  # a browser's twin of the same reply (an HTML page): the same words
            page = mapper["body_format_override"]["text_format_source"]["inline_string"]
            assert "restart" in page, page
            continue
        text = mapper["body"]["inline_string"]
        assert text.count("retry") == 1 and "restart" in text, text
