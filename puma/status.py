"""The status server: the deployment's status at `/_puma/status` (JSON: `puma.deploymentstatus`;
as a page, `/_puma/dashboard`: `puma.dashboard`; in Prometheus' text format, `/_puma/metrics`:
`puma.metrics`), its readiness at `/_puma/ready` (`puma.deploymentready`) and one service's at
`/_puma/ready/<service>` (`puma.serviceready`), for pages and scripts that wait for start-up;
and the operators' writes: `POST /_puma/scale` (`puma.scaleapi`), worker hosts' `POST
/_puma/workers` (register) and `DELETE /_puma/workers/<id>` (leave) (`puma.workers`). Envoy
routes them here (`/_puma/...` on the listener); the server itself listens on loopback only.

Who asks decides how much they see (`puma.authn`): a client on this machine naming this
deployment in its Host header, or one holding the deployment's secret, gets all of it
(`"view": "full"`); anyone else gets the public view (`"view": "public"`, `puma.visibility`):
what the dashboard draws, without pids, ports, hosts or the Envoy admin address.

Methods: the read paths answer GET and HEAD; `/_puma/workers` and `/_puma/scale` take POST,
`/_puma/workers/<id>` DELETE; any other method on them is 405 with an `Allow` header.
"""

from __future__ import annotations

import logging
import os
import secrets
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

# `names_this_deployment`, `readiness` and `_service_status` were first defined here, and are still
# imported from here (tests, `puma.serviceready`'s readers): re-exported (`x as x`).
from . import authn, guard, serviceready
from .authn import check_control_token
from .authn import names_this_deployment as names_this_deployment
from .deploymentready import readiness as readiness
from .deploymentstatus import StatusSampler
from .deploymentstatus import _service_status as _service_status
from .errors import HTTPError
from .handlers import JSONRequestHandler
from .scaleapi import SCALE_PATH, scale
from .visibility import internal_names, public_ready, public_view, redact, without_internal

if TYPE_CHECKING:
    from .interfaces import DeploymentView

log = logging.getLogger(__name__)


READ_PATHS = ("/_puma/ready", "/_puma/status", "/_puma/metrics", "/_puma/dashboard")  # the last: puma.dashboard


def allowed_methods(path: str) -> tuple[str, ...] | None:
    """The methods a status-server path takes; None for a path it does not serve (404)."""
    from .workers import WORKERS_PATH

    if path in READ_PATHS or serviceready.name_in(path) is not None:
        return ("GET", "HEAD")
    if path in (WORKERS_PATH, SCALE_PATH):
        return ("POST",)
    if path.startswith(WORKERS_PATH + "/"):
        return ("DELETE",)
    return None


