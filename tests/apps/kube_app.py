"""An app for the Kubernetes pod tests: a warm-up, a call through the mesh, a slow request.

Its services are named by import path, so the warm-up and the service share one module.
"""

from __future__ import annotations

import time
from typing import Any

import puma

WARM: dict[str, bool] = {}
CONFIG: dict[str, Any] = {"puma_services": {
    "greet": {"prefix": "/greet", "warmup": "tests.apps.kube_app:warm"},
    "shout": {"prefix": "/shout", "instances": 2},
    "slow": {"prefix": "/slow", "instances": {"min": 1, "max": 3}},
}, "http_connection_manager": {"drain_timeout": "2s"}}


def warm() -> None:
    time.sleep(0.3)  # something worth loading once
    WARM["done"] = True


def greet(request: puma.Request) -> dict:
    loud = puma.call("shout", {"text": f"hello, {request.data.get('name', 'world')}"})
    return {"greeting": loud["text"], "warm": WARM.get("done", False)}


def shout(request: puma.Request) -> dict:
    return {"text": str(request.data.get("text", "")).upper()}


def slow(request: puma.Request) -> dict:
    time.sleep(float(request.data.get("s", 1.0)))
    return {"slept": True, "pad": "x" * int(request.data.get("pad_bytes", 0))}


if __name__ == "__main__":
    puma.puma_config(CONFIG)
    puma.puma_service({name: f"tests.apps.kube_app:{name}" for name in CONFIG["puma_services"]})
    puma.puma_start()
