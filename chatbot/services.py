"""What is the port's own: the original page's HTTP shape at /agent and /listener.

The page posts its form fields (`UUID`, `chatText`, `mode`, optional `turn_no`; or the same as
JSON) and reads the listener protocol's reply (`chatbot.listener`), its `status` as the HTTP
status. The agent's chatbot reaches its parts (db, sentiment, policy) through the mesh, each a
`puma.remote` that remembers up to 4,096 answers (every part is a pure function of its arguments),
built once per zygote by its warm-up (the understander from the db service's vocabulary; the
warm-up waits while the db service starts). Conversations live in the shared store, so any instance
serves any turn; a turn without `turn_no` that Envoy re-sends keeps its `x-request-id` and is
answered from the store instead of applied twice. /listener only reads, without the understander.
The store out of reach answers 503 + Retry-After (PUMA knows SQLAlchemy's errors, naming the
database, and botocore's): the turn was not applied, and the page sends it again.
"""

import functools

import puma
from chatbot import bot, components, stores
from chatbot import listener as protocol


def agent(request: puma.Request, reads_only: bool = False) -> tuple[dict, int]:
    reply = protocol.handle(_bot(reads_only), request.data, request_key=request.headers.get("X-Request-Id"))
    return reply, reply.get("status", 200)


def listener(request: puma.Request) -> tuple[dict, int]:
    if str(request.data.get("mode", "")).strip().lower() not in ("true", "transcript"):
        raise puma.HTTPError(400, 'mode: /listener only reads ("true" polls, "transcript"); send turns to /agent')
    return agent(request, reads_only=True)


@functools.cache  # the agent's warm-up, once per zygote
def parts() -> components.Components:
    # Each part's answers depend on its arguments alone (the db's catalogue is fixed while it
    # serves), so a repeated question costs no round trip.
    return components.Components.assemble(functools.partial(puma.remote, cache=4096))


@functools.cache  # in each instance, after the fork: the store's connections are its own
def _bot(reads_only: bool) -> bot.Chatbot:
    none = components.Components(*[None] * 4)  # type: ignore[arg-type]  # a reader calls no part
    return bot.Chatbot(stores.session_store(), components=none if reads_only else parts())