class StatusServer:
    """A loopback HTTP server answering GET /_puma/status with the snapshot as JSON."""

    def __init__(self, deployment: DeploymentView) -> None:
        from . import dashboard, metrics, workers

        sampler = StatusSampler(deployment)
        registry = metrics.registry_for(deployment, sampler.traffic)
        hidden = internal_names(deployment.config)  # not named to a public client (puma.visibility)
        public_registry = metrics.registry_for(deployment, sampler.traffic, hidden=hidden)
        # Who may change the deployment (POST /_puma/scale): the secret, else one made for this
        # run, which `puma run` records in its run file (readable by its user only).
        listener = deployment.config.listener  # its pages linked from the dashboard: those the app named
        pages = listener.pages if "pages" in listener.model_fields_set else {}
        token = self.token = deployment.config.secret or os.environ.get("PUMA_SECRET") or secrets.token_urlsafe(24)

        class Handler(JSONRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                path = self._path()
                if serviceready.name_in(path) is not None:
                    return self._ready_of(serviceready.name_in(path) or "")
                if path not in READ_PATHS:
                    return self._refuse(path)
                trusted = self._trusted()
                if path == "/_puma/ready":
                    ready, body = readiness(deployment)
                    return self._send(200 if ready else 503, body if trusted else public_ready(body, hidden),
                                      {} if ready else {"Retry-After": "1"})
                if path == "/_puma/metrics":
                    try:
                        return self.send_bytes(200, *metrics.exposition(registry if trusted else public_registry,
                                                                        self.headers.get("accept", "")))
                    except OSError as exc:
                        return self._send(503, {"error": f"Envoy admin unreachable: {exc}", "status": 503})
                try:
                    snapshot = sampler.snapshot()
                except OSError as exc:
                    return self._send(503, {"error": f"Envoy admin unreachable: {exc}", "status": 503})
                body = {**snapshot, "view": "full"} if trusted else without_internal(public_view(snapshot), hidden)
                if path == dashboard.PATH:  # the same view, as a page
                    refresh_s = dashboard.refresh_from(self.path.partition("?")[2])
                    return self.send_bytes(200, dashboard.page(body, refresh_s, pages), "text/html; charset=utf-8",
                                           dashboard.HEADERS)
                self._send(200, body)

            do_HEAD = do_GET  # noqa: N815 - the same answer; send_bytes leaves the body out

            def _ready_of(self, name: str) -> None:
                trusted = self._trusted()
                if name not in deployment.pools or (name in hidden and not trusted):
                    known = sorted(n for n in deployment.pools if trusted or n not in hidden)
                    return self._send(404, {"error": f"no service {name[:100]!r} here; ask /_puma/ready/<service> "
                                                     f"for one of: {', '.join(known)}", "status": 404})
                ready, body = serviceready.one(readiness(deployment)[1], name)
                if not trusted:
                    body = public_ready({k: redact(v, hidden) if isinstance(v, str) else v for k, v in body.items()},
                                        hidden)
                return self._send(200 if ready else 503, body, {} if ready else {"Retry-After": "1"})

            def _trusted(self) -> bool:
                return authn.trusted(deployment, self.headers, self.client_address[0])

            def do_POST(self) -> None:  # noqa: N802
                if self._path() == SCALE_PATH:
                    return self._scale()
                if self._path() != workers.WORKERS_PATH:
                    return self._refuse(self._path())
                self._workers(lambda body: workers.register(deployment, body))

            def _scale(self) -> None:
                try:
                    check_control_token(token, self.headers.get(workers.TOKEN_HEADER))
                    body = self.read_json(default={})
                    self._send(200, scale(deployment, body if isinstance(body, dict) else {}))
                except HTTPError as exc:
                    self._send(exc.status, {"error": exc.message, "status": exc.status})
                except Exception as exc:  # never a dropped connection the CLI reads as "may have taken effect"
                    log.exception("scale failed")
                    self._send(500, {"error": f"scale failed: {type(exc).__name__}: {exc}; see the deployment's "
                                              "log", "status": 500})

            def do_DELETE(self) -> None:  # noqa: N802
                path = self._path()
                if allowed_methods(path) != ("DELETE",):
                    return self._refuse(path)
                worker = path.rsplit("/", 1)[-1]
                self._workers(lambda _body: workers.unregister(deployment, worker))

            def _workers(self, action: Any) -> None:
                try:
                    workers.check_token(deployment, self.headers.get(workers.TOKEN_HEADER))
                    body = self.read_json(default={})
                    self._send(200, action(body if isinstance(body, dict) else {}))
                except HTTPError as exc:
                    self._send(exc.status, {"error": exc.message, "status": exc.status})

            def allowed(self) -> tuple[str, ...] | None:
                return allowed_methods(self._path())

            def _path(self) -> str:
                return self.path.split("?")[0].rstrip("/") or "/"

            def _refuse(self, path: str) -> None:
                allow = allowed_methods(path)
                if allow is None:
                    return self._send(404, {"error": f"nothing is served at {path[:100]} here; the status "
                                                     f"server serves {', '.join(READ_PATHS)}, /_puma/ready/<service>", "status": 404})
                self._send(405, {"error": f"method {self.command} is not allowed on {path}; use "
                                          f"{' or '.join(allow)}", "status": 405}, {"Allow": ", ".join(allow)})

            def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                self.send_json(status, body, headers)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.sampler = sampler
        self.thread = guard.thread(self.server.serve_forever, name="puma-status", retry=False)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        if self.thread.is_alive():  # shutdown() would wait forever on a server never started
            self.server.shutdown()
        self.server.server_close()
