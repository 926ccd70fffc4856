"""The conversation store out of reach: the agent answers 503 + Retry-After saying the turn was
not applied (never a 500), for the SQL store's server down and DynamoDB's endpoint unreachable.
(tests/test_compose_run.py stops a real PostgreSQL container under a whole deployment.)"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from werkzeug.datastructures import Headers

import puma
from chatbot import services


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


def _request(body: dict) -> puma.Request:
    return puma.Request(method="POST", path="/listener", headers=Headers({"Content-Type": "application/json"}),
                        query={}, body=b"{}", json=body)


@pytest.mark.parametrize("unreachable_store", ["sql", "dynamodb"], indirect=True)
@pytest.mark.parametrize("body", [{"UUID": "0" * 32, "mode": "transcript"}, {"UUID": "0" * 32, "mode": "true"}],
                         ids=["transcript", "poll"])
def test_store_outage_answers_503_with_retry_after_not_500(unreachable_store, body) -> None:
    with pytest.raises(puma.HTTPError) as raised:
        services.listener(_request(body))
    assert raised.value.status == 503
    assert float(raised.value.extra["retry_after_s"]) > 0  # type: ignore[arg-type]  # extra: dict[str, object]
    assert "not applied" in raised.value.message and "store is unavailable" in raised.value.message
