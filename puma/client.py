"""Calling services through the mesh (through Envoy), from a service or from the process that started it.

>>> puma.call("policy", {"state": {...}})        # doctest: +SKIP
{'action': 'ask_genre'}
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import arguments, deadlines, transport, warmup
from .deadlines import DEADLINE_HEADER
from .defaults import ENV_URL as ENV_URL  # the name `puma.client.ENV_URL` callers know
from .errors import SERVICE_FAILED_HEADER, PumaCallError, PumaServiceFailed, PumaUnknownService
from .responses import Disconnected, ProtocolError
from .suggest import did_you_mean

ENV_SERVICES = "PUMA_SERVICES"
ENV_INTERNAL = "PUMA_INTERNAL_SERVICES"  # a JSON list: the services a public client may not learn of
ENV_WORKER = "PUMA_WORKER"  # set inside service processes
# Set for instances on a worker host: sent as `x-puma-token` with every call, so they reach the
# deployment's internal services through its public listener (local instances use the internal one).
ENV_TOKEN = "PUMA_MESH_TOKEN"

WARMUP_WAIT_S = 600.0
"""How long a warm-up's call waits for a service that is still starting (it reports as it waits)."""
REPORT_EVERY_S = 5.0
JSON_HEADERS = {"content-type": "application/json"}

MAX_CACHED_URLS = 4096

_mesh: dict[str, Any] = {"url": None, "services": {}}
_urls: dict[tuple[str, str], str] = {}
_local = threading.local()


def use_mesh(url: str | None, services: dict[str, str], **extra: Any) -> None:
    """Point `call` at a deployment (done by `Deployment.start`; workers read the environment,
    which the supervisor sets before they start)."""
    _mesh.clear()
    _mesh.update(extra, url=url, services=dict(services))
    _urls.clear()


def mesh_url(service: str = "?") -> str:
    """The deployment's URL; `PumaCallError` naming `service` (what was to be called) if there is none."""
    url = _mesh["url"] or os.environ.get(ENV_URL)
    if not url:
        raise PumaCallError(service, 0, f"this process is not part of a PUMA deployment and ${ENV_URL} is not set"
                                        f"{_serving_elsewhere()}; a ported module's calls go through the mesh")
    return url.rstrip("/")


def _serving_elsewhere() -> str:
    """What the run files say serves this app — a `puma run` of a file this process has loaded (the
    ported module, or the script itself) — and the `PUMA_URL` that calls it; or how to start one.
    Another app's run on this machine (another person's, another project's) is never offered: its
    services are not the ones called. Only said in an error: it reads files."""
    from . import runs

    try:
        found = runs.running()
    except OSError:
        found = []
    mine = [run for run in found if _runs_loaded_app(run)]
    if not mine:
        return f": start one (puma run APP.py, puma.start) or set ${ENV_URL} to its address"
    listed = "; ".join(runs.describe(r) for r in mine[:3])
    return (f"; serving now: {listed}: to call it from here, set {ENV_URL}={mine[0]['url']}"
            + (" (or another's address)" if len(mine) > 1 else ""))


def _runs_loaded_app(run: dict[str, Any]) -> bool:
    """Whether `run` serves an app file this process has loaded (its module, or its script)."""
    try:
        app = Path(str(run.get("cwd") or "."), str(run["app"])).resolve()
    except (KeyError, OSError, ValueError):
        return False
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if isinstance(file, str) and os.path.basename(file) == app.name:
            with contextlib.suppress(OSError, ValueError):
                if Path(file).resolve() == app:
                    return True
    return False


def internal_services() -> frozenset[str]:
    """The deployment's internal services (`visibility: "internal"`), by name: from the mesh, or
    inside an instance from the environment the supervisor set (none known: empty)."""
    names = _mesh.get("internal")
    if names is None:
        try:
            names = json.loads(os.environ.get(ENV_INTERNAL, "[]"))
        except ValueError:
            names = []
    return frozenset(n for n in names if isinstance(n, str)) if isinstance(names, list | tuple | frozenset) else frozenset()


