"""An instance's liveness: Envoy's active health check (`LIVENESS_PATH`) answered in waitress's
network thread, never behind the requests its worker threads are busy with, and failed only when
the process itself is stuck (stopped, every request thread held past its timeout, or a call holding
the interpreter), so Envoy takes out and PUMA replaces a hung instance, never a busy one
(`puma.worker` builds it into each instance; `puma.health` reads what it notes)."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

from . import deadlines
from .busy import STUCK_GRACE_S, BusyBoard
from .codec import encode_json
from .counters import Counters
from .publicerrors import VIA_ENVIRON, public_body
from .readiness import NOT_READY_HEADER, Probe, refusal
from .services import LIVENESS_PATH
from .serving import HEALTH_PATH

log = logging.getLogger("puma.worker")

_LIVE_BODY = b'{"live": true}'
boards: list[BusyBoard] = []  # this instance's busy board, once forked: each answered check is noted there


class StuckWatch:
    """Whether every request thread of this instance is held past `timeout_s` + `STUCK_GRACE_S`:
    its callers were all answered 504 long ago and it can serve no one, so its liveness fails."""

    def __init__(self, service: str, counters: Counters, threads: int, timeout_s: float,
                 instance_id: Callable[[], int]) -> None:
        self.service, self.counters, self.threads, self.instance_id = service, counters, threads, instance_id
        self.timeout_s = timeout_s
        self.limit_s = timeout_s + STUCK_GRACE_S if timeout_s > 0 else None
        self.reported = False

    def reason(self) -> str | None:
        """Why the instance is stuck (logged once per episode), or None."""
        if self.limit_s is None:
            return None
        stuck = [h for h in self.counters.held_for() if h > self.limit_s]
        if len(stuck) < self.threads:
            self.reported = False
            return None
        why = (f"all {self.threads} request threads held by handlers for {stuck[-1]:.0f}-{stuck[0]:.0f} s, past "
               f"timeout_s {self.timeout_s:g} s + {STUCK_GRACE_S:g} s (waiting on something that does not answer?)")
        if not self.reported:
            self.reported = True
            log.error("service %s: instance %d is stuck: %s; failing its liveness check so it is replaced",
                      self.service, self.instance_id(), why)
        return why


class Liveness:
    """WSGI: answer `LIVENESS_PATH` without Flask (where `answer_liveness_at_once` did not), and
    refuse requests while the service's readiness `probe` fails (503 naming the reason)."""

    BODY = _LIVE_BODY

    def __init__(self, app: Any, service: str = "", probe: Probe | None = None, stuck: StuckWatch | None = None) -> None:
        self.app, self.service, self.probe, self.stuck = app, service, probe, stuck
        self.awaits = False  # the service has async def handlers (puma.eventloop)
        deadlines.guard_if_sqlalchemy()  # built after the app's import: its engines' commits check deadlines

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO")
        if path == LIVENESS_PATH:
            status, body = liveness_answer(self.probe, self.stuck)
            start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if self.probe is not None and path != HEALTH_PATH:
            ready, reason = self.probe.state()
            if not ready:
                code, payload = refusal(self.service, reason, self.probe.period_s)
                if environ.get(VIA_ENVIRON) == "public":  # outside Flask: the one rule, applied here
                    payload = public_body(payload)
                body = encode_json(payload).encode()
                start_response(f"{code} Service Unavailable", [
                    ("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                    ("Retry-After", str(max(1, math.ceil(self.probe.period_s)))), (NOT_READY_HEADER, "true")])
                return [body]
        token = deadlines.start(environ.get("HTTP_X_ENVOY_EXPECTED_RQ_TIMEOUT_MS"), environ.get("HTTP_X_PUMA_DEADLINE_MS"))
        try:
            return self.app(environ, start_response)
        finally:
            deadlines.finish(token)


def liveness_answer(probe: Probe | None, stuck: StuckWatch | None = None) -> tuple[str, bytes]:
    """Status line and body of the health check's answer: 200 while ready, 503 with the reason."""
    for board in boards:  # answered, whatever it says: the process runs (a pwrite, ~µs)
        board.answered(time.monotonic())
    if stuck is not None and (why := stuck.reason()) is not None:
        return "503 Service Unavailable", encode_json({"live": False, "stuck": True, "reason": why}).encode()
    if probe is None:
        return "200 OK", _LIVE_BODY
    ready, reason = probe.state()
    if ready:
        return "200 OK", _LIVE_BODY
    return "503 Service Unavailable", encode_json({"live": True, "ready": False, "reason": reason,
                                                   "waiting": not probe.passed_once}).encode()


def answer_liveness_at_once(server: Any, probe: Probe | None = None, stuck: StuckWatch | None = None) -> None:
    """Answer liveness checks in waitress's network thread, never behind the service's busy threads.

    waitress hands a connection whose request is complete to its task queue (`add_task`, called
    with the connection's `requests_lock` held); a `GET LIVENESS_PATH` is answered there instead,
    with a fixed reply written to the connection's buffer: no thread switch, ~0.1 ms. That it is
    answered shows the process runs and its interpreter is not held; requests in service do not
    delay it.
    """
    regular = server.add_task

    def add_task(channel: Any) -> None:
        requests = channel.requests
        request = requests[0] if len(requests) == 1 else None
        if (request is None or request.error or request.path != LIVENESS_PATH
                or request.command not in ("GET", "HEAD")):
            regular(channel)
            return
        requests.pop()
        request.close()
        keep_alive = request.version == "1.1" and request.headers.get("CONNECTION", "").lower() != "close"
        status, body = liveness_answer(probe, stuck)
        head = (b"HTTP/1.1 " + status.encode() + b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                % len(body) + (b"" if keep_alive else b"Connection: close\r\n") + b"\r\n")
        channel.write_soon(head + (body if request.command == "GET" else b""))
        if not keep_alive:
            channel.close_when_flushed = True

    server.add_task = add_task
