"""The chatbot ported to PUMA — the paper's Listing 2 made real: `puma run chatbot/puma_app.py`.

Five dialog services (plus the page, the survey and the bridge to the legacy server), each its
own Envoy-routed cluster; the handlers are in `chatbot/services.py`. Instances: agent 2 to 4,
autoscaled on in-flight turns (it runs understanding, the CPU-heavy part of a turn), policy 2
(two for availability), the rest 1. `resources` (container targets) follow measured memory:
agent and db instances hold ~300 MB (the understander, the catalogue and recommender), the
others under 80 MB. `jobs` prepare the database before the services serve on container targets
(a Kubernetes Job); `puma run` skips them (`local: false`): there the db service prepares the
database itself on its first start, under a lock, and checks it in two queries afterwards.
"""

from chatbot.settings import puma_dynamodb_config
from puma import puma_config, puma_service, puma_start

_SMALL = {"cpu": "100m", "memory_mib": 192}
CONFIG = {"puma_services": {
    "agent": {"prefix": "/agent", "instances": {"min": 2, "max": 4}, "idempotent": True, "timeout_s": 30,
              "autoscale": {"target_in_flight": 2, "upscale_delay_s": 1, "downscale_delay_s": 30},
              "max_body_bytes": 64 * 1024, "warmup": "chatbot.services:warm_agent",
              "resources": {"cpu": "500m", "memory_mib": 512}},
    "listener": {"prefix": "/listener", "max_body_bytes": 64 * 1024, "warmup": "chatbot.services:warm_listener",
                 "resources": _SMALL},
    "policy": {"prefix": "/policy", "instances": 2, "idempotent": True, "resources": _SMALL},
    "sentiment": {"prefix": "/sentiment", "idempotent": True, "warmup": "chatbot.services:warm_sentiment",
                  "resources": _SMALL},
    "db": {"prefix": "/db", "idempotent": True, "threads": 16, "warmup": "chatbot.services:warm_db",
           "resources": {"cpu": "250m", "memory_mib": 512}},
    "web": {"prefix": "/", "resources": _SMALL}, "survey": {"prefix": "/survey", "resources": _SMALL},
    "legacy": {"prefix": "/legacy", "resources": _SMALL},
}, "jobs": [{"name": "migrate", "command": ["chatbot", "db", "upgrade"], "local": False},
            {"name": "load", "command": ["chatbot", "db", "load", "--no-progress"], "local": False}],
   **puma_dynamodb_config()}
SERVICES = {name: f"chatbot.services:{name}" for name in ("agent", "listener", "policy", "sentiment", "db")}
SERVICES |= {"web": "chatbot.webapp:serve_static", "survey": "chatbot.webapp:survey",
             "legacy": "chatbot.webapp:legacy_bridge"}

if __name__ == "__main__":
    puma_config(CONFIG)
    puma_service(SERVICES)
    puma_start()
