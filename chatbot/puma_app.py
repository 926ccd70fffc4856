"""The chatbot ported to PUMA — the paper's Listing 2 made real: `puma run chatbot/puma_app.py`.

Five dialog services (plus the page, the survey and the bridge to the legacy server), each its
own Envoy-routed cluster; the handlers are in `chatbot/services.py`. Instances: agent 3 (it runs
understanding, the CPU-heavy part of a turn), policy 2 (two for availability), the rest 1.
`resources` (container targets) follow measured memory: agent and db instances hold ~300 MB
(the understander, the catalogue and recommender), the others under 80 MB. `jobs` prepare the
database before the services serve (a Kubernetes Job; `make run` runs the same commands).
Policy, sentiment and db are `internal`: only the agent calls them (a client gets 404); every
service takes only the methods its page uses (others: 405 with `Allow`).
"""

from chatbot.settings import puma_dynamodb_config
from puma import puma_config, puma_service, puma_start

_SMALL = {"cpu": "100m", "memory_mib": 192}
_POST, _INTERNAL = {"methods": ["POST"]}, {"methods": ["POST"], "visibility": "internal"}
CONFIG = {"puma_services": {
    "agent": {"prefix": "/agent", "instances": 3, "idempotent": True, "timeout_s": 30,
              "max_body_bytes": 64 * 1024, "warmup": "chatbot.services:warm_agent",
              "resources": {"cpu": "500m", "memory_mib": 512}, **_POST},
    "listener": {"prefix": "/listener", "max_body_bytes": 64 * 1024, "warmup": "chatbot.services:warm_listener",
                 "resources": _SMALL, **_POST},
    "policy": {"prefix": "/policy", "instances": 2, "idempotent": True, "resources": _SMALL, **_INTERNAL},
    "sentiment": {"prefix": "/sentiment", "idempotent": True, "warmup": "chatbot.services:warm_sentiment",
                  "resources": _SMALL, **_INTERNAL},
    "db": {"prefix": "/db", "idempotent": True, "threads": 16, "warmup": "chatbot.services:warm_db",
           "resources": {"cpu": "250m", "memory_mib": 512}, **_INTERNAL},
    "web": {"prefix": "/", "resources": _SMALL, "methods": ["GET"]},
    "survey": {"prefix": "/survey", "resources": _SMALL, **_POST},
    "legacy": {"prefix": "/legacy", "resources": _SMALL, **_POST},
}, "jobs": [{"name": "migrate", "command": ["chatbot", "db", "upgrade"]},
            {"name": "load", "command": ["chatbot", "db", "load", "--no-progress"]}],
   **puma_dynamodb_config()}
SERVICES = {name: f"chatbot.services:{name}" for name in ("agent", "listener", "policy", "sentiment", "db")}
SERVICES |= {"web": "chatbot.webapp:serve_static", "survey": "chatbot.webapp:survey",
             "legacy": "chatbot.webapp:legacy_bridge"}

if __name__ == "__main__":
    puma_config(CONFIG)
    puma_service(SERVICES)
    puma_start()
