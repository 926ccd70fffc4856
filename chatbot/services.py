"""The chatbot's parts as PUMA request handlers — what `chatbot/puma_app.py` registers.

Each part is its own Envoy-routed service; the agent reaches policy, sentiment and db through
the mesh (`puma.call`). Conversations live in the shared store (CHATBOT_SESSION_STORE: SQL by
DATABASE_URL, or DynamoDB through Envoy), so any instance serves any turn, and a turn re-sent
with the same `turn_no` is answered from the store instead of being applied twice, which lets
Envoy retry /agent on a dead instance.

Heavy objects are built once per service, in its zygote (`warmup`), so every instance — a
replacement or one the autoscaler adds included — starts with them shared copy-on-write: the
db service's catalogue and recommender, and the agent's understander (built from the db
service's vocabulary, so the agent's warm-up waits for the db service). Not at import: one
module serves five services. The db service prepares the database first if it is not (see
`chatbot.db.prepare`), and says what it is doing with `puma.progress`.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any

import puma
from chatbot.components import remote_components, serve_db, serve_policy, serve_sentiment
from chatbot.errors import InvalidRequest, NotFound
from chatbot.settings import session_store

# The conversation side (chatbot.listener -> bot -> sessions -> SQLAlchemy) is imported by the
# services that hold conversations only: policy and sentiment start without it.


def agent(request: puma.Request) -> Any:
    """A turn (or a poll) of the original page: `chatText`, `mode`, `UUID` (+ `turn_no`)."""
    return _listen(request, _bot)


def listener(request: puma.Request) -> Any:
    """What the page reads between turns, without the understander: a poll (`mode` "true", the
    next message queued by a turn) or the conversation so far (`mode` "transcript")."""
    if str(request.data.get("mode", "")).strip().lower() not in ("true", "transcript"):
        raise puma.HTTPError(400, 'mode: /listener only reads (mode "true" polls, "transcript" '
                                  "returns the conversation); send turns to /agent")
    return _listen(request, _poller)


def _listen(request: puma.Request, bot: Callable[[], Any]) -> Any:
    if request.json is not None and not isinstance(request.json, dict):
        raise puma.HTTPError(400, "body: expected a JSON object or form fields")
    if not {"id", "UUID", "userid"} & set(request.data):
        raise puma.HTTPError(400, 'UUID: missing; send "-1" to start a conversation')
    from chatbot.listener import handle

    try:
        # Envoy re-sends a turn to another instance with the same x-request-id: a turn without
        # turn_no is then recognised by it, and answered from the store instead of applied twice.
        reply = handle(bot(), request.data, request_key=_header(request, "x-request-id"))
    except puma.PumaCallError as error:  # nothing was stored: the same turn_no may be re-sent
        raise puma.HTTPError(503, f"a part of the chatbot is unavailable ({error}); retry") from None
    return reply, reply.get("status", 200)


def _header(request: puma.Request, name: str) -> str | None:
    return next((v for k, v in request.headers.items() if k.lower() == name), None)


def policy(request: puma.Request) -> dict[str, Any]:
    return _answer(serve_policy, request.data)


def sentiment(request: puma.Request) -> dict[str, Any]:
    return _answer(functools.partial(serve_sentiment, _sentiment()), request.data)


def db(request: puma.Request) -> dict[str, Any]:
    return _answer(functools.partial(serve_db, _db()), request.data)


def _answer(serve: Any, data: dict[str, Any]) -> dict[str, Any]:
    try:
        return serve(data)
    except InvalidRequest as error:
        raise puma.HTTPError(400, str(error)) from None
    except NotFound as error:
        raise puma.HTTPError(404, str(error)) from None


def _once(make: Callable[[], Any]) -> Callable[[], Any]:
    """`make()` on first use in this process; requests arriving meanwhile wait for it."""
    cached, lock = functools.cache(make), threading.Lock()

    def get() -> Any:
        with lock:
            return cached()

    return get


def warm_agent(timeout_s: float = 600.0, report_every_s: float = 5.0) -> None:
    """The agent zygote's warm-up: the conversation code, and the understander once the db
    service answers. While the db service starts (a first start prepares the database), it
    reports that it waits, which keeps PUMA's start-up timeout from running out."""
    warm_listener()
    # Wait on the deployment's readiness, not by calling /db: each call before the db service is
    # ready would be answered 503 and counted as one of its start-up failures.
    puma.wait_ready("db", why="the understander needs its vocabulary", timeout_s=timeout_s,
                    report_every_s=report_every_s)
    started = time.monotonic()
    reported = -report_every_s
    while True:
        try:
            _parts()
            return
        except puma.PumaCallError:
            waited = time.monotonic() - started
            if waited > timeout_s:
                raise
            if waited - reported >= report_every_s:
                puma.progress("waiting for the db service (the understander needs its vocabulary)"
                              + (f", {waited:.0f} s" if waited >= report_every_s else ""))
                reported = waited
            time.sleep(0.1)  # the db service is still loading


def warm_listener() -> None:
    """The listener zygote's warm-up: import the conversation code (SQLAlchemy and the store)."""
    import chatbot.listener  # noqa: F401 - imported once here, not by each instance's first request


def warm_sentiment() -> None:
    """The sentiment zygote's warm-up: VADER's lexicon, shared by its instances."""
    _sentiment()


def warm_db() -> None:
    """The db zygote's warm-up: the catalogue and the recommender."""
    _db()


@_once
def _parts() -> Any:
    calls = [functools.partial(puma.call, name) for name in ("db", "policy", "sentiment")]
    return remote_components(*calls)


@_once
def _bot() -> Any:
    from chatbot.bot import Chatbot

    return Chatbot(store=session_store(), components=_parts())  # the store: after the fork


@_once
def _poller() -> Any:
    from chatbot.bot import Chatbot
    from chatbot.components import Components

    # Polls only read the store; no understander (~200 MB) in this service's processes.
    return Chatbot(store=session_store(), components=Components(None, None, None, None))  # type: ignore[arg-type]


@_once
def _db() -> Any:
    from chatbot.catalog import Catalog
    from chatbot.components import LocalDb
    from chatbot.db.prepare import ensure_prepared
    from chatbot.recommender import Recommender

    ensure_prepared(report=puma.progress)
    puma.progress("loading the catalogue")
    catalog = Catalog.load()
    puma.progress("loading the recommender")
    return LocalDb(catalog, Recommender.load(catalog=catalog))


@_once
def _sentiment() -> Any:
    from chatbot.sentiment import Sentiment

    return Sentiment()
