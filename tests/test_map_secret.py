"""A `puma.map` whose caller and map service do not share a secret says what the secret is (the
config key 'secret', else $PUMA_SECRET, else a random one `puma run` made), why the two differ,
and the fix (export the same PUMA_SECRET on both sides), wherever it is seen: the caller's error
(a wrong key, or none), the 401 the service answers, and the log line of the deployment that made
a random one."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

import puma
from puma.errors import PumaMapError
from puma.mapping import start_local
from puma.mapping.protocol import REQUEST, SignatureError, encode, verify

ROOT = Path(__file__).resolve().parents[1]


def _explains(message: str) -> None:
    assert "PUMA_SECRET" in message and "'secret'" in message, message
    assert "export PUMA_SECRET=" in message and "random" in message, message


@pytest.fixture(scope="module")
def mapper() -> object:
    with start_local(1, secret="the-deployment-s-own-key") as deployment:
        yield deployment


@pytest.mark.parametrize("caller_key", ["another-key", "the-deployment-s-own-ke", "THE-DEPLOYMENT-S-OWN-KEY"])
def test_map_secret_a_different_key_is_explained_with_the_fix(mapper, caller_key: str) -> None:
    url = mapper.url + "/map"
    with pytest.raises(PumaMapError) as caught:
        puma.map("tests.apps.mapfuncs:square", [1, 2, 3], url=url, secret=caller_key)
    message = str(caught.value)
    assert "HTTP 401" in message and "another secret" in message
    _explains(message)
    assert caller_key not in message and "the-deployment-s-own-key" not in message  # keys are never shown


def test_map_secret_a_caller_without_one_is_told_where_it_comes_from(mapper) -> None:
    code = ("import puma, sys\ntry:\n    puma.map('tests.apps.mapfuncs:square', [1], url=sys.argv[1])\n"
            "except puma.PumaMapError as exc:\n    print(exc)\n")
    env = {k: v for k, v in os.environ.items() if k != "PUMA_SECRET"}
    done = subprocess.run([sys.executable, "-c", code, mapper.url + "/map"], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)})
    assert "no shared secret" in done.stdout, done.stdout + done.stderr
    _explains(done.stdout)


@pytest.mark.parametrize("signed_with", [b"k" * 32, b"", None])
def test_map_secret_a_refused_signature_says_the_fix(signed_with: bytes | None) -> None:
    body = encode(b"k" * 32, REQUEST, {"fn": "math:factorial", "items": [3]})
    with pytest.raises(SignatureError) as caught:
        verify(b"other" if signed_with else None, REQUEST, body.data, body.signature)
    _explains(str(caught.value))


def test_map_secret_made_at_random_is_logged_with_what_it_means(monkeypatch: pytest.MonkeyPatch,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    from puma.mapping import service_config

    monkeypatch.delenv("PUMA_SECRET", raising=False)
    app = puma.App()
    app.configure({"puma_services": {"map": service_config(1)}})
    with caplog.at_level(logging.INFO, logger="puma.supervisor"), app.start(listener={"port": 0}):
        pass
    said = " ".join(r.getMessage() for r in caplog.records if "random secret" in r.getMessage())
    assert "PUMA_URL" in said and "export PUMA_SECRET=" in said and "'secret'" in said, said
