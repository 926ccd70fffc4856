"""The conversation store out of reach: the agent answers 503 + Retry-After naming the store
(never a 500: PUMA's `puma.unavailable`), for the SQL store's server down and DynamoDB's endpoint unreachable.
(tests/test_compose_run.py stops a real PostgreSQL container under a whole deployment.)"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

from chatbot import services
from puma.media import DEFAULT_CONTENT_TYPES
from puma.serving import build_app


def _closed_port() -> int:
    with socket.socket() as sock:  # bound, then closed: nothing listens there
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def unreachable_store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    port = _closed_port()
    if request.param == "sql":
        monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg2://chatbot:x@127.0.0.1:{port}/chatbot")
        monkeypatch.setenv("CHATBOT_SESSION_STORE", "sql")
    else:
        monkeypatch.setenv("CHATBOT_SESSION_STORE", "dynamodb")
        monkeypatch.setenv("PUMA_DYNAMODB_ENDPOINT", f"http://127.0.0.1:{port}")
        monkeypatch.setenv("PUMA_URL", f"http://127.0.0.1:{port}")  # DynamoDB is reached through the mesh
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    services._bot.cache_clear()
    yield
    services._bot.cache_clear()


@pytest.mark.parametrize("unreachable_store", ["sql", "dynamodb"], indirect=True)
@pytest.mark.parametrize("body", [{"UUID": "0" * 32, "mode": "transcript"}, {"UUID": "0" * 32, "mode": "true"},
                                  {"UUID": "0" * 32, "chatText": "a comedy", "turn_no": 1}],
                         ids=["transcript", "poll", "turn"])
def test_store_outage_answers_503_with_retry_after_not_500(unreachable_store, body) -> None:
    path, handler = ("/agent", services.agent) if "chatText" in body else ("/listener", services.listener)
    if handler is services.agent:  # a turn's understanding needs the parts: none here, the store fails first
        services.parts.cache_clear()
        services._bot.cache_clear()
    client = build_app(path.strip("/"), handler, max_body_bytes=65536, content_types=DEFAULT_CONTENT_TYPES).test_client()
    resp = client.post("/", json=body)
    reply = resp.get_json()
    assert resp.status_code == 503, reply
    assert int(resp.headers["Retry-After"]) >= 1
    assert "unavailable" in reply and "retry" in reply["error"].lower(), reply
    if os.environ["CHATBOT_SESSION_STORE"] == "sql" and handler is services.listener:  # named by PUMA, not the port
        assert reply["unavailable"].startswith("the PostgreSQL database chatbot on 127.0.0.1:"), reply
        assert ":x@" not in resp.get_data(as_text=True), "never the database's password"
