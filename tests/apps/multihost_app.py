"""A one-service app for the multi-host test: every instance says which host it runs on."""

import os

from puma import puma_config, puma_service, puma_start


def where(request) -> dict:
    return {"node": os.environ.get("PUMA_NODE", "core"), "pid": os.getpid(), "session": request.data.get("session")}


# No instances on the core itself: every request must cross to a worker host.
puma_config({"puma_services": {"where": {"prefix": "/where", "instances": 0, "autoscale": {"enabled": False},
                                         "idempotent": True, "timeout_s": 5}}})
puma_service({"where": where})

if __name__ == "__main__":
    puma_start()
