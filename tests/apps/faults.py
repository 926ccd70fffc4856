"""Services that fail in their own replies or calls (issue 18): each fault is the service's, not the client's."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import puma


@dataclass
class Box:
    label: str
    content: Any


def unsendable(kind: str) -> Any:
    """A plain function whose return value JSON cannot hold, by `kind`."""
    loop: list[Any] = ["start"]
    loop.append({"again": loop})
    deep: dict[str, Any] = {}
    cursor = deep
    for _ in range(300):
        cursor["next"] = {}
        cursor = cursor["next"]
    return {
        "set-of-objects": {"items": [1, 2, object()]},
        "latin1-bytes": {"photo": "caption", "raw": "café".encode("latin-1")},
        "huge-int": {"count": 7 ** 6000},
        "deep": deep,
        "loop": loop,
        "in-dataclass": Box("socket", object()),
        "minus-inf": [1.0, -math.inf],
        "object-key": {"by_owner": {"ok": 1, object(): 2}},
        "a-function": {"callback": print},
    }[kind]


def raw_reply(request: puma.Request) -> Any:
    """A request handler whose reply is shaped wrongly, by `kind`."""
    kind = request.data["kind"]
    return {
        "tuple-status-99": ({"ok": True}, 99),
        "tuple-status-1000": ("text", 1000),
        "tuple-status-text": ({"ok": True}, "200 OK"),
        "tuple-status-true": ({"ok": True}, True),
        "response-103": puma.Response(b"early", status=103),
        "response-0": puma.Response(b"zero", status=0),
        "one-tuple": ({"ok": True},),
        "a-set": {1, 2},
        "object-in-list": [object()],
        "fine-201": ({"made": True}, 201),
    }[kind]


def error_status(code: Any) -> dict:
    """Raises `puma.HTTPError(code)` for whatever `code` the client names."""
    raise puma.HTTPError(code, f"code {code}")


def crash(request: puma.Request) -> dict:
    raise RuntimeError("a bug")


def caller(target: str, payload: dict | None = None) -> Any:
    """Calls `target` through the mesh."""
    return puma.call(target, payload or {})


def sees_headers(request: puma.Request) -> dict:
    """What a service reads of the headers, in every spelling."""
    h = request.headers
    return {"ct": h.get("content-type"), "CT": h.get("Content-Type"), "custom": h.get("x-custom"),
            "CUSTOM": h.get("X-CUSTOM"), "has": "x-Custom" in h}


@puma.bytes_body
def bytes_headers(request: puma.Request) -> dict:
    return {"custom": request.headers.get("x-custom"), "length": request.headers.get("content-length"),
            "size": len(request.body)}


def add(by: int, weights: list[float] | None = None, limits: dict[str, int] | None = None,
        flag: bool = False, either: int | bool = 0) -> dict:
    return {"by": by, "weights": weights, "limits": limits, "flag": flag, "either": either}


def fields(request: puma.Request) -> dict:
    return {"query": request.query, "form": request.form}


def own_error(request: puma.Request) -> Any:
    """A request handler answering an error body of its own, shaped by `kind` (as the chatbot's
    listener answers `({"error": "bad_request", "detail": ..., "status": 400}, 400)`)."""
    kind = request.data["kind"]
    return {
        "tuple-400": ({"error": "bad_request", "detail": "turn_no: not a number", "status": 400}, 400),
        "tuple-409-headers": ({"error": "conflict"}, 409, {"X-Why": "stale"}),
        "response-404": puma.Response({"error": "unknown_session", "detail": "no session 'x'"}, 404),
        "no-error-key-503": ({"detail": "warming up"}, 503),
        "own-service-key": ({"error": "gone", "service": "upstream-name"}, 410),
        "list-422": (["not", "an", "object"], 422),
        "text-400": ("plain words", 400),
        "ok-200": ({"fine": True}, 200),
    }[kind]


def charge(ledger: str, tag: str, seconds: float = 0.2) -> dict:
    """Not idempotent: appends "start TAG" to the file `ledger`, works `seconds`, appends "done TAG"."""
    import os
    import time

    with open(ledger, "a") as out:
        out.write(f"start {tag}\n")
    time.sleep(seconds)
    with open(ledger, "a") as out:
        out.write(f"done {tag}\n")
    return {"tag": tag, "pid": os.getpid()}
