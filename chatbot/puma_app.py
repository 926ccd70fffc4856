"""The chatbot ported to PUMA — the paper's Listing 2 made real: `puma run chatbot/puma_app.py`.

Five dialog services (plus the page, the survey and the bridge to the legacy server), each its
own Envoy-routed cluster; the handlers are in `chatbot/services.py`. Instances: agent 3 (it runs
understanding, the CPU-heavy part of a turn), policy 2 (two for availability), the rest 1.
"""

from chatbot.settings import puma_dynamodb_config
from puma import puma_config, puma_service, puma_start

CONFIG = {"puma_services": {
    "agent": {"prefix": "/agent", "instances": 3, "idempotent": True, "timeout_s": 30,
              "max_body_bytes": 64 * 1024, "warmup": "chatbot.services:warm_agent"},
    "listener": {"prefix": "/listener", "max_body_bytes": 64 * 1024, "warmup": "chatbot.services:warm_listener"},
    "policy": {"prefix": "/policy", "instances": 2, "idempotent": True},
    "sentiment": {"prefix": "/sentiment", "idempotent": True, "warmup": "chatbot.services:warm_sentiment"},
    "db": {"prefix": "/db", "idempotent": True, "threads": 16, "warmup": "chatbot.services:warm_db"},
    "web": "/", "survey": "/survey", "legacy": "/legacy",
}, **puma_dynamodb_config()}
SERVICES = {name: f"chatbot.services:{name}" for name in ("agent", "listener", "policy", "sentiment", "db")}
SERVICES |= {"web": "chatbot.webapp:serve_static", "survey": "chatbot.webapp:survey",
             "legacy": "chatbot.webapp:legacy_bridge"}

if __name__ == "__main__":
    puma_config(CONFIG)
    puma_service(SERVICES)
    puma_start()
