"""Keeps Envoy's view of the deployment in step with its pools, through the files Envoy watches
(its filesystem xDS, written by `puma.proxy`): the routes and clusters (`publish_config`: at start,
when a service is added, removed, failed or warming) and each service's endpoints (`publish`: its
EDS file, whenever an instance comes or goes).

Endpoint changes are written by a thread of its own: those that come while it writes are written
together (250 instances starting at once are a few writes, not 250). A caller that must know
Envoy has let an instance go (`retire`: stopped only once Envoy routes elsewhere) publishes now
and waits.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from . import guard

if TYPE_CHECKING:
    from .interfaces import DeploymentView


class EnvoyPublisher:
    """Writes `deployment`'s routes, clusters and endpoints for Envoy (`status_port`: its status
    server's, routed at `/_puma/...`). `start()` its thread once Envoy's files may be written."""

    def __init__(self, deployment: DeploymentView, status_port: int) -> None:
        self.deployment = deployment
        self.status_port = status_port
        # Held while the deployment's config changes too: a write never sees half a change.
        self.lock = threading.Lock()
        self._wanted = threading.Event()  # endpoints changed: the publisher writes them
        self._thread = guard.thread(self._step, name="puma-publish", stop=lambda: deployment.stopping, loop=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Once the deployment is `stopping`: the thread sees it and ends."""
        self._wanted.set()

    def endpoints(self) -> dict[str, list[tuple[str, int]]]:
        return {name: sorted((i.host, i.port) for i in pool.routable() if i.port)
                for name, pool in self.deployment.pools.items()}

    def publish_config(self) -> None:
        """Write Envoy's routes, clusters and endpoints from the config (at start and when services change)."""
        d = self.deployment
        with self.lock:
            failed = {n: p.failed for n, p in d.pools.items() if p.failed}
            warming = {n: s for n, p in d.pools.items() if (s := p.warming_s()) is not None}
            d.envoy.publish_config(d.config, self.endpoints(), status_port=self.status_port,
                                   failed=failed, warming=warming)

    def publish(self, *, wait: bool = False) -> None:
        """Write the endpoints files of the services whose instances changed: soon, on the publisher
        thread (changes that come while it writes are written together: 250 instances starting at
        once are a few writes, not 250), or now and, with `wait`, until Envoy has applied them."""
        d = self.deployment
        if not wait and self._thread.is_alive() and not d.stopping:
            self._wanted.set()
            return
        # Until it lands (a full disk): an instance retired after it is stopped only once Envoy has let it go.
        endpoints = guard.persist("puma-publish (waited on)", self._write_endpoints, stop=lambda: d.stopping)
        if endpoints is None:  # stopping, and not written
            return
        if wait and d.envoy.admin is not None:
            expected = {n: {f"{h}:{p}" for h, p in eps} for n, eps in endpoints.items()}
            d.envoy.wait_hosts(expected)

    def _write_endpoints(self) -> dict[str, list[tuple[str, int]]]:
        with self.lock:
            endpoints = self.endpoints()
            self.deployment.envoy.publish_endpoints(endpoints)
        return endpoints

    def _step(self) -> None:
        self._wanted.wait()
        self._wanted.clear()
        if not self.deployment.stopping:
            try:
                self._write_endpoints()
            except BaseException:
                self._wanted.set()  # not written: still due (`guard` runs this step again)
                raise