def service_url(service: str, path: str = "") -> str:
    """The URL of `path` under `service`'s prefix, through the mesh (resolved once per process and mesh)."""
    url = _urls.get((service, path))
    if url is None:
        if len(_urls) > MAX_CACHED_URLS:
            _urls.clear()
        url = _urls[(service, path)] = _resolve_url(service, path)
    return url


def _resolve_url(service: str, path: str) -> str:
    base = mesh_url(service)
    services = _mesh["services"] or _env_services(os.environ.get(ENV_SERVICES, "{}"))
    if service.startswith("/"):
        prefix = service
    elif service in services:
        prefix = services[service]
    elif not services:  # a script outside the deployment: ask the deployment for its services
        prefix = _served_at(base, service)
    else:
        raise PumaUnknownService(service, 0, f"unknown service; known: {sorted(services)}{_closest(service, services)}")
    return base + ("" if prefix == "/" else prefix) + path


def _closest(service: str, services: Mapping[str, str]) -> str:
    """What `service` (not a service's name) was probably meant to be: a path without its leading
    '/' ("catalogue/search"), or the name most like it. Example: "; did you mean 'quote'?"."""
    first, _, rest = service.partition("/")
    if rest and first in services:
        method = rest.split("/", 1)[0]
        return (f"; {service!r} is a path: write puma.call('/{service}') (a leading '/' names a URL path)"
                + (f", or puma.remote({first!r}).{method}(...)" if method.isidentifier() else ""))
    names = sorted(services)
    return next((hint for part in (service, *reversed(service.split("/"))) if (hint := did_you_mean(part, names))), "")


_discovered: dict[str, tuple[float, dict[str, str]]] = {}  # mesh URL -> (when, service -> prefix)
DISCOVERY_TTL_S = 2.0
STATUS_PATH = "/_puma/status"


def _served_at(base: str, service: str) -> str:
    """The prefix of `service` at the deployment at `base`, from its `GET /_puma/status` (read once,
    again when a name is not found there and the last read is older than DISCOVERY_TTL_S)."""
    when, services = _discovered.get(base, (0.0, {}))
    if service not in services and time.monotonic() - when > DISCOVERY_TTL_S:
        services = _status_services(base, service)
        _discovered[base] = (time.monotonic(), services)
    if service not in services:
        raise PumaUnknownService(service, 0, f"unknown service; the deployment at {base} serves: {sorted(services)}"
                                             f"{_closest(service, services)}")
    return services[service]


