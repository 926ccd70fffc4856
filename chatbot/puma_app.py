"""The chatbot ported to PUMA — the paper's Listing 2 made real: `puma run chatbot/puma_app.py`
(which starts what the file names: it needs no `puma_start()` ending; `python chatbot/puma_app.py` says so).

The monolith's parts, named as services: its policy function, its sentiment analyser and its
catalogue (`LocalDb`, built by `LocalDb.load()`) are served as they are, each its own
Envoy-routed cluster, built once per zygote; the agent (and the page's read path, /listener)
answer the original page's form fields (`chatbot/services.py`). Instances: agent 3 (it runs
understanding, the CPU-heavy part of a turn), policy 2 (two for availability), the rest 1. The page's requests are limited to the monolith's 64 KiB;
the parts Envoy may retry are `idempotent`. A service not configured here is served at
/<its name>. From Python (tests): `puma.App.load("chatbot/puma_app.py")`. `resources`
(container targets) follow measured memory: agent and db instances hold ~300 MB. `jobs` prepare
the database before the services serve on container targets (a Kubernetes Job); `puma run`
skips them (`local: false`): there the db service prepares the database itself on its first
start, under a lock. Policy, sentiment and db are `internal`: only the agent calls them (a
client gets 404); every service takes only the methods its page uses (others: 405 with `Allow`).
The services that read and write conversations (agent, listener, survey) are ready only while the
session store answers (`chatbot.stores:ready`): a store that is down takes them out of routing and
answers 503 naming it, without restarting them. The legacy bridge is ready only while the legacy
socket server accepts connections (`chatbot.webapp:legacy_ready`), so `puma status` and the dashboard
say "not ready" with the reason when the monolith behind it is down.
"""

from chatbot.settings import session_store_kind
from puma import puma_config, puma_service

puma_config({"puma_services": {
    "agent": {"instances": 3, "idempotent": True, "timeout_s": 30, "max_body_bytes": 65536, "warmup": "chatbot.services:parts",
              "resources": {"cpu": "500m", "memory_mib": 512}, "methods": ["POST"], "readiness": "chatbot.stores:ready"},
    "listener": {"max_body_bytes": 65536, "methods": ["POST"], "readiness": "chatbot.stores:ready"},
    "survey": {"methods": ["POST"], "readiness": "chatbot.stores:ready"}, "legacy": {"methods": ["POST"], "readiness": "chatbot.webapp:legacy_ready"},
    "web": {"prefix": "/", "methods": ["GET"]}, "policy": {"instances": 2, "idempotent": True, "visibility": "internal"},
    "sentiment": {"idempotent": True, "visibility": "internal"},
    "db": {"idempotent": True, "threads": 16, "resources": {"memory_mib": 512}, "visibility": "internal"}},
    "jobs": [{"name": "migrate", "command": ["chatbot", "db", "upgrade"], "local": False},
             {"name": "load", "command": ["chatbot", "db", "load", "--no-progress"], "local": False}],
    # What a browser that opens an address that is no page is offered instead (404, 405).
    "listener": {"pages": {"/": "the chat", "/dashboard": "the dashboard (the chat's services side by side, live, with charts)"}}, **({"dynamodb": {}} if session_store_kind() == "dynamodb" else {})})
puma_service({"agent": "chatbot.services:agent", "listener": "chatbot.services:listener",
              "policy": "chatbot.policy:decide", "sentiment": "chatbot.sentiment:Sentiment",
              "db": "chatbot.components:LocalDb.load()", "web": "chatbot.webapp:serve_static",
              "survey": "chatbot.webapp:survey", "legacy": "chatbot.webapp:legacy_bridge"})
