"""A client of the public listener never reads what is for operators — no pid, internal address,
kill command or config key — in any error reply that can reach it: a service's own `HTTPError`,
one with words of its own for the public, a store that is down, a full disk, a readiness refusal,
Envoy's own 413, `/_puma/ready` (whole and per service). The internal listener and this machine's
own status reads keep every word. Real Envoy and instances."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import puma
from tests.apps import operatorwords
from tests.helpers import wait_for

SMALL_BODY = 2048
FOREIGN = {"host": "rebound.example"}
# What an operator acts on and a public client must not read.
OPERATORS = re.compile(r"\bpid\b|4242|10\.1\.2\.3|6379|\bkill\b|SIGSTOP|puma_services\.|/srv/app|\bin the config\b"
                       r"|`puma |\bquota\b|_public_error|127\.0\.0\.1:\d+")


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[puma.Deployment, Path]]:
    flag = tmp_path_factory.mktemp("words") / "down"
    os.environ["WORDS_DOWN"] = str(flag)
    app = puma.App()
    app.configure({"puma_services": {
        "words": {"prefix": "/words", "max_body_bytes": SMALL_BODY},
        "gated": {"prefix": "/gated", "readiness": {"check": "tests.apps.operatorwords:ready", "period_s": 0.2,
                                                     "timeout_s": 0.5, "failure_threshold": 1}}}})
    app.add_services({"words": operatorwords.fail, "gated": operatorwords.fail})
    try:
        with app.start(listener={"port": 0}) as deployment:
            yield deployment, flag
    finally:
        os.environ.pop("WORDS_DOWN", None)


def _clean(text: str) -> None:
    assert not OPERATORS.search(text), f"operator's words shown to a public client: {text}"


@pytest.mark.parametrize(("kind", "status"), [("http", 503), ("own-words", 502), ("store", 503), ("full", 507),
                                              ("bad", 400)])
def test_public_replies_a_services_error_tells_the_public_client_no_operator_detail(mesh, kind: str,
                                                                                     status: int) -> None:
    deployment, _flag = mesh
    public = httpx.post(deployment.url + "/words", json={"kind": kind}, timeout=10)
    assert public.status_code == status, public.text
    _clean(public.text)
    assert public.json()["error"] and public.json()["service"] == "words", public.text
    internal = httpx.post(deployment.internal_url + "/words", json={"kind": kind}, timeout=10)
    assert internal.status_code == status and "_public_error" not in internal.text, internal.text
    if kind in ("http", "own-words", "store"):
        assert "kill -CONT 4242" in internal.text, internal.text  # the operator keeps every word
    if kind == "own-words":
        assert public.json()["error"] == "the backend is not answering; retry later", public.text


@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_public_replies_a_413_says_the_limit_in_bytes_not_the_config_key(mesh, accept: str) -> None:
    deployment, _flag = mesh
    body = b'{"kind": "' + b"x" * (SMALL_BODY * 4) + b'"}'
    public = httpx.post(deployment.url + "/words", content=body, timeout=10,
                        headers={"content-type": "application/json", "accept": accept})
    assert public.status_code == 413, public.text
    assert str(SMALL_BODY) in public.text and "bytes" in public.text, public.text
    _clean(public.text)
    internal = httpx.post(deployment.internal_url + "/words", content=body, timeout=10,
                          headers={"content-type": "application/json"})
    assert internal.status_code == 413 and "puma_services.words.max_body_bytes" in internal.text, internal.text


def test_public_replies_a_not_ready_service_and_readiness_tell_the_public_no_operator_detail(mesh) -> None:
    deployment, flag = mesh
    flag.touch()
    try:
        refused = wait_for(lambda: (r := httpx.post(deployment.url + "/gated", json={"kind": "x"}, timeout=10))
                           .status_code == 503 and r, timeout_s=15, message="the gated service refusing")
        _clean(refused.text)
        assert "not ready" in refused.json()["error"] and "the backend" in refused.json()["error"], refused.text
        for path in ("/_puma/ready", "/_puma/ready/gated"):
            # the readiness published may still be Envoy's "not checked yet" for a moment: wait for its reason
            def reason_said(p: str = path) -> httpx.Response | None:
                r = httpx.get(deployment.url + p, headers=FOREIGN, timeout=10)
                return r if r.status_code == 503 and "the backend" in r.text else None

            public = wait_for(reason_said, timeout_s=15, message=f"{path} naming the reason to the public")
            _clean(public.text)
            own = httpx.get(deployment.url + path, timeout=10)  # this machine: the operator
            assert "kill -CONT 4242" in own.text, own.text
        internal = httpx.post(deployment.internal_url + "/gated", json={"kind": "x"}, timeout=10)
        assert internal.status_code == 503 and "kill -CONT 4242" in internal.text, internal.text
    finally:
        flag.unlink()
    wait_for(lambda: httpx.post(deployment.url + "/gated", json={"kind": "x"}, timeout=10).status_code == 200,
             timeout_s=15, message="served again")


@pytest.mark.parametrize("text", [
    "the legacy server (pid 457) on 127.0.0.1:13192 is stopped (SIGSTOP or Ctrl-Z): it answers none; "
    "resume it: kill -CONT 457",
    "request body is too large: service 'agent' takes at most 1048576 bytes; raise "
    "puma_services.agent.max_body_bytes in the config if such bodies should be accepted",
    "service 'agent' ran out of space: the database is full; nothing was stored: free space there (or raise its "
    "quota), then send it again",
    "restart it: kill 457, then `make legacy`",
    "the worker gpu-2 at [fd00::7]:9000 did not answer (see `puma logs agent`)",
    # Files: one, or several full at once (a list of mount points, a database beside its mount).
    "service 'ledger' ran out of space: the filesystem mounted at /srv/gpu-2/data or /tmp/fd00 is full; free space",
    "service 'ledger' ran out of space: the SQLite database /srv/gpu-2/x.sqlite3 (the filesystem mounted at "
    "/srv/fd00, /var and /tmp/gpu-2) is full; nothing of this request was stored",
    "the filesystem holding /srv/gpu-2/notes.log is full",
])
def test_public_replies_one_rule_leaves_no_operator_detail_and_some_meaning(text: str) -> None:
    from puma.visibility import for_public

    said = for_public(text)
    _clean(said)
    assert said and "gpu-2" not in said and "fd00" not in said, said
