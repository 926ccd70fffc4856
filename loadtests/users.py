"""Locust users, each holding one whole conversation after another.

``user_class(target, settings)`` makes the user class for a deployment: HTTP (``POST /agent``,
polls on ``/listener``) for PUMA, the socket protocol for the legacy server. Both send
``turn_no`` with each turn and re-send a turn once, with the same number, after a connection
error or a 5xx (the server answers a repeat from its record, so this is idempotent). Request
names: ``turn`` and ``poll``. Importing this module imports Locust (which patches the standard
library for gevent).
"""

from __future__ import annotations

import itertools
import random
from typing import Any, ClassVar
from urllib.parse import urlsplit

import gevent
from locust import FastHttpUser, User, between, task

from loadtests.checks import check
from loadtests.conversation import Retriable, Settings, hold, with_one_retry
from loadtests.personas import make_persona, pick_kind
from loadtests.socket_client import SocketClient


class _Conversations:
    """What both users do: pick a persona, hold the conversation, check it, report it."""

    settings: ClassVar[Settings]
    _numbers: ClassVar[itertools.count] = itertools.count()

    def on_start(self) -> None:
        self._rng = random.Random(f"{self.settings.seed}:{next(self._numbers)}")
        gevent.sleep(self._rng.uniform(0, self.settings.think_max_s))  # not all at once

    def _converse(self, transport: Any) -> None:
        settings = self.settings
        rng = self._rng
        persona = make_persona(pick_kind(rng, settings.mix), rng)
        conversation = hold(transport, persona, max_turns=settings.max_turns,
                            think=lambda: gevent.sleep(rng.uniform(settings.think_min_s, settings.think_max_s)))
        settings.on_conversation(conversation, check(conversation))


class HttpTransport:
    """The PUMA deployment's HTTP API through Locust's FastHttp client."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def turn(self, session_id: str, text: str, turn_no: int) -> tuple[dict[str, Any], int]:
        body = {"UUID": session_id, "chatText": text, "mode": "false", "turn_no": turn_no}
        return with_one_retry(lambda: self._post("/agent", body, "turn"))

    def poll(self, session_id: str, turn_no: int, index: int) -> dict[str, Any]:
        body = {"UUID": session_id, "mode": "true", "turn_no": turn_no, "index": index}
        return with_one_retry(lambda: self._post("/listener", body, "poll"))[0]

    def _post(self, path: str, body: dict[str, Any], name: str) -> dict[str, Any]:
        with self.client.post(path, json=body, name=name, catch_response=True) as resp:
            status, reply = resp.status_code, _json(resp)
            if status == 0 or status >= 500 or reply is None:
                resp.failure(f"{status}: {_describe(resp)}")
            elif status != 200:
                resp.failure(f"{status}: {reply.get('error')}: {reply.get('detail')}")
            else:
                resp.success()
        if status == 0 or status >= 500:
            raise Retriable(f"{path}: {status} {_describe(resp)}")
        return reply if reply is not None else {"error": "bad_reply", "detail": f"{status}, not JSON"}


def _describe(resp: Any) -> str:
    if resp.error:
        return f"{type(resp.error).__name__}: {resp.error}"
    return (resp.text or "")[:200]


def _json(resp: Any) -> dict[str, Any] | None:
    try:
        reply = resp.json()
    except Exception:  # noqa: BLE001 - any undecodable body is "not JSON"
        return None
    return reply if isinstance(reply, dict) else None


class SocketTransport:
    """The legacy server's line protocol through ``SocketClient``."""

    def __init__(self, client: SocketClient) -> None:
        self.client = client

    def turn(self, session_id: str, text: str, turn_no: int) -> tuple[dict[str, Any], int]:
        line = {"id": session_id, "text": text, "mode": "false", "turn_no": turn_no}
        return with_one_retry(lambda: self.client.request(line, name="turn"))

    def poll(self, session_id: str, turn_no: int, index: int) -> dict[str, Any]:
        line = {"id": session_id, "mode": "true", "turn_no": turn_no, "index": index}
        return with_one_retry(lambda: self.client.request(line, name="poll"))[0]


class PumaUser(_Conversations, FastHttpUser):
    abstract = True
    network_timeout = 30.0
    connection_timeout = 5.0
    concurrency = 1  # one conversation at a time: one connection

    @task
    def conversation(self) -> None:
        self._converse(HttpTransport(self.client))


class LegacyUser(_Conversations, User):
    abstract = True

    def on_start(self) -> None:
        super().on_start()
        address = urlsplit(self.host or "")
        self.socket = SocketClient(address.hostname or "127.0.0.1", address.port or 13113,
                                   self.environment.events.request)

    def on_stop(self) -> None:
        self.socket.close()

    @task
    def conversation(self) -> None:
        self._converse(SocketTransport(self.socket))


def user_class(target: str, host: str, settings: Settings) -> type[User]:
    """The user class for ``target`` ("puma": ``host`` is its URL; "legacy": ``tcp://H:P``)."""
    base = {"puma": PumaUser, "legacy": LegacyUser}[target]
    return type(f"{target.capitalize()}Conversation", (base,), {
        "abstract": False, "host": host, "settings": settings,
        "wait_time": between(settings.think_min_s, settings.think_max_s),
    })
