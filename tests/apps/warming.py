"""A callee that answers 503 with its own Retry-After (a service warming up again says how long),
and a caller that relays it (tests/test_stopped_signals.py)."""

from __future__ import annotations

import puma


def back(request: puma.Request) -> tuple[dict, int, dict[str, str]]:
    """503, with the Retry-After the request asks for ("" for none)."""
    wait = str(request.data.get("wait", ""))
    return {"error": "warming up again"}, 503, ({"Retry-After": wait} if wait else {})


def front(request: puma.Request) -> dict:
    return {"answer": puma.call("back", dict(request.data))}
