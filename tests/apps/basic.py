"""Small real services used by the PUMA integration tests."""

from __future__ import annotations

import os
import time
from pathlib import Path

import puma


def echo(request: puma.Request) -> dict:
    return {"method": request.method, "path": request.path, "data": request.data, "pid": os.getpid()}


def headers(request: puma.Request) -> dict:
    return {"headers": dict(request.headers), "data": request.data}


def upper(request: puma.Request) -> dict:
    text = request.data.get("text")
    if not isinstance(text, str):
        raise puma.HTTPError(400, "'text' must be a string")
    return {"text": text.upper()}


def relay(request: puma.Request) -> dict:
    """Calls another service through the mesh."""
    return {"relayed": puma.call("upper", {"text": request.data.get("text", "")})}


def plain() -> str:
    return "plain text from " + puma.request.path


def created() -> tuple[dict, int, dict]:
    return {"made": True}, 201, {"x-made-by": "puma"}


def nothing() -> None:
    return None


def crash(request: puma.Request) -> dict:
    raise RuntimeError("boom")


def non_finite(request: puma.Request) -> dict:
    """A service bug: a reply holding a number JSON has no spelling for."""
    return {"results": [1.0, float(request.data.get("x", "inf"))], "name": "\ud800"}


def die_once(request: puma.Request) -> dict:
    """Dies (as a crash would) the first time it sees a request id; answers the second time."""
    request_id = next(v for k, v in request.headers.items() if k.lower() == "x-request-id")
    marker = Path(request.data["dir"]) / request_id.replace("/", "_")
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        os._exit(1)
    return {"request_id": request_id, "died_in": int(marker.read_text()), "pid": os.getpid()}


def slow(request: puma.Request) -> dict:
    time.sleep(float(request.data.get("s", 0.2)))
    return {"slept": True, "pid": os.getpid()}


WARM: dict[str, int] = {}


def warm_up() -> None:
    """Runs once in the zygote; instances see its result without running it."""
    WARM["zygote_pid"] = os.getpid()


def warmth() -> dict:
    return {"warmed_in": WARM.get("zygote_pid"), "pid": os.getpid()}


def wait_for_gate(timeout_s: float = 60.0) -> None:
    """A warm-up that lasts until the file named by $PUMA_TEST_GATE exists (a slow start-up)."""
    gate = os.environ["PUMA_TEST_GATE"]
    deadline = time.monotonic() + timeout_s
    while not os.path.exists(gate):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{gate} did not appear within {timeout_s} s")
        time.sleep(0.02)


def home_page() -> tuple[str, int, dict[str, str]]:
    """A page a browser opens (tests/test_web_startup.py: before it is ready, Envoy's own page)."""
    return ("<!doctype html><html lang='en'><head><title>Home</title></head>"
            "<body><main><h1>The home page</h1></main></body></html>", 200, {"content-type": "text/html"})


def spin(request: puma.Request) -> dict:
    """Computes (holding the interpreter between switches) for `s` seconds."""
    deadline = time.monotonic() + float(request.data.get("s", 0.2))
    count = 0
    while time.monotonic() < deadline:
        count += 1
    return {"spun": count, "pid": os.getpid()}


def forward(request: puma.Request) -> dict:
    """Calls the service named by `to` with `payload` through the mesh, and answers its reply."""
    return {"answer": puma.call(request.data["to"], request.data.get("payload", {}))}


def forward_args(to: str, payload: dict) -> dict:
    """`forward` as a plain function (its arguments bound from the request's JSON)."""
    return {"answer": puma.call(to, payload)}


def refuse(request: puma.Request) -> dict:
    """Refuses every call with the status it names (a callee's 4xx)."""
    status = int(request.data.get("status", 400))
    raise puma.HTTPError(status, f"refused with {status} on purpose")


def die(request: puma.Request) -> dict:
    """Kills its own instance on every request (a crashing handler, e.g. a segfault in a C call)."""
    os._exit(1)


class Crashy:
    """An object service: `boom` kills its instance, marked idempotent; `ok` answers."""

    @puma.idempotent
    def boom(self) -> dict:
        os._exit(1)

    def ok(self) -> dict:
        return {"pid": os.getpid()}


def hold_interpreter(request: puma.Request) -> dict:
    """Computes in one C call that holds the interpreter for about `s` seconds (as regex
    backtracking would): the instance's own threads, its liveness answer included, wait meanwhile."""
    import itertools

    started = time.perf_counter()
    sum(itertools.repeat(1, 200_000))
    per_item = max(1e-9, (time.perf_counter() - started) / 200_000)
    started = time.perf_counter()
    sum(itertools.repeat(1, int(float(request.data.get("s", 1.0)) / per_item)))
    return {"held_s": round(time.perf_counter() - started, 2), "pid": os.getpid(), "by": _by()}


def block_interpreter(request: puma.Request) -> dict:
    """Waits `s` seconds inside a C call that keeps the interpreter (a deadlock): no CPU used."""
    import ctypes

    ctypes.PyDLL(None).usleep(int(float(request.data.get("s", 1.0)) * 1_000_000))
    return {"pid": os.getpid(), "by": _by()}


def _by() -> str:
    """Who answered: host and pid (a container's pid is the same in every container, its host is not)."""
    import socket

    return f"{socket.gethostname()}:{os.getpid()}"