def _status_services(base: str, service: str) -> dict[str, str]:
    where = f"${ENV_URL}" if not _mesh["url"] else "the mesh URL"
    body: Any = None
    try:
        # With the mesh token on a worker host: the public view leaves internal services out.
        reply = transport.request(base + STATUS_PATH, "GET", b"", _mesh_headers(), 5.0)
        problem = f"HTTP {reply.status}"
        body = json.loads(reply.body) if reply.status == 200 else None
    except (OSError, ValueError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
    if not isinstance(body, dict) or not isinstance(body.get("services"), dict):
        raise PumaUnknownService(service, 0, f"cannot learn the services of {base} ({where}): GET {STATUS_PATH} gave "
                                         f"{problem}, not a PUMA deployment's status; set {where} to the URL "
                                         "`puma run` printed, or call a service by its prefix: puma.call('/name')")
    return {name: str(svc.get("prefix") or f"/{name}") for name, svc in body["services"].items()
            if isinstance(svc, dict)}


@functools.lru_cache(maxsize=4)
def _env_services(text: str) -> dict[str, str]:
    services: dict[str, str] = json.loads(text)
    return services


def _post(url: str, method: str, body: bytes | None, headers: dict[str, str],
          timeout_s: float) -> tuple[int, str, bytes, bool, str]:
    """Status, content type, body, whether the service has failed for good (`SERVICE_FAILED_HEADER`),
    and its Retry-After (or "")."""
    reply = transport.request(url, method, body or b"", headers, timeout_s)
    return (reply.status, reply.header("content-type"), bytes(reply.body), bool(reply.header(SERVICE_FAILED_HEADER)),
            reply.header("retry-after"))


def call(service: str, payload: Any = None, *, path: str = "", method: str = "POST",
         headers: dict[str, str] | None = None, timeout_s: float | None = None) -> Any:
    """Call `service` through Envoy with a JSON `payload`; return the decoded JSON (or text) reply.

    Raises `PumaCallError` when the mesh cannot be reached or answers 5xx, and its subclass
    `PumaClientError` (`PumaBadRequest`, `PumaNotFound`) for a 4xx, with the service's message.
    During a warm-up, a service that is still starting is waited for (up to `WARMUP_WAIT_S`).
    """
    # Encoded first: an argument JSON cannot hold is named here, before anything is looked up or sent.
    body = None if payload is None else arguments.encoded(_call_label(service, path), payload)
    url = service_url(service, path)
    all_headers = ({**JSON_HEADERS, **headers} if headers else JSON_HEADERS) if body is not None else dict(headers or {})
    return exchange(service, url, method, body, all_headers, timeout_s if timeout_s is not None else 30.0)


def _call_label(service: str, path: str, how: str = "call") -> str:
    return f"puma.{how}({service!r}{f', path={path!r}' if path else ''})"


def _within_deadline(service: str, timeout_s: float) -> tuple[float, dict[str, str]]:
    """A call made while serving a request ends by that request's deadline (`puma.deadlines`): its
    timeout is cut to what is left, and the callee is told so (its deadline is then no later);
    past the deadline, no call is made (`DeadlineExceeded`)."""
    left = deadlines.remaining_s()
    if left is None:
        return timeout_s, {}
    deadlines.check_deadline(f"the call to {service!r}")
    left_ms = max(1, int(left * 1000))
    return min(timeout_s, left_ms / 1000), {DEADLINE_HEADER: str(left_ms)}


_ready_seen: set[str] = set()  # services a warm-up in this process has seen ready


def exchange(service: str, url: str, method: str, body: bytes | None, headers: dict[str, str],
             timeout_s: float) -> Any:
    """One request to `url` (of `service`) on this thread's pooled connection; the decoded reply."""
    token = _mesh_headers()
    timeout_s, deadline_headers = _within_deadline(service, timeout_s)
    if token or deadline_headers:
        headers = {**token, **headers, **deadline_headers}
    if warmup.active() and service not in _ready_seen:
        # A warm-up's first call to a service: wait on the deployment's readiness first, so a
        # service still starting is not sent a call it would answer 503 (a start-up failure).
        wait_ready(service, timeout_s=WARMUP_WAIT_S, report_every_s=REPORT_EVERY_S)
        _ready_seen.add(service)
    since = 0.0
    while True:
        try:
            status, content_type, data, failed, retry_after = _post(url, method, body, headers, timeout_s)
        except OSError as exc:  # refused, timed out, reset, or a response that is not HTTP/1.1
            if deadline_headers:  # cut short by the request's deadline: a 504 (its client has one), not a 503
                deadlines.check_deadline(f"the call to {service!r}", margin_s=0.05)
            error = _unreached(service, exc)
        else:
            if status < 400:
                return _answer(service, status, content_type, data)
            error = _error(service, status, content_type, data, failed=failed, retry_after=retry_after)
        since = since or time.monotonic()
        if not _wait_while_starting(error, since):
            raise error


def _wait_while_starting(error: PumaCallError, since: float) -> bool:
    """In a warm-up, wait for a service that is not up yet (True: try again). Where the deployment
    serves its readiness, that is what is polled (`wait_ready`): a service still starting
    gets no calls it would answer 503, which would count as its start-up failures."""
    waited = time.monotonic() - since
    if not warmup.active() or error.status not in (0, 502, 503, 504) or waited > WARMUP_WAIT_S \
            or isinstance(error, PumaServiceFailed):
        return False
    if wait_ready(error.service, timeout_s=WARMUP_WAIT_S - waited, report_every_s=REPORT_EVERY_S):
        time.sleep(0.05)  # ready now (or it was, and failed for another reason): once more, not at once
        return True
    reported = getattr(_local, "reported", None)
    if reported is None or reported[0] != since or waited - reported[1] >= REPORT_EVERY_S:
        warmup.progress(f"waiting for the {error.service} service" + (f", {waited:.0f} s" if waited >= 1 else ""))
        _local.reported = (since, waited)
    time.sleep(0.1)
    return True


async def acall(service: str, payload: Any = None, *, path: str = "", method: str = "POST",
                headers: dict[str, str] | None = None, timeout_s: float | None = None) -> Any:
    """The asynchronous form of `call`: the same pooled connections, errors and timeouts
    (`puma.transport.arequest`); the event loop waits on the socket."""
    body = None if payload is None else arguments.encoded(_call_label(service, path, "acall"), payload)
    url = service_url(service, path)
    all_headers = {**JSON_HEADERS, **(headers or {})} if body is not None else dict(headers or {})
    timeout_s, deadline_headers = _within_deadline(service, timeout_s if timeout_s is not None else 30.0)
    all_headers.update(deadline_headers)
    try:
        reply = await transport.arequest(url, method, body or b"", {**_mesh_headers(), **all_headers},
                                         timeout_s)
    except OSError as exc:
        raise _unreached(service, exc) from exc
    status, content_type, data = reply.status, reply.header("content-type"), bytes(reply.body)
    if status >= 400:
        raise _error(service, status, content_type, data, failed=bool(reply.header(SERVICE_FAILED_HEADER)),
                     retry_after=reply.header("retry-after"))
    return _answer(service, status, content_type, data)


def _answer(service: str, status: int, content_type: str, data: bytes) -> Any:
    """A 1xx-3xx reply's decoded body; a JSON body that cannot be decoded is the service's error."""
    try:
        return _reply(service, status, content_type, data)
    except ValueError as exc:
        raise PumaCallError(service, status, f"the reply is not valid JSON ({exc}): {data[:200]!r}") from exc


def _unreached(service: str, exc: OSError) -> PumaCallError:
    """Status 0: no HTTP answer came (refused, timed out, reset, or not HTTP/1.1: `transport.ProtocolError`)."""
    error = PumaCallError(service, 0, f"{type(exc).__name__}: {exc}", may_have_taken_effect=_sent_then_failed(exc))
    error.__cause__ = exc
    return error


def _mesh_headers() -> dict[str, str]:
    token = os.environ.get(ENV_TOKEN)
    return {"x-puma-token": token} if token else {}


def _reply(service: str, status: int, content_type: str, data: bytes) -> Any:
    if content_type.startswith("application/json") and data:
        return json.loads(data)
    if content_type.startswith("application/octet-stream"):
        return data  # bytes the function returned, as it returned them
    return data.decode(errors="replace")


def _error(service: str, status: int, content_type: str, data: bytes, *, failed: bool = False,
           retry_after: str = "") -> PumaCallError:
    error = _error_of(service, status, content_type, data, failed=failed)
    # The callee's own estimate of when to ask again (a warm-up's length, a restart's): its caller
    # relays it rather than a flat 1 s (`puma.callerrors`). Seconds only; an HTTP date is not used here.
    error.retry_after_s = float(retry_after) if retry_after.strip().isdigit() else None
    return error


def _error_of(service: str, status: int, content_type: str, data: bytes, *, failed: bool = False) -> PumaCallError:
    try:
        body: Any = _reply(service, status, content_type, data)
    except ValueError:
        body = data.decode(errors="replace")
    detail = body.get("error", body) if isinstance(body, dict) else body
    problems = body.get("problems") if isinstance(body, dict) and isinstance(body.get("problems"), list) else None
    acted = isinstance(body, dict) and body.get("may_have_taken_effect") is True
    if failed:
        return PumaServiceFailed(service, status, detail)
    named = body.get("error_class") if isinstance(body, dict) and 400 <= status < 500 else None
    raised, raised_at = _raised(service, body)
    return PumaCallError.of(service, status, detail, problems, may_have_taken_effect=acted,
                            error_class=named if isinstance(named, str) else None, raised=raised, raised_at=raised_at)


def _raised(service: str, body: Any) -> tuple[str | None, str | None]:
    """The exception class the service's function raised and where ("service 'desk', instance 2
    (pid 4711, port 41234)"), when the reply is such an error (it names both); else (None, None)."""
    if not isinstance(body, dict):
        return None, None
    raised, instance, name = body.get("type"), body.get("instance"), body.get("service")
    callee, at = body.get("callee"), body.get("callee_instance")
    if isinstance(raised, str) and isinstance(callee, str) and isinstance(at, str):  # relayed by its caller
        return raised, f"service {callee!r}, instance {at}"
    if isinstance(raised, str) and isinstance(instance, str):
        return raised, f"service {name if isinstance(name, str) else service!r}, instance {instance}"
    return None, None


def _sent_then_failed(exc: BaseException) -> bool:
    """Whether a call that raised `exc` may have reached the service (a timeout, a connection closed
    after the request left), rather than failed before it left (refused, unreachable)."""
    # A response cut off or malformed came from the service: the request had reached it.
    return isinstance(exc, TimeoutError | Disconnected | ProtocolError | ConnectionResetError
                      | BrokenPipeError) and not isinstance(exc, ConnectionRefusedError)


def wait_ready(service: str, *, why: str = "", timeout_s: float = 600.0, report_every_s: float = 5.0) -> bool:
    """Wait until the deployment routes to a ready instance of `service`, e.g. in a warm-up that
    needs another service's data. Asks the deployment's readiness (`GET /_puma/ready`, answered by
    PUMA, not by `service`), so waiting sends `service` no request it would answer 503 — those
    would count as its start-up failures. Reports "waiting for the db service (why), 5 s" as
    progress meanwhile. Returns False at once where readiness is not served (a deployment
    without PUMA's status route: then call and retry); raises `PumaCallError` after `timeout_s`.

        wait_ready("db", why="the understander needs its vocabulary")
    """
    started = time.monotonic()
    reported = 0.0
    url = mesh_url() + "/_puma/ready"
    while True:
        try:
            # The mesh token (a worker host's instances): an internal service is in the public view of
            # readiness no more than in its routes, and would be waited for forever.
            status, _type, body, _failed, _retry = _post(url, "GET", None, {"accept": "application/json", **_mesh_headers()},
                                                 2.0)
            state = json.loads(body) if status in (200, 503) else None
        except (OSError, ValueError):
            state = {}  # Envoy itself not answering yet: wait
        if state is None or (state and "services" not in state):
            return False  # no readiness here: the caller retries its calls instead
        if (state.get("services", {}).get(service) or {}).get("ready", 0) > 0:
            return True
        waited = time.monotonic() - started
        if waited > timeout_s:
            raise PumaCallError(service, 503, f"not ready after {waited:.0f} s")
        if waited - reported >= report_every_s or reported == 0.0:
            reasons = f" ({why})" if why else ""
            warmup.progress(f"waiting for the {service} service{reasons}" + (f", {waited:.0f} s" if waited >= 1 else ""))
            reported = max(waited, 1e-9)
        time.sleep(0.1)
